/** Ring (the transport's and the sessions' FIFO queues): order across growth, and remove(). */
import { describe, expect, it } from 'vitest';
import { Ring } from '../../src/transport/ring.js';

describe('Ring', () => {
  it('keeps first-in first-out order while it grows and wraps', () => {
    const r = new Ring<number>(2);
    for (let i = 0; i < 3; i++) r.push(i);
    expect(r.shift()).toBe(0);
    for (let i = 3; i < 40; i++) r.push(i);
    expect(r.toArray()).toEqual(Array.from({ length: 39 }, (_, i) => i + 1));
    expect(r.peek()).toBe(1);
  });

  it('remove() takes the head, an item further in, or reports one that is not queued', () => {
    const r = new Ring<string>(4);
    for (const x of ['a', 'b', 'c', 'd', 'e']) r.push(x);
    expect(r.remove('a')).toBe(true);
    expect(r.remove('c')).toBe(true);
    expect(r.remove('z')).toBe(false);
    expect(r.toArray()).toEqual(['b', 'd', 'e']);
    expect(r.length).toBe(3);
    r.clear();
    expect(r.remove('b')).toBe(false);
  });
});
