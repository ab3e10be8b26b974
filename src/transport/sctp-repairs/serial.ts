/**
 * Repair: RFC 1982 serial-number arithmetic across 2^32.
 *
 * Replaces `SerialNumber.prototype.prev`, `next`, `delta`, `lt`, `gt`,
 * `inc` and `copy` of `sctp/lib/serial.js`. The original `prev()` of 0
 * returned 0 (it built `2^32 % 2^32`) instead of 0xFFFFFFFF, and `delta()`
 * returned a huge positive distance when the minuend had wrapped past the
 * subtrahend, so reassembly and SACK processing froze at the wrap. The
 * replacements compute in the serial space (modulo 2^bits) with a signed
 * distance in (-2^(bits-1), 2^(bits-1)].
 *
 * The repaired protocol machine itself uses the plain-number helpers below
 * (`tsnAdd`, `tsnDiff`, `tsnLt`...) rather than `SerialNumber` objects.
 *
 * @module
 */
import { SerialNumberClass, override, type Loose } from './internals.js';

/** `(a + n) mod 2^32`. */
export function tsnAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** Signed distance `a - b` in serial space, in [-2^31, 2^31). */
export function tsnDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** `a < b` in serial space. */
export function tsnLt(a: number, b: number): boolean {
  return tsnDiff(a, b) < 0;
}

/** `a <= b` in serial space. */
export function tsnLe(a: number, b: number): boolean {
  return tsnDiff(a, b) <= 0;
}

/** `a > b` in serial space. */
export function tsnGt(a: number, b: number): boolean {
  return tsnDiff(a, b) > 0;
}

function modulus(sn: Loose): number {
  return Math.pow(2, sn.serialBits);
}

function norm(value: number, max: number): number {
  const v = value % max;
  return v < 0 ? v + max : v;
}

function signedDelta(a: number, b: number, bits: number): number {
  const max = Math.pow(2, bits);
  const half = max / 2;
  let d = norm(a - b, max);
  if (d >= half) d -= max;
  return d;
}

/** Installs the serial-number repair. */
export function installSerialRepair(): void {
  const proto = SerialNumberClass.prototype;
  override(proto, 'prev', function prev(this: Loose) {
    return new SerialNumberClass(norm(this.number - 1, modulus(this)), this.serialBits);
  });
  override(proto, 'next', function next(this: Loose) {
    return new SerialNumberClass(norm(this.number + 1, modulus(this)), this.serialBits);
  });
  override(proto, 'inc', function inc(this: Loose, delta = 1) {
    this.number = norm(this.number + delta, modulus(this));
    return this;
  });
  override(proto, 'copy', function copy(this: Loose) {
    return new SerialNumberClass(this.number, this.serialBits);
  });
  override(proto, 'delta', function delta(this: Loose, that: Loose) {
    return signedDelta(this.number, that.number, this.serialBits);
  });
  override(proto, 'lt', function lt(this: Loose, that: Loose) {
    return signedDelta(this.number, that.number, this.serialBits) < 0;
  });
  override(proto, 'gt', function gt(this: Loose, that: Loose) {
    return signedDelta(this.number, that.number, this.serialBits) > 0;
  });
}
