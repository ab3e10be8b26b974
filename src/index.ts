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
export type {
  Association,
  AssociationEvents,
  CloseReason,
  ConnectOptions,
  Endpoint,
  EndpointEvents,
  FailureDetectionOptions,
  MessageInfo,
  SendOptions,
  TransportAddress,
} from './transport/types.js';
export {
  createUdpEndpoint,
  UdpEndpoint,
  type UdpEndpointOptions,
  type UdpConnectOptions,
  type UdpEndpointStats,
} from './transport/udp-endpoint.js';
export { SctpTransportAssociation } from './transport/association.js';
export { TransportError, ConnectionRefusedError, MessageTooLargeError } from './transport/errors.js';
export { PoolNotFoundError, NoRegistrarError, RegistrationRefusedError } from './errors.js';
export { register, resolve, reportFailure, createInstance, type BasicModeOptions, type BasicRegisterOptions, type BasicResolveOptions, type BasicReportOptions } from './asap/basic-mode.js';
export { AsapInstance, type AsapInstanceEvents, type PoolHandleInput } from './asap/asap-instance.js';
export {
  type AsapInstanceOptions,
  type RegisterOptions as AsapRegisterOptions,
  type ResolveOptions as AsapResolveOptions,
  type PoolElementInfo,
  type EndpointFactory,
  type AnnounceListener,
  type AnnounceListenerFactory,
  ASAP_INSTANCE_DEFAULTS,
  DEFAULT_ANNOUNCE_ADDRESS,
} from './asap/asap-options.js';
export {
  Registration,
  type RegistrationState,
  type RegistrationEvents,
  type RegistrationEventInfo,
  type RegistrarChangeInfo,
  type RegistrationUpdate,
} from './asap/registration.js';
export { type PolicyOptions, policyFromOptions, policyToOptions } from './asap/policy-options.js';
export { type ServerHuntOptions, SERVER_HUNT_DEFAULTS } from './asap/server-hunt.js';
export { REGISTRARS_ENV, ASAP_PORT } from './asap/registrar-table.js';
