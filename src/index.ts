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
export { REGISTRARS_ENV } from './asap/registrar-table.js';
export { RegistrarTable, type RegistrarEntry, type RegistrarSource, type RegistrarTableEvents, type RegistrarTableOptions } from './asap/registrar-table.js';
export type { RegistrationHost } from './asap/registration.js';
export {
  Handlespace,
  hasControlChannel,
  type HandlespaceOptions,
  type HandlespaceRegisterOptions,
  type RegistrationResult,
  type RegistrationAccepted,
  type RegistrationRefused,
} from './handlespace/handlespace.js';
export { Pool } from './handlespace/pool.js';
export { PoolElement } from './handlespace/pool-element.js';
export { PolicyRegistry, BUILTIN_POLICIES, defaultPolicyRegistry } from './handlespace/policy-registry.js';
export { type SelectionPolicy, type PoolSelector, POLICY_VALUE_MAX } from './handlespace/policy.js';
export { OrderedSelector, type OrderedPolicyRules } from './handlespace/ordered-selector.js';
export { SampledSelector, UniformSelector, type SampledPolicyRules } from './handlespace/sampled-selector.js';
export { WeightedSampler, type WeightedSamplerNode } from './handlespace/weighted-sampler.js';
export { ExpiryQueue, type ExpiryEntry } from './handlespace/expiry-queue.js';
export { Sfc32Random, type RandomSource } from './handlespace/random.js';
export { roundRobinPolicy, weightedRoundRobinPolicy } from './handlespace/policies/round-robin.js';
export { randomPolicy, weightedRandomPolicy, weightedRandomDpfPolicy } from './handlespace/policies/random.js';
export { priorityPolicy } from './handlespace/policies/priority.js';
export {
  leastUsedPolicy,
  leastUsedDegradationPolicy,
  priorityLeastUsedPolicy,
  priorityLeastUsedDegradationPolicy,
  leastUsedDpfPolicy,
  leastUsedDegradationDpfPolicy,
} from './handlespace/policies/least-used.js';
export {
  randomizedLeastUsedPolicy,
  randomizedPriorityLeastUsedPolicy,
  randomizedLeastUsedDegradationPolicy,
  randomizedPriorityLeastUsedDegradationPolicy,
} from './handlespace/policies/randomized-least-used.js';
export {
  createMulticastChannel,
  MulticastChannel,
  type MulticastChannelOptions,
  type MulticastChannelEvents,
} from './transport/multicast.js';
export { PoolUserCache, type PoolUserCacheOptions } from './handlespace/pool-user-cache.js';
export {
  Registrar,
  type RegistrarEvents,
  type RegistrarStats,
  type HandlespaceChange,
  type RegistrarViolation,
  type RemovalReason,
} from './registrar/registrar.js';
export {
  type RegistrarOptions,
  type ResolvedRegistrarOptions,
  type AnnounceSender,
  type AnnounceSenderFactory,
  type EndpointFactory as RegistrarEndpointFactory,
  REGISTRAR_DEFAULTS,
  MAX_MAX_HRES_ITEMS,
  resolveRegistrarOptions,
} from './registrar/options.js';
export { createLogger, silentLogger, LOG_LEVELS, type Logger, type LoggerOptions, type LogLevel, type LogFormat, type LogFields } from './registrar/logger.js';
export { TokenBucket, type RateLimit } from './registrar/rate-limiter.js';
export { AddressFilter, addressScope, type AddressScope, type MinAddressScope, type AddressFilterOptions, type AddressFilterResult } from './registrar/address-filter.js';
export { KeepAliveScheduler, jitteredDelay, type Schedulable, type KeepAliveSchedulerOptions } from './registrar/keep-alive-scheduler.js';
export { attachEnrp, type EnrpAttachOptions, type EnrpAttachment } from './registrar/enrp/attach.js';
export { EnrpServer, type EnrpHost, type EnrpServerEvents, type EnrpStats } from './registrar/enrp/enrp-server.js';
export { ENRP_DEFAULTS, ENRP_PORT, ENRP_PPID, ENRP_MULTICAST_GROUP, resolveEnrpOptions, type EnrpOptions, type ResolvedEnrpOptions } from './registrar/enrp/options.js';
export { addressKey, type PeerLink, type PeerLinkHandler, type PeerLinkOrigin } from './registrar/enrp/peer-link.js';
export type * from './registrar/enrp/messages.js';
export { entryKey, type EnrpHandlespace, type HandlespaceEntry } from './registrar/enrp/handlespace-view.js';
export type { PeerSummary } from './registrar/enrp/peer-table.js';
export type { SyncResult, SyncKind } from './registrar/enrp/handle-table-sync.js';
export { SctpPeerLink, type SctpPeerLinkOptions, type SctpPeerLinkStats, type PresenceChannel } from './registrar/enrp/sctp-peer-link.js';
export { RegistrarHandlespace } from './registrar/enrp/registrar-handlespace.js';
export { fetchHandleTable, type HandleTableDump, type FetchHandleTableOptions } from './registrar/enrp/handle-table-client.js';
export { RoundRobinSelector } from './handlespace/round-robin-selector.js';
/** Sealed state cookies: `rsp.cookie.seal(state, key)` / `rsp.cookie.open(bytes, key)`. */
export * as cookie from './session/cookie.js';
export { CookieError, type CookieFailure, type CookieKey, type CookieKeyRing, type CookieSecret } from './session/cookie.js';
export { connect, socket } from './session/enhanced-mode.js';
export { PoolSession, type PoolSessionEvents, type PoolSessionState, type SessionMessage, type SessionSendOptions } from './session/pool-session.js';
export { PoolElementSocket, type PoolElementSocketEvents, type PoolElementSocketStats } from './session/pool-element-socket.js';
export { AcceptedSession, type AcceptedSessionEvents } from './session/accepted-session.js';
export { NoPoolElementError, type FailoverEvent, type FailoverReason } from './session/failover.js';
export { type BusinessCard, type BusinessCardInput } from './session/control-channel.js';
export {
  type SessionOptions,
  type SocketOptions,
  type SocketRegisterOptions,
  type SessionTransportOptions,
  type ReplayMode,
  type ResolvedSessionOptions,
  SESSION_DEFAULTS,
  DEFAULT_DATA_PPID,
} from './session/session-options.js';
export { createRawEndpoint, RawEndpoint, type RawEndpointOptions } from './transport/raw-endpoint.js';
export { RawStack, type RawStackOptions, type RawStackStats } from './transport/raw-stack.js';
export { rawModeUnavailableReason } from './transport/raw-socket-loader.js';
export {
  type Service,
  type ServiceContext,
  type ServiceSession,
  type ServiceMessage,
  type ServiceSendOptions,
  type ServiceName,
  SERVICES,
  SERVICE_NAMES,
  getService,
  echoService,
  discardService,
  discardStats,
  daytimeService,
  daytimeLine,
  chargenService,
  chargenLine,
  createChargenService,
  type ChargenOptions,
  pingpongService,
  encodePing,
  decodePing,
  encodePong,
  decodePong,
  encodePingPongCookie,
  decodePingPongCookie,
  type PingPongState,
  type Pong,
  runPingPong,
  type PingPongSession,
  type PingPongClientOptions,
  type PingPongReply,
  type PingPongSummary,
  serve,
  type SessionAcceptor,
  type ServeStats,
  type ServeHandle,
  createMemorySessionPair,
  type MemoryUserEnd,
  type MemoryServiceEnd,
} from './services/index.js';

// Observability: metrics, health and the web view over HTTP; Component Status Protocol.
export {
  serveRegistrarHttp,
  servePoolElementHttp,
  type ServeHttpOptions,
  type ObservedHttp,
  type ObservablePoolElement,
  createMetricsRegistry,
  registrarMetrics,
  poolElementMetrics,
  poolUserMetrics,
  type MetricsHandle,
  type PoolElementMetricsSource,
  type PoolUserMetricsSource,
  EventFeed,
  type FeedEvent,
  type EventFeedEvents,
  CSP_PORT,
  type CspMonitorEvents,
  CspReporter,
  CspMonitor,
  encodeCspReport,
  decodeCspReport,
  cspComponentId,
  type CspReport,
  type CspAssociation,
  type CspStatus,
  type CspReporterOptions,
  type CspMonitorOptions,
  type CspComponent,
} from './observe/index.js';
export {
  fractalService,
  createFractalService,
  type FractalServiceOptions,
  FractalPoolUser,
  type FractalPoolUserOptions,
  type FractalPoolUserEvents,
  type FractalRect,
  type FractalPoints,
  type FractalFailover,
  type FractalImageOptions,
} from './services/index.js';
