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
