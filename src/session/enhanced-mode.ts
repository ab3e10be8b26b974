/**
 * Entry points of Enhanced Mode: `rsp.connect(pool, options)` for a pool
 * user, `rsp.socket(options)` for a pool element (which can also
 * `connect()`).
 *
 * @module
 */
import type { PoolHandleInput } from '../asap/asap-instance.js';
import { PoolElementSocket } from './pool-element-socket.js';
import { PoolSession } from './pool-session.js';
import type { SessionOptions, SocketOptions } from './session-options.js';

/**
 * Opens a session with a pool: resolves the handle, connects to a pool
 * element and returns a {@link PoolSession} that fails over by itself.
 *
 * ```ts
 * const session = await rsp.connect('EchoPool', { registrars: ['127.0.0.1:3863'] });
 * await session.send('hello');
 * const reply = await session.recv(); // { data, ppid, stream } or null
 * ```
 *
 * @throws NoPoolElementError (`ERR_RSP_NO_POOL_ELEMENT`) when no PE answered within `failoverTimeout`; AbortError; InvalidArgumentError
 */
export async function connect(poolHandle: PoolHandleInput, options: SessionOptions = {}): Promise<PoolSession> {
  const session = new PoolSession(poolHandle, options);
  await session.open(options.signal);
  return session;
}

/**
 * Creates a socket: a pool element after `register()` (then `accept()`
 * sessions), or a pool user with `connect()`.
 */
export function socket(options: SocketOptions = {}): PoolElementSocket {
  return new PoolElementSocket(options);
}
