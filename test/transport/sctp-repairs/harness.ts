/**
 * In-process test harness for the sctp protocol machine: sctp `Endpoint`s
 * wired by an in-memory packet network that implements the transport
 * interface sctp's Endpoint expects (`register`, `unallocate`,
 * `sendPacket`), with injectable loss, reordering, duplication and delay.
 * Unit level only; real UDP is tested with the transport module.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
export const Endpoint: Loose = require('sctp/lib/endpoint.js');
export const Packet: Loose = require('sctp/lib/packet.js');
export const Chunk: Loose = require('sctp/lib/chunk.js');

/** Deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface LinkOptions {
  /** Drop probability per packet. */
  loss?: number;
  /** Duplicate probability per packet. */
  duplicate?: number;
  /** Probability that a packet gets an extra random delay (reordering). */
  reorder?: number;
  /** Base one-way delay in ms (0 = next event-loop turn). */
  delay?: number;
  /** Drop every packet (a silent peer). */
  blackhole?: boolean;
  /** Seed of the random decisions. */
  seed?: number;
  /** Observe (and optionally replace/drop by returning null) each datagram. */
  tap?: (datagram: Buffer, from: string, to: string) => Buffer | null | void;
}

/** An in-memory IP network of hosts identified by address strings. */
export class MemoryNetwork {
  readonly hosts = new Map<string, PipeTransport>();
  options: LinkOptions;
  sent = 0;
  dropped = 0;
  private rnd: () => number;

  constructor(options: LinkOptions = {}) {
    this.options = options;
    this.rnd = prng(options.seed ?? 1);
  }

  set(options: LinkOptions): void {
    this.options = { ...this.options, ...options };
    if (options.seed !== undefined) this.rnd = prng(options.seed);
  }

  host(address: string): PipeTransport {
    let t = this.hosts.get(address);
    if (!t) {
      t = new PipeTransport(this, address);
      this.hosts.set(address, t);
    }
    return t;
  }

  send(from: string, to: string, datagram: Buffer): void {
    this.sent++;
    const o = this.options;
    if (o.tap) {
      const r = o.tap(datagram, from, to);
      if (r === null) {
        this.dropped++;
        return;
      }
      if (r) datagram = r;
    }
    if (o.blackhole || (o.loss && this.rnd() < o.loss)) {
      this.dropped++;
      return;
    }
    const copies = o.duplicate && this.rnd() < o.duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      let delay = o.delay ?? 0;
      if (o.reorder && this.rnd() < o.reorder) delay += 1 + Math.floor(this.rnd() * 5);
      const deliver = (): void => this.hosts.get(to)?.receive(Buffer.from(datagram), from);
      if (delay > 0) setTimeout(deliver, delay);
      else setImmediate(deliver);
    }
  }
}

/** The transport object handed to sctp's Endpoint. */
export class PipeTransport {
  readonly pool: Record<number, Loose> = {};
  private next = 49152;
  /**
   * UDP-encapsulation emulation (like sctp's UDPTransport): packets are
   * handed to the endpoint without a source address and sent to `peer`
   * whatever destination the endpoint names.
   */
  anonymousPeer: string | undefined;

  constructor(
    readonly network: MemoryNetwork,
    readonly address: string,
  ) {}

  register(endpoint: Loose): Loose {
    let port = endpoint.localPort;
    if (!port) {
      while (this.pool[this.next]) this.next++;
      port = this.next++;
    }
    if (this.pool[port]) return undefined;
    endpoint.localPort = port;
    endpoint.transport = this;
    this.pool[port] = endpoint;
    return endpoint;
  }

  unallocate(port: number): void {
    delete this.pool[port];
  }

  sendPacket(_src: string | undefined, dst: string, packet: Loose, callback?: () => void): boolean {
    this.network.send(this.address, this.anonymousPeer ?? dst, packet.toBuffer());
    if (typeof callback === 'function') setImmediate(callback);
    return true;
  }

  /** Delivers one datagram to the endpoint bound to its destination port. */
  receive(datagram: Buffer, from: string): void {
    const packet = Packet.fromBuffer(datagram);
    if (!packet || !packet.chunks) return;
    const endpoint = this.pool[packet.dst_port];
    if (endpoint) {
      if (this.anonymousPeer) endpoint.emit('packet', packet, undefined, undefined);
      else endpoint.emit('packet', packet, from, this.address);
    }
  }
}

/** Creates an sctp Endpoint on a host of the network. */
export function createEndpoint(network: MemoryNetwork, address: string, port: number, options: Record<string, unknown> = {}): Loose {
  const endpoint = new Endpoint({ localPort: port, MIS: 16, OS: 16, ...options });
  if (!network.host(address).register(endpoint)) throw new Error(`port ${port} in use on ${address}`);
  return endpoint;
}

/** Waits for an event (with timeout). */
export function once<T extends unknown[] = unknown[]>(emitter: Loose, event: string, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.removeListener(event, on);
      reject(new Error(`timeout waiting for ${event}`));
    }, timeoutMs);
    const on = (...args: unknown[]): void => {
      clearTimeout(timer);
      resolve(args as T);
    };
    emitter.once(event, on);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls a condition until true or timeout. */
export async function waitFor(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timeout waiting for ${what}`);
    await sleep(5);
  }
}

export interface Pair {
  network: MemoryNetwork;
  server: Loose;
  client: Loose;
  /** Client-side association (active). */
  a: Loose;
  /** Server-side association (passive), set once it exists. */
  b: Loose;
  close(): void;
}

/**
 * Two endpoints 10.0.0.1:5000 (server) and 10.0.0.2:6000 (client), the
 * client associating to the server. `associateFn` lets tests use the tuning
 * helper `associate()`; the default calls `ASSOCIATE` directly.
 */
export async function connectPair(
  network: MemoryNetwork,
  opts: {
    associate?: (endpoint: Loose, options: Record<string, unknown>) => Loose;
    clientOptions?: Record<string, unknown>;
    serverOptions?: Record<string, unknown>;
    assocOptions?: Record<string, unknown>;
    onServerAssociation?: (assoc: Loose) => void;
    /** Called with both endpoints before the client associates. */
    onEndpoints?: (server: Loose, client: Loose) => void;
    timeoutMs?: number;
    waitUp?: boolean;
  } = {},
): Promise<Pair> {
  const server = createEndpoint(network, '10.0.0.1', 5000, opts.serverOptions);
  const client = createEndpoint(network, '10.0.0.2', 6000, opts.clientOptions);
  const pair: Pair = {
    network,
    server,
    client,
    a: undefined,
    b: undefined,
    close() {
      try {
        client.close();
      } catch {
        /* already closed */
      }
      try {
        server.close();
      } catch {
        /* already closed */
      }
    },
  };
  server.on('association', (assoc: Loose) => {
    pair.b = assoc;
    opts.onServerAssociation?.(assoc);
  });
  opts.onEndpoints?.(server, client);
  const options = { remoteAddress: '10.0.0.1', remotePort: 5000, ...opts.assocOptions };
  pair.a = opts.associate ? opts.associate(client, options) : client.ASSOCIATE(options);
  if (opts.waitUp !== false) {
    await once(pair.a, 'COMMUNICATION UP', opts.timeoutMs ?? 10_000);
    await waitFor(() => pair.b !== undefined && pair.b.state === 'ESTABLISHED', opts.timeoutMs ?? 10_000, 'server association');
  }
  return pair;
}

/** A delivered message: sctp puts the metadata on the Buffer. */
export type Delivered = Buffer & { ppid?: number; stream_id?: number; unordered?: boolean };

/** Collects messages delivered by an sctp association. */
export function collect(assoc: Loose): Delivered[] {
  const got: Delivered[] = [];
  assoc.on('DATA ARRIVE', () => {
    for (;;) {
      const b = assoc.RECEIVE();
      if (!b) break;
      got.push(b);
    }
  });
  return got;
}

/** Sends a message; resolves when the write callback runs. */
export function send(assoc: Loose, data: Buffer, options: Record<string, unknown> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    assoc.SEND(data, { stream_id: 0, ppid: 51, ...options }, (error?: Error) => (error ? reject(error) : resolve()));
  });
}

/** Builds an SCTP packet (valid CRC32c) from encoded chunks. */
export function buildPacket(srcPort: number, dstPort: number, vTag: number, chunks: Buffer[]): Buffer {
  const p = new Packet({ src_port: srcPort, dst_port: dstPort, v_tag: vTag }, chunks);
  return p.toBuffer();
}

/** Encodes a chunk with sctp's encoder. */
export function chunk(type: string, options: Record<string, unknown> = {}): Buffer {
  return new Chunk(type, options).toBuffer();
}

/** Injects chunks into the server association of a pair as if sent by the client (valid tag). */
export function injectToServer(pair: Pair, chunks: Buffer[]): void {
  pair.network.host('10.0.0.1').receive(buildPacket(6000, 5000, pair.b.my_tag, chunks), '10.0.0.2');
}

/** Encodes a DATA chunk by hand (TSN, stream, SSN, PPID, flags B|E by default). */
export function dataChunk(tsn: number, stream: number, ssn: number, payload: Buffer, flags = 3, ppid = 51): Buffer {
  const len = 16 + payload.length;
  const b = Buffer.alloc((len + 3) & ~3);
  b[0] = 0;
  b[1] = flags;
  b.writeUInt16BE(len, 2);
  b.writeUInt32BE(tsn >>> 0, 4);
  b.writeUInt16BE(stream, 8);
  b.writeUInt16BE(ssn, 10);
  b.writeUInt32BE(ppid, 12);
  payload.copy(b, 16);
  return b;
}

/** Chunk types found in a datagram. */
export function chunkTypes(datagram: Buffer): number[] {
  const out: number[] = [];
  let o = 12;
  while (o + 4 <= datagram.length) {
    const len = datagram.readUInt16BE(o + 2);
    out.push(datagram[o]!);
    if (len < 4) break;
    o += (len + 3) & ~3;
  }
  return out;
}
