/**
 * Micro-benchmark of the repaired sctp@1.0.0 protocol machine over an
 * in-memory packet pipe (no sockets, no kernel): 100-byte request/response
 * round trips per second, one-way 1 KiB messages per second and bulk MB/s
 * with 64 KiB messages. Prints JSON lines
 * `{ "bench": "sctp-core", "name", "value", "unit" }`.
 *
 * `npx tsx bench/sctp-core.ts [--seconds 3] [--unrepaired]`
 * (`--unrepaired` measures the original package for comparison.)
 */
import { createRequire } from 'node:module';
import { installSctpRepairs } from '../src/transport/sctp-repairs/index.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1] || 0) || 3;
const repaired = !args.includes('--unrepaired');
if (repaired) installSctpRepairs();

const Endpoint: Loose = require('sctp/lib/endpoint.js');
const Packet: Loose = require('sctp/lib/packet.js');

/** Transport object of one host: datagrams are encoded, then decoded by the other side. */
class Pipe {
  pool: Record<number, Loose> = {};
  peer: Pipe | undefined;
  constructor(readonly address: string) {}
  register(endpoint: Loose): Loose {
    endpoint.transport = this;
    this.pool[endpoint.localPort] = endpoint;
    return endpoint;
  }
  unallocate(port: number): void {
    delete this.pool[port];
  }
  sendPacket(_src: unknown, _dst: unknown, packet: Loose, callback?: () => void): boolean {
    const datagram: Buffer = packet.toBuffer();
    const peer = this.peer!;
    setImmediate(() => {
      const p = Packet.fromBuffer(datagram);
      if (p && p.chunks) peer.pool[p.dst_port]?.emit('packet', p, this.address, peer.address);
    });
    if (callback) setImmediate(callback);
    return true;
  }
}

function emit(name: string, value: number, unit: string): void {
  console.log(JSON.stringify({ bench: 'sctp-core', name, value: Math.round(value * 10) / 10, unit, repaired }));
}

/** CPU seconds used by this process since `start` (both sides run in it). */
function cpuSince(start: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1e6;
}

async function setup(): Promise<{ a: Loose; b: Loose; close: () => void }> {
  const left = new Pipe('10.0.0.2');
  const right = new Pipe('10.0.0.1');
  left.peer = right;
  right.peer = left;
  const server = new Endpoint({ localPort: 5000, MIS: 4, OS: 4 });
  right.register(server);
  const client = new Endpoint({ localPort: 6000, MIS: 4, OS: 4 });
  left.register(client);
  let b: Loose;
  server.on('association', (x: Loose) => (b = x));
  const a = client.ASSOCIATE({ remoteAddress: '10.0.0.1', remotePort: 5000 });
  await new Promise((resolve) => a.once('COMMUNICATION UP', resolve));
  while (!b || b.state !== 'ESTABLISHED') await new Promise((r) => setTimeout(r, 1));
  return {
    a,
    b,
    close: () => {
      client.close();
      server.close();
    },
  };
}

function drainAll(assoc: Loose, onMessage: (m: Buffer) => void): void {
  assoc.on('DATA ARRIVE', () => {
    for (;;) {
      const m = assoc.RECEIVE();
      if (!m) break;
      onMessage(m);
    }
  });
}

async function roundTrips(): Promise<void> {
  const { a, b, close } = await setup();
  const request = Buffer.alloc(100, 1);
  drainAll(b, (m) => b.SEND(m, { stream_id: 0, ppid: 1 }, () => {}));
  let count = 0;
  const cpu = process.cpuUsage();
  const deadline = performance.now() + seconds * 1000;
  await new Promise<void>((resolve) => {
    drainAll(a, () => {
      count++;
      if (performance.now() >= deadline) resolve();
      else a.SEND(request, { stream_id: 0, ppid: 1 }, () => {});
    });
    a.SEND(request, { stream_id: 0, ppid: 1 }, () => {});
  });
  emit('round trips 100 B', count / seconds, 'rt/s');
  // On a shared machine the wall-clock figure depends on the load; this one less so.
  emit('round trips 100 B per CPU second', count / cpuSince(cpu), 'rt/cpu-s');
  close();
}

async function oneWay(size: number, name: string, unit: 'msg/s' | 'MB/s', window: number): Promise<void> {
  const { a, b, close } = await setup();
  const message = Buffer.alloc(size, 2);
  let received = 0;
  drainAll(b, () => received++);
  let sent = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      if (performance.now() >= deadline) {
        resolve();
        return;
      }
      // Keep up to `window` messages queued in the association.
      while (sent - received < window) {
        sent++;
        a.SEND(message, { stream_id: 0, ppid: 1 }, () => {});
      }
      setImmediate(pump);
    };
    pump();
  });
  const rate = received / ((performance.now() - start) / 1000);
  emit(name, unit === 'msg/s' ? rate : (rate * size) / 1e6, unit);
  const perCpu = received / cpuSince(cpu);
  emit(`${name} per CPU second`, unit === 'msg/s' ? perCpu : (perCpu * size) / 1e6, `${unit === 'msg/s' ? 'msg' : 'MB'}/cpu-s`);
  close();
}

await roundTrips();
await oneWay(1024, 'one-way 1 KiB', 'msg/s', 64);
await oneWay(65536, 'bulk 64 KiB messages', 'MB/s', 16);
process.exit(0);
