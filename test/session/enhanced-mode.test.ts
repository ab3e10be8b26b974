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

async function startRegistrar(): Promise<string> {
  const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false });
  await registrar.start();
  cleanups.push(() => registrar.close());
  const a = registrar.addresses[0]!;
  return `${a.address}:${a.port}`;
}

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
});
