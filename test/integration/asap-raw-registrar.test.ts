/**
 * The ASAP instance against a scripted raw registrar over real
 * SCTP-over-UDP on loopback: registration, re-registration, keep-alive acks,
 * takeover by a registrar that connects with H=1, handle resolution with
 * and without cache, failure reports, refusals, and no registrar at all.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AsapInstance } from '../../src/asap/asap-instance.js';
import { NoRegistrarError, PoolNotFoundError, RegistrationRefusedError } from '../../src/errors.js';
import { loadFromFraction } from '../../src/wire/types.js';
import { RawRegistrar } from '../fixtures/asap-raw-registrar.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function registrar(id?: number): Promise<RawRegistrar> {
  const r = await RawRegistrar.start(id);
  cleanups.push(() => r.close());
  return r;
}

function instance(registrars: string[], extra: ConstructorParameters<typeof AsapInstance>[0] = {}): AsapInstance {
  const i = new AsapInstance({ registrars, env: {}, ...extra });
  cleanups.push(() => i.close());
  return i;
}

describe('ASAP instance against a raw registrar', () => {
  it('registers a PE with its user transport on the registrar association local address', async () => {
    const r = await registrar();
    const pe = instance([r.address]);
    const reg = await pe.register('EchoPool', { port: 7000, policy: { type: 'least-used', load: 0.25 } });
    expect(reg.peId).toBeGreaterThan(0);
    const stored = r.pes.get(`EchoPool/${reg.peId}`)!;
    expect(stored.pe.userTransport).toMatchObject({ protocol: 'sctp', port: 7000, addresses: ['127.0.0.1'] });
    expect(stored.pe.policy).toEqual({ type: 'least-used', load: loadFromFraction(0.25) });
    expect(stored.pe.registrationLife).toBe(90_000);
    await reg.update({ load: 0.75 });
    expect(r.pes.get(`EchoPool/${reg.peId}`)!.pe.policy).toEqual({ type: 'least-used', load: loadFromFraction(0.75) });
    await reg.deregister();
    expect(r.pes.size).toBe(0);
  });

  it('picks a port when none is given', async () => {
    const r = await registrar();
    const pe = instance([r.address]);
    const reg = await pe.register('P');
    expect(reg.port).toBeGreaterThan(0);
    expect(r.pes.get(`P/${reg.peId}`)!.pe.userTransport.port).toBe(reg.port);
  });

  it('re-registers periodically', async () => {
    const r = await registrar();
    const pe = instance([r.address], { reregistrationInterval: 150 });
    const reg = await pe.register('P', { port: 1234 });
    let n = 0;
    reg.on('reregistered', () => n++);
    const end = Date.now() + 10_000;
    while (n < 3 && Date.now() < end) await new Promise((res) => setTimeout(res, 20));
    expect(n).toBeGreaterThanOrEqual(3);
    expect(r.received.filter((m) => m.type === 'registration').length).toBeGreaterThanOrEqual(4);
  });

  it('answers keep-alives with and without PE id and learns the home registrar id', async () => {
    const r = await registrar(0xabcdef01);
    const pe = instance([r.address]);
    const a = await pe.register('P', { port: 1 });
    const b = await pe.register('P', { port: 2 });
    r.keepAlive('P', a.peId);
    await r.waitFor((m) => m.type === 'endpoint-keep-alive-ack' && m.peId === a.peId);
    expect(pe.homeRegistrarId).toBe(0xabcdef01);
    r.keepAlive('P', a.peId, { withPeId: false });
    await r.waitFor((m) => m.type === 'endpoint-keep-alive-ack' && m.peId === b.peId);
  });

  it('adopts a registrar that connects to the PE with a keep-alive H=1', async () => {
    const r1 = await registrar(1);
    const r2 = await registrar(2);
    const pe = instance([r1.address]);
    const reg = await pe.register('P', { port: 1 });
    const changes: Array<[number, number, string]> = [];
    reg.on('registrarChanged', (i) => changes.push([i.previousRegistrarId, i.homeRegistrarId, i.reason]));
    r1.keepAlive('P', reg.peId);
    await r1.waitFor((m) => m.type === 'endpoint-keep-alive-ack');
    const asapTransport = [...r1.associations][0]!.remote;
    expect(asapTransport.port).toBe(pe.localEndpoint!.port);
    // H=0 from a stranger on a new association: ignored.
    await r2.takeover(asapTransport, 'P', reg.peId, false);
    await new Promise((res) => setTimeout(res, 200));
    expect(r2.received.some((m) => m.type === 'endpoint-keep-alive-ack')).toBe(false);
    // H=1 while the home registrar answers: refused (it could be anyone claiming a takeover).
    // Once the home registrar is gone, the same keep-alive is adopted and acked.
    await r1.close();
    await r2.takeover(asapTransport, 'P', reg.peId, true);
    await r2.waitFor((m) => m.type === 'endpoint-keep-alive-ack' && m.peId === reg.peId);
    expect(pe.homeRegistrarId).toBe(2);
    expect(changes).toEqual([[1, 2, 'keep-alive']]);
    // Later registrations go to the new home.
    await reg.update({ load: 0.5 });
    expect(r2.received.some((m) => m.type === 'registration')).toBe(true);
  });

  it('resolves with and without the cache and reports failures', async () => {
    const r = await registrar();
    const pe = instance([r.address]);
    const regs = [];
    for (const load of [0.5, 0.1, 0.9]) regs.push(await pe.register('LU', { port: 1000 + Math.round(load * 10), policy: { type: 'least-used', load } }));
    const pu = instance([r.address]);
    const list = await pu.resolve('LU', { cache: false });
    expect(list.map((p) => p.policy.load)).toEqual([0.1, 0.5, 0.9].map((f) => loadFromFraction(f) / 0xffffffff));
    expect(list[0]!.addresses).toEqual([{ address: '127.0.0.1', port: 1001 }]);
    const one = await pu.resolve('LU', { items: 1, cache: false });
    expect(one).toHaveLength(1);
    const hr = () => r.received.filter((m) => m.type === 'handle-resolution').length;
    const before = hr();
    await pu.resolve('LU');
    await pu.resolve('LU');
    expect(hr()).toBe(before + 1); // second answered from the cache
    await pu.reportFailure('LU', list[0]!.id);
    const eu = await r.waitFor((m) => m.type === 'endpoint-unreachable');
    expect(eu).toMatchObject({ peId: list[0]!.id });
    const after = await pu.resolve('LU');
    expect(after.map((p) => p.id)).not.toContain(list[0]!.id);
  });

  it('unknown pool → PoolNotFoundError', async () => {
    const r = await registrar();
    const pu = instance([r.address]);
    await expect(pu.resolve('nope')).rejects.toBeInstanceOf(PoolNotFoundError);
    await expect(pu.resolve('nope')).rejects.toMatchObject({ code: 'ERR_RSP_POOL_NOT_FOUND' });
  });

  it('refused registration → RegistrationRefusedError with the cause', async () => {
    const r = await registrar();
    r.refuseCause = 5;
    const pe = instance([r.address]);
    const err = await pe.register('P', { port: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistrationRefusedError);
    expect(err).toMatchObject({ code: 'ERR_RSP_REGISTRATION_REFUSED', causeCode: 5 });
    expect((err as Error).message).toMatch(/inconsistent pooling policy/);
  });

  it('no registrar → NoRegistrarError within the configured time', async () => {
    const r = await registrar();
    const port = r.endpoint.local.port;
    await r.close();
    const pu = instance([`127.0.0.1:${port}`], { hunt: { connectTimeout: 300, maxTrials: 2, backoff: 50 } });
    const t0 = Date.now();
    const err = await pu.resolve('P').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoRegistrarError);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('silent registrar → timeout, bounded', async () => {
    const r = await registrar();
    r.silent = true;
    const pu = instance([r.address], { requestTimeout: 200, requestMaxTrials: 2 });
    const t0 = Date.now();
    const err = await pu.resolve('P').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_RSP_TIMEOUT' });
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('aborts a request through its signal', async () => {
    const r = await registrar();
    r.silent = true;
    const pu = instance([r.address]);
    const ac = new AbortController();
    const p = pu.resolve('P', { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toMatchObject({ code: 'ERR_RSP_ABORTED' });
  });
});

describe('ASAP instance: registrar failover', () => {
  it('re-registers by itself when the registrar restarts on the same port', async () => {
    let r = await registrar(1);
    const port = r.endpoint.local.port;
    const pe = instance([r.address], { hunt: { connectTimeout: 500, backoff: 100 } });
    const reg = await pe.register('P', { port: 5 });
    const errors: Error[] = [];
    const changes: string[] = [];
    reg.on('error', (e) => errors.push(e));
    reg.on('registrarChanged', (i) => changes.push(i.reason));
    const registered = new Promise<void>((res) => reg.once('registered', () => res()));
    await r.close();
    await new Promise((res) => setTimeout(res, 300));
    r = await RawRegistrar.start(2, port);
    cleanups.push(() => r.close());
    await r.waitFor((m) => m.type === 'registration' && m.poolElement.peId === reg.peId, 15_000);
    expect(r.pes.has(`P/${reg.peId}`)).toBe(true);
    expect(changes).toContain('hunt');
    await registered; // registered again, at the new registrar
  });

  it('hunts over several registrars and uses one that answers', async () => {
    const dead = await registrar();
    const deadAddr = dead.address;
    await dead.close();
    const r = await registrar();
    const pe = instance([deadAddr, r.address]);
    const reg = await pe.register('P', { port: 5 });
    expect(r.pes.has(`P/${reg.peId}`)).toBe(true);
    expect(pe.registrar).toBe(r.address);
  });
});

describe('ASAP instance: scale', () => {
  it('keeps 1,000 PEs of one instance registered', async () => {
    const r = await registrar();
    const pe = instance([r.address]);
    const regs = await Promise.all(Array.from({ length: 1000 }, (_, i) => pe.register(`pool-${i % 10}`, { port: 10_000 + i, policy: { type: 'least-used', load: (i % 100) / 100 } })));
    expect(new Set(regs.map((x) => x.peId)).size).toBe(1000);
    expect(r.pes.size).toBe(1000);
    await Promise.all(regs.map((x) => x.update({ load: 0.5 })));
    await Promise.all(regs.map((x) => x.deregister()));
    expect(r.pes.size).toBe(0);
  }, 60_000);
});

describe('ASAP instance: argument checks', () => {
  it('rejects bad arguments with InvalidArgumentError before touching the network', async () => {
    const pe = instance(['127.0.0.1:9']);
    await expect(pe.register('', {})).rejects.toMatchObject({ code: 'ERR_RSP_INVALID_ARGUMENT' });
    await expect(pe.register('x'.repeat(33), { port: 1 })).rejects.toMatchObject({ code: 'ERR_RSP_INVALID_ARGUMENT' });
    await expect(pe.register('P', { port: 70000 })).rejects.toMatchObject({ code: 'ERR_RSP_INVALID_ARGUMENT' });
    await expect(pe.register('P', { port: 1, policy: { type: 'least-used', load: 2 } })).rejects.toMatchObject({ code: 'ERR_RSP_INVALID_ARGUMENT' });
    await expect(pe.register('P', { port: 1, policy: { type: 'nope' as never } })).rejects.toMatchObject({ code: 'ERR_RSP_INVALID_ARGUMENT' });
    await expect(pe.register('P', { port: 1, peId: 0 })).rejects.toMatchObject({ code: 'ERR_RSP_INVALID_ARGUMENT' });
    await expect(pe.resolve('P', { items: 0 })).rejects.toMatchObject({ code: 'ERR_RSP_INVALID_ARGUMENT' });
    await expect(pe.reportFailure('P', 0)).rejects.toMatchObject({ code: 'ERR_RSP_INVALID_ARGUMENT' });
    expect(pe.localEndpoint).toBeUndefined();
    await pe.close();
    await expect(pe.resolve('P')).rejects.toMatchObject({ code: 'ERR_RSP_CLOSED' });
  });
});

describe('ASAP instance: IPv6', () => {
  it('registers over IPv6 loopback', async () => {
    const { createUdpEndpoint } = await import('../../src/transport/udp-endpoint.js');
    const probe = await createUdpEndpoint({ address: '::1', port: 0 }).catch(() => undefined);
    if (!probe) return; // no IPv6 on this host
    await probe.close();
    const { Registrar } = await import('../../src/registrar/registrar.js');
    const registrar = new Registrar({ asap: ['[::1]:0'], announce: false });
    await registrar.start();
    cleanups.push(() => registrar.close());
    const a = registrar.addresses[0]!;
    const pe = instance([`[${a.address}]:${a.port}`]);
    const reg = await pe.register('V6', { port: 6 });
    const [found] = await pe.resolve('V6', { cache: false });
    expect(found).toMatchObject({ id: reg.peId, addresses: [{ address: '::1', port: 6 }] });
  });
});
