import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computePeChecksum as computeOwnershipChecksum } from '../../src/wire/checksum.js';
import { Handlespace } from '../../src/handlespace/handlespace.js';
import type { PoolElement } from '../../src/handlespace/pool-element.js';
import type { ExpiryQueue } from '../../src/handlespace/expiry-queue.js';
import type { PolicyInfo } from '../../src/wire/types.js';
import { pe } from './helpers.js';

const MAX = 0xffffffff;
// One policy per pool handle; handle 5 sometimes gets a foreign policy (must be refused).
const HANDLES = [[1], [2, 3], [4, 5, 6], [0x41, 0x42, 0x43, 0x44], [9], [0, 0]].map((b) => new Uint8Array(b));
const POLICIES = ['least-used-degradation', 'round-robin', 'weighted-round-robin', 'randomized-least-used-degradation', 'random', 'priority'] as const;

function policyFor(type: string, a: number, b: number): PolicyInfo {
  switch (type) {
    case 'least-used-degradation':
      return { type, load: a, loadDegradation: b };
    case 'randomized-least-used-degradation':
      return { type, load: a, loadDegradation: b };
    case 'weighted-round-robin':
      return { type, weight: a % 5 };
    case 'priority':
      return { type, priority: a % 3 };
    case 'round-robin':
    case 'random':
      return { type };
    default:
      throw new Error(type);
  }
}

function orderKey(p: PoolElement): number {
  const info = p.policy;
  switch (info.type) {
    case 'least-used-degradation':
      return Math.min(info.load + p.degradation, MAX);
    case 'weighted-round-robin':
      return p.round;
    case 'priority':
      return MAX - info.priority;
    default:
      return 0;
  }
}

type Op =
  | { op: 'register'; h: number; id: number; owner: number; a: number; b: number; life: number; foreign: boolean }
  | { op: 'deregister'; h: number; id: number }
  | { op: 'select'; h: number; count: number }
  | { op: 'advance'; ms: number }
  | { op: 'owner'; h: number; id: number; owner: number }
  | { op: 'transfer'; from: number; to: number };

const load = fc.oneof(fc.constantFrom(0, 1, MAX - 1, MAX, 0x80000000), fc.integer({ min: 0, max: MAX }));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('register' as const), h: fc.nat(5), id: fc.integer({ min: 1, max: 8 }), owner: fc.nat(3), a: load, b: load, life: fc.integer({ min: 1, max: 100 }), foreign: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('deregister' as const), h: fc.nat(5), id: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('select' as const), h: fc.nat(5), count: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 60 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('owner' as const), h: fc.nat(5), id: fc.integer({ min: 1, max: 8 }), owner: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('transfer' as const), from: fc.nat(3), to: fc.nat(3) }) },
);

interface ModelPe {
  owner: number;
  expiresAt: number;
  policy: PolicyInfo;
}

describe('handlespace properties', () => {
  it('random operation sequences keep every index consistent with a naive model', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 120 }), fc.integer(), (ops, seed) => {
        const hs = new Handlespace({ seed });
        const model = new Map<number, Map<number, ModelPe>>(); // handle index → id → PE
        const modelPolicy = new Map<number, string>();
        let now = 0;

        for (const o of ops) {
          switch (o.op) {
            case 'register': {
              const type = o.foreign && o.h === 5 ? 'least-used-degradation' : POLICIES[o.h % POLICIES.length]!;
              const policy = policyFor(type, o.a, o.b);
              const r = hs.register(HANDLES[o.h]!, pe(o.id, policy, { homeRegistrarId: o.owner, registrationLife: o.life }), { now });
              const existing = modelPolicy.get(o.h);
              if (existing !== undefined && existing !== type) {
                expect(r.ok).toBe(false);
                expect(r.ok || r.cause).toBe(0x0005);
              } else {
                expect(r.ok).toBe(true);
                let pool = model.get(o.h);
                if (pool === undefined) model.set(o.h, (pool = new Map()));
                modelPolicy.set(o.h, type);
                expect(r.ok && r.created).toBe(!pool.has(o.id));
                pool.set(o.id, { owner: o.owner, expiresAt: now + o.life, policy });
                if (r.ok) expect(r.pe.degradation).toBe(0);
              }
              break;
            }
            case 'deregister': {
              const removed = hs.deregister(HANDLES[o.h]!, o.id);
              const pool = model.get(o.h);
              expect(removed !== undefined).toBe(pool?.has(o.id) ?? false);
              pool?.delete(o.id);
              if (pool?.size === 0) {
                model.delete(o.h);
                modelPolicy.delete(o.h);
              }
              break;
            }
            case 'select': {
              const poolObj = hs.getPool(HANDLES[o.h]!);
              const members = poolObj === undefined ? [] : [...poolObj.elements()];
              const ordered = modelPolicy.get(o.h) !== undefined && !modelPolicy.get(o.h)!.includes('random');
              const expected = ordered ? [...members].sort((x, y) => orderKey(x) - orderKey(y) || x.seq - y.seq).slice(0, o.count) : undefined;
              const got = hs.select(HANDLES[o.h]!, o.count);
              const size = model.get(o.h)?.size ?? 0;
              if (modelPolicy.get(o.h) === 'randomized-least-used-degradation') expect(got.length).toBeLessThanOrEqual(Math.min(o.count, size));
              else expect(got.length).toBe(Math.min(o.count, size));
              expect(new Set(got).size).toBe(got.length);
              for (const p of got) expect(members).toContain(p);
              if (expected !== undefined) expect(got).toEqual(expected);
              break;
            }
            case 'advance': {
              now += o.ms;
              const expired = hs.expire(now);
              const want: string[] = [];
              for (const [h, pool] of model) {
                for (const [id, m] of pool) {
                  if (m.expiresAt <= now) {
                    want.push(`${h}/${id}`);
                    pool.delete(id);
                  }
                }
                if (pool.size === 0) {
                  model.delete(h);
                  modelPolicy.delete(h);
                }
              }
              const got = expired.map((p) => `${HANDLES.findIndex((x) => x.length === p.poolHandle.length && x.every((v, i) => v === p.poolHandle[i]))}/${p.peId}`);
              expect(got.sort()).toEqual(want.sort());
              for (let i = 1; i < expired.length; i++) expect(expired[i - 1]!.expiresAt).toBeLessThanOrEqual(expired[i]!.expiresAt);
              break;
            }
            case 'owner': {
              const p = hs.find(HANDLES[o.h]!, o.id);
              const m = model.get(o.h)?.get(o.id);
              expect(p !== undefined).toBe(m !== undefined);
              if (p !== undefined && m !== undefined) {
                hs.setHomeRegistrar(p, o.owner);
                m.owner = o.owner;
              }
              break;
            }
            case 'transfer': {
              let n = 0;
              for (const pool of model.values())
                for (const m of pool.values())
                  if (m.owner === o.from && o.from !== o.to) {
                    m.owner = o.to;
                    n++;
                  }
              expect(hs.transferOwnership(o.from, o.to)).toBe(n);
              break;
            }
          }

          // ---- invariants after every step ----
          let total = 0;
          const owned = new Map<number, { poolHandle: Uint8Array; peId: number }[]>();
          let minExpiry = Infinity;
          for (const [h, pool] of model) {
            total += pool.size;
            const poolObj = hs.getPool(HANDLES[h]!)!;
            expect(poolObj).toBeDefined();
            expect(poolObj.size).toBe(pool.size);
            expect(poolObj.policyName).toBe(modelPolicy.get(h));
            for (const [id, m] of pool) {
              const p = hs.find(HANDLES[h]!, id)!;
              expect(p.homeRegistrarId).toBe(m.owner);
              expect(p.expiresAt).toBe(m.expiresAt);
              expect(p.policy).toEqual(m.policy);
              const list = owned.get(m.owner) ?? [];
              list.push({ poolHandle: HANDLES[h]!, peId: id });
              owned.set(m.owner, list);
              minExpiry = Math.min(minExpiry, m.expiresAt);
            }
            const sel = poolObj.selector as unknown as { isConsistent?: () => boolean };
            if (sel.isConsistent !== undefined) expect(sel.isConsistent()).toBe(true);
          }
          expect(hs.size).toBe(total);
          expect(hs.poolCount).toBe(model.size);
          expect(hs.nextExpiry()).toBe(minExpiry);
          expect((hs as unknown as { expiry: ExpiryQueue<PoolElement> }).expiry.isConsistent()).toBe(true);
          for (let owner = 0; owner <= 3; owner++) {
            const list = owned.get(owner) ?? [];
            expect(hs.ownedCount(owner)).toBe(list.length);
            expect(hs.ownershipChecksum(owner)).toBe(computeOwnershipChecksum(list));
            expect(hs.ownedBy(owner).length).toBe(list.length);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
