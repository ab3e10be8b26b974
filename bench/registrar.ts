/**
 * Registrar benchmark: throughput of registrations, re-registrations and
 * handle resolutions against a registrar running in its own process (the
 * `rsp registrar` command), with the registrar's own CPU time per operation
 * (`process.cpuUsage()` of that process, read over its IPC channel); and a
 * stability run with many PEs under default keep-alives, reporting PEs lost,
 * registrar CPU and RSS per PE, and how often each PE is checked in the
 * steady state: `stability_keep_alive_gap_at_pe` (mean time between two
 * keep-alives of one PE, measured by the PEs) and `stability_check_period`
 * (keep-alives plus re-registrations, which the registrar counts as proof
 * of life instead of a keep-alive).
 *
 * Usage:
 *   tsx bench/registrar.ts [--pes 10000] [--resolutions 50000]
 *                          [--stability-pes 100000] [--clients 2] [--hold 20s] [--full]
 *                          [--skip-logic] [--skip-throughput] [--skip-stability]
 *                          [--per-assoc 25000] [--registrar-args "--sctp-max-retransmissions 20"]
 * `--full` holds the stability run for 2 minutes.
 *
 * Prints JSON lines { "bench": "registrar", "name", "value", "unit", ... }.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { existsSync } from 'node:fs';
import type { TransportAddress } from '../src/transport/types.js';
import { encodeMessage } from '../src/wire/messages.js';
import { ackKeepAlives, Client, cpuMicros, expectAccepted, registration, sleep, startRegistrar, timed } from './_registrar-client.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}
function flag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}
function duration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text)!;
  const n = Number(m[1]);
  return m[2] === 'm' ? n * 60_000 : m[2] === 's' || m[2] === undefined ? n * 1000 : n;
}

function out(name: string, value: number, unit: string, extra: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({ bench: 'registrar', name, value: Math.round(value * 100) / 100, unit, ...extra }) + '\n');
}


const POOL = new TextEncoder().encode('BenchPool');

// ------------------------------------------------------ in-process logic run

/**
 * The registrar's own cost without SCTP: messages are handed to
 * `Registrar.addAssociation` through a stub association, so this measures
 * decode + checks + handlespace + encode per operation.
 */
async function logic(): Promise<void> {
  // Prefer the compiled build (what `rsp registrar` runs) over the TypeScript sources.
  const built = existsSync(path.join(root, 'dist/registrar/registrar.js'));
  const { Registrar } = (built ? await import(path.join(root, 'dist/registrar/registrar.js')) : await import('../src/registrar/registrar.js')) as typeof import('../src/registrar/registrar.js');
  const { EventEmitter } = await import('eventemitter3');
  const pes = Number(arg('pes', '10000'));
  const resolutions = Number(arg('resolutions', '50000'));
  const r = new Registrar({ announce: false, minAddressScope: 'loopback', handleResolutionRate: { rate: 0 }, registrationRate: { rate: 0 }, maxPesPerAssociation: 1_000_000 });
  class Stub extends EventEmitter {
    readonly local = { address: '127.0.0.1', port: 3863 };
    readonly remote = { address: '127.0.0.1', port: 40000 };
    readonly open = true;
    readonly bufferedAmount = 0;
    sent = 0;
    send(): Promise<void> {
      this.sent++;
      return Promise.resolve();
    }
    close(): Promise<void> {
      return Promise.resolve();
    }
    abort(): void {}
  }
  const a = new Stub();
  r.addAssociation(a as never);
  const info = { ppid: 11, stream: 0, unordered: false };
  const regs = Array.from({ length: pes }, (_, i) => registration(POOL, i + 1, 0));
  const reregs = Array.from({ length: pes }, (_, i) => registration(POOL, i + 1, (i * 7919) >>> 0));
  const hr = encodeMessage({ protocol: 'asap', type: 'handle-resolution', poolHandle: POOL });
  const run = (name: string, msgs: Uint8Array[] | Uint8Array, n: number): void => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) a.emit('message', Array.isArray(msgs) ? msgs[i % msgs.length] : msgs, info);
    const t1 = performance.now();
    const cpu = cpuMicros(process.cpuUsage(c0));
    out(`${name}_logic`, ((t1 - t0) * 1000) / n, 'us/op', { ops: n, cpu_us_per_op: Math.round((cpu / n) * 100) / 100, note: 'in-process, no SCTP', build: built ? 'dist' : 'src' });
  };
  // Warm-up on another pool, then measure.
  const warm = Array.from({ length: 2000 }, (_, i) => registration(new TextEncoder().encode('Warm'), i + 1, i));
  for (let k = 0; k < 5; k++) for (const m of warm) a.emit('message', m, info);
  for (let k = 0; k < 20000; k++) a.emit('message', encodeMessage({ protocol: 'asap', type: 'handle-resolution', poolHandle: new TextEncoder().encode('Warm') }), info);
  globalThis.gc?.();
  const h0 = process.memoryUsage().heapUsed;
  if (!flag('only-rereg')) run('registration', regs, pes);
  else for (const m of regs) a.emit('message', m, info);
  globalThis.gc?.();
  out('heap_per_pe_logic', (process.memoryUsage().heapUsed - h0) / pes, 'B/PE', { note: globalThis.gc ? 'live heap after GC' : 'approximate: run node with --expose-gc' });
  run('reregistration', reregs, pes);
  if (flag('only-rereg')) for (let k = 0; k < 5; k++) run('reregistration', reregs, pes);
  run('handle_resolution', hr, resolutions);
  await r.close();
}

// ------------------------------------------------------------- throughput run

async function throughput(): Promise<void> {
  const pes = Number(arg('pes', '10000'));
  const resolutions = Number(arg('resolutions', '50000'));
  const conns = 4;
  const window = 64;
  const reg = await startRegistrar(['--hr-rate', 'off', '--host-hr-rate', 'off', '--registration-rate', 'off', '--min-address-scope', 'loopback', '--enrp', 'off']);
  try {
    const clients = await Promise.all(Array.from({ length: conns }, () => Client.connect(reg.address)));
    for (const c of clients) ackKeepAlives(c);
    const per = Math.ceil(pes / conns);
    const phase = async (name: string, ops: number, run: () => Promise<unknown>): Promise<void> => {
      const { ms, cpuUs } = await timed(reg, run);
      out(`${name}_per_s`, (ops * 1000) / ms, 'ops/s', { ops });
      out(`${name}_registrar_cpu`, cpuUs / ops, 'us/op', { ops, note: 'registrar process CPU incl. SCTP' });
    };
    await phase('registrations', per * conns, () =>
      Promise.all(clients.map((c, k) => c.pipeline(per, window, (i) => registration(POOL, 1 + k * per + i, 0), expectAccepted))),
    );
    let round = 1;
    await phase('reregistrations', per * conns, () =>
      Promise.all(clients.map((c, k) => c.pipeline(per, window, (i) => registration(POOL, 1 + k * per + i, (round * 7919 + i) >>> 0), expectAccepted))),
    );
    round++;
    const hr = encodeMessage({ protocol: 'asap', type: 'handle-resolution', poolHandle: POOL });
    const perHr = Math.ceil(resolutions / conns);
    await phase('handle_resolutions', perHr * conns, () =>
      Promise.all(
        clients.map((c) =>
          c.pipeline(perHr, window, () => hr, (m) => {
            if (m.type !== 'handle-resolution-response' || m.poolElements.length !== 3) throw new Error('bad resolution');
          }),
        ),
      ),
    );
    const s = await reg.stats();
    out('registrar_rss_per_pe_throughput_run', (s.memory.rss - 0) / Math.max(1, s.stats.pes!) / 1024, 'KiB/PE', { pes: s.stats.pes, note: 'whole RSS / PEs, upper bound' });
    await Promise.all(clients.map((c) => c.close()));
  } finally {
    await reg.stop();
  }
}

// -------------------------------------------------------------- stability run

/** Child mode: registers `count` PEs starting at `base`, acks keep-alives, re-registers every 30 s. */
async function stabilityClient(): Promise<void> {
  const address = JSON.parse(arg('registrar', '{}')) as TransportAddress;
  const base = Number(arg('base', '1'));
  const count = Number(arg('count', '25000'));
  const perAssoc = Number(arg('per-assoc', '25000'));
  const reregInterval = 30_000;
  const poolHandle = POOL;
  const groups: Client[] = [];
  for (let off = 0; off < count; off += perAssoc) groups.push(await Client.connect(address));
  let acks = 0;
  // Time between two keep-alives for the same PE, as the PE sees it.
  const lastKeepAlive = new Float64Array(count);
  let gapSum = 0;
  let gaps = 0;
  for (const c of groups) {
    c.onKeepAlive = (m) => {
      acks++;
      const i = m.peId! - base;
      if (i >= 0 && i < count) {
        const t = performance.now();
        if (lastKeepAlive[i]! > 0) {
          gapSum += t - lastKeepAlive[i]!;
          gaps++;
        }
        lastKeepAlive[i] = t;
      }
      c.send(encodeMessage({ protocol: 'asap', type: 'endpoint-keep-alive-ack', poolHandle: m.poolHandle, peId: m.peId! }));
    };
  }
  // Re-register each PE about every 30 s from its registration on (as RSPLIB PEs: life = 3 ×
  // interval), spread evenly; this starts at once because registering 50,000 PEs can take longer
  // than a registration life on a slow host.
  const registeredAt = new Float64Array(count);
  const total = count;
  let idx = 0;
  const tick = 100;
  const perTick = Math.max(1, Math.ceil((total * tick) / reregInterval));
  const timer = setInterval(() => {
    const now = performance.now();
    for (let k = 0; k < perTick; k++) {
      const i = idx++ % total;
      if (registeredAt[i] === 0 || now - registeredAt[i]! < reregInterval / 2) continue;
      const g = Math.floor(i / perAssoc);
      registeredAt[i] = now;
      groups[g]!.request(registration(poolHandle, base + i, 0, 90_000)).catch(() => {});
    }
  }, tick);
  await Promise.all(
    groups.map((c, g) => {
      const n = Math.min(perAssoc, count - g * perAssoc);
      return c.pipeline(n, 64, (i) => {
        registeredAt[g * perAssoc + i] = performance.now();
        return registration(poolHandle, base + g * perAssoc + i, 0, 90_000);
      }, expectAccepted);
    }),
  );
  process.send?.({ event: 'registered' });
  process.on('message', async (m: { cmd?: string }) => {
    if (m.cmd === 'stop') {
      clearInterval(timer);
      process.send?.({ event: 'stopped', acks, gapSum, gaps, closed: groups.filter((c) => c.closed).length });
      await Promise.all(groups.map((c) => c.close()));
      process.exit(0);
    }
  });
}

async function stability(): Promise<void> {
  const total = Number(arg('stability-pes', '100000'));
  const clients = Number(arg('clients', '2'));
  const hold = flag('full') ? 120_000 : duration(arg('hold', '20s'));
  const reg = await startRegistrar(['--min-address-scope', 'loopback', '--registration-rate', 'off', '--enrp', 'off', ...arg('registrar-args', '').split(' ').filter(Boolean)]);
  try {
    const base0 = await reg.stats(true);
    const per = Math.ceil(total / clients);
    const children: ChildProcess[] = [];
    const registered: Promise<void>[] = [];
    const t0 = performance.now();
    for (let k = 0; k < clients; k++) {
      const child = fork(fileURLToPath(import.meta.url), ['--client', '--registrar', JSON.stringify(reg.address), '--base', String(1 + k * per), '--count', String(Math.min(per, total - k * per)), '--per-assoc', arg('per-assoc', '25000')], {
        execArgv: ['--import', 'tsx', '--max-old-space-size=2048'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(child);
      registered.push(new Promise((r) => child.on('message', (m: { event?: string }) => m.event === 'registered' && r())));
    }
    await Promise.all(registered);
    const tReg = performance.now() - t0;
    out('stability_registration_time', tReg / 1000, 's', { pes: (await reg.stats()).stats.pes });
    // The rates are taken in the steady state: the first keep-alive of each PE comes one interval
    // after its registration, all within the registration time, so a window starting at once
    // would see too few keep-alives at its start.
    await sleep(5000);
    const afterReg = await reg.stats();
    let minPes = afterReg.stats.pes!;
    const start = performance.now();
    const cpu0 = cpuMicros(afterReg.cpu);
    let maxRss = afterReg.memory.rss;
    while (performance.now() - start < hold) {
      await sleep(1000);
      const s = await reg.stats();
      minPes = Math.min(minPes, s.stats.pes!);
      maxRss = Math.max(maxRss, s.memory.rss);
    }
    const end = await reg.stats(true);
    const heldSeconds = (performance.now() - start) / 1000;
    out('stability_pes', total, 'PEs', { clients, hold_s: Math.round(heldSeconds) });
    out('stability_pes_lost', total - minPes, 'PEs', { min_pes: minPes, keep_alive_timeouts: end.stats.keepAliveTimeouts, keep_alives_sent: end.stats.keepAlivesSent - afterReg.stats.keepAlivesSent! });
    const kas = end.stats.keepAlivesSent! - afterReg.stats.keepAlivesSent!;
    const rereg = end.stats.reRegistrations! - afterReg.stats.reRegistrations!;
    const deferred = end.stats.keepAlivesDeferred! - afterReg.stats.keepAlivesDeferred!;
    // A PE that re-registered within the interval is not sent a keep-alive at that turn (the
    // registration proved it alive), so with the clients' 30 s re-registrations about one
    // interval in six is a re-registration: the time between two checks of a PE counts both.
    out('stability_check_period', kas + rereg > 0 ? (total * heldSeconds) / (kas + rereg) : 0, 's per PE', {
      keep_alives_per_s: Math.round(kas / heldSeconds),
      reregistrations_per_s: Math.round(rereg / heldSeconds),
      keep_alives_deferred: deferred,
      note: 'keep-alive or re-registration; configured interval 5 s; deferred = keep-alives that waited for a full per-association window',
    });
    out('stability_keep_alive_period', kas > 0 ? (total * heldSeconds) / kas : 0, 's per PE', { keep_alives_per_s: Math.round(kas / heldSeconds), note: 'keep-alives only (re-registrations replace some)' });
    out('stability_registrar_cpu', ((cpuMicros(end.cpu) - cpu0) / 1e6 / heldSeconds) * 100, '% of one core');
    out('stability_rss_per_pe', (maxRss - base0.memory.rss) / total / 1024, 'KiB/PE', { rss_mib: Math.round(maxRss / 1048576) });
    out('stability_heap_per_pe', (end.memory.heapUsed - base0.memory.heapUsed) / total, 'B/PE', { note: 'live heap after GC, incl. transport state of the client associations' });
    out('stability_rss_per_pe_after_gc', (end.memory.rss - base0.memory.rss) / total / 1024, 'KiB/PE');
    const stopped = children.map(
      (c) => new Promise<{ gapSum: number; gaps: number }>((r) => c.on('message', (m: { event?: string; gapSum: number; gaps: number }) => m.event === 'stopped' && r(m))),
    );
    for (const c of children) c.send({ cmd: 'stop' });
    const seen = await Promise.race([Promise.all(stopped), sleep(10_000).then(() => [])]);
    const gapSum = seen.reduce((n, m) => n + m.gapSum, 0);
    const gapCount = seen.reduce((n, m) => n + m.gaps, 0);
    if (gapCount > 0) out('stability_keep_alive_gap_at_pe', gapSum / gapCount / 1000, 's', { samples: gapCount, note: 'mean time between two keep-alives of one PE, seen by the PEs; a re-registration in between postpones the next keep-alive' });
    await Promise.all(children.map((c) => new Promise<void>((r) => (c.exitCode !== null ? r() : c.once('exit', () => r())))));
  } finally {
    await reg.stop();
  }
}

if (flag('client')) {
  process.on('unhandledRejection', (err) => process.stderr.write(`client: ${(err as Error)?.message ?? String(err)}\n`));
  await stabilityClient();
} else {
  if (!flag('skip-logic')) await logic();
  if (!flag('skip-throughput')) await throughput();
  if (!flag('skip-stability')) await stability();
}
