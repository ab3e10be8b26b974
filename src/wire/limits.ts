/**
 * Resource limits of the wire codec. Every decode is bounded by these values,
 * so hostile input cannot make the decoder allocate without bound; the
 * encoder applies the same limits so that whatever it produces decodes again.
 *
 * @module
 */
import { InvalidArgumentError } from '../errors.js';

/**
 * Limits applied by {@link decodeMessage} and {@link encodeMessage}.
 * Values beyond a limit make the decoder throw `ProtocolError` and the
 * encoder throw `InvalidArgumentError`.
 */
export interface WireLimits {
  /** Largest message in bytes, padding included. Default 65536 (the 16-bit length field rounded up to 4). */
  readonly maxMessageSize: number;
  /**
   * Longest pool handle in bytes. Default 255. RFC 5354 allows any length;
   * the reference implementation aborts above 32 bytes, see
   * {@link RSPLIB_MAX_POOL_HANDLE_LENGTH}.
   */
  readonly maxPoolHandleLength: number;
  /**
   * Deepest parameter nesting the decoder descends into. Message-level
   * parameters are depth 1; the RFC schema needs 3 (Pool Element → transport
   * → address). Default 4.
   */
  readonly maxNestingDepth: number;
  /** Most Pool Element parameters in one message (all pools together). Default 1024. */
  readonly maxPoolElements: number;
  /** Most error causes in one Operation Error parameter. Default 32. */
  readonly maxErrorCauses: number;
  /** Most address parameters in one transport parameter. Default 64 (as the reference implementation). */
  readonly maxAddressesPerTransport: number;
  /** Most Server Information parameters (List Response) or transport parameters (Server Announce) in one message. Default 256. */
  readonly maxServerEntries: number;
  /** Most unrecognised-but-skippable parameters in one message. Default 32. */
  readonly maxUnrecognizedParameters: number;
}

/**
 * Pool handle length limit for talking to the reference implementation
 * (RSPLIB): it stores at most 32 bytes and aborts the process on a longer
 * pool handle. Use `{ maxPoolHandleLength: RSPLIB_MAX_POOL_HANDLE_LENGTH }`
 * to refuse such handles in both directions.
 */
export const RSPLIB_MAX_POOL_HANDLE_LENGTH = 32;

/** The default limits (see {@link WireLimits} for each value). */
export const DEFAULT_WIRE_LIMITS: Readonly<WireLimits> = Object.freeze({
  maxMessageSize: 65536,
  maxPoolHandleLength: 255,
  maxNestingDepth: 4,
  maxPoolElements: 1024,
  maxErrorCauses: 32,
  maxAddressesPerTransport: 64,
  maxServerEntries: 256,
  maxUnrecognizedParameters: 32,
});

const resolved = new WeakSet<object>([DEFAULT_WIRE_LIMITS]);

/**
 * Validates a partial set of limits and fills the rest with the defaults.
 * The result can be passed to the codec repeatedly without being checked
 * again, so resolve once and reuse it on hot paths.
 *
 * @throws InvalidArgumentError when a value is not a positive safe integer.
 */
export function resolveWireLimits(limits?: Partial<WireLimits>): Readonly<WireLimits> {
  if (limits === undefined) return DEFAULT_WIRE_LIMITS;
  if (resolved.has(limits)) return limits as Readonly<WireLimits>;
  if (typeof limits !== 'object' || limits === null) {
    throw new InvalidArgumentError('wire limits must be an object');
  }
  const out: Record<string, number> = {};
  for (const key of Object.keys(DEFAULT_WIRE_LIMITS) as (keyof WireLimits)[]) {
    const value = limits[key] ?? DEFAULT_WIRE_LIMITS[key];
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new InvalidArgumentError(`wire limit ${key} must be a positive integer, got ${String(value)}`);
    }
    out[key] = value;
  }
  const result = Object.freeze(out) as unknown as Readonly<WireLimits>;
  resolved.add(result);
  return result;
}
