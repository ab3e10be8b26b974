/**
 * Transport benchmark: SCTP associations of this library against Node `net`
 * TCP measured in the same run on loopback. Prints one JSON line per figure:
 *
 *   { "bench": "transport", "mode": "udp", "name": "...", "value": n, "unit": "...",
 *     "tcp": n, "ratio_to_tcp": r }
 *
 * Figures: 100-byte request/response round trips per second, one-way 1 KiB
 * messages per second (both queued with `association.write()`, as the TCP
 * baseline queues with `socket.write()`; the same figures with `send()`, a
 * promise per message, are in the fields `send_value`, `send_ratio_to_tcp`
 * and `send_cpu_us_per_op`), bulk MB/s with 64 KiB messages (each also with the
 * plain-UDP ceiling of the same run: `udp` and `ratio_to_udp`; the ceiling's
 * own lines, mode "udp-ceiling", come last: 100-byte datagram ping-pong and
 * one-way 1,200 / 9,000 / 65,000-byte datagrams), memory per idle
 * association end (heap and RSS, after GC), association setup time, and the
 * time to notice a SIGKILLed peer process.
 *
 * Usage: `npx tsx bench/transport.ts [--mode udp[,raw]] [--duration ms] [--only name,...] [--src]`
 * (uses the compiled build in dist/ when present: run `npm run build` first; `--src` measures the
 * TypeScript sources through tsx, whose kept function names cost CPU on every closure)
 * (re-executes itself with `--expose-gc` in a plain Node process, transpiled with esbuild, see the
 * end of this file). Bounded to well under
 * two minutes with the default duration.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The global `performance` is an accessor property; bound once, every figure reads the clock alike.
import { performance } from 'node:perf_hooks';
import type { Association, Endpoint, TransportAddress } from '../src/transport/types.js';

// --- arguments and self re-exec with --expose-gc ------------------------------------------

const args = process.argv.slice(2);
function arg(name: string): string | undefined {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  const a = args[i]!;
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : args[i + 1];
}

const SELF = fileURLToPath(import.meta.url);
// The project folder (given by the parent when this file runs transpiled from a temporary folder).
const ROOT = process.env['RSP_BENCH_ROOT'] ?? fileURLToPath(new URL('..', import.meta.url));

// The library as users run it: the compiled build (`npm run build`) when it exists. `--src` runs
// the TypeScript sources through tsx instead, which keeps function names by defining a `name`
// property on every closure it creates and so adds CPU to every operation.
const BUILD = !args.includes('--src') && existsSync(`${ROOT}dist/transport/udp-endpoint.js`) ? 'dist' : 'src';
const { createUdpEndpoint } = (await import(
  BUILD === 'dist' ? `${ROOT}dist/transport/udp-endpoint.js` : '../src/transport/udp-endpoint.js'
)) as typeof import('../src/transport/udp-endpoint.js');
const { createRawEndpoint } = (await import(
  BUILD === 'dist' ? `${ROOT}dist/transport/raw-endpoint.js` : '../src/transport/raw-endpoint.js'
)) as typeof import('../src/transport/raw-endpoint.js');
const { rawModeUnavailableReason } = (await import(
  BUILD === 'dist' ? `${ROOT}dist/transport/raw-stack.js` : '../src/transport/raw-stack.js'
)) as typeof import('../src/transport/raw-stack.js');


// --- modes ------------------------------------------------------------------------------

/** How to open endpoints of one transport mode; raw IP adds its own entry. */
interface Mode {
  name: string;
  /** Why the mode cannot run here, or undefined. */
  unavailable(): Promise<string | undefined>;
  /** A listening endpoint. */
  listen(options?: Record<string, unknown>): Promise<Endpoint>;
  /** A connect-only endpoint. */
  open(options?: Record<string, unknown>): Promise<Endpoint>;
  /** Child process arguments of a listening echo peer that prints {"ready":true,"port":N}. */
  peerCommand(): string[];
  /** Child process arguments that open `count` idle associations to `remote`, then print {"ready":true}. */
  clientsCommand(remote: TransportAddress, count: number, options: Record<string, unknown>): string[];
}

const MODES: Record<string, Mode> = {
  udp: {
    name: 'udp',
    unavailable: async () => undefined,
    listen: (options = {}) => createUdpEndpoint({ ...options, listen: true }),
    open: (options = {}) => createUdpEndpoint(options),
    peerCommand: () => ['--import', 'tsx', `${ROOT}test/fixtures/transport-peer.ts`, 'server', '{}'],
    clientsCommand: (remote, count, options) => [
      '--import',
      'tsx',
      `${ROOT}test/fixtures/transport-peer.ts`,
      'clients',
      JSON.stringify({ ...options, remote, count }),
    ],
  },
  raw: {
    name: 'raw',
    unavailable: async () => rawModeUnavailableReason(),
    // Bound to 127.0.0.1 so that `server.local` is an address clients can send to.
    listen: (options = {}) => createRawEndpoint({ ...options, address: '127.0.0.1', listen: true }),
    open: (options = {}) => createRawEndpoint({ ...options, address: '127.0.0.1' }),
    peerCommand: () => ['--import', 'tsx', `${ROOT}test/transport/raw-transport-peer.ts`, 'server', '{}'],
    clientsCommand: (remote, count, options) => [
      '--import',
      'tsx',
      `${ROOT}test/transport/raw-transport-peer.ts`,
      'clients',
      JSON.stringify({ ...options, remote, count }),
    ],
  },
};

// --- helpers ----------------------------------------------------------------------------

let DURATION = 2000;

interface Figure {
  name: string;
  unit: string;
  value: number;
  tcp: number;
  /** Plain-UDP ceiling of the same figure in the same run (same unit), when there is one. */
  udp?: number;
  /** True when a larger value is better (ratio_to_tcp = value / tcp); else tcp / value. */
  higherIsBetter: boolean;
  extra?: Record<string, unknown>;
}

function report(mode: string, f: Figure): void {
  const raw = f.higherIsBetter ? f.value / f.tcp : f.tcp / f.value;
  const ratio = Number.isFinite(raw) && f.tcp > 0 && f.value > 0 ? raw : null;
  const line = {
    bench: 'transport',
    mode,
    name: f.name,
    value: round(f.value),
    unit: f.unit,
    tcp: round(f.tcp),
    ratio_to_tcp: ratio === null ? null : round(ratio, 3),
    build: BUILD,
    ...(f.udp === undefined ? {} : { udp: round(f.udp), ratio_to_udp: f.udp > 0 && f.value > 0 ? round(f.value / f.udp, 3) : null }),
    ...(f.extra ?? {}),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function round(x: number, digits = 2): number {
  const m = 10 ** digits;
  return Math.round(x * m) / m;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function gc(): void {
  for (let i = 0; i < 3; i++) globalThis.gc?.();
}

/** CPU time (user + system) of this process since `start`, in microseconds. */
function cpuMicros(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return d.user + d.system;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function sctpPair(mode: Mode, options: Record<string, unknown> = {}): Promise<{ server: Endpoint; client: Endpoint; a: Association; b: Association }> {
  const server = await mode.listen(options);
  const client = await mode.open(options);
  const accepted = new Promise<Association>((r) => server.once('association', r));
  const a = await client.connect(server.local);
  const b = await accepted;
  return { server, client, a, b };
}

async function tcpPair(): Promise<{ server: net.Server; a: net.Socket; b: net.Socket }> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const a = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise<void>((r) => a.once('connect', () => r()));
  const b = await accepted;
  a.setNoDelay(true);
  b.setNoDelay(true);
  return { server, a, b };
}

async function closeTcp(p: { server: net.Server; a: net.Socket; b: net.Socket }): Promise<void> {
  p.a.destroy();
  p.b.destroy();
  await new Promise<void>((r) => p.server.close(() => r()));
}


// --- plain-UDP ceiling ------------------------------------------------------------------

/** Two connected UDP sockets on loopback. */
async function udpPair(): Promise<{ a: dgram.Socket; b: dgram.Socket; close(): Promise<void> }> {
  const a = dgram.createSocket('udp4');
  const b = dgram.createSocket('udp4');
  await new Promise<void>((r) => a.bind(0, '127.0.0.1', () => r()));
  await new Promise<void>((r) => b.bind(0, '127.0.0.1', () => r()));
  for (const s of [a, b]) {
    try {
      s.setRecvBufferSize(4 * 1024 * 1024);
      s.setSendBufferSize(4 * 1024 * 1024);
    } catch {
      /* capped */
    }
  }
  await new Promise<void>((r) => a.connect(b.address().port, '127.0.0.1', () => r()));
  await new Promise<void>((r) => b.connect(a.address().port, '127.0.0.1', () => r()));
  return {
    a,
    b,
    close: async () => {
      await Promise.all([a, b].map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}

/** 100-byte datagram ping-pong over connected UDP sockets: round trips/s and CPU µs each. */
async function udpRoundTrips(): Promise<{ rate: number; cpu: number }> {
  const p = await udpPair();
  const payload = Buffer.alloc(100, 1);
  p.b.on('message', (m) => p.b.send(m));
  let count = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const end = t0 + DURATION;
  await new Promise<void>((resolve) => {
    // A lost datagram would stop a strict ping-pong: restart it after a quiet millisecond gap.
    let lastSeen = count;
    const watchdog = setInterval(() => {
      if (count === lastSeen) p.a.send(payload);
      lastSeen = count;
    }, 50);
    p.a.on('message', () => {
      count++;
      if (performance.now() < end) p.a.send(payload);
      else {
        clearInterval(watchdog);
        resolve();
      }
    });
    p.a.send(payload);
  });
  const rate = count / ((performance.now() - t0) / 1000);
  const cpu = cpuMicros(c0) / count;
  await p.close();
  return { rate, cpu };
}

/**
 * One-way UDP datagrams of `size` bytes with receiver-paced flow control (at
 * most a window of datagrams unreceived, so the socket buffer never drops):
 * datagrams/s received and CPU µs each.
 */
async function udpOneWay(size: number): Promise<{ rate: number; cpu: number }> {
  const p = await udpPair();
  const payload = Buffer.alloc(size, 2);
  const window = Math.max(4, Math.floor((1024 * 1024) / size));
  let received = 0;
  let sent = 0;
  let first = 0;
  let last = 0;
  let stop = false;
  const end = performance.now() + DURATION;
  const c0 = process.cpuUsage();
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const pump = (): void => {
    while (!stop && sent - received < window) {
      sent++;
      p.a.send(payload);
    }
  };
  p.b.on('message', () => {
    if (received === 0) first = performance.now();
    received++;
    last = performance.now();
    if ((received & 63) === 0 && last >= end) {
      stop = true;
      resolveDone();
    }
    if (sent - received <= window / 2) pump();
  });
  // A datagram lost (buffer overflow) would leave the window full: forget it after a quiet 20 ms.
  let seen = -1;
  const watchdog = setInterval(() => {
    if (received === seen && !stop) {
      sent = received;
      pump();
    }
    seen = received;
    if (performance.now() > end + 1000) {
      stop = true;
      resolveDone();
    }
  }, 20);
  pump();
  await done;
  clearInterval(watchdog);
  const rate = received / (Math.max(1, last - first) / 1000);
  const cpu = cpuMicros(c0) / Math.max(1, received);
  await sleep(20);
  await p.close();
  return { rate, cpu };
}

/** The plain-UDP ceiling of this run, as figures of their own (mode "udp-ceiling"). */
const udpCeiling: { roundTrips?: { rate: number; cpu: number }; oneWay: Map<number, { rate: number; cpu: number }> } = { oneWay: new Map() };

async function ceilingRoundTrips(): Promise<{ rate: number; cpu: number }> {
  udpCeiling.roundTrips ??= await udpRoundTrips();
  return udpCeiling.roundTrips;
}

async function ceilingOneWay(size: number): Promise<{ rate: number; cpu: number }> {
  let r = udpCeiling.oneWay.get(size);
  if (!r) {
    r = await udpOneWay(size);
    udpCeiling.oneWay.set(size, r);
  }
  return r;
}

function reportCeiling(): void {
  const lines: Array<Record<string, unknown>> = [];
  if (udpCeiling.roundTrips) {
    lines.push({ name: 'udp_round_trips_100B', value: round(udpCeiling.roundTrips.rate), unit: 'round trips/s', cpu_us_per_op: round(udpCeiling.roundTrips.cpu) });
  }
  for (const [size, r] of [...udpCeiling.oneWay].sort((x, y) => x[0] - y[0])) {
    lines.push({ name: `udp_one_way_${size}B`, value: round((r.rate * size) / 1e6), unit: 'MB/s', datagrams_per_s: round(r.rate), cpu_us_per_op: round(r.cpu) });
  }
  for (const line of lines) process.stdout.write(`${JSON.stringify({ bench: 'transport', mode: 'udp-ceiling', ...line })}\n`);
}

// --- figures ----------------------------------------------------------------------------

/** How the SCTP figures queue messages: `write()` (no promise, like `net.Socket.write()`) or `send()`. */
type Api = 'write' | 'send';

/** Queues one message through `api` (errors of `send()` are ignored, as TCP's would be). */
function put(association: Association, api: Api, data: Uint8Array, options: { ppid: number; stream?: number; unordered?: boolean }): void {
  if (api === 'write' && association.write) association.write(data, options);
  else association.send(data, options).catch(() => {});
}

/** SCTP 100-byte request/response, one at a time: round trips/s and CPU µs each. */
async function sctpRoundTrips(mode: Mode, api: Api): Promise<{ rate: number; cpu: number }> {
  const payload = Buffer.alloc(100, 1);
  const { server, client, a, b } = await sctpPair(mode);
  b.on('message', (d, info) => put(b, api, d, info));
  // warm-up
  for (let i = 0; i < 200; i++) {
    const back = new Promise((r) => a.once('message', r));
    await a.send(payload, { ppid: 1 });
    await back;
  }
  let count = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const end = t0 + DURATION;
  await new Promise<void>((resolve) => {
    a.on('message', () => {
      count++;
      if (performance.now() < end) put(a, api, payload, { ppid: 1 });
      else resolve();
    });
    put(a, api, payload, { ppid: 1 });
  });
  const rate = count / ((performance.now() - t0) / 1000);
  const cpu = cpuMicros(c0) / count;
  await client.close();
  await server.close();
  return { rate, cpu };
}

/**
 * 100-byte request/response, one at a time. The headline figure queues with
 * `write()`, as the TCP baseline does with `socket.write()`; the same
 * exchange with `send()` (a promise per message) is in the `send_*` fields.
 */
async function roundTrips(mode: Mode): Promise<Figure> {
  const sctp = await sctpRoundTrips(mode, 'write');
  const viaSend = await sctpRoundTrips(mode, 'send');
  const sctpRate = sctp.rate;
  const sctpCpu = sctp.cpu;
  const payload = Buffer.alloc(100, 1);

  const tcp = await tcpPair();
  tcp.b.on('data', (d) => tcp.b.write(d));
  let tcount = 0;
  let pending = 0;
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  const tend = t1 + DURATION;
  await new Promise<void>((resolve) => {
    tcp.a.on('data', (d) => {
      pending -= d.length;
      while (pending <= 0) {
        tcount++;
        if (performance.now() >= tend) return resolve();
        pending += 100;
        tcp.a.write(payload);
      }
    });
    pending = 100;
    tcp.a.write(payload);
  });
  const tcpRate = tcount / ((performance.now() - t1) / 1000);
  const tcpCpu = cpuMicros(c1) / tcount;
  await closeTcp(tcp);
  const udp = await ceilingRoundTrips();
  return {
    name: 'round_trips_100B',
    unit: 'round trips/s',
    value: sctpRate,
    tcp: tcpRate,
    udp: udp.rate,
    higherIsBetter: true,
    extra: {
      api: 'write',
      cpu_us_per_op: round(sctpCpu),
      tcp_cpu_us_per_op: round(tcpCpu),
      udp_cpu_us_per_op: round(udp.cpu),
      send_value: round(viaSend.rate),
      send_ratio_to_tcp: round(viaSend.rate / tcpRate, 3),
      send_cpu_us_per_op: round(viaSend.cpu),
    },
  };
}

/** One-way stream of messages of `size` bytes queued through `api`; returns messages/s at the receiver. */
async function oneWaySctp(mode: Mode, size: number, api: Api = 'write'): Promise<{ rate: number; cpu: number }> {
  const { server, client, a, b } = await sctpPair(mode);
  const payload = Buffer.alloc(size, 2);
  let received = 0;
  let sent = 0;
  let first = 0;
  let last = 0;
  // The time of the last message is taken when the count reaches what was sent (known once the
  // sender stops), not on every message: TCP's receiver reads the clock once per 64 KiB chunk.
  let target = Infinity;
  b.on('message', () => {
    if (received === 0) first = performance.now();
    if (++received === target) last = performance.now();
  });
  const end = performance.now() + DURATION;
  const c0 = process.cpuUsage();
  let stop = false;
  const highWater = Math.max(256 * 1024, size * 8);
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (!stop && a.bufferedAmount < highWater) {
        if (performance.now() >= end) {
          stop = true;
          target = sent;
          if (received === target) last = performance.now();
          break;
        }
        put(a, api, payload, { ppid: 1 });
        sent++;
      }
      if (stop) resolve();
      else setImmediate(pump);
    };
    a.on('drain', pump);
    pump();
  });
  // Let the tail arrive (bounded).
  const settle = performance.now() + 2000;
  while (a.bufferedAmount > 0 && performance.now() < settle) await sleep(5);
  await sleep(50);
  if (last === 0) last = performance.now(); // not everything arrived within the bound
  const rate = received / (Math.max(1, last - first) / 1000);
  const cpu = cpuMicros(c0) / Math.max(1, received);
  await client.close();
  await server.close();
  return { rate, cpu };
}

async function oneWayTcp(size: number): Promise<{ rate: number; cpu: number }> {
  const tcp = await tcpPair();
  const payload = Buffer.alloc(size, 2);
  let bytes = 0;
  let first = 0;
  let last = 0;
  tcp.b.on('data', (d) => {
    if (bytes === 0) first = performance.now();
    bytes += d.length;
    last = performance.now();
  });
  const end = performance.now() + DURATION;
  const c0 = process.cpuUsage();
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (performance.now() < end) {
        if (!tcp.a.write(payload)) {
          tcp.a.once('drain', pump);
          return;
        }
      }
      resolve();
    };
    pump();
  });
  await sleep(100);
  const rate = bytes / size / (Math.max(1, last - first) / 1000);
  const cpu = cpuMicros(c0) / Math.max(1, bytes / size);
  await closeTcp(tcp);
  return { rate, cpu };
}

/** One-way 1 KiB messages: headline with `write()` (as TCP's `socket.write()`), `send()` in the `send_*` fields. */
async function oneWay(mode: Mode): Promise<Figure> {
  const s = await oneWaySctp(mode, 1024, 'write');
  const viaSend = await oneWaySctp(mode, 1024, 'send');
  const t = await oneWayTcp(1024);
  // Ceiling: one 1,200-byte datagram per message (no bundling).
  const u = await ceilingOneWay(1200);
  return {
    name: 'one_way_1KiB',
    unit: 'msg/s',
    value: s.rate,
    tcp: t.rate,
    udp: u.rate,
    higherIsBetter: true,
    extra: {
      api: 'write',
      cpu_us_per_op: round(s.cpu),
      tcp_cpu_us_per_op: round(t.cpu),
      udp_cpu_us_per_op: round(u.cpu),
      udp_datagram: 1200,
      send_value: round(viaSend.rate),
      send_ratio_to_tcp: round(viaSend.rate / t.rate, 3),
      send_cpu_us_per_op: round(viaSend.cpu),
    },
  };
}

async function bulk(mode: Mode): Promise<Figure> {
  const size = 64 * 1024;
  const s = await oneWaySctp(mode, size);
  const t = await oneWayTcp(size);
  // Ceiling: UDP in the largest datagrams (65,000 bytes); 1,200 and 9,000 show what the packet size costs.
  await ceilingOneWay(9000);
  const u = await ceilingOneWay(65_000);
  return {
    name: 'bulk_64KiB',
    unit: 'MB/s',
    value: (s.rate * size) / 1e6,
    tcp: (t.rate * size) / 1e6,
    udp: (u.rate * 65_000) / 1e6,
    higherIsBetter: true,
    extra: { cpu_us_per_op: round(s.cpu), tcp_cpu_us_per_op: round(t.cpu), udp_datagram: 65_000 },
  };
}

const TCP_CLIENTS = `
const net = require('node:net');
const [port, count] = process.argv.slice(1).map(Number);
const sockets = [];
(async () => {
  for (let i = 0; i < count; i++) {
    const s = net.connect(port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    sockets.push(s);
  }
  process.stdout.write(JSON.stringify({ ready: true, port }) + '\\n');
})();
`;

/**
 * Heap and RSS per idle association on the listening side (what a registrar
 * pays per pool element): the clients run in a child process, the figure is
 * the growth of this process after GC divided by the number of associations.
 */
async function memory(mode: Mode): Promise<Figure[]> {
  const n = 500;
  const options = { heartbeatInterval: 30_000, rtoInitial: 1000, rtoMax: 5000 };
  const server = await mode.listen(options);
  // warm-up: a few associations, so code and module-level state are not counted
  const warm = await startChild(mode.clientsCommand(server.local, 20, options));
  await sleep(200);
  // SIGTERM: the fixture closes its endpoint, which aborts the associations here.
  const warmExit = new Promise((r) => warm.child.once('exit', r));
  warm.child.kill('SIGTERM');
  await warmExit;
  await sleep(200);
  gc();
  const h0 = process.memoryUsage();
  const clients = await startChild(mode.clientsCommand(server.local, n, options), 120_000);
  await sleep(300);
  gc();
  const h1 = process.memoryUsage();
  const sctpHeap = (h1.heapUsed - h0.heapUsed) / n;
  const sctpRss = (h1.rss - h0.rss) / n;
  clients.child.kill('SIGKILL');
  await server.close();
  await sleep(100);

  const tcpServer = net.createServer((s) => s.on('error', () => {}));
  await new Promise<void>((r) => tcpServer.listen(0, '127.0.0.1', () => r()));
  const port = (tcpServer.address() as net.AddressInfo).port;
  gc();
  const t0 = process.memoryUsage();
  const tcpClients = await startChild(['-e', TCP_CLIENTS, String(port), String(n)], 60_000);
  await sleep(300);
  gc();
  const t1 = process.memoryUsage();
  const tcpHeap = (t1.heapUsed - t0.heapUsed) / n;
  const tcpRss = (t1.rss - t0.rss) / n;
  tcpClients.child.kill('SIGKILL');
  tcpServer.close();
  return [
    { name: 'idle_association_heap', unit: 'KiB', value: sctpHeap / 1024, tcp: tcpHeap / 1024, higherIsBetter: false, extra: { associations: n, side: 'listening' } },
    { name: 'idle_association_rss', unit: 'KiB', value: sctpRss / 1024, tcp: tcpRss / 1024, higherIsBetter: false, extra: { associations: n, side: 'listening' } },
  ];
}

/** Time from connect() to an established association, sequential. */
async function setup(mode: Mode): Promise<Figure> {
  const server = await mode.listen();
  const client = await mode.open();
  const times: number[] = [];
  for (let i = 0; i < 100; i++) {
    const t0 = performance.now();
    const a = await client.connect(server.local);
    times.push(performance.now() - t0);
    a.abort();
  }
  await client.close();
  await server.close();
  const tcpServer = net.createServer((s) => s.on('error', () => {}));
  await new Promise<void>((r) => tcpServer.listen(0, '127.0.0.1', () => r()));
  const port = (tcpServer.address() as net.AddressInfo).port;
  const ttimes: number[] = [];
  for (let i = 0; i < 100; i++) {
    const t0 = performance.now();
    const s = net.connect(port, '127.0.0.1');
    await new Promise<void>((r) => s.once('connect', () => r()));
    ttimes.push(performance.now() - t0);
    s.destroy();
  }
  await new Promise<void>((r) => tcpServer.close(() => r()));
  return { name: 'setup_time', unit: 'ms (median)', value: median(times), tcp: median(ttimes), higherIsBetter: false };
}

function startChild(command: string[], timeoutMs = 30_000): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, command, { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('peer did not start')), timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const m = JSON.parse(line) as { ready?: boolean; port?: number };
        if (m.ready && typeof m.port === 'number') {
          clearTimeout(timer);
          resolve({ child, port: m.port });
        }
      } catch {
        /* ignore */
      }
    });
    child.once('exit', () => reject(new Error('peer exited')));
  });
}

const TCP_PEER = `
const net = require('node:net');
const s = net.createServer((c) => c.pipe(c));
s.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ ready: true, port: s.address().port }) + '\\n'));
`;

/** Time from SIGKILL of the peer process to the close event (median of 3). */
async function detection(mode: Mode): Promise<Figure> {
  const client = await mode.open();
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const { child, port } = await startChild(mode.peerCommand());
    const a = await client.connect({ address: '127.0.0.1', port } as TransportAddress);
    await sleep(100);
    const closed = new Promise<number>((r) => a.once('close', () => r(performance.now())));
    const t0 = performance.now();
    child.kill('SIGKILL');
    const t1 = await Promise.race([closed, sleep(10_000).then(() => NaN)]);
    times.push(t1 - t0);
  }
  await client.close();
  const ttimes: number[] = [];
  for (let i = 0; i < 3; i++) {
    const { child, port } = await startChild(['-e', TCP_PEER]);
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    await new Promise<void>((r) => s.once('connect', () => r()));
    await sleep(100);
    const closed = new Promise<number>((r) => s.once('close', () => r(performance.now())));
    const t0 = performance.now();
    child.kill('SIGKILL');
    ttimes.push((await closed) - t0);
  }
  return { name: 'sigkill_detection', unit: 'ms (median)', value: median(times), tcp: median(ttimes), higherIsBetter: false };
}

// --- main -------------------------------------------------------------------------------

async function main(): Promise<void> {
  DURATION = Number(arg('duration') ?? 2000);
  const only = arg('only')?.split(',');
  const modes = (arg('mode') ?? 'udp').split(',');
  const figures: Array<[string, (m: Mode) => Promise<Figure | Figure[]>]> = [
    ['round_trips', roundTrips],
    ['one_way', oneWay],
    ['bulk', bulk],
    ['memory', memory],
    ['setup', setup],
    ['detection', detection],
  ];
  let failed = 0;
  for (const name of modes) {
    const mode = MODES[name];
    if (!mode) {
      process.stderr.write(`unknown mode ${name}\n`);
      failed++;
      continue;
    }
    const reason = await mode.unavailable();
    if (reason) {
      process.stderr.write(`mode ${name} skipped: ${reason}\n`);
      continue;
    }
    for (const [figure, run] of figures) {
      if (only && !only.includes(figure)) continue;
      try {
        const result = await run(mode);
        for (const f of Array.isArray(result) ? result : [result]) report(name, f);
      } catch (error) {
        failed++;
        process.stderr.write(`${name}/${figure} failed: ${(error as Error).stack ?? String(error)}\n`);
      }
    }
  }
  reportCeiling();
  process.exit(failed ? 1 : 0);
}

if (typeof globalThis.gc !== 'function' && !process.env['RSP_BENCH_CHILD']) {
  // The measurements run in a plain Node process, as applications run the library: under tsx's
  // loader the same compiled code did a major GC every few tens of milliseconds and took 20-40 %
  // more CPU per message, while the TCP baseline did not change. This file is transpiled once
  // with esbuild (the compiler tsx itself uses) into a temporary folder; `--src` needs tsx.
  let command: string[];
  let dir: string | undefined;
  if (BUILD === 'dist') {
    const { transformSync } = await import('esbuild');
    dir = mkdtempSync(join(tmpdir(), 'rserpool-bench-'));
    const file = join(dir, 'transport.mjs');
    writeFileSync(file, transformSync(readFileSync(SELF, 'utf8'), { loader: 'ts', format: 'esm', target: 'node20' }).code);
    command = ['--expose-gc', file, ...args];
  } else {
    command = ['--expose-gc', '--import', 'tsx', SELF, ...args];
  }
  const child = spawn(process.execPath, command, {
    stdio: 'inherit',
    env: { ...process.env, RSP_BENCH_CHILD: '1', RSP_BENCH_ROOT: ROOT },
    cwd: ROOT,
  });
  child.on('exit', (code) => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    process.exit(code ?? 1);
  });
} else {
  await main();
}
