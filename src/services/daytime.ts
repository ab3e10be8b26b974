/**
 * The daytime service: sends the current date and time as one text line
 * when the session starts and again for every message received.
 *
 * Unlike TCP daytime (RFC 867), the pool element does not close the
 * session after the first line: a pool user fails over when its PE closes,
 * so closing would only send it to the next PE.
 *
 * @module
 */
import { runSession, type Service, type ServiceContext, type ServiceSession } from './service.js';

/** The daytime line for `date`: ISO 8601 UTC plus the local form, newline-terminated. */
export function daytimeLine(date: Date = new Date()): string {
  return `${date.toISOString()} ${date.toString()}\n`;
}

/** Daytime: the date and time at start and on every message. */
export const daytimeService: Service = {
  name: 'daytime',
  description: 'sends the date and time at session start and for every message',
  handle(session: ServiceSession, context: ServiceContext = {}): Promise<void> {
    return runSession(session, context, async (signal) => {
      await session.send(daytimeLine(), { signal });
      for (let m = await session.recv({ signal }); m !== null; m = await session.recv({ signal })) {
        await session.send(daytimeLine(), { signal });
      }
    });
  },
};
