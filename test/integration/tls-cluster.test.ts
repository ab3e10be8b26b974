/**
 * TLS mode end to end: three `rsp registrar` processes with mutual TLS on
 * ENRP and ASAP and an authorisation file, `rsp server` PEs and an
 * in-process pool user over TLS. A registrar killed with SIGKILL is taken
 * over, a PE killed is failed over; a registrar or PE without a valid
 * certificate, and a PE outside its authorised pools, are refused.
 * Certificates are made at run time with openssl (skipped without it).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as rsp from '../../src/index.js';
import type { TransportAddress } from '../../src/transport/types.js';
import { createTestPki, opensslUnavailableReason, type Cert, type TestPki } from '../helpers/certs.js';

const CLI = 'dist/cli/main.js';
const reason = opensslUnavailableReason();
if (reason) console.log(`[skip] TLS cluster test: ${reason}`);

const children: ChildProcess[] = [];
const cleanups: Array<() => Promise<unknown>> = [];
let pki: TestPki | undefined;
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  for (const p of children) {
    if (p.exitCode === null && p.signalCode === null) {
      p.kill('SIGKILL');
      await new Promise((r) => p.once('exit', r));
    }
  }
  pki?.destroy();
});

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const tlsArgs = (c: Cert, ca: string): string[] => ['--tls-cert', c.certFile, '--tls-key', c.keyFile, '--tls-ca', ca];

interface RegistrarChild {
  proc: ChildProcess;
  asap: string;
  enrp: TransportAddress;
  log: string[];
  enrpStats(): Promise<{ stats: Record<string, number>; peers: { id: number }[] }>;
}

async function registrar(cert: Cert, peers: TransportAddress[], authFile: string): Promise<RegistrarChild> {
  const args = ['registrar', '--asap', '127.0.0.1:0', '--enrp', '127.0.0.1:0', '--announce', 'off', '--min-address-scope', 'loopback', '--keep-alive-interval', '1000', '--keep-alive-timeout', '3000',
    '--peer-heartbeat-interval', '500', '--peer-max-time-last-heard', '1500', '--peer-max-time-no-response', '1000', '--takeover-expiry', '1500', '--mentor-discovery-timeout', '500',
    '--enrp-allow', '127.0.0.1', ...tlsArgs(cert, pki!.caFile), '--tls-auth', authFile, ...peers.flatMap((p) => ['--peer', `${p.address}:${p.port}`])];
  const proc = fork(CLI, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  children.push(proc);
  const log: string[] = [];
  proc.stdout!.on('data', (d: Buffer) => log.push(d.toString()));
  proc.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
  let asap: string | undefined;
  let enrp: TransportAddress | undefined;
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`registrar did not start: ${log.join('')}`)), 20_000);
    proc.on('message', (m: { event?: string; addresses?: TransportAddress[]; address?: TransportAddress }) => {
      if (m.event === 'enrp') enrp = m.address;
      if (m.event === 'listening') asap = `127.0.0.1:${m.addresses![0]!.port}`;
      if (asap && enrp) {
        clearTimeout(t);
        resolve();
      }
    });
    proc.once('exit', (code) => reject(new Error(`registrar exited with ${String(code)}: ${log.join('')}`)));
  });
  const enrpStats = (): Promise<{ stats: Record<string, number>; peers: { id: number }[] }> =>
    new Promise((resolve) => {
      const on = (m: { event?: string }): void => {
        if (m.event === 'enrp-stats') {
          proc.off('message', on);
          resolve(m as never);
        }
      };
      proc.on('message', on);
      proc.send({ cmd: 'enrp-stats' });
    });
  return { proc, asap: asap!, enrp: enrp!, log, enrpStats };
}

async function server(cert: Cert, registrars: string[], pool: string): Promise<{ proc: ChildProcess; peId: number }> {
  const proc = fork(CLI, ['server', '--service', 'echo', '--pool', pool, ...registrars.flatMap((r) => ['--registrar', r]), '--quiet', ...tlsArgs(cert, pki!.caFile)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  children.push(proc);
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  proc.stdout!.resume();
  const peId = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`PE did not register: ${err}`)), 20_000);
    proc.on('message', (m: { event?: string; peId?: number }) => {
      if (m.event === 'registered') {
        clearTimeout(t);
        resolve(m.peId!);
      }
    });
    proc.once('exit', (code) => reject(new Error(`PE exited with ${String(code)}: ${err}`)));
  });
  return { proc, peId };
}

describe.skipIf(reason !== undefined)('TLS cluster: three registrars, PEs and a pool user', () => {
  it('takeover and failover work over TLS; uncertified or unauthorised parties are refused', { timeout: 90_000 }, async () => {
    pki = createTestPki();
    const ca = pki.ca;
    const authFile = join(pki.dir, 'auth.json');
    writeFileSync(authFile, JSON.stringify({ registrars: ['registrar-*'], pools: { EchoPool: ['pe-echo-*'] } }));
    const rc = [pki.issue('registrar-a'), pki.issue('registrar-b'), pki.issue('registrar-c')];
    const a = await registrar(rc[0]!, [], authFile);
    const b = await registrar(rc[1]!, [a.enrp], authFile);
    const c = await registrar(rc[2]!, [a.enrp, b.enrp], authFile);
    const all = [a, b, c];
    await until('a full mesh', async () => (await Promise.all(all.map((r) => r.enrpStats()))).every((s) => s.peers.length === 2));

    // A registrar whose certificate is not from the CA does not join.
    const rogue = await registrar(pki.issue('registrar-x', { rogue: true }), [a.enrp], authFile);
    // A PE certificate is valid but not a registrar identity: refused as ENRP peer too.
    const impostor = await registrar(pki.issue('pe-echo-impostor'), [a.enrp], authFile);
    await new Promise((r) => setTimeout(r, 2000));
    expect((await a.enrpStats()).peers.length).toBe(2);
    expect((await rogue.enrpStats()).peers).toEqual([]);
    expect((await impostor.enrpStats()).peers).toEqual([]);
    rogue.proc.kill('SIGKILL');
    impostor.proc.kill('SIGKILL');

    // Two PEs at registrar a.
    const pe1 = await server(pki.issue('pe-echo-1'), [a.asap], 'EchoPool');
    const pe2 = await server(pki.issue('pe-echo-2'), [a.asap], 'EchoPool');

    // A PE without a certificate, and one not authorised for the pool, cannot register.
    const plain = rsp.createInstance({ registrars: [a.asap], env: {}, requestTimeout: 1500 });
    cleanups.push(() => plain.close());
    await expect(plain.register('EchoPool', { port: 7 })).rejects.toThrow();
    const wrongPool = rsp.createInstance({ registrars: [a.asap], env: {}, tls: { ...pki.issue('pe-other-1'), ca } });
    cleanups.push(() => wrongPool.close());
    await expect(wrongPool.register('EchoPool', { port: 7 })).rejects.toMatchObject({ code: 'ERR_RSP_REGISTRATION_REFUSED' });

    // A pool user over TLS at registrar c.
    const puTls = { ...pki.issue('pu-1'), ca };
    const session = await rsp.connect('EchoPool', { registrars: [c.asap], asapOptions: { tls: puTls }, failoverTimeout: 20_000 });
    cleanups.push(() => session.close());
    await session.send('one');
    expect(Buffer.from((await session.recv())!.data).toString()).toBe('one');

    // Takeover: registrar a dies; b or c takes its PEs over (H-bit keep-alive over TLS).
    a.proc.kill('SIGKILL');
    await until('the takeover', async () => {
      const s = await Promise.all([b, c].map((r) => r.enrpStats()));
      return s.some((x) => x.stats.takeovers >= 1);
    });
    const resolver = rsp.createInstance({ registrars: [c.asap], env: {}, tls: puTls });
    cleanups.push(() => resolver.close());
    await until('both PEs resolvable after the takeover', async () => {
      const list = await resolver.resolve('EchoPool', { cache: false, items: 10 }).catch(() => []);
      return [pe1.peId, pe2.peId].every((id) => list.some((x) => x.id === id));
    });

    // Failover: the PE serving the session dies; the session moves to the other one.
    const failover = new Promise<{ to: number }>((r) => session.once('failover', r));
    const serving = session.poolElement?.id;
    (serving === pe1.peId ? pe1 : pe2).proc.kill('SIGKILL');
    // (A message already handed to the dead PE is not replayed without replay: 'since-cookie'.)
    expect((await failover).to).toBe(serving === pe1.peId ? pe2.peId : pe1.peId);
    await session.send('two');
    expect(Buffer.from((await session.recv())!.data).toString()).toBe('two');
  });
});
