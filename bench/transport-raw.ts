/**
 * Transport benchmark, raw-IP mode: SCTP directly over IP on loopback through
 * {@link createRawEndpoint}, each figure with the same measurement over Node
 * `net` TCP in the same run as `ratio_to_tcp`. One JSON line per figure:
 * `{ "bench": "transport", "mode": "raw", "name", "value", "unit", "ratio_to_tcp" }`.
 * Without root or the optional dependency `raw-socket`, prints one line with
 * `"skipped": "<reason>"` and exits 0.
 *
 * Figures: 100-byte round trips/s, one-way 1 KiB messages/s, bulk MB/s with
 * 64 KiB messages, association setup time, memory per idle association, and
 * the time to notice a SIGKILLed peer process (heartbeats: raw IP gets no
 * ICMP port unreachable from a dead process).
 *
 * Options: `--seconds N` per throughput figure (default 2).
 */
import { fork } from 'node:child_process';
import net from 'node:net';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import { createRawEndpoint, type RawEndpoint } from '../src/transport/raw-endpoint.js';
import { rawModeUnavailableReason } from '../src/transport/raw-stack.js';
import type { Association } from '../src/transport/types.js';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 2;
const PPID = 0x52535031;

function emit(name: string, value: number, unit: string, tcp?: number, extra: Record<string, unknown> = {}): void {
  const line: Record<string, unknown> = { bench: 'transport', mode: 'raw', name, value: Math.round(value * 100) / 100, unit };
  if (tcp !== undefined && tcp > 0) line['ratio_to_tcp'] = Math.round((value / tcp) * 1000) / 1000;
  if (tcp !== undefined) line['tcp'] = Math.round(tcp * 100) / 100;
  process.stdout.write(`${JSON.stringify({ ...line, ...extra })}\n`);
}

// --- TCP reference (length-prefixed messages) -------------------------------------------

interface TcpPair {
  client: net.Socket;
  server: net.Socket;
  close(): void;
}

async function tcpPair(): Promise<TcpPair> {
  const listener = net.createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const port = (listener.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((resolve) => listener.once('connection', resolve));
  const client = net.connect(port, '127.0.0.1');
  client.setNoDelay(true);
  await new Promise<void>((resolve) => client.once('connect', resolve));
  const server = await accepted;
  server.setNoDelay(true);
  return {
    client,
    server,
    close() {
      client.destroy();
      server.destroy();
      listener.close();
    },
  };
}

/** Calls `onMessage` for each length-prefixed message arriving on `socket`. */
function framed(socket: net.Socket, onMessage: (message: Buffer) => void): void {
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const length = pending.readUInt32BE(0);
      if (pending.length < 4 + length) break;
      onMessage(pending.subarray(4, 4 + length));
      pending = pending.subarray(4 + length);
    }
  });
}

function frame(message: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(message.length, 0);
  return Buffer.concat([header, message]);
}

async function tcpRoundTrips(): Promise<number> {
  const pair = await tcpPair();
  framed(pair.server, (m) => pair.server.write(frame(Buffer.from(m))));
  const payload = frame(Buffer.alloc(100, 1));
  let count = 0;
  const end = performance.now() + seconds * 1000;
  await new Promise<void>((resolve) => {
    framed(pair.client, () => {
      count++;
      if (performance.now() < end) pair.client.write(payload);
      else resolve();
    });
    pair.client.write(payload);
  });
  pair.close();
  return count / seconds;
}

async function tcpOneWay(size: number): Promise<{ rate: number; bytesPerSecond: number }> {
  const pair = await tcpPair();
  let received = 0;
  let bytes = 0;
  framed(pair.server, (m) => {
    received++;
    bytes += m.length;
  });
  const message = frame(Buffer.alloc(size, 2));
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    if (!pair.client.write(message)) await new Promise((resolve) => pair.client.once('drain', resolve));
  }
  const sent = performance.now() - start;
  await new Promise((r) => setTimeout(r, 50));
  const elapsed = Math.max(sent, performance.now() - start - 50) / 1000;
  pair.close();
  return { rate: received / elapsed, bytesPerSecond: bytes / elapsed };
}

async function tcpSetupMs(count: number): Promise<number> {
  const listener = net.createServer((s) => s.destroy());
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const port = (listener.address() as net.AddressInfo).port;
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.destroy();
  }
  listener.close();
  return (performance.now() - start) / count;
}

// --- raw IP -------------------------------------------------------------------------------

async function rawPair(): Promise<{ server: RawEndpoint; client: RawEndpoint; a: Association; accepted: Promise<Association> }> {
  const server = await createRawEndpoint({ listen: true });
  const accepted = new Promise<Association>((resolve) => server.once('association', resolve));
  const client = await createRawEndpoint();
  const a = await client.connect({ address: '127.0.0.1', port: server.local.port });
  return { server, client, a, accepted };
}

async function rawRoundTrips(): Promise<number> {
  const { server, client, a, accepted } = await rawPair();
  const peer = await accepted;
  peer.on('message', (data, info) => void peer.send(data, { ppid: info.ppid }).catch(() => {}));
  const payload = Buffer.alloc(100, 1);
  let count = 0;
  const end = performance.now() + seconds * 1000;
  await new Promise<void>((resolve) => {
    a.on('message', () => {
      count++;
      if (performance.now() < end) void a.send(payload, { ppid: PPID });
      else resolve();
    });
    void a.send(payload, { ppid: PPID });
  });
  await client.close();
  await server.close();
  return count / seconds;
}

async function rawOneWay(size: number): Promise<{ rate: number; bytesPerSecond: number }> {
  const { server, client, a, accepted } = await rawPair();
  const peer = await accepted;
  let received = 0;
  let bytes = 0;
  peer.on('message', (data) => {
    received++;
    bytes += data.length;
  });
  const message = Buffer.alloc(size, 2);
  const start = performance.now();
  const end = start + seconds * 1000;
  const inflight = new Set<Promise<void>>();
  while (performance.now() < end) {
    const p = a.send(message, { ppid: PPID });
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    if (a.bufferedAmount > 256 * 1024) await Promise.race(inflight);
  }
  const sent = performance.now() - start;
  await Promise.race([Promise.allSettled([...inflight]), new Promise((r) => setTimeout(r, 2000))]);
  const elapsed = Math.max(sent, performance.now() - start) / 1000;
  await client.close();
  await server.close();
  return { rate: received / elapsed, bytesPerSecond: bytes / elapsed };
}

async function rawSetupMs(count: number): Promise<number> {
  const server = await createRawEndpoint({ listen: true });
  server.on('association', (a) => a.on('error', () => {}));
  const client = await createRawEndpoint();
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const a = await client.connect({ address: '127.0.0.1', port: server.local.port });
    a.abort();
  }
  const ms = (performance.now() - start) / count;
  await client.close();
  await server.close();
  return ms;
}

async function rawIdleMemory(count: number): Promise<number> {
  const server = await createRawEndpoint({ listen: true });
  const client = await createRawEndpoint();
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept: Association[] = [];
  for (let i = 0; i < count; i++) kept.push(await client.connect({ address: '127.0.0.1', port: server.local.port }));
  await new Promise((r) => setTimeout(r, 200));
  gc();
  const after = process.memoryUsage().heapUsed;
  await client.close();
  await server.close();
  // Both ends of each association live in this process: halve.
  return (after - before) / count / 2;
}

/** Child process for the detection figure: a listening raw endpoint that prints its port. */
async function detectionChild(): Promise<void> {
  const server = await createRawEndpoint({ listen: true });
  server.on('association', (a) => a.on('error', () => {}));
  process.send?.({ port: server.local.port });
  setInterval(() => {}, 1000);
}

async function rawDetectionMs(): Promise<number> {
  const child = fork(fileURLToPath(import.meta.url), ['--detection-child'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('detection child did not start')), 30_000);
      child.once('message', (m: { port: number }) => {
        clearTimeout(timer);
        resolve(m.port);
      });
    });
    const client = await createRawEndpoint();
    const a = await client.connect({ address: '127.0.0.1', port });
    a.on('error', () => {});
    await new Promise((r) => setTimeout(r, 300));
    const closed = new Promise<number>((resolve) => a.once('close', () => resolve(performance.now())));
    const killed = performance.now();
    child.kill('SIGKILL');
    const at = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(Number.NaN), 10_000))]);
    await client.close();
    return at - killed;
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--detection-child')) {
    await detectionChild();
    return;
  }
  const reason = rawModeUnavailableReason();
  if (reason) {
    process.stdout.write(`${JSON.stringify({ bench: 'transport', mode: 'raw', skipped: reason })}\n`);
    return;
  }
  const rttTcp = await tcpRoundTrips();
  emit('round trips 100 B', await rawRoundTrips(), 'round trips/s', rttTcp);
  const oneTcp = await tcpOneWay(1024);
  emit('one-way 1 KiB', (await rawOneWay(1024)).rate, 'msg/s', oneTcp.rate);
  const bulkTcp = await tcpOneWay(64 * 1024);
  emit('bulk 64 KiB messages', (await rawOneWay(64 * 1024)).bytesPerSecond / 1e6, 'MB/s', bulkTcp.bytesPerSecond / 1e6);
  emit('association setup', await rawSetupMs(50), 'ms', await tcpSetupMs(50));
  emit('memory per idle association', (await rawIdleMemory(200)) / 1024, 'KiB heap', undefined, {
    note: 'heap only; raw mode has no per-association socket',
  });
  emit('detection of SIGKILLed peer', await rawDetectionMs(), 'ms', undefined, { note: 'heartbeat-based: no ICMP for raw SCTP' });
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
  process.exit(1);
});
