/**
 * `rserpool/registrar`: the registrar (ASAP server, RFC 5352) with its
 * options, logger, rate limits and address filter, and ENRP (RFC 5353) for
 * registrar clusters: the attachment, the ENRP server, peer links and the
 * handle-table client behind `rsp hsdump`. The root exports what an operator
 * needs to run one (`Registrar`, `attachEnrp`, `createLogger`,
 * `fetchHandleTable`); import from here for the building blocks.
 *
 * ```ts
 * import { Registrar, REGISTRAR_DEFAULTS, EnrpServer } from 'rserpool/registrar';
 * ```
 *
 * @packageDocumentation
 * @module rserpool/registrar
 */
export {
  Registrar,
  type RegistrarEvents,
  type RegistrarStats,
  type HandlespaceChange,
  type RegistrarViolation,
  type RemovalReason,
} from './registrar.js';
export {
  type RegistrarOptions,
  type ResolvedRegistrarOptions,
  type AnnounceSender,
  type AnnounceSenderFactory,
  type EndpointFactory as RegistrarEndpointFactory,
  REGISTRAR_DEFAULTS,
  MAX_MAX_HRES_ITEMS,
  resolveRegistrarOptions,
} from './options.js';
export {
  createLogger,
  silentLogger,
  LOG_LEVELS,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  type LogFormat,
  type LogFields,
} from './logger.js';
export { TokenBucket, type RateLimit } from './rate-limiter.js';
export {
  AddressFilter,
  addressScope,
  type AddressScope,
  type MinAddressScope,
  type AddressFilterOptions,
  type AddressFilterResult,
} from './address-filter.js';
export { KeepAliveScheduler, jitteredDelay, type Schedulable, type KeepAliveSchedulerOptions } from './keep-alive-scheduler.js';
export { Authorization, type AuthorizationRules } from './authorization.js';
export { EnrpAccess, addNetwork, type EnrpAccessOptions } from './enrp/access.js';
export { attachEnrp, type EnrpAttachOptions, type EnrpAttachment } from './enrp/attach.js';
export { EnrpServer, type EnrpHost, type EnrpServerEvents, type EnrpStats } from './enrp/enrp-server.js';
export {
  ENRP_DEFAULTS,
  ENRP_PORT,
  ENRP_PPID,
  ENRP_MULTICAST_GROUP,
  resolveEnrpOptions,
  type EnrpOptions,
  type ResolvedEnrpOptions,
} from './enrp/options.js';
export { addressKey, type PeerLink, type PeerLinkHandler, type PeerLinkOrigin } from './enrp/peer-link.js';
export type * from './enrp/messages.js';
export { entryKey, type EnrpHandlespace, type HandlespaceEntry } from './enrp/handlespace-view.js';
export type { PeerSummary } from './enrp/peer-table.js';
export type { SyncResult, SyncKind } from './enrp/handle-table-sync.js';
export {
  SctpPeerLink,
  type SctpPeerLinkOptions,
  type SctpPeerLinkStats,
  type PresenceChannel,
} from './enrp/sctp-peer-link.js';
export { RegistrarHandlespace } from './enrp/registrar-handlespace.js';
export { fetchHandleTable, type HandleTableDump, type FetchHandleTableOptions } from './enrp/handle-table-client.js';
export { handleTableToJson, type HandleTableJson, type HandleTableJsonElement } from './enrp/handle-table-json.js';
