/**
 * Host names as transport addresses: looked up just before use, IP literals
 * untouched, a name that does not resolve reported with the resolver's
 * reason, and an endpoint that connects to `localhost`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createUdpEndpoint, HostNotFoundError, resolveHost, resolveTransportAddress, type Endpoint } from '../../src/transport/index.js';

const open: Endpoint[] = [];
afterEach(async () => {
  for (const e of open.splice(0)) await e.close().catch(() => undefined);
});

describe('host names', () => {
  it('leaves IP literals alone and looks names up, in the family asked for', async () => {
    expect(await resolveHost('192.0.2.1')).toBe('192.0.2.1');
    expect(await resolveHost('::1', 4)).toBe('::1'); // a literal is never rewritten
    expect(await resolveHost('localhost', 4)).toBe('127.0.0.1');
    const same = { address: '127.0.0.1', port: 1 };
    expect(await resolveTransportAddress(same)).toBe(same);
    expect(await resolveTransportAddress({ address: 'localhost', port: 9 }, 4)).toEqual({ address: '127.0.0.1', port: 9 });
  });

  it('reports a name that does not resolve, or is not a name, as HostNotFoundError with the reason', async () => {
    const e = (await resolveHost('nosuchhost.invalid').catch((x: unknown) => x)) as HostNotFoundError;
    expect(e).toBeInstanceOf(HostNotFoundError);
    expect(e.code).toBe('ERR_RSP_HOST_NOT_FOUND');
    expect(e.host).toBe('nosuchhost.invalid');
    expect(e.message).toMatch(/ENOTFOUND/);
    expect((e.cause as { code?: string }).code).toBe('ENOTFOUND');
    await expect(resolveHost('not a name!')).rejects.toThrow(/Invalid host name/);
  });

  it('an endpoint connects to localhost:PORT and refuses a name that does not resolve at once', async () => {
    const server = await createUdpEndpoint({ port: 0, listen: true });
    const client = await createUdpEndpoint();
    open.push(server, client);
    const a = await client.connect({ address: 'localhost', port: server.local.port }, { timeout: 20_000 });
    expect(a.remote).toEqual({ address: '127.0.0.1', port: server.local.port });
    await a.close();
    await expect(client.connect({ address: 'nosuchhost.invalid', port: 1 }, { timeout: 600_000 })).rejects.toBeInstanceOf(HostNotFoundError);
  });
});

describe('host names in the registrar', () => {
  it('listens on localhost:0 for ASAP and ENRP', async () => {
    const { Registrar, attachEnrp } = await import('../../src/registrar/index.js');
    const registrar = new Registrar({ asap: ['localhost:0'], announce: false });
    await registrar.start();
    try {
      expect(registrar.addresses[0]!.address).toBe('127.0.0.1');
      const enrp = await attachEnrp(registrar, { listen: { address: 'localhost', port: 0 }, multicast: false });
      expect(enrp.endpoint.local.address).toBe('127.0.0.1');
      await enrp.close();
    } finally {
      await registrar.close();
    }
  });
});
