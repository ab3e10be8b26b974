import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { RequestTracker, requestKey } from '../../src/asap/request-tracker.js';
import { TimeoutError, AbortError, ClosedError } from '../../src/errors.js';

const ph = new TextEncoder().encode('EchoPool');

describe('RequestTracker', () => {
  it('matches responses FIFO per key', async () => {
    const t = new RequestTracker<string>(new FakeClock());
    const k = requestKey('handle-resolution', ph);
    const a = t.expect(k, 1000);
    const b = t.expect(k, 1000);
    const other = t.expect(requestKey('registration', ph, 5), 1000);
    expect(t.resolve(k, 'first')).toBe(true);
    expect(t.resolve(k, 'second')).toBe(true);
    expect(t.resolve(k, 'third')).toBe(false);
    expect(t.resolve(requestKey('registration', ph, 6), 'x')).toBe(false);
    expect(t.resolve(requestKey('registration', ph, 5), 'reg')).toBe(true);
    expect([await a, await b, await other]).toEqual(['first', 'second', 'reg']);
    expect(t.size).toBe(0);
  });

  it('times out, aborts and fails all', async () => {
    const clock = new FakeClock();
    const t = new RequestTracker<string>(clock);
    const k = requestKey('deregistration', ph, 1);
    const timedOut = t.expect(k, 100).catch((e: unknown) => e);
    const ac = new AbortController();
    const aborted = t.expect(k, 1000, ac.signal).catch((e: unknown) => e);
    const failed = t.expect(k, 1000).catch((e: unknown) => e);
    clock.advance(100);
    ac.abort();
    t.failAll(new ClosedError());
    expect(await timedOut).toBeInstanceOf(TimeoutError);
    expect(await aborted).toBeInstanceOf(AbortError);
    expect(await failed).toBeInstanceOf(ClosedError);
    expect(t.size).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
