/**
 * The pingpong service: request/response with a counter that survives
 * failovers because it lives in the session's cookie.
 *
 * Protocol (text, one message each):
 * - request: `ping <seq>` — `seq` is the pool user's own request number;
 *   any other message counts as a request without a number;
 * - reply: `pong <counter> seq=<seq> pe=<name>` — `counter` counts the
 *   requests this session has made, across every PE that served it.
 *
 * State and failover: for every new request the PE increments the counter,
 * sends the reply, then a Cookie holding `{ counter, seq }`. After a
 * failover the pool user echoes its latest cookie and the new PE resumes
 * from it. Reply first: a PE killed between the two has delivered the
 * reply, and the pool user (with `replay: 'since-cookie'`) still holds the
 * request, since no cookie covers it, and replays it after the older
 * cookie, so the new PE counts it again from the older state and reaches
 * the same counter (the repeated reply has the old `seq` and is ignored by
 * the client). The other order lost the reply when the PE died between
 * cookie and reply. A request whose `seq` equals the checkpoint's `seq` is
 * a repetition (re-sent by the user): it is answered with the stored
 * counter instead of counting twice. So the count continues without a gap
 * and without repeats.
 *
 * With a `cookieKey` in the context, cookies are sealed
 * (`rsp.cookie.seal`) and an echoed cookie that does not open is refused:
 * the session is closed without serving it.
 *
 * @module
 */
import { CookieError, open, seal } from '../session/cookie.js';
import { runSession, type Service, type ServiceContext, type ServiceSession } from './service.js';

/** The state a pingpong PE keeps in the session cookie. */
export interface PingPongState {
  /** Requests answered in this session so far. */
  counter: number;
  /** `seq` of the latest request counted, if it had one. */
  seq?: number;
}

/** A decoded pingpong reply. */
export interface Pong {
  counter: number;
  seq?: number;
  /** Name of the PE that answered (its id in hex with `rsp server`). */
  pe?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const PLAIN_PREFIX = 'pingpong ';

/** Encodes a request. */
export function encodePing(seq: number): string {
  return `ping ${seq}`;
}

/** Parses a request: its `seq`, or undefined for any other message. */
export function decodePing(data: Uint8Array): number | undefined {
  const m = /^ping (\d+)\s*$/.exec(decoder.decode(data));
  return m ? Number(m[1]) : undefined;
}

/** Encodes a reply. */
export function encodePong(p: Pong): string {
  return `pong ${p.counter} seq=${p.seq ?? '-'}${p.pe !== undefined ? ` pe=${p.pe}` : ''}`;
}

/** Parses a reply; undefined when `data` is not one. */
export function decodePong(data: Uint8Array): Pong | undefined {
  const m = /^pong (\d+) seq=(\d+|-)(?: pe=(\S+))?\s*$/.exec(decoder.decode(data));
  if (!m) return undefined;
  return { counter: Number(m[1]), ...(m[2] !== '-' ? { seq: Number(m[2]) } : {}), ...(m[3] !== undefined ? { pe: m[3] } : {}) };
}

/**
 * Encodes the state as a cookie: sealed with `key`, else as plain text
 * (`pingpong {json}`, padded with spaces to a multiple of 4 bytes).
 */
export function encodePingPongCookie(state: PingPongState, key?: ServiceContext['cookieKey']): Uint8Array {
  if (key !== undefined) return seal(state, key);
  let text = PLAIN_PREFIX + JSON.stringify(state);
  while (text.length % 4 !== 0) text += ' ';
  return encoder.encode(text);
}

/**
 * Decodes an echoed cookie. With `key` the cookie must be sealed with it
 * (else a {@link CookieError}); without, it must be a plain pingpong cookie.
 *
 * @throws CookieError when the cookie is forged, tampered with or not a pingpong state.
 */
export function decodePingPongCookie(cookie: Uint8Array, key?: ServiceContext['cookieKey']): PingPongState {
  const value: unknown = key !== undefined ? open(cookie, key) : parsePlain(cookie);
  if (value === null || typeof value !== 'object') throw new CookieError('malformed', 'not a pingpong state');
  const { counter, seq } = value as { counter?: unknown; seq?: unknown };
  if (!Number.isSafeInteger(counter) || (counter as number) < 0) throw new CookieError('malformed', 'pingpong state without a valid counter');
  if (seq !== undefined && !Number.isSafeInteger(seq)) throw new CookieError('malformed', 'pingpong state with an invalid seq');
  return { counter: counter as number, ...(seq !== undefined ? { seq: seq as number } : {}) };
}

function parsePlain(cookie: Uint8Array): unknown {
  const text = decoder.decode(cookie).trimEnd();
  if (!text.startsWith(PLAIN_PREFIX)) throw new CookieError('malformed', 'not a plain pingpong cookie');
  try {
    return JSON.parse(text.slice(PLAIN_PREFIX.length)) as unknown;
  } catch {
    throw new CookieError('malformed', 'not a plain pingpong cookie');
  }
}

/** Pingpong: counts requests, checkpoints the count in the cookie, replies with it. */
export const pingpongService: Service = {
  name: 'pingpong',
  description: 'answers "ping N" with "pong COUNTER"; the counter lives in the cookie and survives failovers',
  handle(session: ServiceSession, context: ServiceContext = {}): Promise<void> {
    let state: PingPongState = { counter: 0 };
    const echoed = session.cookie;
    if (echoed !== undefined) {
      try {
        state = decodePingPongCookie(echoed, context.cookieKey);
        context.log?.(`session resumed from cookie at counter ${state.counter}`);
      } catch (err) {
        context.log?.(`echoed cookie refused: ${err instanceof Error ? err.message : String(err)}`);
        return session.close().catch(() => undefined);
      }
    }
    return runSession(session, context, async (signal) => {
      for (let m = await session.recv({ signal }); m !== null; m = await session.recv({ signal })) {
        const seq = decodePing(m.data);
        const repeated = seq !== undefined && seq === state.seq;
        if (!repeated) state = { counter: state.counter + 1, ...(seq !== undefined ? { seq } : {}) };
        // Reply first, then the checkpoint (see the module comment).
        await session.send(encodePong({ counter: state.counter, ...(seq !== undefined ? { seq } : {}), ...(context.name !== undefined ? { pe: context.name } : {}) }), { signal });
        if (!repeated) await session.sendCookie(encodePingPongCookie(state, context.cookieKey), { signal });
      }
    });
  },
};
