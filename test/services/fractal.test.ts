/**
 * The Fractal Generator Protocol (facts in test/fixtures/fgp-format.md):
 * message layouts, the cookie quirk, the pool user's image split, and a
 * whole picture computed by two fractal PEs through a registrar, identical
 * to a local computation.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  createFractalService,
  fractalService,
  decodeFractalCookie,
  decodeFractalMessage,
  encodeFractalCookie,
  encodeFractalData,
  encodeFractalEnd,
  encodeFractalParameters,
  FgpError,
  fractalPoint,
  FractalPoolUser,
  rectParameters,
  serve,
  splitImage,
  createMemorySessionPair,
  type FractalParameters,
} from '../../src/services/index.js';
import { Registrar } from '../../src/registrar/registrar.js';
import { socket } from '../../src/session/enhanced-mode.js';

const params: FractalParameters = { width: 400, height: 250, maxIterations: 123, algorithm: 1, c1: { re: -1.5, im: 1.5 }, c2: { re: 1.5, im: -1.5 }, n: 2 };

describe('FGP messages', () => {
  it('Parameter: 60 bytes, big-endian integers and netdoubles at their offsets', () => {
    const b = encodeFractalParameters(params);
    const v = new DataView(b.buffer);
    expect(b.length).toBe(60);
    expect([v.getUint8(0), v.getUint8(1), v.getUint16(2)]).toEqual([1, 0, 60]);
    expect([v.getUint32(4), v.getUint32(8), v.getUint32(12), v.getUint32(16)]).toEqual([400, 250, 123, 1]);
    expect(Buffer.from(b.subarray(20, 28)).toString('hex')).toBe('bff8000000000000'); // -1.5
    expect([v.getFloat64(28), v.getFloat64(36), v.getFloat64(44), v.getFloat64(52)]).toEqual([1.5, 1.5, -1.5, 2]);
    expect(decodeFractalMessage(b)).toEqual({ type: 'parameter', parameters: params });
    const big = encodeFractalParameters({ ...params, width: 65537 });
    expect(() => decodeFractalMessage(big)).toThrow(FgpError);
    expect(() => decodeFractalMessage(encodeFractalParameters({ ...params, maxIterations: 1_000_001 }))).toThrow(FgpError);
    expect(() => decodeFractalMessage(b.subarray(0, 59))).toThrow(FgpError);
  });

  it('Data: 16 + 4·P bytes, at most 324 points, and the end marker', () => {
    const d = encodeFractalData(3, 4, [1, 2, 0xffffffff]);
    expect(d.length).toBe(28);
    expect(Buffer.from(d).toString('hex')).toBe('0200001c' + '00000003' + '00000004' + '00000003' + '00000001' + '00000002' + 'ffffffff');
    expect(decodeFractalMessage(d)).toEqual({ type: 'data', data: { startX: 3, startY: 4, points: Uint32Array.from([1, 2, 0xffffffff]) } });
    expect(Buffer.from(encodeFractalEnd()).toString('hex')).toBe('02000010ffffffffffffffff00000000');
    expect(decodeFractalMessage(encodeFractalEnd())).toEqual({ type: 'end' });
    expect(() => encodeFractalData(0, 0, new Array(325).fill(0))).toThrow(RangeError);
    const tooMany = encodeFractalData(0, 0, new Array(324).fill(0));
    new DataView(tooMany.buffer).setUint32(12, 325);
    expect(() => decodeFractalMessage(tooMany)).toThrow(FgpError);
    expect(() => decodeFractalMessage(d.subarray(0, 20))).toThrow(FgpError);
  });

  it('cookie: 76 bytes, <FG-TD1>, embedded Parameter with Length 4, position', () => {
    const c = encodeFractalCookie({ parameters: params, x: 17, y: 9 });
    expect(c.length).toBe(76);
    expect(Buffer.from(c.subarray(0, 8)).toString('latin1')).toBe('<FG-TD1>');
    expect(new DataView(c.buffer).getUint16(10)).toBe(4);
    expect(new DataView(c.buffer).getUint32(68)).toBe(17);
    expect(new DataView(c.buffer).getUint32(72)).toBe(9);
    expect(decodeFractalCookie(c)).toEqual({ parameters: params, x: 17, y: 9 });
    expect(() => decodeFractalCookie(c.subarray(0, 75))).toThrow(FgpError);
    const forged = Uint8Array.from(c);
    forged[1] = 0x41;
    expect(() => decodeFractalCookie(forged)).toThrow(FgpError);
    expect(() => decodeFractalCookie(encodeFractalCookie({ parameters: params, x: 400, y: 3 }))).toThrow(/outside/);
  });

  it('points: Mandelbrot with z ← z² − c, the test pattern for other algorithms', () => {
    // c = 0 (the centre of the default region) never escapes.
    expect(fractalPoint(params, 200, 125)).toBe(123);
    // A far corner escapes at once.
    expect(fractalPoint(params, 0, 0)).toBeLessThan(3);
    expect(fractalPoint({ ...params, algorithm: 7 }, 20, 30)).toBe(600 % 256);
    expect(fractalPoint({ ...params, algorithm: 2, n: 2 }, 137, 51)).toBe(fractalPoint(params, 137, 51));
  });
});

describe('image split', () => {
  it('follows the reference: 4 → 2 + 2, 5 → 2 + 3, 8 → 2 + 6, and covers every pixel', () => {
    const rows = (t: number): number[] => {
      const r = splitImage(401, 251, t);
      return [...new Set(r.map((x) => x.y))].map((y) => r.filter((x) => x.y === y).length);
    };
    expect(rows(1)).toEqual([1]);
    expect(rows(4)).toEqual([2, 2]);
    expect(rows(5)).toEqual([2, 3]);
    expect(rows(8)).toEqual([2, 6]);
    for (const t of [1, 2, 3, 4, 5, 7, 8, 9, 13, 100]) {
      const covered = new Uint8Array(401 * 251);
      for (const r of splitImage(401, 251, t)) for (let y = r.y; y < r.y + r.height; y++) for (let x = r.x; x < r.x + r.width; x++) covered[y * 401 + x]!++;
      expect(covered.every((c) => c === 1)).toBe(true);
    }
  });

  it('gives each rectangle the corners of its part of the region', () => {
    const img = { ...params, sessions: 4 };
    const [r0, , , r3] = splitImage(400, 250, 4);
    expect(rectParameters(img, r0!)).toMatchObject({ width: 200, height: 125, c1: { re: -1.5, im: 1.5 }, c2: { re: 0, im: 0 } });
    expect(rectParameters(img, r3!)).toMatchObject({ width: 200, height: 125, c1: { re: 0, im: 0 }, c2: { re: 1.5, im: -1.5 } });
  });
});

describe('fractal PEs and pool user through a registrar', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  it('computes every pixel of the picture, equal to a local computation, split over two PEs', { timeout: 60_000 }, async () => {
    const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false });
    await registrar.start();
    cleanups.push(() => registrar.close());
    const address = `127.0.0.1:${registrar.addresses[0]!.port}`;
    const peIds: number[] = [];
    for (let i = 0; i < 2; i++) {
      const pe = socket({ registrars: [address] });
      pe.on('error', () => undefined);
      await pe.register('FractalTestPool');
      peIds.push(pe.peId!);
      const stop = new AbortController();
      const handle = serve(pe, createFractalService({ cookieMaxTime: 100 }), { signal: stop.signal });
      cleanups.push(async () => {
        stop.abort();
        await pe.close();
        await handle.done;
      });
    }
    const image = { width: 120, height: 80, maxIterations: 60, sessions: 5 };
    const user = new FractalPoolUser(image, { pool: 'FractalTestPool', session: { registrars: [address] } });
    const done: number[] = [];
    user.on('done', (i) => done.push(i));
    await user.run();
    expect(done.sort()).toEqual([0, 1, 2, 3, 4]);
    expect(user.progress).toBe(120 * 80);
    expect(user.failovers).toBe(0);
    const local = { ...user.image };
    for (const [i, r] of user.rects.entries()) {
      const p = rectParameters(local, r);
      for (let y = 0; y < r.height; y++) for (let x = 0; x < r.width; x++) expect(user.values[(r.y + y) * 120 + r.x + x], `rect ${i} (${x}, ${y})`).toBe(fractalPoint(p, x, y));
    }
    expect(new Set(user.owners)).toEqual(new Set(peIds.filter((id) => user.owners.includes(id))));
    expect(user.owners.every((o) => peIds.includes(o))).toBe(true);
  });
});

describe('fractal pool user failover without a cookie', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  it('sends the Parameter message again to the next PE, which computes the whole rectangle', { timeout: 60_000 }, async () => {
    const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false });
    await registrar.start();
    cleanups.push(() => registrar.close());
    const address = `127.0.0.1:${registrar.addresses[0]!.port}`;
    const start = async (service: Parameters<typeof serve>[1]): Promise<number> => {
      const pe = socket({ registrars: [address] });
      pe.on('error', () => undefined);
      await pe.register('FractalNoCookie');
      const stop = new AbortController();
      const handle = serve(pe, service, { signal: stop.signal });
      cleanups.push(async () => {
        stop.abort();
        await pe.close();
        await handle.done;
      });
      return pe.peId!;
    };
    // A PE that answers the Parameter message with a few points and no cookie, then goes away.
    let release: () => void = () => undefined;
    const released = new Promise<void>((r) => (release = r));
    const forgetful = await start({
      name: 'forgetful',
      description: 'sends points without a cookie, then closes',
      async handle(session) {
        await session.recv();
        await session.send(encodeFractalData(0, 0, [1, 2, 3]), { ppid: 32 });
        await released;
        await session.close();
      },
    });
    const user = new FractalPoolUser({ width: 64, height: 64, maxIterations: 20, sessions: 1 }, { pool: 'FractalNoCookie', session: { registrars: [address] } });
    const failovers: { cookieEchoed: boolean; from: number }[] = [];
    user.on('failover', (f) => failovers.push(f));
    let real = 0;
    user.once('points', () => {
      void start(createFractalService()).then((id) => {
        real = id;
        release();
      });
    });
    await user.run();
    expect(failovers).toEqual([expect.objectContaining({ from: forgetful, cookieEchoed: false })]);
    expect(user.progress).toBe(64 * 64);
    expect(user.owners.every((o) => o === real)).toBe(true);
    const p = rectParameters(user.image, user.rects[0]!);
    expect(user.values[64 * 10 + 5]).toBe(fractalPoint(p, 5, 10));
  });
});

describe('fractal PE limits', () => {
  it('ends a session whose request is more work than the PE accepts, and serves one within the cap', async () => {
    const small: FractalParameters = { ...params, width: 64, height: 64, maxIterations: 20 };
    const run = async (maxWork: number, p: FractalParameters): Promise<{ log: string[]; closed: boolean; first: number | undefined }> => {
      const { service, user } = createMemorySessionPair();
      const log: string[] = [];
      const done = createFractalService({ maxWork }).handle(service, { log: (l) => log.push(l) });
      user.send(encodeFractalParameters(p), { ppid: 32 });
      const first = await user.recv();
      user.close();
      await done;
      return { log, closed: user.closedByService, first: first === null ? undefined : decodeFractalMessage(first.data).type === 'data' ? 1 : 0 };
    };
    const refused = await run(64 * 64 * 20 - 1, small);
    expect(refused.first).toBeUndefined();
    expect(refused.closed).toBe(true);
    expect(refused.log.join('\n')).toMatch(/more work than this PE accepts/);
    const served = await run(64 * 64 * 20, small);
    expect(served.first).toBe(1);
    // The default cap refuses the largest image the protocol can describe at the most iterations.
    const huge = await run(Number.NaN, { ...params, width: 65536, height: 65536, maxIterations: 1_000_000 }).catch((e: unknown) => e);
    expect(String(huge)).toMatch(/maxWork must be a positive number/);
    const { service, user } = createMemorySessionPair();
    const done = fractalService.handle(service, {});
    user.send(encodeFractalParameters({ ...params, width: 65536, height: 65536, maxIterations: 1_000_000 }), { ppid: 32 });
    expect(await user.recv()).toBeNull();
    await done;
  });

  it('lets the event loop turn while it computes a deep region, so other sessions are not kept waiting', async () => {
    // 18 × 18 = 324 points (one Data message) inside the set: each takes all 100,000 iterations.
    const deep: FractalParameters = { ...params, width: 18, height: 18, maxIterations: 100_000, c1: { re: -0.1, im: 0.1 }, c2: { re: 0.1, im: -0.1 } };
    expect(fractalPoint(deep, 9, 9)).toBe(100_000);
    const { service, user } = createMemorySessionPair();
    const done = createFractalService().handle(service, {});
    let turns = 0;
    let counting = true;
    const tick = (): void => {
      turns++;
      if (counting) setImmediate(tick);
    };
    user.send(encodeFractalParameters(deep), { ppid: 32 });
    setImmediate(tick);
    const first = await user.recv();
    counting = false;
    expect(decodeFractalMessage(first!.data).type).toBe('data');
    // 32,400,000 iterations before the first Data message: at least one turn per 2,000,000.
    expect(turns).toBeGreaterThanOrEqual(15);
    user.close();
    await done;
  });
});
