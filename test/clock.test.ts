import { describe, expect, it } from 'vitest';
import { FakeClock } from '../src/clock.js';

describe('FakeClock', () => {
  it('fires timers in time order, ties in scheduling order', () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b'), 20);
    clock.setTimeout(() => fired.push('a'), 10);
    clock.setTimeout(() => fired.push('c'), 20);
    const cancelled = clock.setTimeout(() => fired.push('x'), 15);
    clock.clearTimeout(cancelled);
    clock.advance(19);
    expect(fired).toEqual(['a']);
    expect(clock.now()).toBe(19);
    clock.advance(1);
    expect(fired).toEqual(['a', 'b', 'c']);
    expect(clock.pending).toBe(0);
  });

  it('fires timers scheduled by timers within the same advance', () => {
    const clock = new FakeClock(100);
    const at: number[] = [];
    clock.setTimeout(() => {
      at.push(clock.now());
      clock.setTimeout(() => at.push(clock.now()), 5);
    }, 5);
    clock.advance(10);
    expect(at).toEqual([105, 110]);
  });
});
