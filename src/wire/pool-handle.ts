/**
 * Pool handle helpers: a pool handle is an opaque byte string (spec §2.3);
 * applications usually name pools with text, encoded as UTF-8 without a
 * terminating NUL.
 *
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import type { PoolHandle } from './types.js';
import { DEFAULT_WIRE_LIMITS } from './limits.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

function checkLength(length: number, maxLength: number): void {
  if (length < 1) throw new InvalidArgumentError('pool handle must not be empty');
  if (length > maxLength) throw new InvalidArgumentError(`pool handle of ${length} bytes exceeds the limit of ${maxLength}`);
}

/**
 * The pool handle of a pool name (UTF-8 bytes).
 *
 * @param maxLength - longest accepted handle in bytes; default 255 (use
 *   `RSPLIB_MAX_POOL_HANDLE_LENGTH` when the reference implementation is involved).
 * @throws InvalidArgumentError for an empty or too long handle.
 */
export function poolHandleFromString(name: string, maxLength: number = DEFAULT_WIRE_LIMITS.maxPoolHandleLength): PoolHandle {
  if (typeof name !== 'string') throw new InvalidArgumentError('pool name must be a string');
  const bytes = encoder.encode(name);
  checkLength(bytes.length, maxLength);
  return bytes;
}

/**
 * A pool handle from raw bytes (copied).
 *
 * @throws InvalidArgumentError for an empty or too long handle.
 */
export function poolHandleFromBytes(bytes: Uint8Array, maxLength: number = DEFAULT_WIRE_LIMITS.maxPoolHandleLength): PoolHandle {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('pool handle bytes must be a Uint8Array');
  checkLength(bytes.length, maxLength);
  return new Uint8Array(bytes); // a copy, also for a Node Buffer
}

/** The pool handle as text (UTF-8; invalid sequences become U+FFFD). */
export function poolHandleToString(handle: PoolHandle): string {
  return decoder.decode(handle);
}

/** True when both handles have the same bytes. */
export function poolHandleEquals(a: PoolHandle, b: PoolHandle): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A string key that is unique per handle (one character per byte), for
 * `Map` keys. Not meant for display: use {@link poolHandleToString}.
 */
export function poolHandleKey(handle: PoolHandle): string {
  let key = '';
  for (let i = 0; i < handle.length; i++) key += String.fromCharCode(handle[i]!);
  return key;
}
