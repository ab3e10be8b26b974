/**
 * The discard service: reads and drops everything; sends nothing.
 *
 * @module
 */
import { runSession, type Service, type ServiceContext, type ServiceSession } from './service.js';

/** Totals of the discard service in this process (for benchmarks and logs). */
export const discardStats = { messages: 0, bytes: 0 };

/** Discard: drops every received message (counted in {@link discardStats}). */
export const discardService: Service = {
  name: 'discard',
  description: 'drops every message and sends nothing',
  handle(session: ServiceSession, context: ServiceContext = {}): Promise<void> {
    return runSession(session, context, async (signal) => {
      for (let m = await session.recv({ signal }); m !== null; m = await session.recv({ signal })) {
        discardStats.messages++;
        discardStats.bytes += m.data.length;
      }
    });
  },
};
