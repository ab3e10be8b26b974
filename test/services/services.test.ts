/**
 * Each service over an in-memory session pair: behaviour, cookies, close.
 */
import { describe, expect, it } from 'vitest';
import {
  chargenLine,
  createChargenService,
  createMemorySessionPair,
  decodePingPongCookie,
  decodePong,
  discardStats,
  encodePingPongCookie,
  getService,
  pingpongService,
  runPingPong,
  SERVICE_NAMES,
  serve,
  type ServiceSession,
} from '../../src/services/index.js';
import { seal } from '../../src/session/cookie.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const KEY = 'a pool-wide secret of enough length';

describe('services', () => {
  it('registry knows every service and refuses unknown names', () => {
    expect(SERVICE_NAMES).toEqual(['echo', 'discard', 'daytime', 'chargen', 'pingpong', 'calcapp', 'fractal']);
    for (const n of SERVICE_NAMES) expect(getService(n).name).toBe(n);
    expect(() => getService('nope')).toThrow(/Unknown service/);
  });

  it('echo returns every message with its ppid and stream, and ends when the user closes', async () => {
    const { service, user } = createMemorySessionPair();
    const done = getService('echo').handle(service);
    user.send('hello', { ppid: 77, stream: 2 });
    user.send(new Uint8Array([1, 2, 3]));
    const a = await user.recv();
    expect(text(a!.data)).toBe('hello');
    expect(a!.ppid).toBe(77);
    expect(a!.stream).toBe(2);
    expect([...(await user.recv())!.data]).toEqual([1, 2, 3]);
    user.close();
    await done;
    expect(user.closedByService).toBe(true);
  });

  it('discard counts and sends nothing', async () => {
    const { service, user } = createMemorySessionPair();
    const before = { ...discardStats };
    const done = getService('discard').handle(service);
    user.send('12345');
    user.send('678');
    user.close();
    await done;
    expect(discardStats.messages - before.messages).toBe(2);
    expect(discardStats.bytes - before.bytes).toBe(8);
    expect(await user.recv()).toBeNull();
  });

  it('daytime sends the time at start and per message', async () => {
    const { service, user } = createMemorySessionPair();
    const done = getService('daytime').handle(service);
    const first = text((await user.recv())!.data);
    expect(first).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z .+\n$/);
    user.send('again');
    expect(text((await user.recv())!.data)).toMatch(/^\d{4}-/);
    user.close();
    await done;
  });

  it('chargen streams rotating 72-character lines until the user closes', async () => {
    expect(chargenLine(0)).toHaveLength(74);
    expect(chargenLine(0).slice(1, 2)).toBe(chargenLine(1).slice(0, 1));
    const { service, user } = createMemorySessionPair();
    const done = getService('chargen').handle(service);
    const lines: string[] = [];
    for (let i = 0; i < 5; i++) lines.push(text((await user.recv())!.data));
    expect(lines).toEqual([0, 1, 2, 3, 4].map(chargenLine));
    user.close();
    await done;
  });

  it('chargen with a message limit ends the session itself', async () => {
    const { service, user } = createMemorySessionPair();
    await createChargenService({ linesPerMessage: 2, maxMessages: 3 }).handle(service);
    const got: string[] = [];
    for (let m = await user.recv(); m !== null; m = await user.recv()) got.push(text(m.data));
    expect(got).toHaveLength(3);
    expect(got[1]).toBe(chargenLine(2) + chargenLine(3));
  });

  it('pingpong counts, sends each reply before its cookie, and answers a repeated request without counting', async () => {
    const { service, user } = createMemorySessionPair();
    const done = pingpongService.handle(service, { name: 'pe1' });
    const cookiesSoon = async (n: number): Promise<void> => {
      for (let i = 0; i < 100 && user.cookies.length < n; i++) await new Promise((r) => setImmediate(r));
      expect(user.cookies).toHaveLength(n);
    };
    user.send('ping 1');
    expect(decodePong((await user.recv())!.data)).toEqual({ counter: 1, seq: 1, pe: 'pe1' });
    // Reply first: a PE that dies between the two has delivered the reply; the cookie follows.
    expect(user.cookies).toHaveLength(0);
    await cookiesSoon(1);
    user.send('ping 2');
    expect(decodePong((await user.recv())!.data)?.counter).toBe(2);
    await cookiesSoon(2);
    user.send('ping 2'); // re-sent after a lost reply
    expect(decodePong((await user.recv())!.data)?.counter).toBe(2);
    await new Promise((r) => setImmediate(r));
    expect(user.cookies).toHaveLength(2);
    user.send('anything');
    expect(text((await user.recv())!.data)).toBe('pong 3 seq=- pe=pe1');
    await cookiesSoon(3);
    for (const c of user.cookies) expect(c.length % 4).toBe(0);
    expect(decodePingPongCookie(user.cookies.at(-1)!)).toEqual({ counter: 3 });
    user.close();
    await done;
  });

  it('pingpong resumes from an echoed cookie (plain and sealed)', async () => {
    for (const key of [undefined, KEY]) {
      const { service, user } = createMemorySessionPair(encodePingPongCookie({ counter: 41, seq: 9 }, key));
      const done = pingpongService.handle(service, key ? { cookieKey: key } : {});
      user.send('ping 9'); // the request the old PE counted but whose reply was lost
      expect(decodePong((await user.recv())!.data)?.counter).toBe(41);
      user.send('ping 10');
      expect(decodePong((await user.recv())!.data)?.counter).toBe(42);
      for (let i = 0; i < 100 && user.cookies.length < 1; i++) await new Promise((r) => setImmediate(r));
      if (key) expect(decodePingPongCookie(user.cookies.at(-1)!, key)).toEqual({ counter: 42, seq: 10 });
      user.close();
      await done;
    }
  });

  it('pingpong refuses a forged or tampered sealed cookie', async () => {
    const logs: string[] = [];
    const forged = seal({ counter: 1000 }, 'another secret of enough length');
    const { service, user } = createMemorySessionPair(forged);
    await pingpongService.handle(service, { cookieKey: KEY, log: (l) => logs.push(l) });
    expect(user.closedByService).toBe(true);
    expect(logs.join('\n')).toMatch(/refused/);
    const good = encodePingPongCookie({ counter: 5 }, KEY);
    good[20] = good[20]! ^ 1;
    const pair = createMemorySessionPair(good);
    await pingpongService.handle(pair.service, { cookieKey: KEY });
    expect(pair.user.closedByService).toBe(true);
    // A plain cookie where a sealed one is required is refused too.
    const plain = createMemorySessionPair(encodePingPongCookie({ counter: 5 }));
    await pingpongService.handle(plain.service, { cookieKey: KEY });
    expect(plain.user.closedByService).toBe(true);
  });

  it('services close their session when the context signal aborts', async () => {
    const { service, user } = createMemorySessionPair();
    const controller = new AbortController();
    const done = getService('echo').handle(service, { signal: controller.signal });
    controller.abort();
    await done;
    expect(user.closedByService).toBe(true);
  });

  it('serve handles sessions concurrently until the acceptor ends', async () => {
    const queue: Array<ServiceSession | null> = [];
    let wake: (() => void) | undefined;
    const incoming = {
      push: (s: ServiceSession | null) => {
        queue.push(s);
        wake?.();
      },
      end: () => incoming.push(null),
    };
    const accept = async (): Promise<ServiceSession | null> => {
      while (queue.length === 0) await new Promise<void>((r) => (wake = r));
      return queue.shift()!;
    };
    const h = serve({ accept }, getService('echo'));
    const a = createMemorySessionPair();
    const b = createMemorySessionPair();
    incoming.push(a.service);
    incoming.push(b.service);
    b.user.send('b');
    a.user.send('a');
    expect(text((await b.user.recv())!.data)).toBe('b');
    expect(text((await a.user.recv())!.data)).toBe('a');
    a.user.close();
    b.user.close();
    incoming.end();
    await h.done;
    expect(h.stats).toEqual({ sessions: 2, active: 0, errors: 0 });
  });

  it('the pingpong client re-sends an unanswered request and checks continuity', async () => {
    const { service, user } = createMemorySessionPair();
    const done = pingpongService.handle(service);
    // The first "ping 1" is lost on its way (as with a PE that died with it).
    let dropped = false;
    const session = {
      send: (d: string) => {
        if (!dropped) {
          dropped = true;
          return Promise.resolve();
        }
        user.send(d);
        return Promise.resolve();
      },
      recv: (o?: { signal?: AbortSignal }) => user.recv(o),
    };
    const replies: number[] = [];
    const summary = await runPingPong(session, { interval: 1, count: 4, replyTimeout: 50, onReply: (r) => replies.push(r.counter) });
    expect(replies).toEqual([1, 2, 3, 4]);
    expect(summary).toMatchObject({ replies: 4, gaps: 0, repeats: 0, resends: 1, lastCounter: 4, end: 'count' });
    user.close();
    await done;
  });
});
