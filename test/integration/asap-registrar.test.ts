/**
 * Basic Mode PEs and PUs against the library's Registrar over real
 * SCTP-over-UDP on loopback (ephemeral ports).
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as rsp from '../../src/index.js';
import { Registrar, type RegistrarOptions } from '../../src/registrar/registrar.js';
import { RawRegistrar } from '../fixtures/asap-raw-registrar.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function startRegistrar(options: RegistrarOptions = {}): Promise<{ registrar: Registrar; address: string }> {
  const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false, ...options });
  await registrar.start();
  cleanups.push(() => registrar.close());
  const a = registrar.addresses[0]!;
  return { registrar, address: `${a.address}:${a.port}` };
}

function instance(registrars: string[], extra: rsp.AsapInstanceOptions = {}): rsp.AsapInstance {
  const i = rsp.createInstance({ registrars, env: {}, ...extra });
  cleanups.push(() => i.close());
  return i;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(pred: () => boolean | Promise<boolean>, timeout = 10_000): Promise<void> {
  const end = Date.now() + timeout;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('until: timeout');
    await sleep(20);
  }
}

describe('Basic Mode with the Registrar', () => {
  it('a PE registers and a PU resolves it (package root API)', async () => {
    const { address } = await startRegistrar();
    const reg = await rsp.register('EchoPool', { registrars: [address], port: 7000, policy: { type: 'least-used', load: 0.25 } });
    cleanups.push(() => reg.deregister());
    const pes = await rsp.resolve('EchoPool', { registrars: [address], cache: false });
    expect(pes).toHaveLength(1);
    expect(pes[0]).toMatchObject({ id: reg.peId, protocol: 'sctp', addresses: [{ address: '127.0.0.1', port: 7000 }] });
    expect(pes[0]!.policy.type).toBe('least-used');
    expect(pes[0]!.policy.load).toBeCloseTo(0.25, 6);
    await reg.deregister();
    await expect(rsp.resolve('EchoPool', { registrars: [address], cache: false })).rejects.toMatchObject({ code: 'ERR_RSP_POOL_NOT_FOUND' });
  });

  it('re-registration changes the load and least-used selection follows', async () => {
    const { address } = await startRegistrar();
    const pe = instance([address]);
    const a = await pe.register('LU', { port: 1001, policy: { type: 'least-used', load: 0.1 } });
    const b = await pe.register('LU', { port: 1002, policy: { type: 'least-used', load: 0.5 } });
    const pu = instance([address]);
    expect((await pu.resolve('LU', { items: 1, cache: false }))[0]!.id).toBe(a.peId);
    await a.update({ load: 0.9 });
    expect((await pu.resolve('LU', { items: 1, cache: false }))[0]!.id).toBe(b.peId);
    await b.update({ load: 0.95 });
    expect((await pu.resolve('LU', { items: 1, cache: false }))[0]!.id).toBe(a.peId);
  });

  it('keeps PEs registered across keep-alives (acks answered)', async () => {
    const { registrar, address } = await startRegistrar({ keepAliveInterval: 100, keepAliveTimeout: 3000 });
    const pe = instance([address]);
    const reg = await pe.register('KA', { port: 1 });
    const acks = (): number => registrar.stats.keepAliveAcks;
    await until(() => acks() >= 5);
    expect(registrar.stats.keepAliveTimeouts).toBe(0);
    expect(registrar.handlespace.find(new TextEncoder().encode('KA'), reg.peId)).toBeDefined();
    expect(pe.homeRegistrarId).toBe(registrar.id);
  });

  it('failure reports drop the PE from the PU cache at once; the registrar keeps a PE that answers keep-alives', async () => {
    const { registrar, address } = await startRegistrar({ maxBadPeReports: 3 });
    const pe = instance([address]);
    const reg = await pe.register('F', { port: 1 });
    const other = await pe.register('F', { port: 2 });
    const pu = instance([address]);
    expect((await pu.resolve('F')).map((p) => p.id).sort()).toEqual([reg.peId, other.peId].sort());
    await pu.reportFailure('F', reg.peId);
    expect((await pu.resolve('F')).map((p) => p.id)).toEqual([other.peId]); // dropped from the cache at once
    await pu.reportFailure('F', reg.peId);
    await pu.reportFailure('F', reg.peId);
    await until(() => registrar.stats.failureReports >= 3);
    // One host's reports count once (RFC 5355 §3.5; removal needs MAX-BAD-PE-REPORT hosts and a failed probe).
    const ph = new TextEncoder().encode('F');
    expect(registrar.handlespace.find(ph, reg.peId)).toBeDefined();
    expect((await pu.resolve('F', { cache: false })).map((p) => p.id).sort()).toEqual([reg.peId, other.peId].sort());
  });

  it('PEs re-register by themselves when the registrar restarts on the same port', async () => {
    const first = await startRegistrar();
    const port = first.registrar.addresses[0]!.port;
    const pe = instance([first.address], { hunt: { connectTimeout: 500, backoff: 100 } });
    const regs = await Promise.all([1, 2, 3].map((i) => pe.register('R', { port: i })));
    await first.registrar.close();
    await sleep(200);
    const second = await startRegistrar({ asap: [`127.0.0.1:${port}`], keepAliveInterval: 200 });
    const ph = new TextEncoder().encode('R');
    await until(() => regs.every((r) => second.registrar.handlespace.find(ph, r.peId) !== undefined), 15_000);
    // The new registrar's id is learned from its first keep-alive.
    await until(() => pe.homeRegistrarId === second.registrar.id);
  });

  it('a registrar that connects with a keep-alive H=1 becomes the home registrar', async () => {
    const { registrar, address } = await startRegistrar();
    const pe = instance([address]);
    const reg = await pe.register('T', { port: 3 });
    const raw = await RawRegistrar.start(0x7a4e0001);
    cleanups.push(() => raw.close());
    // A takeover happens when the home registrar is gone (a live one keeps its PEs: the PE probes it first).
    const port = pe.localEndpoint!.port;
    expect(registrar.handlespace.size).toBe(1);
    await registrar.close();
    // The new registrar reaches the PE at the local port of its old registrar association.
    await raw.takeover({ address: '127.0.0.1', port }, 'T', reg.peId, true);
    await raw.waitFor((m) => m.type === 'endpoint-keep-alive-ack' && m.peId === reg.peId);
    expect(pe.homeRegistrarId).toBe(0x7a4e0001);
    await reg.update({ load: 0.5 });
    // Every later registration goes to the new home (the PE may also re-register at once after the
    // adoption, since its old registrar was gone); the newest one carries the update.
    const regs = raw.received.filter((m) => m.type === 'registration');
    expect(regs.length).toBeGreaterThanOrEqual(1);
    expect(regs.at(-1)).toMatchObject({ poolElement: { peId: reg.peId, policy: { type: 'round-robin' } } });
  });

  it('1,000 PEs in one process', async () => {
    const { registrar, address } = await startRegistrar();
    const pe = instance([address]);
    const regs = await Promise.all(Array.from({ length: 1000 }, (_, i) => pe.register(`pool-${i % 4}`, { port: 20_000 + i, policy: { type: 'least-used', load: (i % 50) / 50 } })));
    expect(registrar.handlespace.size).toBe(1000);
    const pu = instance([address]);
    // "As many as possible" is capped at 128 by the registrar (spec §8).
    expect(await pu.resolve('pool-0', { items: Infinity, cache: false })).toHaveLength(128);
    expect(await pu.resolve('pool-1', { items: 5, cache: false })).toHaveLength(5);
    await Promise.all(regs.map((r) => r.deregister()));
    expect(registrar.handlespace.size).toBe(0);
  }, 60_000);

  it('no registrar → ERR_RSP_NO_REGISTRAR within the configured time, no hang', async () => {
    const { registrar, address } = await startRegistrar();
    await registrar.close();
    const t0 = Date.now();
    const err = await rsp.register('X', { registrars: [address], hunt: { connectTimeout: 300, maxTrials: 2, backoff: 50 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(rsp.NoRegistrarError);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('leaves no handles behind after deregister()/close()', async () => {
    const { address } = await startRegistrar();
    await sleep(50);
    // Sockets are what would keep a process alive; (the registrar in this
    // process keeps timers of its own, so timers are not counted here).
    const count = (): number => process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;
    const before = count();
    const reg = await rsp.register('H', { registrars: [address], port: 9 });
    await rsp.resolve('H', { registrars: [address] });
    await rsp.reportFailure('H', 12345, { registrars: [address] });
    expect(count()).toBeGreaterThan(before);
    await reg.deregister();
    await until(() => count() <= before, 5000);
  });
});
