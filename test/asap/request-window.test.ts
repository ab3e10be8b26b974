import { describe, expect, it } from 'vitest';
import { RequestWindow } from '../../src/asap/request-window.js';
import { AbortError } from '../../src/errors.js';

describe('RequestWindow', () => {
  it('admits up to its size, then first in first out; aborted waiters are skipped', async () => {
    const w = new RequestWindow(2);
    const order: number[] = [];
    await w.acquire();
    await w.acquire();
    const ac = new AbortController();
    const waits = [0, 1, 2, 3].map((i) => w.acquire(i === 1 ? ac.signal : undefined).then(() => order.push(i), (e: unknown) => order.push(e instanceof AbortError ? -1 : -2)));
    ac.abort();
    await Promise.resolve();
    for (let i = 0; i < 3; i++) w.release();
    await Promise.all(waits);
    expect(order).toEqual([-1, 0, 2, 3]);
    expect(w.inFlight).toBe(2);
  });

  it('handles long queues', async () => {
    const w = new RequestWindow(1);
    await w.acquire();
    const n = 5000;
    let done = 0;
    const waits = Array.from({ length: n }, () => w.acquire().then(() => done++));
    for (let i = 0; i < n; i++) w.release();
    await Promise.all(waits);
    expect(done).toBe(n);
  });
});
