/**
 * `rserpool/session`: Enhanced Mode (RFC 5351 sessions with failover):
 * pool-user sessions, the pool-element socket and its accepted sessions,
 * sealed state cookies, failover events and the session defaults. The root
 * exports the everyday part (`connect`, `socket`, the session classes,
 * `cookie`); import from here for the defaults and the detailed types.
 *
 * ```ts
 * import { SESSION_DEFAULTS, type ReplayMode } from 'rserpool/session';
 * ```
 *
 * @packageDocumentation
 * @module rserpool/session
 */
/** Sealed state cookies: `cookie.seal(state, key)` / `cookie.open(bytes, key)`. */
export * as cookie from './cookie.js';
export { CookieError, type CookieFailure, type CookieKey, type CookieKeyRing, type CookieSecret } from './cookie.js';
export { connect, socket } from './enhanced-mode.js';
export {
  PoolSession,
  type PoolSessionEvents,
  type PoolSessionState,
  type SessionMessage,
  type SessionSendOptions,
  type SessionRequestOptions,
  type SessionRecvOptions,
} from './pool-session.js';
export { PoolElementSocket, type PoolElementSocketEvents, type PoolElementSocketStats } from './pool-element-socket.js';
export { AcceptedSession, type AcceptedSessionEvents } from './accepted-session.js';
export { NoPoolElementError, type FailoverEvent, type FailoverReason } from './failover.js';
export { type BusinessCard, type BusinessCardInput } from './control-channel.js';
export {
  type SessionOptions,
  type SocketOptions,
  type SocketRegisterOptions,
  type SessionTransportOptions,
  type ReplayMode,
  type ResolvedSessionOptions,
  SESSION_DEFAULTS,
  DEFAULT_DATA_PPID,
} from './session-options.js';
