/**
 * Encoded sizes of the parameters that fill a Handle Table Response, so the
 * responder can stop before the configured message size without encoding
 * (spec §2.2, §5.3–§5.5: TLVs are padded to 4 bytes).
 *
 * @module
 */
import type { PolicyInfo, PoolElementParam, TransportParam } from '../../wire/types.js';

/** Size of the ENRP common header plus sender and receiver ids. */
export const ENRP_HEADER_SIZE = 12;

const pad4 = (n: number): number => (n + 3) & ~3;

/** Encoded size of a transport parameter. */
export function transportParamSize(t: TransportParam): number {
  let n = 8 + (t.protocol === 'dccp' ? 4 : 0);
  for (const a of t.addresses) n += a.includes(':') ? 20 : 8;
  return n;
}

/** Encoded size of a policy parameter: type word plus one word per value. */
export function policyParamSize(p: PolicyInfo): number {
  return 8 + 4 * (Object.keys(p).length - 1);
}

/** Encoded size of a Pool Handle parameter, padding included. */
export function poolHandleParamSize(handle: Uint8Array): number {
  return 4 + pad4(handle.length);
}

/** Encoded size of a Pool Element parameter (with its ASAP transport), padding included. */
export function poolElementParamSize(e: PoolElementParam): number {
  return pad4(16 + transportParamSize(e.userTransport) + policyParamSize(e.policy) + (e.asapTransport ? transportParamSize(e.asapTransport) : 0));
}
