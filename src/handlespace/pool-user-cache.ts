/**
 * A pool user's cache of handle resolution results (spec §12.4), built on
 * {@link Handlespace}: entries expire after the stale-cache value, the local
 * choice follows the pool's policy exactly as a registrar's would (spec §11,
 * last paragraph), and PEs reported unreachable are dropped locally.
 *
 * @module
 */
import { systemClock, type Clock } from '../clock.js';
import type { PoolElementParam, PoolHandle } from '../wire/types.js';
import { Handlespace, type HandlespaceOptions } from './handlespace.js';
import type { PoolElement } from './pool-element.js';

/** Options of a {@link PoolUserCache}. */
export interface PoolUserCacheOptions extends HandlespaceOptions {
  /**
   * How long a resolved PE stays usable, in milliseconds (the stale-cache
   * value). 0 disables caching: stored PEs are only used by the selection of
   * {@link PoolUserCache.storeAndSelect} that stored them.
   */
  staleCacheValue: number;
}

/** A pool user's local view of the pools it resolved. */
export class PoolUserCache {
  /** The underlying handlespace (read-only use recommended). */
  readonly handlespace: Handlespace;
  /** Lifetime of cached entries in milliseconds. */
  readonly staleCacheValue: number;
  private readonly clock: Clock;

  constructor(options: PoolUserCacheOptions) {
    this.staleCacheValue = Math.max(0, options.staleCacheValue);
    this.clock = options.clock ?? systemClock;
    this.handlespace = new Handlespace(options);
  }

  /** Number of cached PEs, including stale ones not purged yet. */
  get size(): number {
    return this.handlespace.size;
  }

  /**
   * Stores the PEs of a handle resolution response, each valid for the
   * stale-cache value from `now`. A cached pool whose policy, transport
   * protocol or control-channel use no longer matches is replaced as a whole.
   * Returns the number of PEs stored; PEs the handlespace refuses for other
   * reasons (invalid values) are skipped.
   */
  store(poolHandle: PoolHandle, elements: readonly PoolElementParam[], now: number = this.clock.now()): number {
    const hs = this.handlespace;
    hs.expire(now);
    const expiresAt = now + this.staleCacheValue;
    let stored = 0;
    for (const pe of elements) {
      let r = hs.register(poolHandle, pe, { now, expiresAt });
      if (!r.ok && (r.cause === 0x0005 || r.cause === 0x0007 || r.cause === 0x0008)) {
        this.purge(poolHandle);
        r = hs.register(poolHandle, pe, { now, expiresAt });
      }
      if (r.ok) stored++;
    }
    return stored;
  }

  /**
   * Drops stale entries, then selects up to `count` cached PEs of the pool by
   * its policy (appended to `out`). Empty when nothing usable is cached: the
   * caller then asks a registrar.
   */
  select(poolHandle: PoolHandle, count = 1, now: number = this.clock.now(), out: PoolElement[] = []): PoolElement[] {
    this.handlespace.expire(now);
    return this.handlespace.select(poolHandle, count, out);
  }

  /**
   * {@link PoolUserCache.store} followed by a selection at the same time,
   * which also works with a stale-cache value of 0 (the entries are dropped
   * again after the selection).
   */
  storeAndSelect(poolHandle: PoolHandle, elements: readonly PoolElementParam[], count = 1, now: number = this.clock.now()): PoolElement[] {
    this.store(poolHandle, elements, now);
    const out = this.handlespace.select(poolHandle, count);
    if (this.staleCacheValue === 0) this.purge(poolHandle);
    return out;
  }

  /** `true` when the pool has cached PEs that are not stale at `now`. */
  has(poolHandle: PoolHandle, now: number = this.clock.now()): boolean {
    this.handlespace.expire(now);
    return this.handlespace.getPool(poolHandle) !== undefined;
  }

  /**
   * A PE was found unreachable: drops it from the cache. Returns the dropped
   * PE (the caller reports it to its registrar), or `undefined` when it was
   * not cached.
   */
  reportUnreachable(poolHandle: PoolHandle, peId: number): PoolElement | undefined {
    return this.handlespace.deregister(poolHandle, peId);
  }

  /** Drops every cached PE of a pool; returns how many. */
  purge(poolHandle: PoolHandle): number {
    const pool = this.handlespace.getPool(poolHandle);
    if (pool === undefined) return 0;
    const all = [...pool.elements()];
    for (const pe of all) this.handlespace.remove(pe);
    return all.length;
  }

  /** Drops stale entries and returns them. */
  expire(now: number = this.clock.now()): PoolElement[] {
    return this.handlespace.expire(now);
  }

  /** Time the next entry turns stale, or `Infinity`. */
  nextExpiry(): number {
    return this.handlespace.nextExpiry();
  }

  /** Drops everything. */
  clear(): void {
    this.handlespace.clear();
  }
}
