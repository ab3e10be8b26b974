/**
 * rserpool — Reliable Server Pooling (RFC 5351–5356) for Node.js.
 *
 * ```ts
 * import * as rsp from 'rserpool';
 * ```
 *
 * @packageDocumentation
 */
export { VERSION } from './version.js';
export {
  RSerPoolError,
  ProtocolError,
  InvalidArgumentError,
  TimeoutError,
  AbortError,
  ClosedError,
  type RSerPoolErrorCode,
} from './errors.js';
export { type Clock, type TimerHandle, SystemClock, FakeClock, systemClock } from './clock.js';
export * from './wire/types.js';
export * from './wire/index.js';
