/**
 * Registrar over real SCTP-over-UDP on loopback, driven by a raw client made
 * of the codec and the transport.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Registrar } from '../../src/registrar/registrar.js';
import { ErrorCauseCode, type PoolElementParam } from '../../src/wire/types.js';
import { RawAsapClient } from '../fixtures/registrar-raw-client.js';

const POOL = new TextEncoder().encode('RawPool');
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function startRegistrar(options: ConstructorParameters<typeof Registrar>[0] = {}): Promise<Registrar> {
  const r = new Registrar({ asap: ['127.0.0.1:0'], announce: false, ...options });
  await r.start();
  cleanups.push(() => r.close());
  return r;
}

async function client(r: Registrar): Promise<RawAsapClient> {
  const c = await RawAsapClient.connect(r.addresses[0]!);
  cleanups.push(() => c.close());
  return c;
}

function pe(peId: number, port: number, load = 0): PoolElementParam {
  return {
    peId,
    homeRegistrarId: 0,
    registrationLife: 30_000,
    userTransport: { protocol: 'sctp', port, transportUse: 0, addresses: ['127.0.0.1'] },
    policy: { type: 'least-used', load },
  };
}

describe('registrar over SCTP on loopback (raw client)', () => {
  it('registers a PE and resolves it for a PU', async () => {
    const r = await startRegistrar();
    const peClient = await client(r);
    const resp = await peClient.request({ protocol: 'asap', type: 'registration', poolHandle: POOL, poolElement: pe(7, 9000) }, 'registration-response');
    expect(resp).toMatchObject({ rejected: false, peId: 7 });
    const pu = await client(r);
    const hrr = await pu.request({ protocol: 'asap', type: 'handle-resolution', poolHandle: POOL }, 'handle-resolution-response');
    expect(hrr).toMatchObject({ poolElements: [{ peId: 7, userTransport: { port: 9000, addresses: ['127.0.0.1'] } }] });
    expect(r.handlespace.find(POOL, 7)!.asapTransport).toMatchObject({ port: peClient.port, addresses: ['127.0.0.1'] });
  });

  it('answers keep-alives and drops the PE when the client goes silent', async () => {
    const r = await startRegistrar({ keepAliveInterval: 200, keepAliveTimeout: 300 });
    const c = await client(r);
    await c.request({ protocol: 'asap', type: 'registration', poolHandle: POOL, poolElement: pe(8, 9000) }, 'registration-response');
    const ka = await c.nextOfType('endpoint-keep-alive', 3000);
    expect(ka).toMatchObject({ serverId: r.id, peId: 8 });
    await c.send({ protocol: 'asap', type: 'endpoint-keep-alive-ack', poolHandle: POOL, peId: 8 });
    await c.nextOfType('endpoint-keep-alive', 3000);
    // Do not answer: the registrar aborts the association and removes the PE.
    const deadline = Date.now() + 5000;
    while (r.stats.pes > 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    expect(r.stats.pes).toBe(0);
    expect(r.stats.keepAliveTimeouts).toBeGreaterThanOrEqual(1);
  });

  it('refuses malformed and oversized messages and keeps serving', async () => {
    const r = await startRegistrar({ maxMessageSize: 4096 });
    const c = await client(r);
    await c.send(new Uint8Array([0x01, 0x00, 0x00, 0x40, 0xde, 0xad]));
    expect(await c.next()).toMatchObject({ type: 'error' });
    await c.send(new Uint8Array(100_000));
    expect(await c.next()).toMatchObject({ type: 'error', operationError: [{ code: ErrorCauseCode.LACK_OF_RESOURCES }] });
    await c.send(new Uint8Array([0x55, 0, 0, 4]));
    expect(await c.next()).toMatchObject({ type: 'error' });
    const resp = await c.request({ protocol: 'asap', type: 'registration', poolHandle: POOL, poolElement: pe(9, 9000) }, 'registration-response');
    expect(resp).toMatchObject({ rejected: false });
    const other = await client(r);
    const hrr = await other.request({ protocol: 'asap', type: 'handle-resolution', poolHandle: POOL }, 'handle-resolution-response');
    expect(hrr).toMatchObject({ poolElements: [{ peId: 9 }] });
    expect(r.stats.malformedMessages).toBe(2);
    expect(r.stats.oversizedMessages).toBe(1);
  });

  it('removes the PEs of a closed association', async () => {
    const r = await startRegistrar();
    const c = await client(r);
    for (let i = 1; i <= 5; i++) await c.request({ protocol: 'asap', type: 'registration', poolHandle: POOL, poolElement: pe(i, 9000) }, 'registration-response');
    expect(r.stats.pes).toBe(5);
    await c.association.close();
    const deadline = Date.now() + 5000;
    while (r.stats.pes > 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    expect(r.stats.pes).toBe(0);
  });
});
