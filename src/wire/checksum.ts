/**
 * The ENRP handlespace ownership checksum carried in the PE Checksum
 * parameter of ENRP Presence (spec §9): a 16-bit one's-complement
 * (RFC 1071 style) sum over the pool handle (padded to an even length) and
 * the PE identifier of every PE the sender owns.
 *
 * The checksum is incrementally maintainable: keep an accumulator per owner,
 * add a PE's {@link peChecksumPartial} on registration and subtract it on
 * removal; order does not matter. {@link finishChecksum} folds the
 * accumulator into the 16-bit value sent on the wire.
 *
 * ```ts
 * let acc = 0;
 * acc = checksumAdd(acc, peChecksumPartial(poolHandleFromString('EchoPool'), 0x11223344));
 * const wire = finishChecksum(acc);
 * ```
 *
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import { checkBytes, checkUint32 } from './integer-fields.js';

/** Checksum of an empty set of PEs. */
export const EMPTY_PE_CHECKSUM = 0xffff;

/**
 * The unfolded partial sum of one PE: the big-endian 16-bit words of the pool
 * handle (an odd length is padded with one zero byte) plus the two 16-bit
 * halves of the PE identifier. Always a non-negative integer below 2^32.
 */
export function peChecksumPartial(poolHandle: Uint8Array, peId: number): number {
  checkBytes(poolHandle, 'pool handle');
  checkUint32(peId, 'PE identifier');
  let sum = 0;
  const n = poolHandle.length;
  let i = 0;
  for (; i + 1 < n; i += 2) sum += (poolHandle[i]! << 8) | poolHandle[i + 1]!;
  if (i < n) sum += poolHandle[i]! << 8;
  return sum + (peId >>> 16) + (peId & 0xffff);
}

function checkAccumulator(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${what} must be a non-negative safe integer, got ${String(value)}`);
  }
}

/** Adds a PE's partial sum to an accumulator (exact integer arithmetic). */
export function checksumAdd(accumulator: number, partial: number): number {
  checkAccumulator(accumulator, 'checksum accumulator');
  checkAccumulator(partial, 'checksum partial sum');
  return accumulator + partial;
}

/**
 * Removes a PE's partial sum from an accumulator it was added to before.
 *
 * @throws InvalidArgumentError when the partial sum is larger than the accumulator
 *   (it was never added).
 */
export function checksumRemove(accumulator: number, partial: number): number {
  checkAccumulator(accumulator, 'checksum accumulator');
  checkAccumulator(partial, 'checksum partial sum');
  if (partial > accumulator) throw new InvalidArgumentError('checksum partial sum was not part of the accumulator');
  return accumulator - partial;
}

/**
 * Folds an accumulator into the 16-bit checksum sent on the wire:
 * end-around carry until it fits 16 bits, then one's complement. An empty
 * accumulator (0) gives 0xffff.
 */
export function finishChecksum(accumulator: number): number {
  checkAccumulator(accumulator, 'checksum accumulator');
  let a = accumulator;
  while (a > 0xffff) a = (a % 0x10000) + Math.floor(a / 0x10000);
  return ~a & 0xffff;
}

/** The checksum of a set of PEs in one call. */
export function computePeChecksum(entries: Iterable<{ readonly poolHandle: Uint8Array; readonly peId: number }>): number {
  let acc = 0;
  for (const e of entries) acc += peChecksumPartial(e.poolHandle, e.peId);
  return finishChecksum(acc);
}

/**
 * A mutable checksum accumulator for one owner (a registrar's own PEs, or
 * the PEs a peer owns).
 */
export class PeChecksumAccumulator {
  private sum = 0;
  private count = 0;

  /** Adds one PE. */
  add(poolHandle: Uint8Array, peId: number): void {
    this.sum += peChecksumPartial(poolHandle, peId);
    this.count++;
  }

  /** Removes one PE that was added before. */
  remove(poolHandle: Uint8Array, peId: number): void {
    const partial = peChecksumPartial(poolHandle, peId);
    if (this.count === 0 || partial > this.sum) {
      throw new InvalidArgumentError('PE was not part of the checksum');
    }
    this.sum -= partial;
    this.count--;
  }

  /** Number of PEs currently included. */
  get size(): number {
    return this.count;
  }

  /** The raw accumulator (for {@link finishChecksum} or persistence). */
  get accumulator(): number {
    return this.sum;
  }

  /** The 16-bit checksum of the PEs currently included. */
  get checksum(): number {
    return finishChecksum(this.sum);
  }

  /** Forgets all PEs. */
  clear(): void {
    this.sum = 0;
    this.count = 0;
  }
}
