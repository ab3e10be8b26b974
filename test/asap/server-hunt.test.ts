import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { RegistrarTable } from '../../src/asap/registrar-table.js';
import { huntRegistrar } from '../../src/asap/server-hunt.js';
import { NoRegistrarError, AbortError } from '../../src/errors.js';
import { fakeConnect, type FakeBehaviour } from './fake-transport.js';

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Advances fake time in steps, letting promise callbacks run in between. */
async function advance(clock: FakeClock, ms: number, step = 50): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    await flush();
  }
}

function setup(behaviour: (port: number) => FakeBehaviour, ports: number[]) {
  const clock = new FakeClock();
  const table = new RegistrarTable({ clock });
  for (const port of ports) table.addStatic({ address: '127.0.0.1', port });
  const fc = fakeConnect((r) => behaviour(r.port), (fn, ms) => clock.setTimeout(fn, ms));
  return { clock, table, ...fc };
}

describe('server hunt', () => {
  it('tries registrars in parallel and keeps the first that answers', async () => {
    const s = setup((port) => (port === 1 ? { kind: 'ok', delay: 300 } : port === 2 ? { kind: 'ok', delay: 100 } : { kind: 'silent' }), [1, 2, 3]);
    const p = huntRegistrar({ table: s.table, connect: s.connect, clock: s.clock });
    await advance(s.clock, 500);
    const r = await p;
    expect(r.entry.address.port).toBe(2);
    expect(s.calls).toHaveLength(3);
    // The losers were cancelled through their signal.
    expect(s.calls.filter((c) => c.remote.port !== 2).every((c) => c.options.signal?.aborted)).toBe(true);
  });

  it('retries with back-off and fails with NoRegistrarError after maxTrials', async () => {
    const s = setup(() => ({ kind: 'refuse', delay: 10 }), [1, 2]);
    let err: unknown;
    const p = huntRegistrar({ table: s.table, connect: s.connect, clock: s.clock, options: { maxTrials: 3, backoff: 100, connectTimeout: 1000 } }).catch((e: unknown) => (err = e));
    await advance(s.clock, 2000, 20);
    await p;
    expect(err).toBeInstanceOf(NoRegistrarError);
    expect((err as NoRegistrarError).code).toBe('ERR_RSP_NO_REGISTRAR');
    expect(s.calls).toHaveLength(6);
    expect((err as NoRegistrarError).attempts.length).toBe(6);
  });

  it('gives up on silent registrars after connectTimeout per trial', async () => {
    const s = setup(() => ({ kind: 'silent' }), [1]);
    let err: unknown;
    let doneAt = -1;
    const p = huntRegistrar({ table: s.table, connect: s.connect, clock: s.clock, options: { maxTrials: 2, backoff: 100, connectTimeout: 500 } }).catch((e: unknown) => {
      err = e;
      doneAt = s.clock.now();
    });
    await advance(s.clock, 3000, 25);
    await p;
    expect(err).toBeInstanceOf(NoRegistrarError);
    expect(doneAt).toBeGreaterThanOrEqual(1000);
    expect(doneAt).toBeLessThanOrEqual(1300);
    expect(s.clock.pending).toBe(0);
  });

  it('waits for an announce when the table is empty', async () => {
    const s = setup(() => ({ kind: 'ok', delay: 10 }), []);
    const p = huntRegistrar({ table: s.table, connect: s.connect, clock: s.clock, options: { connectTimeout: 1000 } });
    await advance(s.clock, 300);
    s.table.handleAnnounce(7, [{ address: '127.0.0.1', port: 9 }]);
    await advance(s.clock, 100);
    const r = await p;
    expect(r.entry.serverId).toBe(7);
  });

  it('says so when no registrar is known at all', async () => {
    const s = setup(() => ({ kind: 'ok', delay: 10 }), []);
    let err: unknown;
    const p = huntRegistrar({ table: s.table, connect: s.connect, clock: s.clock, options: { connectTimeout: 100, maxTrials: 2, backoff: 10 } }).catch((e: unknown) => (err = e));
    await advance(s.clock, 400, 10);
    await p;
    expect(err).toBeInstanceOf(NoRegistrarError);
    expect((err as Error).message).toMatch(/No registrar known/);
  });

  it('rejects with AbortError when the signal aborts', async () => {
    const s = setup(() => ({ kind: 'silent' }), [1]);
    const ac = new AbortController();
    let err: unknown;
    const p = huntRegistrar({ table: s.table, connect: s.connect, clock: s.clock, signal: ac.signal }).catch((e: unknown) => (err = e));
    await advance(s.clock, 100);
    ac.abort();
    await p;
    expect(err).toBeInstanceOf(AbortError);
  });
});
