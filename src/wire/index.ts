/**
 * `rserpool/wire`: the byte-exact ASAP/ENRP codec (RFC 5352/5353/5354/5356),
 * for tools that read or write RSerPool messages themselves (a capture
 * dissector, a fuzzer, a foreign registrar test).
 *
 * ```ts
 * import { decodeMessage, encodeMessage, poolHandleFromString } from 'rserpool/wire';
 * ```
 *
 * @packageDocumentation
 * @module rserpool/wire
 */
export * from './types.js';
/** The errors the codec throws (also on the package root). */
export { ProtocolError, InvalidArgumentError } from '../errors.js';
export { decodeMessage, encodeMessage, ppidOf, PPID_ASAP, PPID_ENRP, type RSerPoolMessage } from './messages.js';
export {
  AsapMessageType,
  ASAP_TYPE_CODES,
  type MessageExtras,
  type AsapMessage,
  type AsapRegistration,
  type AsapDeregistration,
  type AsapRegistrationResponse,
  type AsapDeregistrationResponse,
  type AsapHandleResolution,
  type AsapHandleResolutionResponse,
  type AsapEndpointKeepAlive,
  type AsapEndpointKeepAliveAck,
  type AsapEndpointUnreachable,
  type AsapServerAnnounce,
  type AsapCookie,
  type AsapCookieEcho,
  type AsapBusinessCard,
  type AsapError,
} from './asap-messages.js';
export {
  EnrpMessageType,
  ENRP_TYPE_CODES,
  HANDLE_UPDATE_ACTION_CODES,
  type EnrpHeader,
  type EnrpMessage,
  type EnrpPresence,
  type EnrpHandleTableRequest,
  type HandleTablePool,
  type EnrpHandleTableResponse,
  type HandleUpdateAction,
  type EnrpHandleUpdate,
  type EnrpListRequest,
  type EnrpListResponse,
  type EnrpInitTakeover,
  type EnrpInitTakeoverAck,
  type EnrpTakeoverServer,
  type EnrpError,
} from './enrp-messages.js';
export { type WireLimits, DEFAULT_WIRE_LIMITS, RSPLIB_MAX_POOL_HANDLE_LENGTH, resolveWireLimits } from './limits.js';
export { ParameterType, type UnknownParameterAction, unknownParameterAction } from './parameter-types.js';
export { type UnrecognizedParameter, UnrecognizedParameterError } from './tlv-reader.js';
export {
  EMPTY_PE_CHECKSUM,
  peChecksumPartial,
  checksumAdd,
  checksumRemove,
  finishChecksum,
  computePeChecksum,
  PeChecksumAccumulator,
} from './checksum.js';
export { poolHandleFromString, poolHandleFromBytes, poolHandleToString, poolHandleEquals, poolHandleKey } from './pool-handle.js';
export { addressToBytes, bytesToAddress, formatIPv4, formatIPv6, normalizeAddress } from './address.js';
export { policyNameOf, POLICY_FIELDS } from './policy.js';
export {
  poolHandleParameterBytes,
  peIdParameterBytes,
  transportParameterBytes,
  policyParameterBytes,
  poolElementParameterBytes,
} from './parameter-bytes.js';
