/**
 * The character generator service (after RFC 864): a continuous stream of
 * 72-character lines of printable ASCII, each line starting one character
 * further along, until the pool user closes the session. Received messages
 * are ignored. Every send waits for the transport, so the stream runs at
 * the speed the association allows.
 *
 * @module
 */
import { runSession, type Service, type ServiceContext, type ServiceSession } from './service.js';

const FIRST = 0x20;
const COUNT = 95;
const WIDTH = 72;

/** Line `index` of the chargen pattern (72 characters plus CR LF). */
export function chargenLine(index: number): string {
  let s = '';
  const start = index % COUNT;
  for (let i = 0; i < WIDTH; i++) s += String.fromCharCode(FIRST + ((start + i) % COUNT));
  return `${s}\r\n`;
}

/** Options of {@link createChargenService}. */
export interface ChargenOptions {
  /** Lines per message. Default 1. */
  linesPerMessage?: number;
  /** Stop after this many messages (0 = until the session closes). Default 0. */
  maxMessages?: number;
}

/** Creates a chargen service with the given message shape. */
export function createChargenService(options: ChargenOptions = {}): Service {
  const per = Math.max(1, Math.floor(options.linesPerMessage ?? 1));
  const max = Math.max(0, Math.floor(options.maxMessages ?? 0));
  return {
    name: 'chargen',
    description: 'streams lines of printable characters until the session closes',
    handle(session: ServiceSession, context: ServiceContext = {}): Promise<void> {
      return runSession(session, context, async (signal) => {
        let closed = false;
        // Drain (and ignore) incoming data; its end tells us the peer closed.
        const reader = (async () => {
          while ((await session.recv({ signal }).catch(() => null)) !== null);
          closed = true;
        })();
        let line = 0;
        for (let sent = 0; !closed && !signal.aborted && (max === 0 || sent < max); sent++) {
          let text = '';
          for (let i = 0; i < per; i++) text += chargenLine(line++);
          await session.send(text, { signal });
          // Let the reader observe a close between sends.
          if (sent % 16 === 15) await new Promise<void>((r) => setImmediate(r));
        }
        if (max > 0) return; // finished on purpose: the close below ends the session
        await reader;
      });
    },
  };
}

/** Chargen with one line per message, until the session closes. */
export const chargenService: Service = createChargenService();
