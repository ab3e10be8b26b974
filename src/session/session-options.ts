/**
 * Options of Enhanced Mode sessions (pool users) and pool-element sockets,
 * with their defaults.
 *
 * @module
 */
import { nonNegative, positive } from '../option-checks.js';
import type { AsapInstance } from '../asap/asap-instance.js';
import type { AsapInstanceOptions } from '../asap/asap-options.js';
import type { PolicyOptions } from '../asap/policy-options.js';
import { InvalidArgumentError } from '../errors.js';
import type { TransportOptions } from '../transport/endpoint-factory.js';
import type { PolicyName } from '../wire/types.js';
import type { CookieKey, OpenOptions } from './cookie.js';

/** The ASAP PPID (control channel messages). */
export const ASAP_PPID = 11;
/** The ENRP PPID (never used for session data). */
export const ENRP_PPID = 12;
/** Default PPID of application data on a session ("RSP0" in ASCII). */
export const DEFAULT_DATA_PPID = 0x52535030;

/** What a pool user re-sends after a failover (see {@link SessionOptions.replay}). */
export type ReplayMode = 'none' | 'unacknowledged' | 'since-cookie';

/**
 * Transport of the endpoints a session or socket opens: mode (`udp`
 * default, `udp-standard`, `raw`) and tuning (failure detection, probes,
 * message size…). The ASAP instance the session or socket creates uses the
 * same choice unless `asapOptions.transport` says otherwise.
 */
export type SessionTransportOptions = TransportOptions;

/**
 * The ASAP-instance options that carry a session's transport mode over to
 * the instance it creates (only the mode and failure detection: the
 * instance picks its own address).
 */
export function asapTransport(transport: SessionTransportOptions | undefined): Pick<AsapInstanceOptions, 'transport'> {
  if (!transport) return {};
  const { address: _address, ...rest } = transport;
  return { transport: rest };
}

/** Options of a pool user's session (`rsp.connect(pool, options)`). */
export interface SessionOptions {
  /** Static registrars, `HOST:PORT` strings; used for an ASAP instance the session creates and owns. */
  registrars?: AsapInstanceOptions['registrars'];
  /** Further options of the ASAP instance the session creates (ignored with {@link SessionOptions.asap}). */
  asapOptions?: Omit<AsapInstanceOptions, 'registrars'>;
  /** A shared ASAP instance to use instead of creating one; the session does not close it. */
  asap?: AsapInstance;
  /** PPID of application data, non-zero and not 11/12. Default {@link DEFAULT_DATA_PPID}. */
  ppid?: number;
  /** Transport mode and tuning of the session's endpoints and associations (and of the ASAP instance it creates). */
  transport?: SessionTransportOptions;
  /**
   * What is re-sent to the new PE after a failover, after the cookie echo,
   * in send order (unanswered `request()`s are always re-sent):
   * - `'unacknowledged'` (default): every message the old PE's SCTP did not
   *   acknowledge (never transmitted, or transmitted without a cumulative
   *   TSN ack covering it). Nothing handed to the session is lost unless
   *   the PE acknowledged it and died before processing it.
   * - `'since-cookie'`: also every message transmitted since the latest
   *   cookie that the cookie does not cover, so the new PE can rebuild
   *   the state from the cookie (bounded by {@link SessionOptions.replayLimit}).
   * - `'none'`: only messages never transmitted (at most once).
   */
  replay?: ReplayMode;
  /**
   * Most messages the `'since-cookie'` replay log keeps. When it is full the
   * oldest entry is dropped (counted in `stats.replayDropped` and the
   * `failover` event's `replayDropped`): that message is then only re-sent
   * when the old PE did not acknowledge it. Default 1000.
   */
  replayLimit?: number;
  /**
   * When no pool element can be reached for this long (ms), pending and
   * future calls reject with `ERR_RSP_NO_POOL_ELEMENT` and the session
   * closes. Also bounds the initial connect. Default 5000.
   */
  failoverTimeout?: number;
  /** Timeout of one connection attempt to one PE, ms. Default 1000. */
  connectTimeout?: number;
  /** First delay between rounds of attempts when no PE could be reached, ms; doubles per round. Default 50. */
  retryDelay?: number;
  /** Largest delay between rounds of attempts, ms. Default 1000. */
  retryDelayMax?: number;
  /** How long a PE that failed is skipped when choosing the next one, ms. Default 5000. */
  failedPeHold?: number;
  /**
   * Application-level timeout, ms: started by the first data message
   * transmitted after the PE was last heard, stopped by any message from
   * the PE; when it expires the session fails over (reason
   * `'response-timeout'`; the PE is skipped but not reported). For
   * request/response protocols, best with `replay: 'since-cookie'`;
   * 0 (default) disables it.
   */
  responseTimeout?: number;
  /**
   * A graceful shutdown of the association by the PE ends the session
   * (`recv()` then returns `null`) instead of failing over; for services
   * that close on purpose. Default false.
   */
  endOnShutdown?: boolean;
  /** Cancels the initial connect. */
  signal?: AbortSignal;
}

/** Options of `rsp.socket(options)`: a pool element socket (and the defaults of its `connect()`). */
export interface SocketOptions extends SessionOptions {
  /** Local address the PE listens on. Default: loopback when every static registrar is on loopback, else the wildcard. */
  address?: string;
  /**
   * Key for sealed cookies: `sendState()` seals with it, echoed cookies are
   * opened into `session.state`, and forged or tampered cookies are refused.
   */
  cookieKey?: CookieKey;
  /** Options for opening echoed cookies (max age, required encryption). */
  cookieOpenOptions?: Omit<OpenOptions, 'now'>;
  /** Encrypt sealed state (`sendState()`). Default false. */
  encryptState?: boolean;
  /** Refuse sessions that do not start with a (valid) Cookie Echo. Default false. */
  requireCookie?: boolean;
  /**
   * How long a new session is held back from `accept()` waiting for its
   * first message, so that `session.cookie` is already set when a PU
   * echoes a cookie right after connecting (ms). Default 100.
   */
  acceptHold?: number;
}

/** Options of `PoolElementSocket.register()`. */
export interface SocketRegisterOptions {
  /** Selection policy (fractions 0..1) or a policy name. Default `'round-robin'`. */
  policy?: PolicyOptions | PolicyName;
  /** Port to listen on (the user transport port). Default 0: ephemeral. */
  port?: number;
  /** Addresses to register as user transport. Default: as the ASAP instance decides. */
  addresses?: string[];
  /** Fixed PE identifier. Default random. */
  peId?: number;
  /** Re-registration interval, ms. */
  reregistrationInterval?: number;
  /** Registration life, ms. */
  registrationLife?: number;
  signal?: AbortSignal;
}

/** Resolved numeric and mode options of a session. */
export interface ResolvedSessionOptions {
  ppid: number;
  replay: ReplayMode;
  replayLimit: number;
  failoverTimeout: number;
  connectTimeout: number;
  retryDelay: number;
  retryDelayMax: number;
  failedPeHold: number;
  responseTimeout: number;
  endOnShutdown: boolean;
}

/** Defaults of {@link SessionOptions}. */
export const SESSION_DEFAULTS: Readonly<ResolvedSessionOptions> = {
  ppid: DEFAULT_DATA_PPID,
  replay: 'unacknowledged',
  replayLimit: 1000,
  failoverTimeout: 5000,
  connectTimeout: 1000,
  retryDelay: 50,
  retryDelayMax: 1000,
  failedPeHold: 5000,
  responseTimeout: 0,
  endOnShutdown: false,
};

/** Checks a data PPID: a 32-bit integer, non-zero, not 11 (ASAP) or 12 (ENRP). */
export function checkDataPpid(ppid: number): number {
  if (!Number.isInteger(ppid) || ppid <= 0 || ppid > 0xffffffff || ppid === ASAP_PPID || ppid === ENRP_PPID) {
    throw new InvalidArgumentError(`Invalid data PPID ${String(ppid)}: must be 1..0xffffffff and not 11 (ASAP) or 12 (ENRP)`);
  }
  return ppid;
}



/** Validates options and fills in defaults. */
export function resolveSessionOptions(o: SessionOptions): ResolvedSessionOptions {
  const replay = o.replay ?? SESSION_DEFAULTS.replay;
  if (replay !== 'none' && replay !== 'unacknowledged' && replay !== 'since-cookie') {
    throw new InvalidArgumentError(`replay must be 'unacknowledged', 'since-cookie' or 'none'`);
  }
  return {
    ppid: checkDataPpid(o.ppid ?? SESSION_DEFAULTS.ppid),
    replay,
    replayLimit: positive(o.replayLimit, SESSION_DEFAULTS.replayLimit, 'replayLimit'),
    failoverTimeout: positive(o.failoverTimeout, SESSION_DEFAULTS.failoverTimeout, 'failoverTimeout'),
    connectTimeout: positive(o.connectTimeout, SESSION_DEFAULTS.connectTimeout, 'connectTimeout'),
    retryDelay: nonNegative(o.retryDelay, SESSION_DEFAULTS.retryDelay, 'retryDelay'),
    retryDelayMax: nonNegative(o.retryDelayMax, SESSION_DEFAULTS.retryDelayMax, 'retryDelayMax'),
    failedPeHold: nonNegative(o.failedPeHold, SESSION_DEFAULTS.failedPeHold, 'failedPeHold'),
    responseTimeout: nonNegative(o.responseTimeout, SESSION_DEFAULTS.responseTimeout, 'responseTimeout'),
    endOnShutdown: o.endOnShutdown === true,
  };
}

/** True when every registrar in a static list is a loopback address. */
export function registrarsOnLoopback(registrars: AsapInstanceOptions['registrars']): boolean {
  if (registrars === undefined) return false;
  const list = typeof registrars === 'string' ? registrars.split(/[\s,]+/).filter((s) => s.length > 0) : registrars;
  if (list.length === 0) return false;
  return list.every((r) => {
    const host = typeof r === 'string' ? hostOf(r) : r.address;
    return host.startsWith('127.') || host === '::1' || host === 'localhost';
  });
}

function hostOf(s: string): string {
  const m = /^\[([^\]]+)\]:\d+$/.exec(s);
  if (m) return m[1]!;
  const i = s.lastIndexOf(':');
  return i > 0 && s.indexOf(':') === i ? s.slice(0, i) : s;
}
