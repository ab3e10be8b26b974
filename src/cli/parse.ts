/**
 * Option-value parsers shared by the `rsp` subcommands. Each throws
 * commander's `InvalidArgumentError`, so a bad value prints a usage error
 * instead of a stack trace.
 *
 * @module
 */
import { InvalidArgumentError } from 'commander';
import type { TransportAddress } from '../transport/types.js';
import { parseTransportAddress } from '../registrar/options.js';
import type { RateLimit } from '../registrar/rate-limiter.js';

/** Parses a non-negative integer (decimal or `0x` hex). */
export function parseInteger(text: string): number {
  const v = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(v)) throw new InvalidArgumentError(`"${text}" is not a non-negative integer.`);
  return v;
}

/** Parses a positive number (`1e10`, `2.5`). */
export function parsePositiveNumber(text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !(v > 0)) throw new InvalidArgumentError(`"${text}" is not a positive number.`);
  return v;
}

/** Parses a duration in milliseconds (`500`, `500ms`, `5s`, `2m`). */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`"${text}" is not a duration (e.g. 500, 500ms, 5s, 2m).`);
  const n = Number(m[1]);
  return m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n;
}

/** Parses `ADDR:PORT` (or `[V6]:PORT`). */
export function parseAddress(text: string): TransportAddress {
  try {
    return parseTransportAddress(text);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

/** Collects a repeatable option's values in the order given. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Collects a repeatable `ADDR:PORT` option into an array. */
export function collectAddress(text: string, previous: TransportAddress[] | undefined): TransportAddress[] {
  return [...(previous ?? []), parseAddress(text)];
}

/** Parses `ADDR:PORT` or `off`. */
export function parseAddressOrOff(text: string): TransportAddress | false {
  return text === 'off' || text === 'none' ? false : parseAddress(text);
}

/** Parses a rate limit `RATE[/BURST]` per second (`0` or `off` = unlimited). */
export function parseRate(text: string): RateLimit {
  if (text === 'off' || text === 'unlimited') return { rate: 0, burst: 1 };
  const m = /^(\d+(?:\.\d+)?)(?:\/(\d+))?$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError(`"${text}" is not a rate (RATE or RATE/BURST per second, or off).`);
  const rate = Number(m[1]);
  const burst = m[2] === undefined ? Math.max(1, rate) : Number(m[2]);
  if (!(burst >= 1)) throw new InvalidArgumentError(`burst of "${text}" must be at least 1.`);
  return { rate, burst };
}

/** Returns a parser accepting only the given words. */
export function oneOf<T extends string>(words: readonly T[]): (text: string) => T {
  return (text: string) => {
    if (!(words as readonly string[]).includes(text)) throw new InvalidArgumentError(`must be one of: ${words.join(', ')}.`);
    return text as T;
  };
}

/** Formats a rate limit for help texts. */
export function formatRate(r: RateLimit): string {
  return r.rate > 0 ? `${r.rate}/${r.burst ?? r.rate}` : 'off';
}
