/**
 * Failover support of a pool session: the error raised when no pool
 * element can be reached, the `failover` event payload, the set of PEs that
 * just failed (skipped for a while), and the choice of the next PE
 * (business-card preference, then the ASAP cache, then a fresh handle
 * resolution).
 *
 * @module
 */
import type { AsapInstance } from '../asap/asap-instance.js';
import type { PoolElementInfo } from '../asap/asap-options.js';
import type { Clock } from '../clock.js';
import { RSerPoolError } from '../errors.js';
import type { TransportAddress } from '../transport/types.js';

/**
 * No pool element of the pool could be reached within `failoverTimeout`
 * (or the pool has none). Code `ERR_RSP_NO_POOL_ELEMENT`; `cause` is the
 * last underlying error (e.g. `PoolNotFoundError`, a connect failure).
 */
export class NoPoolElementError extends RSerPoolError {
  /** The pool handle, as text. */
  readonly poolHandle: string;

  constructor(poolHandle: string, waitedMs: number, cause?: unknown) {
    const why = cause instanceof Error ? `: ${cause.message}` : '';
    super('ERR_RSP_NO_POOL_ELEMENT', `No pool element of pool "${poolHandle}" could be reached within ${Math.round(waitedMs)} ms${why}`, cause === undefined ? undefined : { cause });
    this.poolHandle = poolHandle;
  }
}

/** Why a session failed over. */
export type FailoverReason =
  /** The PE aborted the association. */
  | 'abort'
  /** The PE shut the association down gracefully (e.g. its socket closed). */
  | 'shutdown'
  /** SCTP failure detection (heartbeats, retransmissions) gave up. */
  | 'timeout'
  /** ICMP: the PE's port is closed (its process died). */
  | 'unreachable'
  /** A send on the association failed. */
  | 'send-failure'
  /** `forceFailover()` was called. */
  | 'forced'
  /** Nothing arrived within `responseTimeout` after a message was transmitted. */
  | 'response-timeout'
  /** Any other close of the association. */
  | 'closed';

/** Payload of a session's `failover` event. */
export interface FailoverEvent {
  /** PE identifier of the PE that failed. */
  from: number;
  /** PE identifier of the new PE. */
  to: number;
  /** Where the new PE was reached. */
  toAddress: TransportAddress;
  /** True when the latest cookie was echoed to the new PE. */
  cookieEchoed: boolean;
  /** Time from noticing the failure until the new association carried the cookie echo and pending data, ms. */
  durationMs: number;
  reason: FailoverReason;
  /**
   * Messages sent again to the new PE (after the cookie echo, in send
   * order): never transmitted, not acknowledged by the old PE's SCTP
   * (unless `replay: 'none'`), and unanswered requests.
   */
  resent: number;
  /** Further messages sent again only because of `replay: 'since-cookie'` (transmitted since the latest cookie). */
  replayed: number;
  /**
   * Messages that may have been lost: transmitted to the old PE after its
   * last message (reply or cookie) arrived, acknowledged by its SCTP (so
   * not sent again) — the PE may have died before processing them; with
   * `replay: 'none'` also the unacknowledged ones. 0 means nothing handed
   * to the session can have been lost at this failover.
   */
  possiblyLost: number;
  /** `'since-cookie'` replay-log entries dropped at `replayLimit` since the previous failover (the new PE's state may miss them). */
  replayDropped: number;
  /** Connection attempts it took (1 = the first PE tried answered). */
  attempts: number;
}

/** PEs that failed recently, by id, each skipped until its hold time passed. */
export class FailedPeSet {
  private readonly until = new Map<number, number>();

  constructor(
    private readonly clock: Clock,
    private readonly holdMs: number,
  ) {}

  /** Marks a PE as failed now. */
  add(id: number): void {
    this.until.set(id, this.clock.now() + this.holdMs);
  }

  /** True when `id` failed less than the hold time ago. */
  has(id: number): boolean {
    const t = this.until.get(id);
    if (t === undefined) return false;
    if (this.clock.now() >= t) {
      this.until.delete(id);
      return false;
    }
    return true;
  }

  /** Forgets every entry. */
  clear(): void {
    this.until.clear();
  }
}

/**
 * Lists the PEs to try next, best first: the peer's business-card
 * preference, then the ASAP instance's (cached) resolution, then — when
 * those give nothing usable or `fresh` is set — a resolution that bypasses
 * the cache. PEs in `failed` (and duplicates) are left out.
 */
export async function choosePoolElements(
  asap: AsapInstance,
  poolHandle: Uint8Array,
  preferred: readonly PoolElementInfo[],
  failed: FailedPeSet,
  fresh: boolean,
  signal?: AbortSignal,
): Promise<PoolElementInfo[]> {
  const out: PoolElementInfo[] = [];
  const seen = new Set<number>();
  const take = (list: readonly PoolElementInfo[]): void => {
    for (const pe of list) {
      if (seen.has(pe.id) || failed.has(pe.id) || pe.addresses.length === 0 || pe.protocol !== 'sctp') continue;
      seen.add(pe.id);
      out.push(pe);
    }
  };
  take(preferred);
  let lastError: unknown;
  if (!fresh) {
    try {
      take(await asap.resolve(poolHandle, { signal }));
    } catch (err) {
      if (signal?.aborted) throw err;
      lastError = err;
    }
  }
  if (out.length === 0 || fresh) {
    try {
      take(await asap.resolve(poolHandle, { cache: false, signal }));
    } catch (err) {
      if (signal?.aborted || out.length === 0) throw err;
    }
  }
  if (out.length === 0 && lastError !== undefined) throw lastError;
  return out;
}
