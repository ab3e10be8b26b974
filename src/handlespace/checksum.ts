/**
 * ENRP ownership checksum arithmetic (spec §9): the 16-bit one's-complement
 * sum over (pool handle padded to even length ‖ PE identifier) of every PE a
 * registrar owns. Sums of several PEs are plain integer additions of their
 * partial sums, so the handlespace keeps one accumulator per home registrar
 * and adds or subtracts a PE's partial sum on every change; {@link foldChecksum}
 * turns an accumulator into the wire value.
 *
 * @module
 */

/**
 * Sum of the big-endian 16-bit words of a pool handle; an odd length is padded
 * with one zero byte. The result is an unfolded, non-negative integer.
 */
export function poolHandleChecksumSum(handle: Uint8Array): number {
  let sum = 0;
  const even = handle.length & ~1;
  for (let i = 0; i < even; i += 2) sum += (handle[i]! << 8) | handle[i + 1]!;
  if (even !== handle.length) sum += handle[even]! << 8;
  return sum;
}

/** Unfolded checksum contribution of one PE: `handleSum` from {@link poolHandleChecksumSum} plus the PE id's two words. */
export function poolElementChecksumSum(handleSum: number, peId: number): number {
  return handleSum + (peId >>> 16) + (peId & 0xffff);
}

/**
 * Folds an unfolded sum (any non-negative safe integer) to 16 bits and
 * complements it: the PE Checksum as sent on the wire. An empty set (sum 0)
 * gives 0xffff.
 */
export function foldChecksum(sum: number): number {
  let acc = sum;
  while (acc > 0xffff) acc = (acc % 0x10000) + Math.floor(acc / 0x10000);
  return ~acc & 0xffff;
}

/** Computes the ownership checksum of a set of PEs from scratch (for audits and tests). */
export function computeOwnershipChecksum(entries: Iterable<{ readonly poolHandle: Uint8Array; readonly peId: number }>): number {
  let sum = 0;
  for (const e of entries) sum += poolElementChecksumSum(poolHandleChecksumSum(e.poolHandle), e.peId);
  return foldChecksum(sum);
}
