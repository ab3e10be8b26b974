import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { PuCache } from '../../src/asap/pu-cache.js';
import { loadFromFraction, type PoolElementParam } from '../../src/wire/types.js';

const ph = new TextEncoder().encode('P');
const pe = (peId: number, load: number): PoolElementParam => ({
  peId,
  homeRegistrarId: 1,
  registrationLife: 90_000,
  userTransport: { protocol: 'sctp', port: 1000 + peId, transportUse: 0, addresses: ['127.0.0.1'] },
  policy: { type: 'least-used', load: loadFromFraction(load) },
});

describe('PU cache', () => {
  it('selects by policy, expires after the stale-cache value and drops failed PEs', () => {
    const clock = new FakeClock();
    const c = new PuCache(clock);
    c.insert(ph, [pe(1, 0.5), pe(2, 0.1), pe(3, 0.9)], 1000);
    expect(c.select(ph, 10).map((p) => p.peId)).toEqual([2, 1, 3]);
    c.remove(ph, 2);
    expect(c.select(ph, 1).map((p) => p.peId)).toEqual([1]);
    clock.advance(999);
    expect(c.select(ph, 10)).toHaveLength(2);
    clock.advance(1);
    expect(c.select(ph, 10)).toEqual([]);
    expect(c.size).toBe(0);
  });

  it('replaces a pool whose policy changed', () => {
    const c = new PuCache(new FakeClock());
    c.insert(ph, [pe(1, 0.5)], 1000);
    c.insert(ph, [{ ...pe(2, 0), policy: { type: 'round-robin' } }], 1000);
    expect(c.select(ph, 10).map((p) => p.peId)).toEqual([2]);
  });
});
