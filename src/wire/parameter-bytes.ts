/**
 * Single parameters as bytes, for the cause information of an Operation
 * Error: causes 0x0001 (unrecognized parameter), 0x0003 (invalid values),
 * 0x0005 (inconsistent pooling policy) and 0x0007 (inconsistent transport)
 * carry the offending parameter (spec §7), and Wireshark flags those causes
 * as malformed without it. Each result is the parameter as it appears in a
 * message, padding included.
 *
 * @module
 */
import type { PolicyInfo, PoolElementParam, PoolHandle, TransportParam } from './types.js';
import { resolveWireLimits, type WireLimits } from './limits.js';
import { checkUint32 } from './integer-fields.js';
import { policyParameterSize, writePolicyParameter } from './policy.js';
import {
  poolElementParameterSize,
  poolHandleParameterSize,
  transportParameterSize,
  writePeIdParameter,
  writePoolElementParameter,
  writePoolHandleParameter,
  writeTransportParameter,
} from './parameters.js';
import { TlvWriter } from './tlv-writer.js';

function build(size: number, write: (w: TlvWriter) => void): Uint8Array {
  const w = new TlvWriter(size);
  write(w);
  return w.bytes;
}

/**
 * A Pool Handle parameter. Pass a larger `maxPoolHandleLength` to quote an
 * over-long handle that was refused.
 *
 * @throws InvalidArgumentError for an empty handle or one beyond the limit.
 */
export function poolHandleParameterBytes(poolHandle: PoolHandle, limits?: Partial<WireLimits>): Uint8Array {
  return build(poolHandleParameterSize(poolHandle, resolveWireLimits(limits)), (w) => writePoolHandleParameter(w, poolHandle));
}

/** A PE Identifier parameter. */
export function peIdParameterBytes(peId: number): Uint8Array {
  checkUint32(peId, 'PE identifier');
  return build(8, (w) => writePeIdParameter(w, peId));
}

/** A transport parameter (SCTP, TCP, UDP, UDP-Lite or DCCP). */
export function transportParameterBytes(transport: TransportParam, limits?: Partial<WireLimits>): Uint8Array {
  return build(transportParameterSize(transport, resolveWireLimits(limits)), (w) => writeTransportParameter(w, transport));
}

/** A Pool Member Selection Policy parameter. */
export function policyParameterBytes(policy: PolicyInfo): Uint8Array {
  return build(policyParameterSize(policy), (w) => writePolicyParameter(w, policy));
}

/** A Pool Element parameter. */
export function poolElementParameterBytes(poolElement: PoolElementParam, limits?: Partial<WireLimits>): Uint8Array {
  return build(poolElementParameterSize(poolElement, resolveWireLimits(limits)), (w) => writePoolElementParameter(w, poolElement));
}
