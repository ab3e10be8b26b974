/**
 * The PU-side cache of an ASAP instance (spec §12.4): the handlespace's
 * {@link PoolUserCache} (stale-cache expiry, local selection by the pool's
 * policy, local drop of unreachable PEs), with a per-call stale-cache value
 * and results in wire form.
 *
 * @module
 */
import type { Clock } from '../clock.js';
import { PoolUserCache } from '../handlespace/pool-user-cache.js';
import type { PoolElementParam } from '../wire/types.js';

/** A pool user's cache of pool elements. */
export class PuCache {
  private readonly cache: PoolUserCache;

  constructor(private readonly clock: Clock) {
    // The lifetime is set per insert (see insert()); handles are as long as the caller's.
    this.cache = new PoolUserCache({ clock, staleCacheValue: 0, maxPoolHandleLength: 0xffff });
  }

  /** Number of cached PEs (live or not yet purged). */
  get size(): number {
    return this.cache.size;
  }

  /** Stores the PEs of a handle resolution response for `staleMs` milliseconds. */
  insert(poolHandle: Uint8Array, elements: readonly PoolElementParam[], staleMs: number): void {
    const now = this.clock.now();
    const stripped = elements.map((pe) => {
      const p: PoolElementParam = { ...pe };
      delete p.asapTransport;
      return p;
    });
    this.cache.store(poolHandle, stripped, now);
    const hs = this.cache.handlespace;
    for (const pe of stripped) {
      const stored = hs.find(poolHandle, pe.peId);
      if (stored) hs.setExpiry(stored, now + staleMs);
    }
  }

  /** Up to `count` live PEs of the pool in selection order (empty when nothing is cached). */
  select(poolHandle: Uint8Array, count: number): PoolElementParam[] {
    const now = this.clock.now();
    if (!this.cache.has(poolHandle, now)) return [];
    const n = Math.min(count, this.cache.handlespace.getPool(poolHandle)?.byId.size ?? 0);
    return this.cache.select(poolHandle, n, now).map((pe) => ({
      peId: pe.peId,
      homeRegistrarId: pe.homeRegistrarId,
      registrationLife: pe.registrationLife,
      userTransport: pe.userTransport,
      policy: pe.policy,
    }));
  }

  /** Drops one PE (e.g. reported unreachable). */
  remove(poolHandle: Uint8Array, peId: number): void {
    this.cache.reportUnreachable(poolHandle, peId);
  }

  /** Drops every PE of a pool. */
  clearPool(poolHandle: Uint8Array): void {
    this.cache.purge(poolHandle);
  }

  /** Drops everything. */
  clear(): void {
    this.cache.clear();
  }
}
