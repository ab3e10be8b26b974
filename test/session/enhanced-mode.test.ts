/**
 * Enhanced Mode sessions with in-process objects: a registrar, pool-element
 * sockets and pool users in one process over SCTP-over-UDP on loopback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as rsp from '../../src/index.js';
import { Registrar } from '../../src/registrar/registrar.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

let lastRegistrar: Registrar | undefined;
async function startRegistrar(): Promise<string> {
  const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false });
  await registrar.start();
  lastRegistrar = registrar;
  cleanups.push(() => registrar.close());
  const a = registrar.addresses[0]!;
  return `${a.address}:${a.port}`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const key = 'a-shared-key-of-the-pool-0123456789';

/** An echo PE: replies with the data; with `cookies`, sends a cookie "n" before each reply. */
async function echoPe(registrar: string, pool: string, opts: rsp.SocketOptions & { tag?: string; cookies?: boolean } = {}): Promise<rsp.PoolElementSocket> {
  const pe = rsp.socket({ registrars: [registrar], ...opts });
  await pe.register(pool, { policy: 'round-robin' });
  cleanups.push(() => pe.close());
  void (async () => {
    for await (const s of pe) {
      void (async () => {
        let n = s.cookie ? Number(text(s.cookie)) : 0;
        for await (const m of s) {
          n++;
          if (opts.cookies) await s.sendCookie(new TextEncoder().encode(String(n))).catch(() => undefined);
          await s.send(opts.tag ? `${opts.tag}:${text(m.data)}` : m.data).catch(() => undefined);
        }
      })();
    }
  })();
  return pe;
}

describe('Enhanced Mode (in process)', () => {
  it('echoes over a session, with async iteration and close', async () => {
    const reg = await startRegistrar();
    await echoPe(reg, 'EchoA');
    const session = await rsp.connect('EchoA', { registrars: [reg] });
    cleanups.push(() => session.close());
    await session.send('hello');
    const m = await session.recv();
    expect(text(m!.data)).toBe('hello');
    expect(m!.ppid).toBe(rsp.DEFAULT_DATA_PPID);
    await session.send(new Uint8Array([1, 2, 3]), { stream: 1 });
    const m2 = await session.recv();
    expect([...m2!.data]).toEqual([1, 2, 3]);
    await session.close();
    expect(await session.recv()).toBeNull();
    await expect(session.send('x')).rejects.toMatchObject({ code: 'ERR_RSP_CLOSED' });
  });

  it('fails over when the PE closes, echoing the latest cookie', async () => {
    const reg = await startRegistrar();
    const a = await echoPe(reg, 'EchoB', { tag: 'A', cookies: true });
    const session = await rsp.connect('EchoB', { registrars: [reg] });
    cleanups.push(() => session.close());
    await session.send('1');
    expect(text((await session.recv())!.data)).toBe('A:1');
    await new Promise((r) => setTimeout(r, 20));
    expect(session.hasCookie).toBe(true);
    const b = await echoPe(reg, 'EchoB', { tag: 'B', cookies: true });
    const failover = new Promise<rsp.FailoverEvent>((r) => session.once('failover', r));
    await a.close();
    const ev = await failover;
    expect(ev.cookieEchoed).toBe(true);
    expect(ev.from).toBe(a.peId);
    expect(ev.to).toBe(b.peId);
    await session.send('2');
    expect(text((await session.recv())!.data)).toBe('B:2');
    expect(text(session.cookie!)).toBe('2');
  });

  it('rejects with ERR_RSP_NO_POOL_ELEMENT when the pool has no PE, within the configured time', async () => {
    const reg = await startRegistrar();
    const t0 = Date.now();
    const err = await rsp.connect('Nobody', { registrars: [reg], failoverTimeout: 600 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(rsp.NoPoolElementError);
    expect((err as rsp.RSerPoolError).code).toBe('ERR_RSP_NO_POOL_ELEMENT');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('refuses a forged or tampered cookie: session aborted, counted, never accepted', async () => {
    const reg = await startRegistrar();
    // A seals with a key the pool does not share: its cookies look like forgeries to B.
    const a = rsp.socket({ registrars: [reg], cookieKey: 'not-the-pool-key-0123456789abcdef' });
    await a.register('Forged');
    cleanups.push(() => a.close());
    void (async () => {
      for await (const s of a) {
        for await (const m of s) {
          await s.sendState({ n: 1 });
          await s.send(m.data);
        }
      }
    })();
    const session = await rsp.connect('Forged', { registrars: [reg], failoverTimeout: 1500 });
    const errors: Error[] = [];
    session.on('error', (e) => errors.push(e));
    cleanups.push(() => session.close());
    await session.send('x');
    await session.recv();
    await sleep(20);
    expect(session.hasCookie).toBe(true);
    const b = rsp.socket({ registrars: [reg], cookieKey: key });
    await b.register('Forged');
    cleanups.push(() => b.close());
    const refused = new Promise<rsp.CookieError>((r) => b.once('cookieRefused', (e) => r(e)));
    let accepted = 0;
    void (async () => {
      for await (const s of b) {
        accepted++;
        void s;
      }
    })();
    await a.close();
    const err = await refused;
    expect(err).toBeInstanceOf(rsp.CookieError);
    expect(err.reason).toBe('bad-signature');
    expect(b.stats.cookiesRefused).toBeGreaterThanOrEqual(1);
    // With no other PE the session gives up within failoverTimeout; nothing hangs.
    await expect(session.recv()).rejects.toMatchObject({ code: 'ERR_RSP_NO_POOL_ELEMENT' });
    await expect(session.send('y')).rejects.toMatchObject({ code: 'ERR_RSP_NO_POOL_ELEMENT' });
    expect(errors.some((e) => (e as rsp.RSerPoolError).code === 'ERR_RSP_NO_POOL_ELEMENT')).toBe(true);
    expect(accepted).toBe(0);
  });

  it('opens echoed sealed cookies into session.state and sets session.cookie before accept() returns', async () => {
    const reg = await startRegistrar();
    const mk = async (): Promise<{ pe: rsp.PoolElementSocket; seen: rsp.AcceptedSession[] }> => {
      const pe = rsp.socket({ registrars: [reg], cookieKey: key });
      await pe.register('Sealed');
      cleanups.push(() => pe.close());
      const seen: rsp.AcceptedSession[] = [];
      void (async () => {
        for await (const s of pe) {
          seen.push(s);
          let n = (s.state as { n: number } | undefined)?.n ?? 0;
          void (async () => {
            for await (const m of s) {
              n++;
              await s.send(`${n}:${text(m.data)}`);
              await s.sendState({ n });
            }
          })();
        }
      })();
      return { pe, seen };
    };
    const a = await mk();
    const session = await rsp.connect('Sealed', { registrars: [reg] });
    cleanups.push(() => session.close());
    for (let i = 1; i <= 3; i++) {
      await session.send('p');
      expect(await session.recv().then((m) => text(m!.data))).toBe(`${i}:p`);
    }
    await sleep(20);
    const b = await mk();
    const fo = new Promise<rsp.FailoverEvent>((r) => session.once('failover', r));
    await a.pe.close();
    await fo;
    await session.send('p');
    expect(await session.recv().then((m) => text(m!.data))).toBe('4:p');
    expect(b.seen).toHaveLength(1);
    expect(b.seen[0]!.cookie).toBeInstanceOf(Uint8Array);
    expect(b.seen[0]!.state).toEqual({ n: 3 });
    expect(b.pe.stats.cookiesEchoed).toBe(1);
    expect(a.seen[0]!.cookie).toBeUndefined();
  });

  it('PE close() deregisters and its sessions fail over', async () => {
    const reg = await startRegistrar();
    const a = await echoPe(reg, 'CloseP', { tag: 'A' });
    const session = await rsp.connect('CloseP', { registrars: [reg] });
    cleanups.push(() => session.close());
    await session.send('1');
    expect(text((await session.recv())!.data)).toBe('A:1');
    const b = await echoPe(reg, 'CloseP', { tag: 'B' });
    expect(lastRegistrar!.handlespace.size).toBe(2);
    const fo = new Promise<rsp.FailoverEvent>((r) => session.once('failover', r));
    await a.close();
    expect(lastRegistrar!.handlespace.size).toBe(1);
    const ev = await fo;
    expect(ev.reason).toBe('shutdown');
    expect(ev.to).toBe(b.peId);
    await session.send('2');
    expect(text((await session.recv())!.data)).toBe('B:2');
  });

  it('endOnShutdown: a graceful close by the PE ends the session', async () => {
    const reg = await startRegistrar();
    const pe = rsp.socket({ registrars: [reg] });
    await pe.register('Bye');
    cleanups.push(() => pe.close());
    void (async () => {
      for await (const s of pe) {
        await s.send('bye');
        await s.close();
      }
    })();
    const session = await rsp.connect('Bye', { registrars: [reg], endOnShutdown: true });
    let failovers = 0;
    session.on('failover', () => failovers++);
    const closed = new Promise<void>((r) => session.once('close', r));
    expect(text((await session.recv())!.data)).toBe('bye');
    expect(await session.recv()).toBeNull();
    await closed;
    expect(failovers).toBe(0);
  });

  it('prefers the PEs of a business card at failover', async () => {
    const reg = await startRegistrar();
    const a = rsp.socket({ registrars: [reg] });
    await a.register('Card');
    cleanups.push(() => a.close());
    const b = await echoPe(reg, 'Card', { tag: 'B' });
    const c = await echoPe(reg, 'Card', { tag: 'C' });
    const resolver = new rsp.AsapInstance({ registrars: [reg] });
    cleanups.push(() => resolver.close());
    const infos = await resolver.resolve('Card', { cache: false });
    const cInfo = infos.find((i) => i.id === c.peId)!;
    void (async () => {
      for await (const s of a) {
        await s.sendBusinessCard({ poolHandle: 'Card', poolElements: [cInfo] });
        for await (const m of s) await s.send(m.data);
      }
    })();
    for (let round = 0; round < 3; round++) {
      const session = await rsp.connect('Card', { registrars: [reg] });
      cleanups.push(() => session.close());
      if (session.poolElement!.id !== a.peId) {
        await session.close();
        continue;
      }
      const card = new Promise<rsp.BusinessCard>((r) => session.once('businessCard', r));
      expect((await card).poolElements.map((p) => p.id)).toEqual([c.peId]);
      const fo = new Promise<rsp.FailoverEvent>((r) => session.once('failover', r));
      await a.close();
      expect((await fo).to).toBe(c.peId);
      void b;
      return;
    }
    throw new Error('round robin never chose A');
  });

  it('honours AbortSignal on recv, send and connect', async () => {
    const reg = await startRegistrar();
    await echoPe(reg, 'Abort');
    const session = await rsp.connect('Abort', { registrars: [reg] });
    cleanups.push(() => session.close());
    await expect(session.recv({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ERR_RSP_ABORTED' });
    const c = new AbortController();
    const pending = session.recv({ signal: c.signal });
    c.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_RSP_ABORTED' });
    await expect(session.send('x', { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ERR_RSP_ABORTED' });
    await expect(rsp.connect('Nobody', { registrars: [reg], signal: AbortSignal.timeout(100) })).rejects.toMatchObject({ code: 'ERR_RSP_ABORTED' });
  });

  it('rejects the ASAP and ENRP PPIDs for data', async () => {
    await expect(rsp.connect('X', { registrars: ['127.0.0.1:9'], ppid: 11 })).rejects.toMatchObject({ code: 'ERR_RSP_INVALID_ARGUMENT' });
    expect(() => rsp.socket({ ppid: 12 })).toThrow(/PPID/);
  });

  it('leaves no sockets or timers behind once closed', async () => {
    const count = (): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
      return out;
    };
    const before = count();
    const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false });
    await registrar.start();
    const ra = registrar.addresses[0]!;
    const reg = `${ra.address}:${ra.port}`;
    const pe = rsp.socket({ registrars: [reg] });
    await pe.register('Leak');
    void (async () => {
      for await (const s of pe) for await (const m of s) await s.send(m.data);
    })();
    const session = await rsp.connect('Leak', { registrars: [reg] });
    await session.send('x');
    await session.recv();
    await session.close();
    await pe.close();
    await registrar.close();
    await sleep(100);
    const after = count();
    for (const k of ['UDPWRAP', 'Timeout']) expect(after[k] ?? 0, k).toBeLessThanOrEqual(before[k] ?? 0);
  });

  it("replay 'since-cookie': a request the PE never answered is re-sent after the cookie echo", async () => {
    const reg = await startRegistrar();
    // reply, then cookie; request 3 kills the session without an answer.
    const mk = async (dieAt: number): Promise<rsp.PoolElementSocket> => {
      const pe = rsp.socket({ registrars: [reg], cookieKey: key });
      await pe.register('Replay');
      cleanups.push(() => pe.close());
      void (async () => {
        for await (const s of pe) {
          let n = (s.state as { n: number } | undefined)?.n ?? 0;
          void (async () => {
            for await (const m of s) {
              if (Number(text(m.data)) === dieAt) {
                s.abort();
                return;
              }
              n++;
              await s.send(`${n}:${text(m.data)}`);
              await s.sendState({ n });
            }
          })();
        }
      })();
      return pe;
    };
    const a = await mk(3);
    const session = await rsp.connect('Replay', { registrars: [reg], replay: 'since-cookie' });
    cleanups.push(() => session.close());
    for (let i = 1; i <= 2; i++) {
      await session.send(String(i));
      expect(text((await session.recv())!.data)).toBe(`${i}:${i}`);
    }
    await sleep(20);
    const b = await mk(0);
    const fo = new Promise<rsp.FailoverEvent>((r) => session.once('failover', r));
    await session.send('3');
    const ev = await fo;
    expect(ev.from).toBe(a.peId);
    expect(ev.to).toBe(b.peId);
    expect(ev.cookieEchoed).toBe(true);
    // Unacknowledged by A (re-sent in every mode but 'none') or acknowledged and replayed: sent once more either way.
    expect(ev.resent + ev.replayed).toBe(1);
    expect(text((await session.recv())!.data)).toBe('3:3');
  });

  it('messages sent during a failover are queued and sent to the new PE after the cookie echo', async () => {
    const reg = await startRegistrar();
    await echoPe(reg, 'Queue', { tag: 'A', cookies: true });
    const session = await rsp.connect('Queue', { registrars: [reg] });
    cleanups.push(() => session.close());
    await session.send('1');
    expect(text((await session.recv())!.data)).toBe('A:1');
    await sleep(20);
    await echoPe(reg, 'Queue', { tag: 'B', cookies: true });
    const fo = new Promise<rsp.FailoverEvent>((r) => session.once('failover', r));
    const forced = session.forceFailover();
    expect(session.state).toBe('failover');
    const sent = session.send('2');
    await forced;
    await sent;
    const ev = await fo;
    expect(ev.reason).toBe('forced');
    expect(ev.resent).toBe(1);
    expect(text((await session.recv())!.data)).toBe('B:2');
    expect(text(session.cookie!)).toBe('2');
  });

  it('responseTimeout: a PE that stops answering is left for another one', async () => {
    const reg = await startRegistrar();
    const mute = rsp.socket({ registrars: [reg] });
    await mute.register('Mute');
    cleanups.push(() => mute.close());
    void (async () => {
      for await (const s of mute) void s; // accepts, never answers
    })();
    const session = await rsp.connect('Mute', { registrars: [reg], responseTimeout: 300, replay: 'since-cookie' });
    cleanups.push(() => session.close());
    const b = await echoPe(reg, 'Mute', { tag: 'B' });
    const fo = new Promise<rsp.FailoverEvent>((r) => session.once('failover', r));
    expect(session.poolElement!.id).toBe(mute.peId); // the only PE when the session opened
    await session.send('q');
    const ev = await fo;
    expect(ev.reason).toBe('response-timeout');
    expect(text((await session.recv())!.data)).toBe('B:q');
  });

  it('requireCookie: a session that does not start with a cookie echo is refused', async () => {
    const reg = await startRegistrar();
    const pe = rsp.socket({ registrars: [reg], requireCookie: true, acceptHold: 50 });
    await pe.register('Strict');
    cleanups.push(() => pe.close());
    let accepted = 0;
    void (async () => {
      for await (const s of pe) {
        accepted++;
        void s;
      }
    })();
    const session = await rsp.connect('Strict', { registrars: [reg], failoverTimeout: 800 });
    cleanups.push(() => session.close());
    await expect(session.recv()).rejects.toMatchObject({ code: 'ERR_RSP_NO_POOL_ELEMENT' });
    expect(pe.stats.sessionsWithoutCookie).toBeGreaterThanOrEqual(1);
    expect(accepted).toBe(0);
  });
});
