/**
 * A pool element over TLS accepts only registrars whose certificate
 * identity matches its patterns (`tls.registrarNames` in the library,
 * `rsp server --tls-registrar` on the command line): a registrar with a
 * valid certificate from the same CA but another name serves it nothing.
 * Real registrars on loopback; certificates made at run time with openssl.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as rsp from '../../src/index.js';
import { Registrar } from '../../src/registrar/registrar.js';
import { createTestPki, opensslUnavailableReason, type Cert, type TestPki } from '../helpers/certs.js';
import { killAll, requireBuild, rsp as run } from '../fixtures/cli-helpers.js';

const reason = opensslUnavailableReason();
if (reason) console.log(`[skip] TLS registrar identity tests: ${reason}`);

describe.skipIf(reason !== undefined)('PE accepts only registrars with a matching certificate identity', () => {
  let pki: TestPki;
  const cleanups: Array<() => Promise<unknown>> = [];
  beforeAll(() => {
    pki = createTestPki();
  });
  afterEach(async () => {
    killAll();
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });
  afterAll(() => pki?.destroy());

  async function registrar(cert: Cert, id: number): Promise<{ r: Registrar; address: string }> {
    const r = new Registrar({ asap: ['127.0.0.1:0'], announce: false, minAddressScope: 'loopback', registrarId: id, tls: { cert: cert.cert, key: cert.key, ca: pki.ca } });
    await r.start();
    cleanups.push(() => r.close());
    return { r, address: `127.0.0.1:${r.addresses[0]!.port}` };
  }

  it('library: tls.registrarNames refuses a registrar of another name, registers at a matching one', async () => {
    const good = await registrar(pki.issue('registrar-good'), 0x600d);
    const other = await registrar(pki.issue('pe-echo-7'), 0xbad);
    const pe = pki.issue('pe-echo-1');
    const tls = { cert: pe.cert, key: pe.key, ca: pki.ca, registrarNames: ['registrar-*'] };

    const refused = rsp.createInstance({ registrars: [other.address], env: {}, requestTimeout: 1000, requestMaxTrials: 1, tls });
    cleanups.push(() => refused.close());
    await expect(refused.register('EchoPool', { port: 7 })).rejects.toThrow();
    expect(other.r.stats.registrations).toBe(0);
    expect(other.r.stats.pes).toBe(0);

    const accepted = rsp.createInstance({ registrars: [good.address], env: {}, tls });
    cleanups.push(() => accepted.close());
    await accepted.register('EchoPool', { port: 7 });
    expect(good.r.stats.pes).toBe(1);
  });

  it('rsp server --tls-registrar: registers at the matching registrar only', { timeout: 30_000 }, async () => {
    requireBuild();
    const good = await registrar(pki.issue('registrar-good'), 0x600d);
    const other = await registrar(pki.issue('registrar-other'), 0xbad);
    const pe = pki.issue('pe-echo-2');
    const tlsArgs = ['--tls-cert', pe.certFile, '--tls-key', pe.keyFile, '--tls-ca', pki.caFile];
    const server = run(['server', '--service', 'echo', '--pool', 'EchoPool', '--registrar', other.address, '--registrar', good.address, '--tls-registrar', 'registrar-good', '--quiet', ...tlsArgs]);
    const line = await server.wait((l) => l.startsWith('registered PE'), 25_000);
    expect(line).toMatch(/in pool EchoPool/);
    expect(good.r.stats.pes).toBe(1);
    expect(other.r.stats.registrations).toBe(0);
    expect(other.r.stats.pes).toBe(0);
  });

  it('rsp server --tls-registrar without TLS, or with an empty pattern, is a usage error', async () => {
    requireBuild();
    const noTls = run(['server', '--service', 'echo', '--pool', 'P', '--registrar', '127.0.0.1:1', '--tls-registrar', 'registrar-*']);
    expect(await noTls.exited).toBe(2);
    expect(noTls.stderr.join('\n')).toMatch(/--tls-registrar needs --tls-cert/);
    const pe = pki.issue('pe-echo-3');
    const empty = run(['server', '--service', 'echo', '--pool', 'P', '--registrar', '127.0.0.1:1', '--tls-registrar', ' ', '--tls-cert', pe.certFile, '--tls-key', pe.keyFile, '--tls-ca', pki.caFile]);
    expect(await empty.exited).toBe(2);
    expect(empty.stderr.join('\n')).toMatch(/non-empty pattern/);
  });
});
