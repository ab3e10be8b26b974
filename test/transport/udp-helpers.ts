/**
 * Helpers of the UDP-encapsulation transport tests: endpoint pairs that are
 * closed after each test, waiting for events with a deadline, and raw SCTP
 * packets built by hand.
 */
import dgram from 'node:dgram';
import { crc32c } from '@node-rs/crc32';
import { createUdpEndpoint, type UdpEndpoint, type UdpEndpointOptions } from '../../src/transport/udp-endpoint.js';
import type { Association, CloseReason, MessageInfo } from '../../src/transport/types.js';

const open: UdpEndpoint[] = [];

/** Creates an endpoint that {@link closeAll} closes. */
export async function endpoint(options: UdpEndpointOptions = {}): Promise<UdpEndpoint> {
  const e = await createUdpEndpoint(options);
  open.push(e);
  return e;
}

/** Closes every endpoint created by {@link endpoint}. */
export async function closeAll(): Promise<void> {
  const all = open.splice(0);
  await Promise.all(all.map((e) => e.close()));
}

/** Resolves with the next association the (listening) endpoint accepts. */
export function nextAssociation(server: UdpEndpoint, ms = 5000): Promise<Association> {
  return withDeadline(new Promise((resolve) => server.once('association', resolve)), ms, 'association');
}

/**
 * A listening and a connecting endpoint on 127.0.0.1 (closed by {@link closeAll}) and the
 * association between them: `client` on the connecting side, `server` as accepted.
 */
export async function connectedPair(): Promise<{ listening: UdpEndpoint; connecting: UdpEndpoint; client: Association; server: Association }> {
  const listening = await endpoint({ address: '127.0.0.1', port: 0, listen: true });
  const connecting = await endpoint({ address: '127.0.0.1', port: 0 });
  const accepted = nextAssociation(listening);
  const client = await connecting.connect(listening.local);
  return { listening, connecting, client, server: await accepted };
}

/** Resolves with the close reason of an association. */
export function closed(a: Association, ms = 5000): Promise<{ reason: CloseReason; error: Error | undefined; at: number }> {
  return withDeadline(
    new Promise((resolve) => a.once('close', (reason, error) => resolve({ reason, error, at: performance.now() }))),
    ms,
    'close',
  );
}

/** Collects `count` messages. */
export function messages(a: Association, count: number, ms = 10_000): Promise<Array<{ data: Uint8Array; info: MessageInfo }>> {
  const out: Array<{ data: Uint8Array; info: MessageInfo }> = [];
  return withDeadline(
    new Promise((resolve) => {
      const on = (data: Uint8Array, info: MessageInfo): void => {
        out.push({ data, info });
        if (out.length === count) {
          a.off('message', on);
          resolve(out);
        }
      };
      a.on('message', on);
    }),
    ms,
    `${count} messages (got ${out.length})`,
  );
}

/** Rejects when `promise` does not settle within `ms`. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    }),
  ]);
}

/** Polls `predicate` until true. */
export async function until(predicate: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = performance.now() + ms;
  while (!predicate()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Builds an SCTP packet with a correct CRC32c. */
export function sctpPacket(srcPort: number, dstPort: number, vTag: number, chunks: Buffer[]): Buffer {
  const body = Buffer.concat(chunks.map((c) => (c.length % 4 ? Buffer.concat([c, Buffer.alloc(4 - (c.length % 4))]) : c)));
  const p = Buffer.concat([Buffer.alloc(12), body]);
  p.writeUInt16BE(srcPort, 0);
  p.writeUInt16BE(dstPort, 2);
  p.writeUInt32BE(vTag >>> 0, 4);
  p.writeUInt32LE(crc32c(p), 8);
  return p;
}

/** A chunk with a 4-byte header and `body`. */
export function chunk(type: number, flags: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const c = Buffer.alloc(4 + body.length);
  c[0] = type;
  c[1] = flags;
  c.writeUInt16BE(4 + body.length, 2);
  body.copy(c, 4);
  return c;
}

/** An INIT chunk. */
export function initChunk(initiateTag: number, streams = 4): Buffer {
  const body = Buffer.alloc(16);
  body.writeUInt32BE(initiateTag, 0);
  body.writeUInt32BE(65536, 4);
  body.writeUInt16BE(streams, 8);
  body.writeUInt16BE(streams, 10);
  body.writeUInt32BE(12345, 12);
  return chunk(1, 0, body);
}

/** A bound UDP socket that records what it receives. */
export async function probeSocket(): Promise<{ socket: dgram.Socket; port: number; received: Buffer[]; next(ms?: number): Promise<Buffer>; close(): Promise<void> }> {
  const socket = dgram.createSocket('udp4');
  const received: Buffer[] = [];
  const waiters: Array<(b: Buffer) => void> = [];
  socket.on('message', (m) => {
    const w = waiters.shift();
    if (w) w(m);
    else received.push(m);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  return {
    socket,
    port: socket.address().port,
    received,
    next: (ms = 2000) => {
      const b = received.shift();
      if (b) return Promise.resolve(b);
      return withDeadline(new Promise<Buffer>((r) => waiters.push(r)), ms, 'datagram');
    },
    close: () => new Promise<void>((r) => socket.close(() => r())),
  };
}
