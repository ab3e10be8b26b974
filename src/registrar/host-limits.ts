/**
 * Limits per remote host (RFC 5355 §3.4–3.6), beside the per-association
 * ones: a host that opens many associations must not multiply its share of
 * associations, pools, handle resolutions or failure reports, so one host
 * cannot lock out the others.
 *
 * A host is the first remote address of an association, IPv6 grouped by
 * prefix ({@link hostKey}). Its state lives as long as it has associations.
 *
 * @module
 */
import type { Clock } from '../clock.js';
import type { Pool } from '../handlespace/pool.js';
import { hostKey } from '../transport/host-key.js';
import { TokenBucket, type RateLimit } from './rate-limiter.js';

/** Per-host limits, defaults filled in. */
export interface HostLimitOptions {
  maxAssociationsPerHost: number;
  maxPoolsPerHost: number;
  ipv6HostPrefix: number;
  hostHandleResolutionRate: RateLimit;
  hostFailureReportRate: RateLimit;
}

/** What the registrar keeps per remote host. */
export class HostState {
  /** Open associations from this host. */
  associations = 0;
  /** PEs of this host per pool (the pools it occupies). */
  readonly pools = new Map<Pool, number>();

  constructor(
    readonly key: string,
    readonly hrBucket: TokenBucket,
    readonly euBucket: TokenBucket,
  ) {}

  /** A PE of this host joined `pool`. */
  addPe(pool: Pool): void {
    this.pools.set(pool, (this.pools.get(pool) ?? 0) + 1);
  }

  /** A PE of this host left `pool`. */
  removePe(pool: Pool): void {
    const n = this.pools.get(pool);
    if (n === undefined) return;
    if (n <= 1) this.pools.delete(pool);
    else this.pools.set(pool, n - 1);
  }
}

/** The table of hosts with open associations. */
export class HostTable {
  private readonly hosts = new Map<string, HostState>();

  constructor(
    private readonly options: HostLimitOptions,
    private readonly clock: Clock,
  ) {}

  /** Number of hosts with associations. */
  get size(): number {
    return this.hosts.size;
  }

  /**
   * Takes an association slot for the host at `address`; undefined when the
   * host already has its maximum.
   */
  acquire(address: string): HostState | undefined {
    const key = hostKey(address, this.options.ipv6HostPrefix);
    let h = this.hosts.get(key);
    if (h === undefined) {
      h = new HostState(key, new TokenBucket(this.options.hostHandleResolutionRate, this.clock), new TokenBucket(this.options.hostFailureReportRate, this.clock));
      this.hosts.set(key, h);
    }
    if (h.associations >= this.options.maxAssociationsPerHost) {
      if (h.associations === 0) this.hosts.delete(key);
      return undefined;
    }
    h.associations++;
    return h;
  }

  /** Gives an association slot back. */
  release(h: HostState): void {
    h.associations--;
    if (h.associations <= 0 && h.pools.size === 0 && this.hosts.get(h.key) === h) this.hosts.delete(h.key);
  }

  /** True when `h` may have a PE in `pool` (already has one, or below its pool limit). */
  mayJoin(h: HostState, pool: Pool | undefined): boolean {
    return (pool !== undefined && h.pools.has(pool)) || h.pools.size < this.options.maxPoolsPerHost;
  }
}
