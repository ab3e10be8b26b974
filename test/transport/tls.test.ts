/** Mutual TLS over SCTP associations (SCTP over UDP on loopback), and the cap on unfinished handshakes. */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createUdpEndpoint } from '../../src/transport/udp-endpoint.js';
import { tlsEndpoint, type TlsAssociation } from '../../src/transport/tls.js';
import { Registrar } from '../../src/registrar/registrar.js';
import { attachEnrp } from '../../src/registrar/enrp/attach.js';
import { registrarMetrics } from '../../src/observe/metrics.js';
import { Registry } from 'prom-client';
import type { Association, Endpoint } from '../../src/transport/types.js';
import { createTestPki, opensslUnavailableReason, type TestPki } from '../helpers/certs.js';

const reason = opensslUnavailableReason();
if (reason) console.log(`[skip] TLS tests: ${reason}`);

describe.skipIf(reason !== undefined)('TLS over SCTP associations', () => {
  let pki: TestPki;
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });
  afterAll(() => pki?.destroy());

  async function endpoint(): Promise<Endpoint> {
    const e = await createUdpEndpoint({ address: '127.0.0.1', port: 0, listen: true });
    cleanups.push(() => e.close());
    return e;
  }

  it('carries messages both ways between mutually authenticated peers, with the peer identity', async () => {
    pki ??= createTestPki();
    const s = pki.issue('registrar-1');
    const c = pki.issue('pe-echo-1');
    const server = tlsEndpoint(await endpoint(), { ...s, ca: pki.ca });
    const client = tlsEndpoint(await endpoint(), { ...c, ca: pki.ca });
    const accepted = new Promise<Association>((r) => server.once('association', r));
    const a = (await client.connect(server.local, { timeout: 10_000 })) as TlsAssociation;
    const b = (await accepted) as TlsAssociation;
    expect(a.peerIdentity.commonName).toBe('registrar-1');
    expect(b.peerIdentity.names).toContain('pe-echo-1');
    const big = new Uint8Array(100_000).map((_, i) => i & 0xff);
    const got: { data: Uint8Array; ppid: number }[] = [];
    b.on('message', (data, info) => got.push({ data, ppid: info.ppid }));
    await a.send(new TextEncoder().encode('hello'), { ppid: 11 });
    await a.send(big, { ppid: 12 });
    const deadline = Date.now() + 10_000;
    while (got.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(got.map((g) => g.ppid)).toEqual([11, 12]);
    expect(Buffer.from(got[0]!.data).toString()).toBe('hello');
    expect(Buffer.compare(Buffer.from(got[1]!.data), Buffer.from(big))).toBe(0);
    const echoed = new Promise<Uint8Array>((r) => a.once('message', (d) => r(d)));
    await b.send(new TextEncoder().encode('back'), { ppid: 11 });
    expect(Buffer.from(await echoed).toString()).toBe('back');
    const closed = new Promise((r) => b.once('close', r));
    await a.close();
    await closed;
  });

  it('refuses a peer whose certificate is not signed by the CA, and one that is not authorised', async () => {
    pki ??= createTestPki();
    const s = pki.issue('registrar-1');
    const rogue = pki.issue('registrar-1', { rogue: true });
    const server = tlsEndpoint(await endpoint(), { ...s, ca: pki.ca, authorize: (id) => id.commonName.startsWith('registrar-') });
    server.on('error', () => undefined);
    let accepted = 0;
    server.on('association', () => accepted++);
    // With TLS 1.3 the client finishes its side before the server has checked the
    // client's certificate: the refusal shows as the association going away.
    const refusedBy = async (e: Endpoint): Promise<void> => {
      const a = await e.connect(server.local, { timeout: 10_000 }).catch(() => undefined);
      if (a !== undefined && a.open) await new Promise((r) => a.once('close', r));
    };
    await refusedBy(tlsEndpoint(await endpoint(), { ...rogue, ca: pki.ca }));
    await refusedBy(tlsEndpoint(await endpoint(), { ...pki.issue('pe-1'), ca: pki.ca }));
    const deadline = Date.now() + 5000;
    while (server.stats.unauthorized + server.stats.handshakeFailures < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(server.stats.handshakeFailures).toBeGreaterThanOrEqual(1);
    expect(server.stats.unauthorized).toBe(1);
    expect(accepted).toBe(0);
  });

  it('aborts a peer that speaks plain SCTP to a TLS endpoint', async () => {
    pki ??= createTestPki();
    const server = tlsEndpoint(await endpoint(), { ...pki.issue('registrar-1'), ca: pki.ca });
    server.on('error', () => undefined);
    const plain = await endpoint();
    const a = await plain.connect(server.local, { timeout: 10_000 });
    const closed = new Promise((r) => a.once('close', r));
    await a.send(new Uint8Array([1, 1, 0, 4]), { ppid: 11 });
    await closed;
    expect(server.stats.handshakeFailures).toBe(1);
  });

  it('caps unfinished handshakes per remote host and in total, refusing and counting the excess', async () => {
    pki ??= createTestPki();
    const leaf = pki.issue('registrar-1');
    const inner = await endpoint();
    expect(() => tlsEndpoint(inner, { ...leaf, ca: pki.ca, maxPendingHandshakes: 0 })).toThrow(/positive integer/);
    expect(() => tlsEndpoint(inner, { ...leaf, ca: pki.ca, maxPendingHandshakesPerHost: 1.5 })).toThrow(/positive integer/);
    const server = tlsEndpoint(inner, { ...leaf, ca: pki.ca, maxPendingHandshakes: 3, maxPendingHandshakesPerHost: 2 });
    server.on('error', () => undefined);
    const at = async (address: string): Promise<Endpoint> => {
      const e = await createUdpEndpoint({ address, port: 0, listen: false });
      cleanups.push(() => e.close());
      return e;
    };
    const until = async (cond: () => boolean): Promise<void> => {
      const deadline = Date.now() + 5000;
      while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    };
    // Plain associations that never start their handshake, as a stranger would open them.
    const stall = async (e: Endpoint): Promise<Association> => {
      const pendingBefore = server.pendingHandshakes;
      const refusedBefore = server.stats.handshakesRefused;
      const a = await e.connect(server.local, { timeout: 10_000 });
      await until(() => server.pendingHandshakes > pendingBefore || server.stats.handshakesRefused > refusedBefore || !a.open);
      return a;
    };
    const one = await at('127.0.0.1');
    const first = await stall(one);
    const second = await stall(one);
    expect(server.pendingHandshakes).toBe(2);
    // A third from the same host is refused; the endpoint does no TLS work for it.
    const third = await stall(one);
    if (third.open) await new Promise((r) => third.once('close', r));
    expect(server.stats.handshakesRefused).toBe(1);
    // Another host still gets in, up to the total.
    const other = await stall(await at('127.0.0.2'));
    expect(other.open).toBe(true);
    expect(server.pendingHandshakes).toBe(3);
    const fourth = await stall(await at('127.0.0.3'));
    if (fourth.open) await new Promise((r) => fourth.once('close', r));
    expect(server.stats.handshakesRefused).toBe(2);
    // A stalled association that goes away frees its place: a real client completes its handshake.
    first.abort();
    await until(() => server.pendingHandshakes === 2);
    expect(server.pendingHandshakes).toBe(2);
    const accepted = new Promise<Association>((r) => server.once('association', r));
    const client = tlsEndpoint(await endpoint(), { ...pki.issue('pe-1'), ca: pki.ca });
    const a = await client.connect(server.local, { timeout: 10_000 });
    expect(((await accepted) as TlsAssociation).peerIdentity.commonName).toBe('pe-1');
    expect(a.open).toBe(true);
    expect(server.stats.handshakesRefused).toBe(2);
    second.abort();
    other.abort();
    await until(() => server.pendingHandshakes === 0);
    expect(server.pendingHandshakes).toBe(0);
  });

  it('a registrar counts the associations its handshake cap refused (stats and metric source)', async () => {
    pki ??= createTestPki();
    const r = new Registrar({ asap: ['127.0.0.1:0'], announce: false, minAddressScope: 'loopback', tls: { ...pki.issue('registrar-1'), ca: pki.ca, maxPendingHandshakesPerHost: 1 } });
    await r.start();
    cleanups.push(() => r.close());
    const plain = await endpoint();
    const first = await plain.connect(r.addresses[0]!, { timeout: 10_000 });
    const second = await plain.connect(r.addresses[0]!, { timeout: 10_000 });
    if (second.open) await new Promise((resolve) => second.once('close', resolve));
    expect(r.stats.tlsHandshakesRefused).toBe(1);
    expect(first.open).toBe(true);
  });
  it('the ENRP endpoint counts the associations its handshake cap refused, as a metric', async () => {
    pki ??= createTestPki();
    const r = new Registrar({ asap: ['127.0.0.1:0'], announce: false, minAddressScope: 'loopback' });
    await r.start();
    cleanups.push(() => r.close());
    const enrp = await attachEnrp(r, { listen: { address: '127.0.0.1', port: 0 }, multicast: false, tls: { ...pki.issue('registrar-1'), ca: pki.ca, maxPendingHandshakesPerHost: 1 } });
    cleanups.push(() => enrp.close());
    const registry = new Registry();
    const metrics = registrarMetrics(r, registry, { enrp });
    cleanups.push(async () => metrics.close());
    const value = async (): Promise<string | undefined> => /^rserpool_enrp_tls_handshakes_refused_total (\d+)$/m.exec(await registry.metrics())?.[1];
    expect(await value()).toBe('0');
    const plain = await endpoint();
    const first = await plain.connect(enrp.endpoint.local, { timeout: 10_000 });
    const second = await plain.connect(enrp.endpoint.local, { timeout: 10_000 });
    if (second.open) await new Promise((resolve) => second.once('close', resolve));
    expect(await value()).toBe('1');
    expect(first.open).toBe(true);
  });
});
