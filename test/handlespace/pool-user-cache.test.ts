import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { PoolUserCache } from '../../src/handlespace/pool-user-cache.js';
import { enc, pe } from './helpers.js';

const H = enc('EchoPool');
const RR = { type: 'round-robin' } as const;

describe('PoolUserCache', () => {
  it('serves selections from the cache until the stale-cache value has passed', () => {
    const clock = new FakeClock(0);
    const cache = new PoolUserCache({ staleCacheValue: 1000, clock });
    expect(cache.store(H, [pe(1, RR), pe(2, RR)])).toBe(2);
    expect(cache.has(H)).toBe(true);
    expect(cache.select(H).map((p) => p.peId)).toEqual([1]);
    expect(cache.select(H).map((p) => p.peId)).toEqual([2]);
    expect(cache.nextExpiry()).toBe(1000);
    clock.advance(999);
    expect(cache.select(H, 2)).toHaveLength(2);
    clock.advance(1);
    expect(cache.select(H)).toEqual([]);
    expect(cache.has(H)).toBe(false);
    expect(cache.size).toBe(0);
  });

  it('refreshes entries on a new resolution and keeps the policy state', () => {
    const cache = new PoolUserCache({ staleCacheValue: 100 });
    cache.store(H, [pe(1, RR), pe(2, RR)], 0);
    expect(cache.select(H, 1, 10)[0]!.peId).toBe(1);
    cache.store(H, [pe(1, RR), pe(2, RR)], 90);
    expect(cache.select(H, 1, 150)[0]!.peId).toBe(2);
    expect(cache.expire(190).map((p) => p.peId).sort()).toEqual([1, 2]);
  });

  it('drops reported-unreachable PEs locally', () => {
    const cache = new PoolUserCache({ staleCacheValue: 1000 });
    cache.store(H, [pe(1, RR), pe(2, RR)], 0);
    expect(cache.reportUnreachable(H, 1)!.peId).toBe(1);
    expect(cache.reportUnreachable(H, 1)).toBeUndefined();
    for (let i = 0; i < 3; i++) expect(cache.select(H, 1, 1)[0]!.peId).toBe(2);
  });

  it('replaces a pool whose policy changed at the registrar', () => {
    const cache = new PoolUserCache({ staleCacheValue: 1000 });
    cache.store(H, [pe(1, RR), pe(2, RR)], 0);
    expect(cache.store(H, [pe(3, { type: 'least-used', load: 5 })], 1)).toBe(1);
    expect(cache.handlespace.getPool(H)!.policyName).toBe('least-used');
    expect(cache.size).toBe(1);
  });

  it('with a stale-cache value of 0 selects from the response but keeps nothing', () => {
    const cache = new PoolUserCache({ staleCacheValue: 0 });
    expect(cache.storeAndSelect(H, [pe(1, { type: 'least-used', load: 9 }), pe(2, { type: 'least-used', load: 3 })], 1, 0).map((p) => p.peId)).toEqual([2]);
    expect(cache.size).toBe(0);
    expect(cache.select(H, 1, 0)).toEqual([]);
  });

  it('purges and clears', () => {
    const cache = new PoolUserCache({ staleCacheValue: 1000 });
    cache.store(H, [pe(1, RR)], 0);
    cache.store(enc('Other'), [pe(1, RR), pe(2, RR)], 0);
    expect(cache.purge(H)).toBe(1);
    expect(cache.purge(H)).toBe(0);
    cache.clear();
    expect(cache.size).toBe(0);
  });
});
