/**
 * ENRP benchmark:
 * - propagation latency: a registration at registrar A until the PE is in
 *   registrar B's handlespace (both in this process, SCTP over UDP on loopback);
 * - handle-table download: a registrar joining late downloads 10,000 and
 *   100,000 PEs from its mentor (both in this process);
 * - takeover: SIGKILL of an `rsp registrar` child process (from dist/, run
 *   `npm run build` first) owning PEs, until a survivor owns all of them
 *   (polled with the hsdump client), with the default and with tuned timers,
 *   for three and for two registrars. From the survivor's log also the time
 *   from "peer declared dead" to "takeover done".
 *
 * Usage: tsx bench/enrp.ts [--propagations 200] [--download 10000,100000]
 *                          [--takeover-pes 100] [--runs 3]
 *                          [--skip-propagation] [--skip-download] [--skip-takeover]
 *
 * Prints JSON lines { "bench": "enrp", "name", "value", "unit", ... }.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as rsp from '../src/index.js';
import { Registrar } from '../src/registrar/registrar.js';
import { attachEnrp, type EnrpAttachment } from '../src/registrar/enrp/attach.js';
import { fetchHandleTable } from '../src/registrar/enrp/handle-table-client.js';
import { SctpPeerLink } from '../src/registrar/enrp/sctp-peer-link.js';
import { createUdpEndpoint } from '../src/transport/udp-endpoint.js';
import type { TransportAddress } from '../src/transport/types.js';

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
/** Registrar processes still running; killed when the benchmark exits for any reason. */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function emit(name: string, value: number, unit: string, extra: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({ bench: 'enrp', name, value: Math.round(value * 1000) / 1000, unit, ...extra }) + '\n');
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

interface Node {
  registrar: Registrar;
  enrp: EnrpAttachment;
  close(): Promise<void>;
}

async function node(peers: TransportAddress[], extra: Record<string, unknown> = {}): Promise<Node> {
  const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false, minAddressScope: 'loopback' });
  await registrar.start();
  const enrp = await attachEnrp(registrar, { listen: { address: '127.0.0.1', port: 0 }, multicast: false, peers, allow: ['127.0.0.1'], mentorDiscoveryTimeout: 200, ...extra });
  return {
    registrar,
    enrp,
    async close() {
      await enrp.close();
      await registrar.close();
    },
  };
}

async function propagation(count: number): Promise<void> {
  const a = await node([]);
  const b = await node([a.enrp.endpoint.local]);
  while (b.enrp.server.peerList().length === 0 || a.enrp.server.peerList().length === 0) await sleep(10);
  const pe = rsp.createInstance({ registrars: [`127.0.0.1:${a.registrar.addresses[0]!.port}`], env: {} });
  const handle = new TextEncoder().encode('PropagationPool');
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const reg = await pe.register('PropagationPool', { port: 8000 + (i % 1000), policy: { type: 'round-robin' } });
    while (b.registrar.handlespace.find(handle, reg.peId) === undefined) await tick();
    samples.push(performance.now() - t0);
  }
  samples.sort((x, y) => x - y);
  emit('propagation-latency-median', quantile(samples, 0.5), 'ms', { note: 'registration at A (ASAP round trip included) until in B', samples: count });
  emit('propagation-latency-p99', quantile(samples, 0.99), 'ms', { samples: count });
  await pe.close();
  await b.close();
  await a.close();
}

async function download(count: number): Promise<void> {
  const a = await node([]);
  const hs = a.registrar.handlespace;
  for (let i = 1; i <= count; i++) {
    hs.register(
      new TextEncoder().encode(`pool-${i % 100}`),
      {
        peId: i,
        homeRegistrarId: a.registrar.id,
        registrationLife: 300_000,
        userTransport: { protocol: 'sctp', port: 10000 + (i % 50000), transportUse: 0, addresses: ['127.0.0.1'] },
        policy: { type: 'least-used', load: i },
        asapTransport: { protocol: 'sctp', port: 9, transportUse: 0, addresses: ['127.0.0.1'] },
      },
      { expiresAt: Infinity },
    );
  }
  const t0 = performance.now();
  const b = await node([a.enrp.endpoint.local]);
  let responses = 0;
  b.enrp.server.on('sync', (r) => {
    if (r.kind === 'full') responses = r.responses;
  });
  await b.enrp.server.whenSynchronized();
  const ms = performance.now() - t0;
  if (b.registrar.handlespace.size !== count) throw new Error(`downloaded ${b.registrar.handlespace.size} of ${count}`);
  emit(`download-${count}`, ms, 'ms', { pes: count, responses, pesPerSecond: Math.round((count / ms) * 1000) });
  await b.close();
  await a.close();
}

interface Child {
  proc: ChildProcess;
  id: number;
  asap: string;
  enrp: TransportAddress;
  log: string[];
}

async function child(peers: TransportAddress[], timers: string[]): Promise<Child> {
  const args = ['registrar', '--asap', '127.0.0.1:0', '--enrp', '127.0.0.1:0', '--announce', 'off', '--min-address-scope', 'loopback', '--log-format', 'json', '--enrp-allow', '127.0.0.1', ...timers, ...peers.flatMap((p) => ['--peer', `${p.address}:${p.port}`])];
  const proc = fork(CLI, args, { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  const log: string[] = [];
  proc.stdout!.on('data', (d: Buffer) => log.push(...d.toString().split('\n').filter(Boolean)));
  let asap = '';
  let enrp: TransportAddress | undefined;
  let id = 0;
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('registrar did not start')), 60_000);
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
  });
  return { proc, id, asap, enrp: enrp!, log };
}

/**
 * One long-lived temporary peer per registrar for the polls: it stays
 * reachable and acknowledges Init Takeovers, as a running `rsp hsdump` does,
 * so polling does not hold the takeover up.
 */
const pollers = new Map<string, Promise<SctpPeerLink>>();
async function poller(target: TransportAddress): Promise<SctpPeerLink> {
  const key = `${target.address}:${target.port}`;
  let p = pollers.get(key);
  if (p === undefined) {
    p = createUdpEndpoint({ address: '127.0.0.1', port: 0, listen: true }).then((endpoint) => new SctpPeerLink({ serverId: 0xbe7c4, endpoint }));
    pollers.set(key, p);
  }
  return p;
}

async function closePollers(): Promise<void> {
  for (const p of pollers.values()) await (await p).close();
  pollers.clear();
}

async function homes(target: TransportAddress): Promise<Map<number, number>> {
  const link = await poller(target);
  const d = await fetchHandleTable(link, target, { serverId: 0xbe7c4, timeout: 3000 });
  const m = new Map<number, number>();
  for (const g of d.groups) for (const e of g.elements) m.set(e.peId, e.homeRegistrarId);
  return m;
}

function logTime(c: Child, event: string, field: string, id: number): number | undefined {
  const want = '0x' + (id >>> 0).toString(16).padStart(8, '0');
  for (const line of c.log) {
    try {
      const j = JSON.parse(line) as Record<string, string | undefined>;
      if ((j.event ?? j.msg) === event && j[field] === want) {
        const t = j.time ?? j.ts ?? j.t;
        if (t) return Date.parse(t);
      }
    } catch {
      /* not JSON */
    }
  }
  return undefined;
}

async function takeover(label: string, registrars: number, pes: number, timers: string[]): Promise<void> {
  const first = await child([], timers);
  const all = [first];
  for (let i = 1; i < registrars; i++) all.push(await child([first.enrp], timers));
  const victim = all[registrars - 1]!;
  const survivors = all.slice(0, -1);
  await sleep(2500);
  const pe = rsp.createInstance({ registrars: [victim.asap], env: {}, reregistrationInterval: 120_000 });
  const ids: number[] = [];
  for (let i = 0; i < pes; i++) ids.push((await pe.register('BenchTakeover', { port: 9000 + i, policy: { type: 'round-robin' } })).peId);
  for (;;) {
    const h = await homes(survivors[0]!.enrp);
    if (ids.every((id) => h.get(id) === victim.id)) break;
    await sleep(100);
  }
  const killedWall = Date.now();
  const t0 = performance.now();
  victim.proc.kill('SIGKILL');
  let total = NaN;
  for (let polls = 0; polls < 400; polls++) {
    const h = await homes(survivors[0]!.enrp).catch(() => new Map<number, number>());
    const owners = new Set(ids.map((id) => h.get(id)));
    if (owners.size === 1 && !owners.has(victim.id) && !owners.has(undefined)) {
      total = performance.now() - t0;
      break;
    }
    await sleep(50);
  }
  let afterDead: number | undefined;
  let detection: number | undefined;
  for (const s of survivors) {
    const dead = logTime(s, 'enrp-peer-dead', 'peer', victim.id);
    const done = logTime(s, 'enrp-takeover', 'target', victim.id);
    if (dead !== undefined && done !== undefined) {
      afterDead = done - dead;
      detection = dead - killedWall;
    }
  }
  emit(`takeover-${label}-${registrars}-registrars`, total, 'ms', { pes, from: 'SIGKILL', to: 'all PEs owned by a survivor (hsdump poll, 50 ms)', timers: timers.join(' ') || 'defaults' });
  if (detection !== undefined) emit(`takeover-${label}-${registrars}-registrars-detection`, detection, 'ms', { from: 'SIGKILL', to: 'peer declared dead (survivor log)' });
  if (afterDead !== undefined) emit(`takeover-${label}-${registrars}-registrars-after-dead`, afterDead, 'ms', { from: 'peer declared dead', to: 'takeover done (survivor log)' });
  await pe.close();
  await closePollers();
  for (const c of all) {
    if (c.proc.exitCode === null && c.proc.signalCode === null) {
      c.proc.kill('SIGTERM');
      await new Promise((r) => c.proc.once('exit', r));
    }
  }
}

async function main(): Promise<void> {
  if (!flag('skip-propagation')) await propagation(Number(arg('propagations', '200')));
  if (!flag('skip-download')) for (const n of arg('download', '10000,100000').split(',').map(Number)) await download(n);
  if (flag('skip-takeover')) return;
  if (!existsSync(CLI)) {
    process.stderr.write('dist/cli/main.js missing: run `npm run build` for the takeover runs\n');
    return;
  }
  const pes = Number(arg('takeover-pes', '100'));
  const runs = Number(arg('runs', '3'));
  const tuned = ['--peer-heartbeat-interval', '250', '--peer-max-time-last-heard', '750', '--peer-max-time-no-response', '500', '--takeover-expiry', '1000'];
  for (let r = 0; r < runs; r++) {
    await takeover('default', 3, pes, []);
    await takeover('default', 2, pes, []);
    await takeover('tuned', 3, pes, tuned);
    await takeover('tuned', 2, pes, tuned);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
