import { describe, expect, it } from 'vitest';
import { Handlespace } from '../../src/handlespace/handlespace.js';
import { BUILTIN_POLICIES } from '../../src/handlespace/policy-registry.js';
import { POLICY_TYPE_CODES, type PolicyInfo } from '../../src/wire/types.js';
import { enc, pe } from './helpers.js';

const H = enc('Pool');
const MAX = 0xffffffff;

function pool(policies: PolicyInfo[], options: ConstructorParameters<typeof Handlespace>[0] = {}): Handlespace {
  const hs = new Handlespace({ seed: 42, ...options });
  policies.forEach((p, i) => {
    const r = hs.register(H, pe(i + 1, p), { now: 0 });
    expect(r.ok).toBe(true);
  });
  return hs;
}

function picks(hs: Handlespace, n: number, count = 1): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(...hs.select(H, count).map((x) => x.peId));
  return out;
}

function histogram(ids: number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const id of ids) m.set(id, (m.get(id) ?? 0) + 1);
  return m;
}

describe('policy registry', () => {
  it('has every policy with a wire encoding, each with its type code', () => {
    const names = BUILTIN_POLICIES.map((p) => p.name).sort();
    expect(names).toEqual(Object.keys(POLICY_TYPE_CODES).sort());
    for (const p of BUILTIN_POLICIES) expect(p.typeCode).toBe(POLICY_TYPE_CODES[p.name as keyof typeof POLICY_TYPE_CODES]);
  });
});

describe('round robin', () => {
  it('cycles through the PEs in registration order', () => {
    const hs = pool([{ type: 'round-robin' }, { type: 'round-robin' }, { type: 'round-robin' }]);
    expect(picks(hs, 7)).toEqual([1, 2, 3, 1, 2, 3, 1]);
  });

  it('advances by one position per resolution of several PEs (maxIncrement 1)', () => {
    const hs = pool([{ type: 'round-robin' }, { type: 'round-robin' }, { type: 'round-robin' }]);
    expect(hs.select(H, 3).map((x) => x.peId)).toEqual([1, 2, 3]);
    expect(hs.select(H, 3).map((x) => x.peId)).toEqual([2, 3, 1]);
    expect(hs.select(H, 2).map((x) => x.peId)).toEqual([3, 1]);
  });

  it('advances by every returned PE with maxIncrement = count', () => {
    const hs = pool([{ type: 'round-robin' }, { type: 'round-robin' }, { type: 'round-robin' }], { maxIncrement: 3 });
    expect(hs.select(H, 2).map((x) => x.peId)).toEqual([1, 2]);
    expect(hs.select(H, 2).map((x) => x.peId)).toEqual([3, 1]);
  });

  it('puts a new PE at the end of the cycle', () => {
    const hs = pool([{ type: 'round-robin' }, { type: 'round-robin' }]);
    expect(picks(hs, 1)).toEqual([1]);
    hs.register(H, pe(9, { type: 'round-robin' }), { now: 0 });
    expect(picks(hs, 4)).toEqual([2, 1, 9, 2]);
  });

  it('returns each PE at most once per selection', () => {
    const hs = pool([{ type: 'round-robin' }, { type: 'round-robin' }]);
    expect(hs.select(H, 5).map((x) => x.peId)).toEqual([1, 2]);
  });
});

describe('weighted round robin', () => {
  it('serves every PE weight times per round', () => {
    const hs = pool([
      { type: 'weighted-round-robin', weight: 3 },
      { type: 'weighted-round-robin', weight: 1 },
    ]);
    const seq = picks(hs, 40);
    for (let round = 0; round < 10; round++) {
      const h = histogram(seq.slice(round * 4, round * 4 + 4));
      expect([h.get(1), h.get(2)]).toEqual([3, 1]);
    }
  });

  it('matches the weights within 0.5 % over 100,000 selections', () => {
    const weights = [1, 2, 3, 4, 10];
    const hs = pool(weights.map((weight) => ({ type: 'weighted-round-robin', weight })));
    const h = histogram(picks(hs, 100_000));
    const total = weights.reduce((a, b) => a + b, 0);
    weights.forEach((w, i) => expect(Math.abs(h.get(i + 1)! / 100_000 - w / total)).toBeLessThan(0.005));
  });
});

describe('random and weighted random', () => {
  it('random is uniform within 1 % over 100,000 selections and reproducible by seed', () => {
    const hs = pool([{ type: 'random' }, { type: 'random' }, { type: 'random' }, { type: 'random' }]);
    const seq = picks(hs, 100_000);
    const h = histogram(seq);
    for (let id = 1; id <= 4; id++) expect(Math.abs(h.get(id)! / 100_000 - 0.25)).toBeLessThan(0.01);
    const again = pool([{ type: 'random' }, { type: 'random' }, { type: 'random' }, { type: 'random' }]);
    expect(picks(again, 1000)).toEqual(seq.slice(0, 1000));
  });

  it('random returns distinct PEs', () => {
    const hs = pool(Array.from({ length: 10 }, () => ({ type: 'random' }) as PolicyInfo));
    for (let i = 0; i < 200; i++) {
      const ids = hs.select(H, 4).map((x) => x.peId);
      expect(new Set(ids).size).toBe(4);
    }
    expect(hs.select(H, 50)).toHaveLength(10);
  });

  it('weighted random matches the weights within 1 % over 100,000 selections; weight 0 is never chosen', () => {
    const weights = [1, 2, 3, 4, 0];
    const hs = pool(weights.map((weight) => ({ type: 'weighted-random', weight })));
    const h = histogram(picks(hs, 100_000));
    weights.forEach((w, i) => expect(Math.abs((h.get(i + 1) ?? 0) / 100_000 - w / 10)).toBeLessThan(0.01));
    expect(h.get(5)).toBeUndefined();
  });

  it('random and weighted random return distinct PEs for small and large selections', () => {
    const r = pool(Array.from({ length: 100 }, () => ({ type: 'random' }) as PolicyInfo));
    const w = pool(Array.from({ length: 30 }, (_, i) => ({ type: 'weighted-random', weight: i + 1 }) as PolicyInfo));
    for (let i = 0; i < 200; i++) {
      expect(new Set(r.select(H, 3)).size).toBe(3);
      expect(new Set(w.select(H, 3)).size).toBe(3);
      expect(new Set(w.select(H, 20)).size).toBe(20);
    }
    expect(w.select(H, 40)).toHaveLength(30);
  });

  it('weighted random draws without replacement', () => {
    const hs = pool([1, 1000, 1].map((weight) => ({ type: 'weighted-random', weight }) as PolicyInfo));
    for (let i = 0; i < 100; i++) expect(new Set(hs.select(H, 3).map((x) => x.peId)).size).toBe(3);
    // only positive weights can be drawn
    const z = pool([0, 5].map((weight) => ({ type: 'weighted-random', weight }) as PolicyInfo));
    expect(z.select(H, 2).map((x) => x.peId)).toEqual([2]);
  });

  it('weighted random with DPF penalises distance', () => {
    const hs = pool([
      { type: 'weighted-random-dpf', weight: 100, weightDpf: Math.round(MAX / 200), distance: 100 }, // 100 − 50
      { type: 'weighted-random-dpf', weight: 100, weightDpf: Math.round(MAX / 200), distance: 0 }, // 100
    ]);
    const h = histogram(picks(hs, 60_000));
    expect(Math.abs(h.get(1)! / 60_000 - 1 / 3)).toBeLessThan(0.01);
  });
});

describe('priority', () => {
  it('always picks the highest priority, round robin among equals', () => {
    const hs = pool([
      { type: 'priority', priority: 2 },
      { type: 'priority', priority: 5 },
      { type: 'priority', priority: 5 },
      { type: 'priority', priority: 1 },
    ]);
    expect(picks(hs, 6)).toEqual([2, 3, 2, 3, 2, 3]);
    expect(hs.select(H, 4).map((x) => x.peId)).toEqual([2, 3, 1, 4]);
  });
});

describe('least used', () => {
  it('always returns the minimum load and rotates among equal loads', () => {
    const hs = pool([
      { type: 'least-used', load: 300 },
      { type: 'least-used', load: 100 },
      { type: 'least-used', load: 100 },
      { type: 'least-used', load: 100 },
      { type: 'least-used', load: 0x80000000 },
    ]);
    expect(picks(hs, 7)).toEqual([2, 3, 4, 2, 3, 4, 2]);
    expect(hs.select(H, 5).map((x) => x.peId)).toEqual([3, 4, 2, 1, 5]);
  });

  it('compares loads as unsigned 32-bit values and follows load updates', () => {
    const hs = pool([
      { type: 'least-used', load: 0xfffffff0 },
      { type: 'least-used', load: 0x7fffffff },
    ]);
    expect(picks(hs, 2)).toEqual([2, 2]);
    hs.register(H, pe(2, { type: 'least-used', load: 0xffffffff }), { now: 1 });
    expect(picks(hs, 2)).toEqual([1, 1]);
  });

  it('picks the minimum among many random loads', () => {
    const loads = Array.from({ length: 500 }, (_, i) => ((i * 2654435761) >>> 0) % 1000);
    const hs = pool(loads.map((load) => ({ type: 'least-used', load }) as PolicyInfo));
    const sorted = loads.map((l, i) => [l, i + 1] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const got = hs.select(H, 10).map((x) => x.policy.type === 'least-used' && x.policy.load);
    expect(got).toEqual(sorted.slice(0, 10).map((x) => x[0]));
  });
});

describe('least used with degradation', () => {
  const d = 0x10000000;
  it('adds the degradation per use, so the effective load rises between re-registrations', () => {
    const hs = pool([
      { type: 'least-used-degradation', load: 0, loadDegradation: d },
      { type: 'least-used-degradation', load: 0x18000000, loadDegradation: d },
    ]);
    // A: 0 → d → 2d ...; B: 1.5d. RFC rule: A, A, B, A, B, ...
    expect(picks(hs, 5)).toEqual([1, 1, 2, 1, 2]);
    const a = hs.find(H, 1)!;
    expect(a.degradation).toBe(3 * d);
    // Re-registration (even with the same values) resets the degradation counter.
    hs.register(H, pe(1, { type: 'least-used-degradation', load: 0, loadDegradation: d }), { now: 1 });
    expect(a.degradation).toBe(0);
    expect(picks(hs, 1)).toEqual([1]);
  });

  it('saturates the effective load at 100 %', () => {
    const hs = pool([
      { type: 'least-used-degradation', load: MAX - 5, loadDegradation: MAX },
      { type: 'least-used-degradation', load: MAX, loadDegradation: 0 },
    ]);
    // A: MAX − 5, then saturated at MAX, tied with B: round robin between them.
    expect(picks(hs, 4)).toEqual([1, 2, 1, 2]);
    expect(hs.find(H, 1)!.degradation).toBe(MAX);
  });
});

describe('priority least used (and with degradation)', () => {
  it('PLU orders by load + load increment without a counter', () => {
    const hs = pool([
      { type: 'priority-least-used', load: 100, loadDegradation: 500 },
      { type: 'priority-least-used', load: 300, loadDegradation: 100 },
    ]);
    expect(picks(hs, 3)).toEqual([2, 2, 2]);
  });

  it('PLUD adds the increment per use', () => {
    const hs = pool([
      { type: 'priority-least-used-degradation', load: 0, loadDegradation: 100 },
      { type: 'priority-least-used-degradation', load: 150, loadDegradation: 100 },
    ]);
    // A: 100, 200, 300 ...; B: 250, 350 ...
    expect(picks(hs, 5)).toEqual([1, 1, 2, 1, 2]);
  });
});

describe('least used with DPF', () => {
  it('LU-DPF adds distance × load DPF to the load', () => {
    const hs = pool([
      { type: 'least-used-dpf', load: 1000, loadDpf: 10, distance: 50 }, // 1500
      { type: 'least-used-dpf', load: 1200, loadDpf: 10, distance: 0 }, // 1200
    ]);
    expect(picks(hs, 2)).toEqual([2, 2]);
  });

  it('LUD-DPF also degrades', () => {
    const hs = pool([
      { type: 'least-used-degradation-dpf', load: 0, loadDegradation: 100, loadDpf: 1, distance: 50 }, // 50, 150, 250
      { type: 'least-used-degradation-dpf', load: 120, loadDegradation: 100, loadDpf: 1, distance: 0 }, // 120, 220
    ]);
    expect(picks(hs, 4)).toEqual([1, 2, 1, 2]);
  });
});

describe('randomized least used family', () => {
  it('RLU draws proportionally to spare capacity', () => {
    const hs = pool([
      { type: 'randomized-least-used', load: Math.round(MAX * 0.25) }, // 0.75
      { type: 'randomized-least-used', load: Math.round(MAX * 0.75) }, // 0.25
      { type: 'randomized-least-used', load: MAX }, // weight 1: practically never
    ]);
    const h = histogram(picks(hs, 100_000));
    expect(Math.abs(h.get(1)! / 100_000 - 0.75)).toBeLessThan(0.01);
    expect(Math.abs(h.get(2)! / 100_000 - 0.25)).toBeLessThan(0.01);
    expect(h.get(3) ?? 0).toBeLessThan(5);
  });

  it('RPLU subtracts the load increment', () => {
    const q = Math.round(MAX / 4);
    const hs = pool([
      { type: 'randomized-priority-least-used', load: q, loadDegradation: q }, // 0.5
      { type: 'randomized-priority-least-used', load: 0, loadDegradation: 0 }, // 1
    ]);
    const h = histogram(picks(hs, 60_000));
    expect(Math.abs(h.get(1)! / 60_000 - 1 / 3)).toBeLessThan(0.01);
  });

  it('RLUD and RPLUD lower the weight of a used PE until it re-registers', () => {
    for (const type of ['randomized-least-used-degradation', 'randomized-priority-least-used-degradation'] as const) {
      const hs = pool([
        { type, load: 0, loadDegradation: Math.round(MAX / 2) },
        { type, load: 0, loadDegradation: Math.round(MAX / 2) },
      ]);
      const first = hs.select(H, 1)[0]!;
      expect(first.degradation).toBe(Math.round(MAX / 2));
      hs.register(H, pe(first.peId, { type, load: 0, loadDegradation: 1 }), { now: 1 });
      expect(first.degradation).toBe(0);
    }
  });
});
