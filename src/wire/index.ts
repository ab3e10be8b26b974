/**
 * The byte-exact ASAP/ENRP codec (RFC 5352/5353/5354/5356).
 *
 * @module
 */
export { decodeMessage, encodeMessage, ppidOf, PPID_ASAP, PPID_ENRP, type RSerPoolMessage } from './messages.js';
export * from './asap-messages.js';
export * from './enrp-messages.js';
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
