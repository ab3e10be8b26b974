/**
 * Validation of numeric options, shared by the layers that take option
 * objects from applications.
 *
 * @module
 */
import { InvalidArgumentError } from './errors.js';

/** `v`, or `dflt` when undefined; throws unless `v` is a finite number > 0. */
export function positive(v: number | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new InvalidArgumentError(`${name} must be a positive number`);
  return v;
}

/** `v`, or `dflt` when undefined; throws unless `v` is a finite number ≥ 0. */
export function nonNegative(v: number | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new InvalidArgumentError(`${name} must be a non-negative number`);
  return v;
}
