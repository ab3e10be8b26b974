/**
 * Failover benchmark of Enhanced Mode sessions.
 *
 * 0. Delivery (loss and duplicates), each case printed with its lost count
 *    (goal 0 in every mode that promises it):
 *    - `send_after_sigkill_*`: SIGKILL of the serving echo PE (its own
 *      process), then within 0–20 ms `send()` with default options; the echo
 *      must come from the next PE (`--send-trials`, default 50).
 *    - `mid_request_*`: PEs answer after 0–300 ms; the serving PE is
 *      SIGKILLed 30–130 ms into a request; with `request()` (default
 *      options), with `send()` + `recv({ timeout })` (default options: a
 *      request the PE acknowledged and never answered is lost, reported by
 *      `possiblyLost`) and with `send()` + `recv()` under `since-cookie`
 *      (`--mid-trials` per mode, default 20).
 *    - `sack_delay_duplicates_*`: a stream of messages (one every 2 ms, then
 *      one every 25 ms) to PEs that log what their application received,
 *      `--dup-kills` (default 200, half for the slow stream) silent kills of the serving PE (its sockets closed: the same
 *      wire behaviour as SIGKILL); a message logged by two PEs is a
 *      duplicate (received by the dead PE, whose SACK was still delayed).
 * 1. Failover time: a registrar in this process, three pingpong PEs as
 *    child processes (`rsp server --service pingpong`, sealed cookies), a
 *    pool user pinging every `--interval` ms. `--kills` times (default 20)
 *    the PE serving the session is killed with SIGKILL and replaced; the
 *    time from the SIGKILL to the first reply from another PE is measured,
 *    and the pingpong counter is checked for gaps. Median, p95 and max.
 * 2. Session throughput against a bare association of the transport in
 *    the same run and process: one-way messages (16 KiB bulk and 100-byte
 *    small) pumped with the same window of outstanding sends, counted at
 *    the receiver; the ratio session / bare association.
 *
 * Prints JSON lines `{ "bench": "failover", "name", "value", "unit" }`;
 * progress goes to stderr. Uses the built `dist/cli/main.js` for the PE
 * processes (run `npm run build` first). Bounded: each part stops at `--deadline-s`.
 *
 *    Then `--stops` (default 5) graceful stops (SIGTERM) measured the same way.
 *
 * Usage: `npx tsx bench/failover.ts [--kills 200] [--stops 5] [--interval 20] [--duration 2000]
 * [--send-trials 50] [--mid-trials 20] [--dup-kills 200] [--deadline-s 300 (per part)] [--only send,mid,dup,kills,throughput]`
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as rsp from '../src/index.js';
import { PeFleet } from '../src/cli/demo.js';
import { hexPeId } from '../src/cli/server.js';
import { Registrar } from '../src/registrar/registrar.js';
import { silentLogger } from '../src/registrar/logger.js';
import { PINGPONG_PPID, runRsplibPingPong } from '../src/services/rsplib-pingpong.js';
import { createUdpEndpoint } from '../src/transport/udp-endpoint.js';
import type { Association, MessageInfo } from '../src/transport/types.js';
import { PeHost, recvUntil } from '../test/integration/pe-host.js';

const args = process.argv.slice(2);
function arg(name: string, dflt: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : dflt;
}
const KILLS = arg('kills', 200);
const STOPS = arg('stops', 5);
const INTERVAL = arg('interval', 20);
const DURATION = arg('duration', 2000);
const SEND_TRIALS = arg('send-trials', 50);
const MID_TRIALS = arg('mid-trials', 20);
const DUP_KILLS = arg('dup-kills', 200);
/** Time budget of each part (send, mid, dup, kills): a slow part must not leave the next one no time at all. */
const PART_BUDGET_MS = arg('deadline-s', 300) * 1000;
let DEADLINE = performance.now() + PART_BUDGET_MS;
/** Starts the budget of the next part. */
function startPart(): void {
  DEADLINE = performance.now() + PART_BUDGET_MS;
}
/** `--only send,mid,dup,kills,throughput` runs only those parts (default: all). */
const onlyArg = args.indexOf('--only') >= 0 ? args[args.indexOf('--only') + 1] : undefined;
const ONLY = new Set((onlyArg ?? 'send,mid,dup,kills,throughput').split(','));

const emit = (name: string, value: number, unit: string, extra: Record<string, unknown> = {}): void => {
  process.stdout.write(`${JSON.stringify({ bench: 'failover', name, value: Math.round(value * 100) / 100, unit, ...extra })}\n`);
};
const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;

const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false, logger: silentLogger, maxBadPeReports: 1, keepAliveInterval: 1000, keepAliveTimeout: 1000 });
await registrar.start();
const registrarAddress = `127.0.0.1:${registrar.addresses[0]!.port}`;


// --- 0. delivery: loss and duplicates ------------------------------------------------------

/** PEs of `mode`, each in its own process (so that SIGKILL kills exactly one). */
class SinglePeFleet {
  readonly hosts = new Map<number, PeHost>();
  constructor(
    private readonly pool: string,
    private readonly mode: 'echo' | 'slow',
  ) {}
  async add(): Promise<void> {
    const h = await PeHost.spawn(registrarAddress, this.pool);
    this.hosts.set(await h.start(this.mode), h);
  }
  sigkill(peId: number): number {
    const h = this.hosts.get(peId);
    this.hosts.delete(peId);
    h?.sigkill();
    return performance.now();
  }
  async closeAll(): Promise<void> {
    await Promise.all([...this.hosts.values()].map((h) => h.close()));
    this.hosts.clear();
  }
}

async function sendAfterKillBench(): Promise<void> {
  const fleet = new SinglePeFleet('SendAfterKill', 'echo');
  try {
    await Promise.all([fleet.add(), fleet.add()]);
    const session = await rsp.connect('SendAfterKill', { registrars: [registrarAddress] });
    session.on('error', () => undefined);
    let lost = 0;
    let duplicates = 0;
    let possiblyLost = 0;
    session.on('failover', (e) => (possiblyLost += e.possiblyLost));
    const times: number[] = [];
    for (let t = 0; t < SEND_TRIALS && performance.now() < DEADLINE; t++) {
      await session.send(`warm${t}`);
      const warm = await recvUntil(session, `warm${t}`, 10_000);
      if (!warm) {
        lost++;
        continue;
      }
      duplicates += warm.others;
      const replacement = fleet.add();
      const killedAt = fleet.sigkill(warm.pe);
      await sleep(Math.random() * 20);
      await session.send(`after${t}`);
      const after = await recvUntil(session, `after${t}`, 10_000);
      if (!after) lost++;
      else {
        duplicates += after.others;
        times.push(performance.now() - killedAt);
      }
      await replacement;
    }
    await session.close();
    const sorted = times.sort((a, b) => a - b);
    log(`send after SIGKILL: ${SEND_TRIALS} trials, ${lost} lost, ${duplicates} duplicates, possiblyLost ${possiblyLost}`);
    emit('send_after_sigkill_lost', lost, 'count', { trials: SEND_TRIALS, goal: 0, replay: 'unacknowledged (default)' });
    emit('send_after_sigkill_duplicates', duplicates, 'count', { trials: SEND_TRIALS });
    emit('send_after_sigkill_to_echo_median', quantile(sorted, 0.5), 'ms');
    emit('send_after_sigkill_to_echo_p95', quantile(sorted, 0.95), 'ms');
  } finally {
    await fleet.closeAll();
  }
}

async function midRequestBench(variant: 'request' | 'send-recv' | 'send-recv-since-cookie'): Promise<void> {
  const pool = `Mid-${variant}`;
  const fleet = new SinglePeFleet(pool, 'slow');
  try {
    await Promise.all([fleet.add(), fleet.add()]);
    const session = await rsp.connect(pool, { registrars: [registrarAddress], ...(variant === 'send-recv-since-cookie' ? { replay: 'since-cookie' as const } : {}) });
    session.on('error', () => undefined);
    let lost = 0;
    let possiblyLost = 0;
    let duplicates = 0;
    session.on('failover', (e) => (possiblyLost += e.possiblyLost));
    for (let t = 0; t < MID_TRIALS && performance.now() < DEADLINE; t++) {
      for (let i = 0; i < 500 && session.poolElement === undefined; i++) await sleep(10);
      const serving = session.poolElement?.id;
      const text = `r${t}`;
      const answer: Promise<boolean> =
        variant === 'request'
          ? session.request(text, { timeout: 10_000 }).then(
              () => true,
              () => false,
            )
          : session.send(text).then(async () => {
              const r = await recvUntil(session, text, 10_000);
              if (r) duplicates += r.others;
              return r !== undefined;
            });
      await sleep(30 + Math.random() * 100);
      const replacement = fleet.add();
      if (serving !== undefined) fleet.sigkill(serving);
      if (!(await answer)) lost++;
      await replacement;
    }
    await session.close();
    const name = variant.replaceAll('-', '_');
    log(`mid-request SIGKILL, ${variant}: ${MID_TRIALS} trials, ${lost} lost (possiblyLost reported ${possiblyLost}), ${duplicates} duplicates`);
    emit(`mid_request_${name}_lost`, lost, 'count', { trials: MID_TRIALS, possibly_lost_reported: possiblyLost, duplicates, goal: variant === 'send-recv' ? 'reported by possiblyLost' : 0 });
  } finally {
    await fleet.closeAll();
  }
}

async function duplicateBench(intervalMs: number, killCount: number): Promise<void> {
  const host = await PeHost.spawn(registrarAddress, `DupPool${intervalMs}`);
  const seen = new Map<number, number>();
  host.onLine = (line) => {
    const m = /^rx \d+ (\d+)$/.exec(line);
    if (m) seen.set(Number(m[1]), (seen.get(Number(m[1])) ?? 0) + 1);
  };
  try {
    for (let i = 0; i < 3; i++) await host.start('log');
    const session = await rsp.connect(`DupPool${intervalMs}`, { registrars: [registrarAddress] });
    session.on('error', () => undefined);
    let possiblyLost = 0;
    session.on('failover', (e) => (possiblyLost += e.possiblyLost));
    let sent = 0;
    let kills = 0;
    let stop = false;
    const sender = (async () => {
      while (!stop) {
        await session.send(String(sent++));
        await sleep(intervalMs);
      }
    })();
    while (kills < killCount && performance.now() < DEADLINE) {
      await sleep(50 + Math.random() * 100);
      for (let i = 0; i < 500 && session.poolElement === undefined; i++) await sleep(10);
      const serving = session.poolElement?.id;
      if (serving === undefined) continue;
      if (await host.kill(serving)) kills++;
      await host.start('log');
    }
    stop = true;
    await sender;
    await session.close();
    // Let the last lines arrive.
    for (let i = 0, last = -1; i < 200 && seen.size !== last; i++) {
      last = seen.size;
      await sleep(50);
    }
    let lost = 0;
    let duplicates = 0;
    for (let i = 0; i < sent; i++) {
      const n = seen.get(i) ?? 0;
      if (n === 0) lost++;
      else duplicates += n - 1;
    }
    log(`SACK-delay duplicates, one message every ${intervalMs} ms: ${sent} messages, ${kills} kills, ${lost} lost, ${duplicates} duplicates, possiblyLost ${possiblyLost}`);
    emit(`stream_${intervalMs}ms_kills_lost`, lost, 'count', { messages: sent, kills, goal: 0 });
    emit(`sack_delay_duplicates_${intervalMs}ms`, duplicates, 'count', { messages: sent, kills, per_kill: Math.round((duplicates / Math.max(1, kills)) * 1000) / 1000, per_message: duplicates / Math.max(1, sent) });
  } finally {
    await host.close();
  }
}

// --- 1. failover time --------------------------------------------------------------------

async function failoverBench(): Promise<void> {
  const distMain = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
  if (!existsSync(distMain)) throw new Error('dist/cli/main.js is missing: run `npm run build` first');
  const fleet = new PeFleet({ registrar: registrarAddress, pool: 'BenchPool', cookieKey: 'failover benchmark secret 0123456789', command: [process.execPath, distMain] });
  try {
    await Promise.all([fleet.start(), fleet.start(), fleet.start()]);
    const session = await rsp.connect('BenchPool', { ppid: PINGPONG_PPID, registrars: [registrarAddress], replay: 'since-cookie', failoverTimeout: 10_000 });
    session.on('error', () => undefined);
    const sessionTimes: number[] = [];
    let possiblyLostTotal = 0;
    session.on('failover', (e) => {
      sessionTimes.push(e.durationMs);
      possiblyLostTotal += e.possiblyLost;
    });
    const times: number[] = [];
    let kill: { pe: string; at: number; signal: string } | undefined;
    let lastReply = 0;
    let gaps = 0;
    const stop = new AbortController();
    const pinging = runRsplibPingPong(session, {
      interval: INTERVAL,
      replyTimeout: 1000,
      signal: stop.signal,
      onReply: (r) => {
        lastReply = performance.now();
        if (!r.continued) gaps++;
        if (kill && r.pe !== undefined && r.pe !== kill.pe) {
          (kill.signal === 'SIGKILL' ? times : graceful).push(lastReply - kill.at);
          log(`${kill.signal} ${times.length + graceful.length}: ${kill.pe} -> ${r.pe} in ${(lastReply - kill.at).toFixed(0)} ms${r.continued ? '' : ' (counter did not continue)'}`);
          kill = undefined;
        }
      },
    });
    let replacement: Promise<unknown> = Promise.resolve();
    const graceful: number[] = [];
    while (times.length + graceful.length < KILLS + STOPS && performance.now() < DEADLINE - 60_000) {
      await sleep(300);
      await replacement; // keep three PEs in the pool
      if (kill !== undefined || performance.now() - lastReply > 200) continue;
      const serving = session.poolElement?.id;
      const pe = serving === undefined ? undefined : fleet.get(serving);
      if (!pe || pe.exited) continue;
      // The first KILLS rounds SIGKILL the PE; the last STOPS rounds stop it gracefully (SIGTERM: deregistration, shutdown).
      const signal = times.length < KILLS ? 'SIGKILL' : 'SIGTERM';
      kill = { pe: hexPeId(pe.peId), at: fleet.kill(pe.peId, signal)!, signal };
      replacement = fleet.start().catch((e: unknown) => log(`replacement failed: ${String(e)}`));
      const t = performance.now();
      while (kill !== undefined && performance.now() - t < 15_000) await sleep(10);
      if (kill !== undefined) {
        log(`no reply from another PE within 15 s after killing ${kill.pe}`);
        kill = undefined;
      }
    }
    stop.abort();
    await replacement;
    const summary = await pinging;
    await session.close();
    const sorted = [...times].sort((a, b) => a - b);
    const sessionSorted = [...sessionTimes].sort((a, b) => a - b);
    if (sorted.length === 0) log(`no SIGKILL measured within the part's budget (--deadline-s ${PART_BUDGET_MS / 1000})`);
    emit('sigkill_to_reply_median', quantile(sorted, 0.5), 'ms', { kills: sorted.length, interval_ms: INTERVAL, goal: '< 300', reference_s: [31, 93, 31] });
    emit('sigkill_to_reply_p95', quantile(sorted, 0.95), 'ms', { kills: sorted.length });
    emit('sigkill_to_reply_max', sorted.at(-1) ?? NaN, 'ms', { kills: sorted.length });
    const gracefulSorted = [...graceful].sort((a, b) => a - b);
    if (gracefulSorted.length > 0) emit('sigterm_to_reply_median', quantile(gracefulSorted, 0.5), 'ms', { stops: gracefulSorted.length, reference_s: 2 });
    emit('session_failover_median', quantile(sessionSorted, 0.5), 'ms', { note: 'from noticing the loss to the cookie echo on the new PE' });
    emit('counter_gaps', gaps + summary.gaps, 'count', { replies: summary.replies });
    emit('pingpong_requests_resent_by_client', summary.resends, 'count', { note: 'requests the client itself had to re-send after 1 s without reply (the session lost nothing it could re-send)' });
    emit('pingpong_possibly_lost', possiblyLostTotal, 'count', { note: 'sum of failover events\' possiblyLost' });
  } finally {
    await fleet.stopAll();
  }
}

// --- 2. throughput: session vs bare association -------------------------------------------

const WINDOW = 64;

interface Rate {
  /** Messages per wall-clock second. */
  wall: number;
  /** Messages per CPU second of this process (both ends run here): meaningful on a busy host. */
  cpu: number;
}

/** Pumps `payload` through `send` for DURATION ms with WINDOW outstanding sends; returns the rates counted by `received()`. */
async function pump(send: (p: Uint8Array) => Promise<void>, received: () => number, payload: Uint8Array): Promise<Rate> {
  const outstanding: Array<Promise<void>> = [];
  const r0 = received();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + DURATION;
  while (performance.now() < end) {
    outstanding.push(send(payload).catch(() => undefined));
    if (outstanding.length >= WINDOW) await outstanding.shift();
  }
  await Promise.all(outstanding);
  // Count what arrived within the run (the tail included, bounded).
  const settle = performance.now() + 2000;
  let last = received();
  while (performance.now() < settle) {
    await sleep(20);
    const now = received();
    if (now === last) break;
    last = now;
  }
  const n = received() - r0;
  const c = process.cpuUsage(c0);
  return { wall: n / ((performance.now() - t0) / 1000), cpu: n / ((c.user + c.system) / 1e6) };
}

async function bare(size: number): Promise<Rate> {
  const server = await createUdpEndpoint({ address: '127.0.0.1', port: 0, listen: true });
  const client = await createUdpEndpoint({ address: '127.0.0.1', port: 0 });
  let count = 0;
  server.on('association', (b: Association) => b.on('message', (_d: Uint8Array, _i: MessageInfo) => void count++));
  const a = await client.connect(server.local);
  try {
    return await pump((p) => a.send(p, { ppid: rsp.DEFAULT_DATA_PPID }), () => count, new Uint8Array(size).fill(7));
  } finally {
    await client.close();
    await server.close();
  }
}

async function session(size: number): Promise<Rate> {
  const pe = rsp.socket({ registrars: [registrarAddress] });
  await pe.register('ThroughputPool');
  let count = 0;
  void (async () => {
    for await (const s of pe) void (async () => {
      for await (const _m of s) count++;
    })();
  })();
  const pu = await rsp.connect('ThroughputPool', { registrars: [registrarAddress] });
  try {
    return await pump((p) => pu.send(p), () => count, new Uint8Array(size).fill(7));
  } finally {
    await pu.close();
    await pe.close();
  }
}

async function throughputBench(): Promise<void> {
  for (const [name, size] of [
    ['bulk_16k', 16 * 1024],
    ['small_100b', 100],
  ] as const) {
    // Alternate to spread the noise of a busy host over both.
    const b1 = await bare(size);
    const s1 = await session(size);
    const b2 = await bare(size);
    const s2 = await session(size);
    const b = (b1.wall + b2.wall) / 2;
    const s = (s1.wall + s2.wall) / 2;
    const bc = (b1.cpu + b2.cpu) / 2;
    const sc = (s1.cpu + s2.cpu) / 2;
    log(`${name}: bare ${b.toFixed(0)}/s (${bc.toFixed(0)}/CPU s), session ${s.toFixed(0)}/s (${sc.toFixed(0)}/CPU s)`);
    emit(`session_${name}`, s, 'msg/s', { mb_per_s: Math.round(((s * size) / 1e6) * 100) / 100 });
    emit(`bare_${name}`, b, 'msg/s', { mb_per_s: Math.round(((b * size) / 1e6) * 100) / 100 });
    emit(`ratio_${name}`, s / b, 'ratio', { goal: '>= 0.8' });
    emit(`ratio_per_cpu_${name}`, sc / bc, 'ratio', { note: 'messages per CPU second, session / bare' });
  }
}

try {
  if (ONLY.has('send')) {
    startPart();
    await sendAfterKillBench();
  }
  if (ONLY.has('mid')) {
    startPart();
    for (const variant of ['request', 'send-recv', 'send-recv-since-cookie'] as const) await midRequestBench(variant);
  }
  if (ONLY.has('dup')) {
    startPart();
    await duplicateBench(2, DUP_KILLS);
    await duplicateBench(25, Math.ceil(DUP_KILLS / 2));
  }
  if (ONLY.has('kills')) {
    startPart();
    await failoverBench();
  }
  if (ONLY.has('throughput')) await throughputBench();
} finally {
  await registrar.close();
}
process.exit(0);
