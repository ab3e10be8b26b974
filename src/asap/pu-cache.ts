/**
 * The PU-side cache of handle resolution results (spec §12.4): pool
 * elements returned by a registrar are kept for the stale-cache value, a
 * resolution is answered locally while the pool has live entries, and the
 * local choice follows the pool's policy (spec §11, last paragraph). PEs
 * reported unreachable are dropped at once.
 *
 * Built on the handlespace, so local selection uses exactly the policies a
 * registrar uses.
 *
 * @module
 */
import type { Clock } from '../clock.js';
import { Handlespace } from '../handlespace/handlespace.js';
import type { PoolElementParam } from '../wire/types.js';

/** A pool user's cache of pool elements. */
export class PuCache {
  private readonly hs: Handlespace;

  constructor(private readonly clock: Clock) {
    this.hs = new Handlespace({ clock, maxPoolHandleLength: 0xffff });
  }

  /** Number of cached PEs (live or not yet purged). */
  get size(): number {
    return this.hs.size;
  }

  /**
   * Stores the PEs of a handle resolution response for `staleMs`. A pool
   * whose policy changed is replaced as a whole.
   */
  insert(poolHandle: Uint8Array, elements: readonly PoolElementParam[], staleMs: number): void {
    const now = this.clock.now();
    this.hs.expire(now);
    for (const pe of elements) {
      const param: PoolElementParam = { ...pe };
      delete param.asapTransport;
      let r = this.hs.register(poolHandle, param, { now, expiresAt: now + staleMs });
      if (!r.ok) {
        // Policy or transport of the pool changed at the registrar: start over.
        this.clearPool(poolHandle);
        r = this.hs.register(poolHandle, param, { now, expiresAt: now + staleMs });
      }
    }
  }

  /** Up to `count` live PEs of the pool in selection order (empty when nothing is cached). */
  select(poolHandle: Uint8Array, count: number): PoolElementParam[] {
    this.hs.expire(this.clock.now());
    const pool = this.hs.getPool(poolHandle);
    if (!pool) return [];
    const n = Math.min(count, pool.byId.size);
    return this.hs.selectFrom(pool, n).map((pe) => ({
      peId: pe.peId,
      homeRegistrarId: pe.homeRegistrarId,
      registrationLife: pe.registrationLife,
      userTransport: pe.userTransport,
      policy: pe.policy,
    }));
  }

  /** Drops one PE (e.g. reported unreachable). */
  remove(poolHandle: Uint8Array, peId: number): void {
    this.hs.deregister(poolHandle, peId);
  }

  /** Drops every PE of a pool. */
  clearPool(poolHandle: Uint8Array): void {
    const pool = this.hs.getPool(poolHandle);
    if (pool) for (const pe of [...pool.byId.values()]) this.hs.remove(pe);
  }

  /** Drops everything. */
  clear(): void {
    this.hs.clear();
  }
}
