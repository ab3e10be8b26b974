/**
 * Policies and transport parameters as people read them: fractions as
 * numbers 0..1 rounded to 6 decimals, pool handles as text, transports as
 * `sctp:ADDR,ADDR:PORT`. Shared by `rsp hsdump`, `rsp resolve`, the
 * handle-table JSON and the web view, so all of them print the same.
 *
 * @module
 */
import { FRACTION_ONE, type TransportParam } from './types.js';

/** Rounds a decoded fraction (load, degradation...) to 6 decimals: 0x7fffffff/0xffffffff reads 0.5. */
export function roundFraction(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** Policy fields carried as 32-bit fractions of 0xffffffff on the wire. */
export const FRACTION_FIELDS: ReadonlySet<string> = new Set(['load', 'loadDegradation', 'loadDpf', 'weightDpf']);

/**
 * A policy as read back from the wire, with its fractions as numbers
 * 0..1 rounded to 6 decimals (a registered load of 0.5 reads 0.5, not
 * 0.5000000001164153). `raw` says whether the input holds the 32-bit wire
 * values (a handle-table dump) rather than fractions already.
 */
export function readablePolicy<P extends { type: string }>(policy: P, raw: boolean): P {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(policy)) {
    out[k] = FRACTION_FIELDS.has(k) && typeof v === 'number' ? roundFraction(raw ? v / FRACTION_ONE : v) : v;
  }
  return out as P;
}

/** A pool handle as text: printable ASCII as is, else `0x` + hex. */
export function poolHandleText(h: Uint8Array): string {
  for (const c of h) if (c < 0x20 || c > 0x7e) return '0x' + Buffer.from(h).toString('hex');
  return Buffer.from(h).toString('latin1');
}

/** A transport parameter as `sctp:10.0.0.1,[fd00::1]:4000` (`-` when absent). */
export function transportParamText(t: TransportParam | undefined): string {
  if (t === undefined) return '-';
  return `${t.protocol}:${t.addresses.map((a) => (a.includes(':') ? `[${a}]` : a)).join(',')}:${t.port}`;
}

/** A 32-bit identifier (PE, registrar) as `0x` + 8 hex digits. */
export function hexId(n: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(8, '0');
}
