/**
 * The security options of `rsp registrar` and `rsp server` (RFC 5355), kept
 * in one module so the command files only add two short hooks each:
 * `add…Options(cmd)` and `…FromCli(opts)`.
 *
 * - registrar: limits per remote host and the unsent-queue cap;
 * - server: the cookie key from a file or the `RSP_COOKIE_KEY` environment
 *   variable (so it does not show in `ps`), and the cookie maximum age;
 * - both: mutual TLS (`--tls-cert`, `--tls-key`, `--tls-ca`); for the
 *   registrar, the authorisation file (`--tls-auth`); for the server, the
 *   identities its registrars must have (`--tls-registrar`).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { RateLimit } from '../registrar/rate-limiter.js';
import type { RegistrarOptions } from '../registrar/options.js';
import { Authorization } from '../registrar/authorization.js';
import type { AsapTlsOptions } from '../asap/asap-options.js';
import { collect, parseDuration, parseInteger, parseRate } from './parse.js';

/** Environment variable that may hold the cookie key of `rsp server`. */
export const COOKIE_KEY_ENV = 'RSP_COOKIE_KEY';

/** Parsed per-host options of `rsp registrar`. */
export interface RegistrarSecurityCliOptions {
  maxAssociationsPerHost?: number;
  maxPoolsPerHost?: number;
  hostHrRate?: RateLimit;
  hostEuRate?: RateLimit;
  maxUnsentBytes?: number;
  ipv6HostPrefix?: number;
}

/** Adds the per-host limit options to `rsp registrar`. */
export function addRegistrarSecurityOptions(cmd: Command): void {
  cmd
    .option('--max-associations-per-host <n>', 'most concurrent ASAP associations from one host (default: half of --max-associations)', parseInteger)
    .option('--max-pools-per-host <n>', 'most pools one host may have PEs in (default: half of --max-pools)', parseInteger)
    .option('--host-hr-rate <rate[/burst]>', 'handle resolutions per second per host, over all its associations, or "off" (default: 5000/10000)', parseRate)
    .option('--host-eu-rate <rate[/burst]>', 'Endpoint Unreachable reports per second per host, or "off" (default: 100/200)', parseRate)
    .option('--max-unsent-bytes <bytes>', 'abort an association whose peer leaves more than this unread (default: 2 MiB)', parseInteger)
    .option('--ipv6-host-prefix <bits>', 'IPv6 prefix length that counts as one host for the per-host limits, distinct failure reporters and TLS handshake caps; IPv4 counts per address (default: 64; 128 = per address)', parseInteger);
}

/** The registrar options given by {@link addRegistrarSecurityOptions}. */
export function registrarSecurityFromCli(opts: RegistrarSecurityCliOptions): Partial<RegistrarOptions> {
  return {
    ...(opts.maxAssociationsPerHost !== undefined ? { maxAssociationsPerHost: opts.maxAssociationsPerHost } : {}),
    ...(opts.maxPoolsPerHost !== undefined ? { maxPoolsPerHost: opts.maxPoolsPerHost } : {}),
    ...(opts.hostHrRate !== undefined ? { hostHandleResolutionRate: opts.hostHrRate } : {}),
    ...(opts.hostEuRate !== undefined ? { hostFailureReportRate: opts.hostEuRate } : {}),
    ...(opts.maxUnsentBytes !== undefined ? { maxUnsentBytes: opts.maxUnsentBytes } : {}),
    ...(opts.ipv6HostPrefix !== undefined ? { ipv6HostPrefix: opts.ipv6HostPrefix } : {}),
  };
}

/** Parsed cookie options of `rsp server`. */
export interface CookieCliOptions {
  cookieKey?: string;
  cookieKeyFile?: string;
  cookieMaxAge?: number;
}

/** Adds `--cookie-key-file` and `--cookie-max-age` to `rsp server` (`--cookie-key` stays for compatibility). */
export function addCookieOptions(cmd: Command): void {
  cmd
    .option('--cookie-key-file <path>', `read the cookie key from this file (first line; better than --cookie-key, which shows in ps; default: $${COOKIE_KEY_ENV})`)
    .option('--cookie-max-age <ms>', 'refuse echoed cookies sealed longer ago than this (default: no limit)', parseDuration);
}

/** The cookie key and open options of `rsp server`, or an error text. */
export type CookieSettings = { ok: true; key?: string; maxAge?: number; source?: 'option' | 'file' | 'env' } | { ok: false; error: string };

/**
 * Finds the cookie key: `--cookie-key`, else `--cookie-key-file`, else the
 * environment variable; checks it is at least 16 bytes.
 */
export function cookieSettingsFromCli(opts: CookieCliOptions, env: NodeJS.ProcessEnv = process.env): CookieSettings {
  let key: string | undefined;
  let source: 'option' | 'file' | 'env' | undefined;
  if (opts.cookieKey !== undefined && opts.cookieKeyFile !== undefined) return { ok: false, error: '--cookie-key and --cookie-key-file exclude each other' };
  if (opts.cookieKey !== undefined) {
    key = opts.cookieKey;
    source = 'option';
  } else if (opts.cookieKeyFile !== undefined) {
    try {
      key = (readFileSync(opts.cookieKeyFile, 'utf8').split(/\r?\n/)[0] ?? '').trim();
    } catch (err) {
      return { ok: false, error: `cannot read --cookie-key-file: ${err instanceof Error ? err.message : String(err)}` };
    }
    source = 'file';
  } else if (env[COOKIE_KEY_ENV] !== undefined && env[COOKIE_KEY_ENV] !== '') {
    key = env[COOKIE_KEY_ENV];
    source = 'env';
  }
  if (key !== undefined && Buffer.byteLength(key) < 16) {
    const where = source === 'file' ? '--cookie-key-file' : source === 'env' ? `$${COOKIE_KEY_ENV}` : '--cookie-key';
    return { ok: false, error: `${where} must be at least 16 bytes` };
  }
  if (opts.cookieMaxAge !== undefined && key === undefined) return { ok: false, error: '--cookie-max-age needs a cookie key' };
  return { ok: true, ...(key !== undefined ? { key, source } : {}), ...(opts.cookieMaxAge !== undefined ? { maxAge: opts.cookieMaxAge } : {}) };
}

/** Parsed TLS options. */
export interface TlsCliOptions {
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsAuth?: string;
  /** `rsp server`: identity patterns a registrar's certificate must match. */
  tlsRegistrar?: string[];
  /** `rsp registrar`: most unfinished incoming TLS handshakes, in total and per host. */
  tlsMaxHandshakes?: number;
  tlsMaxHandshakesPerHost?: number;
}

/** Adds `--tls-cert/--tls-key/--tls-ca` (and `--tls-auth` for registrars). */
export function addTlsOptions(cmd: Command, registrar: boolean): void {
  cmd
    .option('--tls-cert <file>', 'certificate (PEM) for mutual TLS on every ASAP' + (registrar ? ' and ENRP' : '') + ' association (default: no TLS, as the reference implementation)')
    .option('--tls-key <file>', 'private key (PEM) of --tls-cert (default: none; required with --tls-cert)')
    .option('--tls-ca <file>', 'CA certificate(s) (PEM) that peers must be signed by (default: none; required with --tls-cert)');
  if (registrar) {
    cmd
      .option('--tls-auth <file>', 'authorisation file (JSON): which certificate identities may be registrars and register into which pools (default: any identity the CA signed)')
      .option('--tls-max-handshakes <n>', 'most unfinished incoming TLS handshakes on each ASAP and ENRP endpoint; more associations are aborted and counted (default: 256)', parseInteger)
      .option('--tls-max-handshakes-per-host <n>', 'most unfinished incoming TLS handshakes from one remote host (default: 16)', parseInteger);
  } else cmd.option('--tls-registrar <pattern>', 'accept only registrars whose certificate common name or subject alternative name matches (* = any run of characters; repeatable; default: any identity the CA signed)', collect);
}

/** TLS settings from the command line, or an error text. */
export type TlsSettings = { ok: true; tls?: AsapTlsOptions; authorization?: Authorization } | { ok: false; error: string };

/** Reads the TLS files named on the command line. */
export function tlsFromCli(opts: TlsCliOptions): TlsSettings {
  const given = [opts.tlsCert, opts.tlsKey, opts.tlsCa].filter((x) => x !== undefined).length;
  if (given === 0) {
    if (opts.tlsAuth !== undefined) return { ok: false, error: '--tls-auth needs --tls-cert, --tls-key and --tls-ca' };
    const orphan = (['tlsRegistrar', 'tlsMaxHandshakes', 'tlsMaxHandshakesPerHost'] as const).find((k) => opts[k] !== undefined);
    if (orphan !== undefined) return { ok: false, error: `--${orphan.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs --tls-cert, --tls-key and --tls-ca` };
    return { ok: true };
  }
  if (given !== 3) return { ok: false, error: '--tls-cert, --tls-key and --tls-ca go together' };
  const empty = opts.tlsRegistrar?.find((p) => p.trim() === '');
  if (empty !== undefined) return { ok: false, error: '--tls-registrar needs a non-empty pattern' };
  if (opts.tlsMaxHandshakes === 0 || opts.tlsMaxHandshakesPerHost === 0) return { ok: false, error: '--tls-max-handshakes and --tls-max-handshakes-per-host must be at least 1' };
  try {
    const tls: AsapTlsOptions = {
      cert: readFileSync(opts.tlsCert!),
      key: readFileSync(opts.tlsKey!),
      ca: readFileSync(opts.tlsCa!),
      ...(opts.tlsRegistrar !== undefined ? { registrarNames: opts.tlsRegistrar } : {}),
      ...(opts.tlsMaxHandshakes !== undefined ? { maxPendingHandshakes: opts.tlsMaxHandshakes } : {}),
      ...(opts.tlsMaxHandshakesPerHost !== undefined ? { maxPendingHandshakesPerHost: opts.tlsMaxHandshakesPerHost } : {}),
    };
    return { ok: true, tls, ...(opts.tlsAuth !== undefined ? { authorization: Authorization.load(opts.tlsAuth) } : {}) };
  } catch (err) {
    return { ok: false, error: `TLS: ${err instanceof Error ? err.message : String(err)}` };
  }
}
