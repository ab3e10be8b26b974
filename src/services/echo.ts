/**
 * The echo service: every message comes back unchanged, with the same PPID
 * and stream.
 *
 * @module
 */
import { runSession, type Service, type ServiceContext, type ServiceSession } from './service.js';

/** Echo: sends every received message back to the pool user. */
export const echoService: Service = {
  name: 'echo',
  description: 'sends every message back unchanged',
  handle(session: ServiceSession, context: ServiceContext = {}): Promise<void> {
    return runSession(session, context, async (signal) => {
      for (let m = await session.recv({ signal }); m !== null; m = await session.recv({ signal })) {
        await session.send(m.data, { ...(m.ppid !== undefined ? { ppid: m.ppid } : {}), ...(m.stream !== undefined ? { stream: m.stream } : {}), signal });
      }
    });
  },
};
