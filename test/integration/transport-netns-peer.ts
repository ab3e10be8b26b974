/**
 * Peer process for the namespace tests, run inside a namespace with
 * `node --import tsx transport-netns-peer.ts <role> <json config>`; prints
 * JSON lines. Uses the public endpoints: UDP encapsulation or raw IP.
 *
 * Roles:
 * - `server`: listens on `address:port`; echoes PPID 1, hashes PPID 2 (bulk)
 *   and answers PPID 3 with `{ bytes, sha256 }` of the bulk so far.
 * - `bulk`: sends `bytes` in messages of `size` bytes (PPID 2), then asks for
 *   the digest; prints `{ bytes, intact, ms }`.
 * - `setups`: `count` times connect, echo one message, close; prints
 *   `{ ok, failed, errors, ms }`.
 * - `echo`: connects, sends `count` messages of growing size (up to `size`)
 *   on alternating streams and compares what comes back (any PPID: foreign
 *   echo servers may not reflect it); prints `{ sent, intact, ms }`.
 * - `pmtu`: connects, waits until path MTU discovery has settled, has a
 *   1 MiB message echoed (PPID 1) and prints `{ packetSize, probes, failed,
 *   intact }`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createRawEndpoint } from '../../src/transport/raw-endpoint.js';
import { createUdpEndpoint } from '../../src/transport/udp-endpoint.js';
import type { Association, Endpoint } from '../../src/transport/types.js';
import { pathMtuInfo } from '../../src/transport/sctp-repairs/index.js';

interface Config {
  mode: 'udp' | 'raw';
  address?: string;
  port?: number;
  remote?: string;
  remotePort?: number;
  bytes?: number;
  size?: number;
  count?: number;
  timeoutMs?: number;
}

function print(value: object): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

async function endpoint(config: Config, listen: boolean): Promise<Endpoint> {
  // The defaults give up after 3 consecutive retransmission timeouts (fast failover on a LAN);
  // at 5 % loss in both directions a long transfer can meet such a run now and then, so a lossy
  // link gets the RFC 4960 limit of 10, as docs/TRANSPORT.md advises.
  const common = { listen, maxMessageSize: 1024 * 1024, connectTimeout: 15_000, maxRetransmissions: 10 };
  if (config.mode === 'raw') return createRawEndpoint({ ...common, port: config.port ?? 0 });
  return createUdpEndpoint({ ...common, address: config.address ?? '0.0.0.0', port: config.port ?? 0 });
}

function nextMessage(a: Association, ppid: number, timeoutMs: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      a.off('message', onMessage);
      reject(new Error(`no reply within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (data: Uint8Array, info: { ppid: number }): void => {
      if (info.ppid !== ppid) return;
      clearTimeout(timer);
      a.off('message', onMessage);
      resolve(data);
    };
    a.on('message', onMessage);
  });
}

async function main(role: string, config: Config): Promise<void> {
  if (role === 'server') {
    const server = await endpoint(config, true);
    server.on('association', (a) => {
      let hash = createHash('sha256');
      let bytes = 0;
      a.on('error', () => {});
      a.on('message', (data, info) => {
        if (info.ppid === 1) void a.send(data, { ppid: 1 }).catch(() => {});
        else if (info.ppid === 2) {
          hash.update(data);
          bytes += data.length;
        } else if (info.ppid === 3) {
          const summary = Buffer.from(JSON.stringify({ bytes, sha256: hash.digest('hex') }));
          hash = createHash('sha256');
          bytes = 0;
          void a.send(summary, { ppid: 3 }).catch(() => {});
        }
      });
    });
    print({ listening: server.local.port });
    // Runs until the test kills it (bounded by the test's own time limit and by this guard).
    setTimeout(() => process.exit(0), config.timeoutMs ?? 600_000).unref();
    setInterval(() => {}, 60_000);
    return;
  }
  const client = await endpoint(config, false);
  const remote = { address: config.remote!, port: config.remotePort! };
  const started = performance.now();
  if (role === 'bulk') {
    const total = config.bytes ?? 20 * 1024 * 1024;
    const size = config.size ?? 64 * 1024;
    const a = await client.connect(remote);
    a.on('error', () => {});
    const hash = createHash('sha256');
    const block = randomBytes(size);
    let sent = 0;
    let i = 0;
    while (sent < total) {
      const n = Math.min(size, total - sent);
      const message = Buffer.from(block.subarray(0, n));
      message.writeUInt32BE(i++, 0);
      hash.update(message);
      await a.send(message, { ppid: 2 });
      sent += n;
    }
    const reply = nextMessage(a, 3, config.timeoutMs ?? 300_000);
    await a.send(Buffer.from('fin'), { ppid: 3 });
    const summary = JSON.parse(Buffer.from(await reply).toString()) as { bytes: number; sha256: string };
    print({ bytes: summary.bytes, intact: summary.bytes === total && summary.sha256 === hash.digest('hex'), ms: Math.round(performance.now() - started) });
    await a.close();
    await client.close();
    process.exit(0);
  }
  if (role === 'setups') {
    const count = config.count ?? 100;
    let ok = 0;
    const errors: string[] = [];
    for (let i = 0; i < count; i++) {
      try {
        const a = await client.connect(remote, { timeout: 20_000 });
        a.on('error', () => {});
        const ping = Buffer.from(`ping ${i}`);
        const reply = nextMessage(a, 1, 20_000);
        await a.send(ping, { ppid: 1 });
        if (Buffer.compare(Buffer.from(await reply), ping) === 0) ok++;
        else errors.push(`${i}: wrong echo`);
        await a.close();
      } catch (error) {
        errors.push(`${i}: ${(error as Error).message}`);
      }
    }
    print({ ok, failed: count - ok, errors: errors.slice(0, 5), ms: Math.round(performance.now() - started) });
    await client.close();
    process.exit(0);
  }
  if (role === 'echo') {
    const count = config.count ?? 5;
    const size = config.size ?? 5000;
    const a = await client.connect(remote, { timeout: 10_000 });
    a.on('error', () => {});
    const sent: string[] = [];
    const back: string[] = [];
    const done = new Promise<void>((resolve) => {
      a.on('message', (data) => {
        back.push(Buffer.from(data).toString('hex'));
        if (back.length === count) resolve();
      });
    });
    for (let i = 0; i < count; i++) {
      const message = randomBytes(Math.max(1, Math.round((size * (i + 1)) / count)));
      sent.push(message.toString('hex'));
      await a.send(message, { ppid: 1, stream: i % 2 });
    }
    await Promise.race([done, new Promise((r) => setTimeout(r, config.timeoutMs ?? 20_000))]);
    const remaining = new Set(sent);
    let intact = 0;
    for (const b of back) if (remaining.delete(b)) intact++;
    print({ sent: count, intact, ms: Math.round(performance.now() - started) });
    await a.close().catch(() => {});
    await client.close();
    process.exit(0);
  }
  if (role === 'pmtu') {
    const a = await client.connect(remote, { timeout: 10_000 });
    a.on('error', () => {});
    const sctp = (a as unknown as { sctp: object }).sctp;
    const deadline = performance.now() + 20_000;
    await new Promise((r) => setTimeout(r, 50));
    while (pathMtuInfo(sctp).searching && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const message = randomBytes(1024 * 1024);
    const reply = nextMessage(a, 1, config.timeoutMs ?? 60_000);
    await a.send(message, { ppid: 1 });
    const back = await reply;
    print({ ...pathMtuInfo(sctp), intact: Buffer.compare(Buffer.from(back), message) === 0, ms: Math.round(performance.now() - started) });
    await a.close().catch(() => {});
    await client.close();
    process.exit(0);
  }
  throw new Error(`unknown role ${role}`);
}

main(process.argv[2] ?? '', JSON.parse(process.argv[3] ?? '{}') as Config).catch((error: unknown) => {
  print({ error: String(error) });
  process.exit(1);
});
