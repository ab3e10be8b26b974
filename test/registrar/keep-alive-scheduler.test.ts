import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { KeepAliveScheduler, jitteredDelay, type Schedulable } from '../../src/registrar/keep-alive-scheduler.js';

interface Entry extends Schedulable {
  id: number;
  fired: number[];
}

function entry(id: number): Entry {
  return { id, dueAt: 0, heapIndex: -1, fired: [] };
}

/** Small deterministic PRNG (mulberry32) so the test does not depend on Math.random. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('KeepAliveScheduler', () => {
  it('fires entries in deadline order and supports cancel and reschedule', () => {
    const clock = new FakeClock();
    const order: number[] = [];
    const s = new KeepAliveScheduler<Entry>((e) => order.push(e.id), { clock, resolution: 0 });
    const es = [entry(1), entry(2), entry(3), entry(4)];
    s.schedule(es[0]!, 40);
    s.schedule(es[1]!, 10);
    s.schedule(es[2]!, 30);
    s.schedule(es[3]!, 20);
    s.cancel(es[2]!);
    s.schedule(es[0]!, 5); // earlier now
    expect(s.size).toBe(3);
    clock.advance(100);
    expect(order).toEqual([1, 2, 4]);
    expect(s.size).toBe(0);
    expect(s.has(es[0]!)).toBe(false);
  });

  it('keeps a single clock timer however many entries are scheduled', () => {
    const clock = new FakeClock();
    const s = new KeepAliveScheduler<Entry>(() => {}, { clock });
    for (let i = 0; i < 1000; i++) s.schedule(entry(i), 1000 + i);
    expect(clock.pending).toBe(1);
    s.close();
    expect(clock.pending).toBe(0);
  });

  it('spreads 100,000 keep-alives over the interval instead of one burst', () => {
    const clock = new FakeClock();
    const random = prng(42);
    const interval = 5000;
    const jitter = 0.125;
    // Per 100 ms bucket: how many keep-alives fired.
    const buckets = new Map<number, number>();
    let fired = 0;
    let maxPerWakeup = 0;
    let perWakeup = 0;
    let lastT = -1;
    const s = new KeepAliveScheduler<Entry>(
      (e) => {
        const t = clock.now();
        if (t !== lastT) {
          perWakeup = 0;
          lastT = t;
        }
        perWakeup++;
        maxPerWakeup = Math.max(maxPerWakeup, perWakeup);
        fired++;
        const b = Math.floor(t / 100);
        buckets.set(b, (buckets.get(b) ?? 0) + 1);
        s.schedule(e, jitteredDelay(interval, jitter, random));
      },
      { clock, batchSize: 1000 },
    );
    // Worst case: all 100,000 PEs register within the same second.
    for (let i = 0; i < 100_000; i++) {
      clock.advance(i % 100 === 0 ? 1 : 0);
      s.schedule(entry(i), jitteredDelay(interval, jitter, random));
    }
    expect(clock.pending).toBe(1);
    // Run 60 s of keep-alive cycles.
    for (let t = 0; t < 60_000; t += 50) clock.advance(50);
    expect(fired).toBeGreaterThan(100_000 * 10);
    // No wake-up handles more than one batch.
    expect(maxPerWakeup).toBeLessThanOrEqual(1000);
    // After the first cycles, jitter has spread the PEs: no 100 ms slot in the last
    // 20 s carries more than 5 % of all PEs (a lock-step burst would carry 100 %).
    let maxLate = 0;
    for (const [b, n] of buckets) if (b * 100 >= 40_000) maxLate = Math.max(maxLate, n);
    expect(maxLate).toBeLessThan(5000);
    s.close();
  });

  it('yields between batches when a backlog is due', () => {
    const clock = new FakeClock();
    let n = 0;
    const s = new KeepAliveScheduler<Entry>(() => n++, { clock, batchSize: 10 });
    for (let i = 0; i < 35; i++) s.schedule(entry(i), 100);
    clock.advance(100);
    // All handled, but in four timer callbacks of at most 10 each.
    expect(n).toBe(35);
  });

  it('honours a maximum rate, keeping deadline order', () => {
    const clock = new FakeClock();
    const order: number[] = [];
    const s = new KeepAliveScheduler<Entry>((e) => order.push(e.id), { clock, maxRate: 1000 });
    for (let i = 0; i < 5000; i++) s.schedule(entry(i), 10 + i * 0.001);
    clock.advance(1010);
    // About 1000/s (plus the initial burst of 100 ms worth), in deadline order.
    expect(order.length).toBeGreaterThan(900);
    expect(order.length).toBeLessThan(1300);
    expect(order.slice(0, 50)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    clock.advance(5000);
    expect(order.length).toBe(5000);
    s.close();
  });

  it('jitteredDelay stays within bounds', () => {
    const r = prng(1);
    for (let i = 0; i < 1000; i++) {
      const d = jitteredDelay(1000, 0.25, r);
      expect(d).toBeGreaterThanOrEqual(750);
      expect(d).toBeLessThanOrEqual(1250);
    }
    expect(jitteredDelay(1000, 0)).toBe(1000);
  });
});
