/**
 * Registrars learned from ASAP Server Announces (multicast on loopback) and
 * from the RSP_REGISTRARS environment variable.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as rsp from '../../src/index.js';
import type { TransportAddress } from '../../src/transport/index.js';
import { Registrar } from '../../src/registrar/registrar.js';
import { encodeMessage } from '../../src/wire/messages.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

describe('registrars from announces and the environment', () => {
  it('finds a registrar by its multicast announces', async () => {
    const group = `239.0.0.50:${20000 + Math.floor(Math.random() * 20000)}`;
    const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: group, announceInterface: '127.0.0.1', announceInterval: 100 });
    await registrar.start();
    cleanups.push(() => registrar.close());
    const pe = rsp.createInstance({ env: {}, announce: group, announceInterface: '127.0.0.1', localAddress: '127.0.0.1' });
    cleanups.push(() => pe.close());
    const reg = await pe.register('A', { port: 5 });
    expect(registrar.handlespace.size).toBe(1);
    expect(pe.homeRegistrarId).toBe(registrar.id);
    await reg.deregister();
  });

  it('uses announces delivered through an injected listener (UDP source = registrar port)', async () => {
    const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false });
    await registrar.start();
    cleanups.push(() => registrar.close());
    const port = registrar.addresses[0]!.port;
    let deliver: ((data: Uint8Array, source: TransportAddress) => void) | undefined;
    const pu = rsp.createInstance({
      env: {},
      localAddress: '127.0.0.1',
      announceListenerFactory: async (_group, cb) => {
        deliver = cb;
        return { close: () => undefined };
      },
    });
    cleanups.push(() => pu.close());
    const p = pu.resolve('none', { cache: false }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    deliver!(encodeMessage({ protocol: 'asap', type: 'server-announce', serverId: 77, transports: [] }), { address: '127.0.0.1', port });
    expect(await p).toBeInstanceOf(rsp.PoolNotFoundError);
    expect(pu.table.list()[0]).toMatchObject({ serverId: 77, source: 'announce' });
  });

  it('reads RSP_REGISTRARS', async () => {
    const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false });
    await registrar.start();
    cleanups.push(() => registrar.close());
    const a = registrar.addresses[0]!;
    const pe = rsp.createInstance({ env: { RSP_REGISTRARS: `127.0.0.1:1, ${a.address}:${a.port}` } });
    cleanups.push(() => pe.close());
    expect(pe.table.size).toBe(2);
    const reg = await pe.register('E', { port: 5 });
    expect(registrar.handlespace.size).toBe(1);
    await reg.deregister();
  });
});
