/**
 * Takeover after SIGKILL of a registrar: `rsp registrar` child processes
 * (from dist/, built by `npm test`) peering over ENRP on loopback. The PE
 * knows only the registrar that gets killed, so it can only come back by
 * being taken over (Endpoint Keep-Alive with the H bit from the new home).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import * as rsp from '../../src/index.js';
import { fetchHandleTable } from '../../src/registrar/enrp/handle-table-client.js';
import { SctpPeerLink } from '../../src/registrar/enrp/sctp-peer-link.js';
import { createUdpEndpoint } from '../../src/transport/udp-endpoint.js';
import type { TransportAddress } from '../../src/transport/types.js';
import type { RegistrarChangeInfo } from '../../src/asap/index.js';

const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(pred: () => boolean | Promise<boolean>, timeout = 20_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeout;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`until: timeout waiting for ${what}`);
    await sleep(50);
  }
}

interface Child {
  proc: ChildProcess;
  id: number;
  asap: string;
  enrp: TransportAddress;
  log: string[];
  stats(): Promise<Record<string, number>>;
  enrpStats(): Promise<{ associations: number; peers: { id: number }[] }>;
}

/** Starts `rsp registrar` with ENRP on an ephemeral port; resolves once it serves. */
async function registrar(peers: TransportAddress[], extra: string[] = [], enrpAddress = '127.0.0.1:0'): Promise<Child> {
  const args = ['registrar', '--asap', '127.0.0.1:0', '--enrp', enrpAddress, '--announce', 'off', '--min-address-scope', 'loopback', '--keep-alive-interval', '1000', '--enrp-allow', '127.0.0.1', ...peers.flatMap((p) => ['--peer', `${p.address}:${p.port}`]), ...extra];
  const proc = fork(CLI, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const log: string[] = [];
  proc.stdout!.on('data', (d: Buffer) => log.push(...d.toString().split('\n').filter(Boolean)));
  proc.stderr!.on('data', (d: Buffer) => log.push(...d.toString().split('\n').filter(Boolean)));
  cleanups.push(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await new Promise((r) => proc.once('exit', r));
    }
  });
  let asap: string | undefined;
  let enrp: TransportAddress | undefined;
  let id = 0;
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`registrar did not start: ${log.join('\n')}`)), 15_000);
    proc.on('message', (m: { event?: string; id?: number; addresses?: TransportAddress[]; address?: TransportAddress }) => {
      if (m.event === 'enrp') enrp = m.address;
      if (m.event === 'listening') {
        id = m.id!;
        asap = `${m.addresses![0]!.address}:${m.addresses![0]!.port}`;
      }
      if (asap && enrp) {
        clearTimeout(t);
        resolve();
      }
    });
    proc.once('exit', (code) => reject(new Error(`registrar exited with ${String(code)}: ${log.join('\n')}`)));
  });
  const stats = (): Promise<Record<string, number>> =>
    new Promise((resolve) => {
      const on = (m: { event?: string; stats?: Record<string, number> }): void => {
        if (m.event === 'stats') {
          proc.off('message', on);
          resolve(m.stats!);
        }
      };
      proc.on('message', on);
      proc.send({ cmd: 'stats' });
    });
  const enrpStats = (): Promise<{ associations: number; peers: { id: number }[] }> =>
    new Promise((resolve) => {
      const on = (m: { event?: string; associations?: number; peers?: { id: number }[] }): void => {
        if (m.event === 'enrp-stats') {
          proc.off('message', on);
          resolve({ associations: m.associations!, peers: m.peers! });
        }
      };
      proc.on('message', on);
      proc.send({ cmd: 'enrp-stats' });
    });
  return { proc, id, asap: asap!, enrp: enrp!, log, stats, enrpStats };
}

async function dump(target: TransportAddress): Promise<Map<number, number>> {
  const endpoint = await createUdpEndpoint({ address: '127.0.0.1', port: 0, listen: true });
  const link = new SctpPeerLink({ serverId: 0x7e57, endpoint });
  try {
    const d = await fetchHandleTable(link, target, { serverId: 0x7e57, timeout: 5000 });
    const homes = new Map<number, number>();
    for (const g of d.groups) for (const e of g.elements) homes.set(e.peId, e.homeRegistrarId);
    return homes;
  } finally {
    await link.close();
    await endpoint.close();
  }
}

function instance(registrars: string[]): rsp.AsapInstance {
  const i = rsp.createInstance({ registrars, env: {}, reregistrationInterval: 60_000 });
  cleanups.push(() => i.close());
  return i;
}

async function killAndTakeOver(n: number): Promise<void> {
  const first = await registrar([]);
  const others: Child[] = [first];
  for (let i = 1; i < n; i++) others.push(await registrar([first.enrp]));
  const victim = others[n - 1]!;
  const survivors = others.slice(0, n - 1);
  await until(async () => (await dump(victim.enrp)).size === 0 && victim.log.filter((l) => l.includes('enrp-peer-up')).length >= n - 1, 10_000, 'cluster formed');

  const pe = instance([victim.asap]);
  const regs = [];
  for (let i = 0; i < 3; i++) regs.push(await pe.register('TakeoverPool', { port: 7300 + i, policy: { type: 'round-robin' } }));
  const ids = new Set(regs.map((r) => r.peId));
  // Once adopted, the PE must not report errors (it stops hunting the dead registrar). Before,
  // with its only registrar dead, failed re-registrations are reported.
  const errors: Error[] = [];
  const changes: RegistrarChangeInfo[] = [];
  pe.on('error', (e) => changes.length > 0 && errors.push(e));
  pe.on('registrarChanged', (info) => changes.push(info));
  for (const r of regs) r.on('error', (e) => changes.length > 0 && errors.push(e));
  await until(async () => {
    const h = await dump(survivors[0]!.enrp);
    return [...ids].every((id) => h.get(id) === victim.id);
  }, 10_000, 'PEs known to the survivors');

  // A PU at a survivor resolves the PEs all through the takeover.
  const pu = instance([survivors[0]!.asap]);
  let failures = 0;
  let resolutions = 0;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      try {
        const got = await pu.resolve('TakeoverPool', { cache: false, items: 10 });
        if (got.length === 3) resolutions++;
        else failures++;
      } catch {
        failures++;
      }
      await sleep(100);
    }
  })();

  const killedAt = Date.now();
  victim.proc.kill('SIGKILL');
  let newHome = 0;
  await until(async () => {
    const h = await dump(survivors[0]!.enrp);
    const homes = new Set([...ids].map((id) => h.get(id)));
    if (homes.size === 1 && !homes.has(victim.id) && !homes.has(undefined)) newHome = [...homes][0]!;
    return newHome !== 0;
  }, 15_000, 'takeover');
  const tookMs = Date.now() - killedAt;
  expect(survivors.map((s) => s.id)).toContain(newHome);
  // The PEs adopted the new home (keep-alive with the H bit) and answer its keep-alives.
  await until(() => pe.homeRegistrarId === newHome, 10_000, 'PE adopted the new home');
  const home = survivors.find((s) => s.id === newHome)!;
  // The Keep-Alive with the H bit came from the new home's ASAP port (not its ENRP port), and the
  // PE's registrations now use that association.
  expect(changes.at(-1)).toMatchObject({ homeRegistrarId: newHome, reason: 'keep-alive', registrar: home.asap });
  await regs[0]!.update({ load: 0.5 });
  const acks0 = (await home.stats()).keepAliveAcks ?? 0;
  await until(async () => ((await home.stats()).keepAliveAcks ?? 0) > acks0 + 3, 15_000, 'keep-alive acks at the new home');
  // Every survivor agrees on the new home.
  for (const s of survivors) {
    const h = await dump(s.enrp);
    for (const id of ids) expect(h.get(id)).toBe(newHome);
  }
  polling = false;
  await poller;
  expect(failures).toBe(0);
  expect(errors.map((e) => e.message)).toEqual([]);
  expect(resolutions).toBeGreaterThan(5);
  // Default timers: dead-peer detection plus takeover well under 10 s.
  expect(tookMs).toBeLessThan(10_000);
}

describe.skipIf(!existsSync(CLI))('ENRP takeover after SIGKILL (rsp registrar processes)', () => {
  it('three registrars: the PEs of a killed registrar are taken over and keep resolving', async () => {
    await killAndTakeOver(3);
  }, 60_000);

  it('two registrars: the survivor takes over alone', async () => {
    await killAndTakeOver(2);
  }, 60_000);

  it('two registrar processes started at the same instant, each with the other as peer, converge', async () => {
    // Reserve two free ports, then start both processes at once.
    const ports: number[] = [];
    for (let i = 0; i < 2; i++) {
      const e = await createUdpEndpoint({ address: '127.0.0.1', port: 0 });
      ports.push(e.local.port);
      await e.close();
    }
    const [a, b] = await Promise.all([
      registrar([{ address: '127.0.0.1', port: ports[1]! }], [], `127.0.0.1:${ports[0]}`),
      registrar([{ address: '127.0.0.1', port: ports[0]! }], [], `127.0.0.1:${ports[1]}`),
    ]);
    const pa = instance([a!.asap]);
    const pb = instance([b!.asap]);
    const ra = await pa.register('SimPool', { port: 7501, policy: { type: 'round-robin' } });
    const rb = await pb.register('SimPool', { port: 7502, policy: { type: 'round-robin' } });
    for (const x of [a!, b!]) {
      await until(async () => {
        const h = await dump(x.enrp);
        return h.get(ra.peId) === a!.id && h.get(rb.peId) === b!.id;
      }, 15_000, 'both PEs at both registrars');
    }
    // Exactly one association between the two once the dump clients are gone.
    await until(async () => {
      const [sa, sb] = await Promise.all([a!.enrpStats(), b!.enrpStats()]);
      return sa.peers.some((p) => p.id === b!.id) && sb.peers.some((p) => p.id === a!.id) && sa.associations === 1 && sb.associations === 1;
    }, 15_000, 'one association per pair');
  }, 40_000);

  it('rsp hsdump prints the handlespace of a registrar', async () => {
    const a = await registrar([]);
    const b = await registrar([a.enrp]);
    const pe = instance([a.asap]);
    const reg = await pe.register('DumpPool', { port: 7400, policy: { type: 'least-used', load: 0.5 } });
    await until(async () => (await dump(b.enrp)).has(reg.peId), 10_000, 'PE at b');
    const out = await new Promise<string>((resolve, reject) => {
      const p = fork(CLI, ['hsdump', `${b.enrp.address}:${b.enrp.port}`, '--json'], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
      let s = '';
      p.stdout!.on('data', (d: Buffer) => (s += d.toString()));
      p.once('exit', (code) => (code === 0 ? resolve(s) : reject(new Error(`hsdump exited with ${String(code)}`))));
    });
    const j = JSON.parse(out) as { registrar: string; poolElements: number; pools: { pool: string; elements: { id: string; home: string }[] }[] };
    expect(j.registrar).toBe('0x' + b.id.toString(16).padStart(8, '0'));
    expect(j.poolElements).toBe(1);
    expect(j.pools[0]!.pool).toBe('DumpPool');
    expect(j.pools[0]!.elements[0]!.home).toBe('0x' + a.id.toString(16).padStart(8, '0'));
  }, 30_000);
});
