/**
 * Range checks for the integer fields the encoder writes. A value that does
 * not fit its wire field is a caller error ({@link InvalidArgumentError}),
 * never silently truncated.
 *
 * @module
 */
import { InvalidArgumentError } from '../errors.js';

/** Throws unless `value` is an integer in 0..0xffffffff. */
export function checkUint32(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new InvalidArgumentError(`${what} must be an unsigned 32-bit integer, got ${String(value)}`);
  }
  return value;
}

/** Throws unless `value` is an integer in 0..0xffff. */
export function checkUint16(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new InvalidArgumentError(`${what} must be an unsigned 16-bit integer, got ${String(value)}`);
  }
  return value;
}

/** Throws unless `value` is an integer in -2^31..2^31-1. */
export function checkInt32(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
    throw new InvalidArgumentError(`${what} must be a signed 32-bit integer, got ${String(value)}`);
  }
  return value;
}

/** Throws unless `value` is a `Uint8Array`. */
export function checkBytes(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new InvalidArgumentError(`${what} must be a Uint8Array`);
  }
  return value;
}
