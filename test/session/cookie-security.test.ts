/**
 * Cookie replay, rollback and forward-dated cookies (RFC 5355 §3.7): each
 * used to be accepted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as rsp from '../../src/index.js';
import { Registrar } from '../../src/registrar/registrar.js';
import { cookieSealedAt, isNewerCookie, open, seal } from '../../src/session/cookie.js';

const key = 'a-shared-key-of-the-pool-0123456789';
const YEAR = 365 * 24 * 3600 * 1000;

describe('cookie binding, dates and order', () => {
  it('a cookie bound to one pool does not open for another pool, nor without its binding', () => {
    const c = seal({ n: 1 }, key, { bind: { pool: 'PoolA' } });
    expect(open(c, key, { bind: { pool: 'PoolA' } })).toEqual({ n: 1 });
    expect(() => open(c, key, { bind: { pool: 'PoolB' } })).toThrow(expect.objectContaining({ reason: 'bad-signature' }));
    expect(() => open(c, key)).toThrow(expect.objectContaining({ reason: 'wrong-binding' }));
  });

  it('a cookie bound to a session id does not open in another session', () => {
    const c = seal({ n: 1 }, key, { bind: { pool: 'P', session: 'alice' }, encrypt: true });
    expect(open(c, key, { bind: { pool: 'P', session: 'alice' } })).toEqual({ n: 1 });
    expect(() => open(c, key, { bind: { pool: 'P', session: 'mallory' } })).toThrow(rsp.CookieError);
    expect(() => open(c, key, { bind: { pool: 'P' } })).toThrow(rsp.CookieError);
  });

  it('unbound cookies are refused where a binding is required', () => {
    const c = seal({ n: 1 }, key);
    expect(open(c, key, { bind: { pool: 'P' } })).toEqual({ n: 1 });
    expect(() => open(c, key, { bind: { pool: 'P' }, requireBinding: true })).toThrow(expect.objectContaining({ reason: 'wrong-binding' }));
  });

  it('a cookie dated a year ahead is refused, small clock skew is tolerated', () => {
    const now = Date.now();
    expect(() => open(seal({ n: 1 }, key, { now: now + YEAR }), key, { now })).toThrow(expect.objectContaining({ reason: 'future' }));
    expect(open(seal({ n: 1 }, key, { now: now + 5000 }), key, { now })).toEqual({ n: 1 });
    expect(() => open(seal({ n: 1 }, key, { now: now + 5000 }), key, { now, maxClockSkew: 1000 })).toThrow(expect.objectContaining({ reason: 'future' }));
  });

  it('an older sealed cookie does not replace a newer one', () => {
    const older = seal({ n: 1 }, key, { now: 1_000_000 });
    const newer = seal({ n: 2 }, key, { now: 2_000_000, encrypt: true });
    expect(cookieSealedAt(newer)).toBe(2_000_000);
    expect(isNewerCookie(undefined, older)).toBe(true);
    expect(isNewerCookie(older, newer)).toBe(true);
    expect(isNewerCookie(newer, older)).toBe(false);
    // Opaque cookies (not sealed by this library) are not judged.
    expect(isNewerCookie(newer, new TextEncoder().encode('plain'))).toBe(true);
    expect(cookieSealedAt(new TextEncoder().encode('pingpong {"counter":1}  '))).toBeUndefined();
  });
});

describe('cookies in sessions', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  it('a pool user keeps the newest cookie when an older one arrives, and a cookie of another pool is refused', async () => {
    const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false });
    await registrar.start();
    cleanups.push(() => registrar.close());
    const reg = `127.0.0.1:${registrar.addresses[0]!.port}`;
    const a = rsp.socket({ registrars: [reg], cookieKey: key });
    await a.register('PoolA');
    cleanups.push(() => a.close());
    void (async () => {
      for await (const s of a) {
        for await (const m of s) {
          await s.sendState({ n: 2 });
          // then an older cookie of the same pool (a replay or a confused PE)
          await s.sendCookie(seal({ n: 1 }, key, { now: Date.now() - 60_000, bind: { pool: 'PoolA' } }));
          await s.send(m.data);
        }
      }
    })();
    const session = await rsp.connect('PoolA', { registrars: [reg], failoverTimeout: 1500 });
    cleanups.push(() => session.close());
    session.on('error', () => undefined);
    await session.send('x');
    await session.recv();
    const deadline = Date.now() + 5000;
    while (session.stats.cookiesReceived < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(open(session.cookie!, key, { bind: { pool: 'PoolA' } })).toEqual({ n: 2 });

    // The same key serves PoolB: a PoolA cookie echoed there is refused.
    const b = rsp.socket({ registrars: [reg], cookieKey: key });
    await b.register('PoolB');
    cleanups.push(() => b.close());
    const refused = new Promise<rsp.CookieError>((r) => b.once('cookieRefused', (e) => r(e)));
    const other = await rsp.connect('PoolB', { registrars: [reg], failoverTimeout: 1500 });
    cleanups.push(() => other.close());
    other.on('error', () => undefined);
    // Echo the PoolA cookie as the first message of a PoolB session (what a replaying PU would do).
    const { encodeCookieEcho } = await import('../../src/session/control-channel.js');
    const assoc = (other as unknown as { link?: { association: { send(d: Uint8Array, o: { ppid: number }): Promise<void> } } }).link!.association;
    await assoc.send(encodeCookieEcho(session.cookie!), { ppid: 11 });
    const err = await refused;
    expect(err.reason).toBe('bad-signature');
    expect(b.stats.cookiesRefused).toBe(1);
  });
});
