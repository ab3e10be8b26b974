/**
 * `rserpool/transport`: the message-oriented SCTP transport the protocols run
 * on (SCTP over UDP, or over raw IP with privileges), and the UDP multicast
 * channel used for server announces and ENRP presence. For applications that
 * want a bare SCTP association without RSerPool, and for custom endpoint
 * factories passed to a registrar or an ASAP instance.
 *
 * ```ts
 * import { createUdpEndpoint } from 'rserpool/transport';
 * ```
 *
 * @packageDocumentation
 * @module rserpool/transport
 */
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
  UnacknowledgedMessage,
} from './types.js';
export {
  createUdpEndpoint,
  UdpEndpoint,
  type UdpEndpointOptions,
  type UdpConnectOptions,
  type UdpEndpointStats,
} from './udp-endpoint.js';
export { SctpTransportAssociation } from './association.js';
export {
  TLS_PPID,
  DEFAULT_MAX_PENDING_HANDSHAKES,
  DEFAULT_MAX_PENDING_HANDSHAKES_PER_HOST,
  TlsAssociation,
  TlsEndpoint,
  tlsEndpoint,
  secureAssociation,
  identityMatches,
  peerIdentityOf,
  type Pem,
  type PeerIdentity,
  type TlsOptions,
  type TlsEndpointStats,
} from './tls.js';
export { TransportError, ConnectionRefusedError, MessageTooLargeError, HostNotFoundError } from './errors.js';
export { resolveHost, resolveTransportAddress } from './resolve-host.js';
export {
  createMulticastChannel,
  MulticastChannel,
  type MulticastChannelOptions,
  type MulticastChannelEvents,
} from './multicast.js';
export { createRawEndpoint, RawEndpoint, type RawEndpointOptions } from './raw-endpoint.js';
export { RawStack, type RawStackOptions, type RawStackStats } from './raw-stack.js';
export { rawModeUnavailableReason } from './raw-socket-loader.js';
export {
  createTransportEndpoint,
  endpointFactoryFor,
  checkTransportMode,
  TRANSPORT_MODES,
  type TransportMode,
  type TransportOptions,
  type TransportEndpoint,
  type EndpointPlacement,
} from './endpoint-factory.js';
export { EncapsulationPort, SCTP_UDP_TUNNELING_PORT, type EncapsulationReceiver } from './udp-encapsulation-port.js';
