/**
 * Option and argument checks shared by the UDP-encapsulation and raw-IP
 * endpoints.
 *
 * @module
 */
import net from 'node:net';
import { InvalidArgumentError } from '../errors.js';
import type { SctpTuningOptions } from './sctp-repairs/index.js';
import type { FailureDetectionOptions, TransportAddress } from './types.js';

/** `value` rounded down, or `fallback` when undefined; throws unless it is a finite number in [min, max]. */
export function positiveInt(value: unknown, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidArgumentError(`Invalid ${name}: ${String(value)}`);
  }
  return Math.floor(value);
}

/** The failure-detection options that were set, as sctp tuning. */
export function tuningFrom(options: FailureDetectionOptions | undefined): SctpTuningOptions {
  const out: SctpTuningOptions = {};
  if (!options) return out;
  for (const key of ['heartbeatInterval', 'rtoInitial', 'rtoMin', 'rtoMax', 'maxRetransmissions', 'maxInitRetransmissions'] as const) {
    const v = options[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/** Checks a remote transport address given to `connect()`; returns its parts. */
export function checkRemote(remote: TransportAddress | undefined): { address: string; port: number } {
  const address = remote?.address;
  const port = remote?.port;
  if (typeof address !== 'string' || net.isIP(address) === 0) throw new InvalidArgumentError(`Invalid remote address ${String(address)}`);
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 0xffff) throw new InvalidArgumentError(`Invalid remote port ${String(port)}`);
  return { address, port };
}
