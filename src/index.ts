/**
 * rserpool — Reliable Server Pooling (RFC 5351–5356) for Node.js.
 *
 * The package root holds what a pool user, a pool element and a registrar
 * operator use: Basic Mode (`register`, `resolve`, `reportFailure`),
 * Enhanced Mode sessions (`connect`, `socket`), sealed state cookies, the
 * errors, the registrar with ENRP, and the services behind `rsp server`.
 * The layers below are subpath exports: `rserpool/wire`,
 * `rserpool/transport`, `rserpool/handlespace`, `rserpool/asap`,
 * `rserpool/registrar`, `rserpool/session`, `rserpool/services` and
 * `rserpool/testing`.
 *
 * ```ts
 * import * as rsp from 'rserpool';
 * ```
 *
 * @packageDocumentation
 * @module rserpool
 */
export { VERSION } from './version.js';

// Errors: everything the library throws is an RSerPoolError with a `code`.
export {
  RSerPoolError,
  ProtocolError,
  InvalidArgumentError,
  TimeoutError,
  AbortError,
  ClosedError,
  PoolNotFoundError,
  NoRegistrarError,
  RegistrationRefusedError,
  type RSerPoolErrorCode,
} from './errors.js';
export { TransportError } from './transport/errors.js';
export { NoPoolElementError, type FailoverEvent } from './session/failover.js';
export { CookieError, type CookieKey } from './session/cookie.js';

// Basic Mode (ASAP): pool elements register, pool users resolve.
export {
  register,
  resolve,
  reportFailure,
  createInstance,
  type BasicModeOptions,
  type BasicRegisterOptions,
  type BasicResolveOptions,
  type BasicReportOptions,
} from './asap/basic-mode.js';
export { AsapInstance } from './asap/asap-instance.js';
export type { AsapInstanceOptions, PoolElementInfo } from './asap/asap-options.js';
export { Registration } from './asap/registration.js';
export type { PolicyOptions } from './asap/policy-options.js';
export { REGISTRARS_ENV } from './asap/registrar-table.js';

// Enhanced Mode: sessions that fail over, and the pool-element socket.
/** Sealed state cookies: `rsp.cookie.seal(state, key)` / `rsp.cookie.open(bytes, key)`. */
export * as cookie from './session/cookie.js';
export { connect, socket } from './session/enhanced-mode.js';
export { PoolSession, type SessionMessage } from './session/pool-session.js';
export { PoolElementSocket } from './session/pool-element-socket.js';
export { AcceptedSession } from './session/accepted-session.js';
export type { BusinessCard } from './session/control-channel.js';
export { type SessionOptions, type SocketOptions, type SocketRegisterOptions, DEFAULT_DATA_PPID } from './session/session-options.js';
/** The transport choice of every role (`transport: { mode, ...tuning }`). */
export type { TransportMode, TransportOptions } from './transport/endpoint-factory.js';

// Registrar operators.
export { Registrar, type RegistrarEvents } from './registrar/registrar.js';
export type { RegistrarOptions } from './registrar/options.js';
export { createLogger, type Logger, type LogLevel } from './registrar/logger.js';
export { attachEnrp, type EnrpAttachOptions, type EnrpAttachment } from './registrar/enrp/attach.js';

// Services a pool element runs (`rsp server`).
export { serve, type ServeHandle } from './services/serve.js';
export { getService, SERVICE_NAMES, type ServiceName } from './services/registry.js';
export type { Service } from './services/service.js';

// Watching a running pool: metrics, health and the web view over HTTP (more in `rserpool/observe`).
export { serveRegistrarHttp } from './observe/serve-http.js';
