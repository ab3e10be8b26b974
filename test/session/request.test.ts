/**
 * `session.request()`, `recv({ timeout })` and the bound of the
 * `'since-cookie'` replay log, with in-process registrar, PEs and pool
 * users over SCTP over UDP on loopback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as rsp from '../../src/index.js';
import type { ReplayMode } from '../../src/session/index.js';
import { Registrar } from '../../src/registrar/registrar.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function startRegistrar(): Promise<string> {
  const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false });
  await registrar.start();
  cleanups.push(() => registrar.close());
  const a = registrar.addresses[0]!;
  return `${a.address}:${a.port}`;
}

/** A PE that echoes each message, after `delay(body)` ms, one at a time, without cookies. */
async function echoPe(registrar: string, pool: string, delay: (body: string) => number = () => 0): Promise<rsp.PoolElementSocket> {
  const pe = rsp.socket({ registrars: [registrar] });
  await pe.register(pool);
  cleanups.push(() => pe.close());
  void (async () => {
    for await (const s of pe) {
      void (async () => {
        for await (const m of s) {
          const ms = delay(text(m.data));
          if (ms > 0) await sleep(ms);
          await s.send(m.data).catch(() => undefined);
        }
      })();
    }
  })();
  return pe;
}

async function session(registrar: string, pool: string, options: rsp.SessionOptions = {}): Promise<rsp.PoolSession> {
  const s = await rsp.connect(pool, { registrars: [registrar], ...options });
  cleanups.push(() => s.close());
  return s;
}

describe('PoolSession.request()', () => {
  it('matches pipelined replies in order', async () => {
    const reg = await startRegistrar();
    await echoPe(reg, 'ReqA');
    const s = await session(reg, 'ReqA');
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => s.request(`q${i}`)));
    expect(replies.map((r) => text(r.data))).toEqual(Array.from({ length: 50 }, (_, i) => `q${i}`));
    // Data that arrives while no request waits goes to recv().
    await s.send('plain');
    expect(text((await s.recv({ timeout: 5000 }))!.data)).toBe('plain');
  });

  it('timeout rejects with ERR_RSP_TIMEOUT; the late reply is discarded and the session stays usable', async () => {
    const reg = await startRegistrar();
    await echoPe(reg, 'ReqB', (body) => (body === 'slow' ? 300 : 0));
    const s = await session(reg, 'ReqB');
    await expect(s.request('slow', { timeout: 30 })).rejects.toMatchObject({ code: 'ERR_RSP_TIMEOUT', name: 'TimeoutError' });
    expect(text((await s.request('next', { timeout: 10_000 })).data)).toBe('next');
    expect(s.stats.repliesDiscarded).toBe(1);
    await expect(s.request('x', { timeout: -1 })).rejects.toMatchObject({ code: 'ERR_RSP_INVALID_ARGUMENT' });
  });

  it('abort rejects with ERR_RSP_ABORTED and later requests get their own replies', async () => {
    const reg = await startRegistrar();
    await echoPe(reg, 'ReqC', (body) => (body === 'slow' ? 200 : 0));
    const s = await session(reg, 'ReqC');
    const ac = new AbortController();
    const p = s.request('slow', { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await expect(p).rejects.toMatchObject({ code: 'ERR_RSP_ABORTED' });
    expect(text((await s.request('after')).data)).toBe('after');
  });

  it('an unanswered request is sent again to the next PE and answered there', async () => {
    const reg = await startRegistrar();
    const a = await echoPe(reg, 'ReqD', () => 10_000); // never answers in time
    const s = await session(reg, 'ReqD');
    const p = s.request('hello', { timeout: 20_000 });
    await sleep(50);
    await echoPe(reg, 'ReqD');
    const failover = new Promise<rsp.FailoverEvent>((r) => s.once('failover', r));
    await a.close(); // its sessions are shut down: the user fails over
    const ev = await failover;
    expect(ev.resent).toBe(1);
    expect(ev.possiblyLost).toBe(0);
    expect(text((await p).data)).toBe('hello');
  });
});

describe('PoolSession.recv({ timeout })', () => {
  it('rejects with ERR_RSP_TIMEOUT when nothing arrives, and the session stays usable', async () => {
    const reg = await startRegistrar();
    await echoPe(reg, 'RecvA');
    const s = await session(reg, 'RecvA');
    await expect(s.recv({ timeout: 30 })).rejects.toMatchObject({ code: 'ERR_RSP_TIMEOUT' });
    await s.send('x');
    expect(text((await s.recv({ timeout: 10_000 }))!.data)).toBe('x');
    const ac = new AbortController();
    ac.abort();
    await expect(s.recv({ timeout: 1000, signal: ac.signal })).rejects.toMatchObject({ code: 'ERR_RSP_ABORTED' });
  });
});

describe("replay: 'since-cookie' log bound", () => {
  it('keeps at most replayLimit messages; the oldest are dropped, counted and reported at the failover', async () => {
    const reg = await startRegistrar();
    await echoPe(reg, 'Bound'); // never sends a cookie: nothing is ever covered
    const s = await session(reg, 'Bound', { replay: 'since-cookie', replayLimit: 10 });
    for (let i = 0; i < 30; i++) expect(text((await s.request(`m${i}`)).data)).toBe(`m${i}`);
    expect(s.replayCount).toBe(10);
    expect(s.stats.replayDropped).toBe(20);
    await echoPe(reg, 'Bound');
    const failover = new Promise<rsp.FailoverEvent>((r) => s.once('failover', r));
    await s.forceFailover();
    const ev = await failover;
    expect(ev.replayDropped).toBe(20);
    expect(ev.replayed).toBe(10);
    // The ten replayed requests were answered already: their repeated replies are swallowed.
    expect(text((await s.request('fresh', { timeout: 10_000 })).data)).toBe('fresh');
    expect(s.stats.repliesDiscarded).toBe(10);
  });

  it('rejects a bad replayLimit or replay mode', async () => {
    await expect(rsp.connect('X', { replayLimit: 0, registrars: ['127.0.0.1:9'] })).rejects.toMatchObject({ code: 'ERR_RSP_INVALID_ARGUMENT' });
    await expect(rsp.connect('X', { replay: 'all' as ReplayMode, registrars: ['127.0.0.1:9'] })).rejects.toMatchObject({ code: 'ERR_RSP_INVALID_ARGUMENT' });
  });
});
