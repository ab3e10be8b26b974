/**
 * How the handlespace keeps ENRP ownership checksums (spec §9) incrementally.
 * The arithmetic is the codec's ({@link peChecksumPartial},
 * {@link finishChecksum}); this module only splits a PE's partial sum into
 * the pool handle's part, computed once per pool, and the PE identifier's
 * part, so that registering or removing a PE adds or subtracts a partial sum
 * without walking the handle bytes again.
 *
 * @module
 */
import { computePeChecksum, finishChecksum, peChecksumPartial } from '../wire/checksum.js';

const NO_HANDLE = new Uint8Array(0);

/** Unfolded checksum sum of a pool handle's 16-bit words (odd length padded with a zero byte). */
export function poolHandleChecksumSum(handle: Uint8Array): number {
  return peChecksumPartial(handle, 0);
}

/** Unfolded checksum contribution of one PE: its pool's {@link poolHandleChecksumSum} plus the PE identifier's two words. */
export function poolElementChecksumSum(handleSum: number, peId: number): number {
  return handleSum + peChecksumPartial(NO_HANDLE, peId);
}

/**
 * Folds an unfolded sum to the 16-bit wire checksum (the codec's
 * {@link finishChecksum}; kept under this name for existing callers).
 */
export const foldChecksum: (sum: number) => number = finishChecksum;

/**
 * Computes the ownership checksum of a set of PEs from scratch (the codec's
 * {@link computePeChecksum}; kept under this name for existing callers).
 */
export const computeOwnershipChecksum: (entries: Iterable<{ readonly poolHandle: Uint8Array; readonly peId: number }>) => number = computePeChecksum;
