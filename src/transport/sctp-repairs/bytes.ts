/**
 * Unchecked big-endian writes for the per-packet encoders: the callers have
 * sized the buffer, and the checked `Buffer` writers cost more than the
 * fields of a DATA or SACK header together.
 *
 * @module
 * @internal
 */

/** Writes `value` (0 ≤ value < 2^16) at `offset`, big-endian. */
export function putU16(b: Buffer, offset: number, value: number): void {
  b[offset] = value >>> 8;
  b[offset + 1] = value & 0xff;
}

/** Writes `value` (an unsigned 32-bit number) at `offset`, big-endian. */
export function putU32(b: Buffer, offset: number, value: number): void {
  b[offset] = value >>> 24;
  b[offset + 1] = (value >>> 16) & 0xff;
  b[offset + 2] = (value >>> 8) & 0xff;
  b[offset + 3] = value & 0xff;
}
