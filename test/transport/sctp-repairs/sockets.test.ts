/**
 * Regression tests of the socket layer (`sctp/lib/sockets.js`) over sctp's
 * own UDP-encapsulation transport, driven by in-memory fake UDP sockets:
 * `connect()` advertised only 16 KiB (sockets.js ~229), `end()` while the
 * peer has data in flight, concurrent stream writers, connect failures.
 */
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { setupRepairs } from './mode.js';
import { setSctpDefaults, resetSctpDefaults } from '../../../src/transport/sctp-repairs/index.js';
import { waitFor, prng } from './harness.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
const sockets: Loose = require('sctp/lib/sockets.js');

beforeAll(setupRepairs);
afterEach(() => resetSctpDefaults());

/** A fake dgram socket: `send(buf, port, address, cb)` and `'message'` events. */
class FakeUdp extends EventEmitter {
  peer: FakeUdp | undefined;
  loss = 0;
  blackhole = false;
  tap: ((d: Buffer) => void) | undefined;
  private rnd = prng(17);
  constructor(readonly address: string, readonly port: number) {
    super();
  }
  send(buffer: Buffer, port: number, address: string, callback?: () => void): void {
    const copy = Buffer.from(buffer);
    this.tap?.(copy);
    if (!this.blackhole && !(this.loss && this.rnd() < this.loss)) {
      const peer = this.peer;
      setImmediate(() => peer?.emit('message', copy, { address: this.address, port: this.port, family: 'IPv4', size: copy.length }));
    }
    void port;
    void address;
    if (callback) setImmediate(callback);
  }
  close(): void {
    this.emit('close');
  }
}

function socketPair(): { a: FakeUdp; b: FakeUdp; client: Loose; server: Loose } {
  const a = new FakeUdp('127.0.0.2', 9001);
  const b = new FakeUdp('127.0.0.1', 9000);
  a.peer = b;
  b.peer = a;
  const server = new sockets.Socket();
  server.connect({ passive: true, port: 9001, localPort: 9000, udpTransport: b, udpPeer: { address: a.address, port: a.port } });
  const client = new sockets.Socket();
  return { a, b, client, server };
}

function connectClient(p: { a: FakeUdp; client: Loose }): void {
  p.client.connect({ port: 9000, localPort: 9001, udpTransport: p.a, udpPeer: { address: '127.0.0.1', port: 9000 } });
}

describe('sockets over UDP encapsulation', () => {
  it('connect() advertises the configured receive window, not 16 KiB', async () => {
    const p = socketPair();
    const windows: number[] = [];
    p.a.tap = (d) => void (d[12] === 1 && windows.push(d.readUInt32BE(20)));
    connectClient(p);
    await new Promise((r) => p.client.once('connect', r));
    expect(windows[0]).toBeGreaterThanOrEqual(4 * 1024 * 1024);
    p.client.destroy();
    p.server.destroy();
  });

  it('end() with data in flight at 5 % loss: all data arrives, both sides end', async () => {
    const p = socketPair();
    connectClient(p);
    await new Promise((r) => p.client.once('connect', r));
    p.a.loss = 0.05;
    p.b.loss = 0.05;
    let received = 0;
    p.server.on('data', (d: Buffer) => (received += d.length));
    const serverEnded = new Promise((r) => p.server.once('end', r));
    const clientFinished = new Promise((r) => p.client.once('finish', r));
    for (let i = 0; i < 200; i++) p.client.write(Buffer.alloc(1000, i & 0xff));
    p.client.end();
    await Promise.all([serverEnded, clientFinished]);
    expect(received).toBe(200 * 1000);
  });

  it('concurrent writers on several streams all complete', async () => {
    const p = socketPair();
    connectClient(p);
    await new Promise((r) => p.client.once('connect', r));
    let messages = 0;
    p.server.on('data', () => messages++);
    const writers = [0, 1].map((id) => p.client.createStream(id, 42));
    const finished = writers.map((w: Loose) => new Promise((r) => w.once('finish', r)));
    for (let i = 0; i < 100; i++) for (const w of writers) w.write(Buffer.alloc(3000, i & 0xff));
    for (const w of writers) w.end();
    await Promise.all(finished);
    await waitFor(() => messages === 200, 10_000, '200 messages');
    p.client.destroy();
    p.server.destroy();
  });

  it('a connect that cannot complete fails with ETIMEDOUT', async () => {
    setSctpDefaults({ rtoInitial: 10, rtoMin: 10, rtoMax: 20, maxInitRetransmissions: 2 });
    const a = new FakeUdp('127.0.0.2', 9003);
    a.blackhole = true;
    const client = new sockets.Socket();
    const error = new Promise<Loose>((resolve) => client.once('error', resolve));
    client.connect({ port: 9002, localPort: 9003, udpTransport: a, udpPeer: { address: '127.0.0.1', port: 9002 } });
    const e = await Promise.race([error, new Promise((r) => setTimeout(() => r('no error'), 3000))]);
    expect(e).toBeInstanceOf(Error);
    expect((e as Loose).code).toBe('ETIMEDOUT');
  });

  it('data written right after connect() (before the association exists) is delivered', async () => {
    const p = socketPair();
    let received = 0;
    p.server.on('data', (d: Buffer) => (received += d.length));
    const s = new sockets.Socket();
    // Like sctp.connect(): the actual connect happens on the next turn.
    setImmediate(() => s.connect({ port: 9000, localPort: 9001, udpTransport: p.a, udpPeer: { address: '127.0.0.1', port: 9000 } }));
    s.write(Buffer.alloc(500, 1));
    s.write(Buffer.alloc(500, 2));
    await waitFor(() => received === 1000, 5000, 'early writes');
    s.destroy();
    p.server.destroy();
  });

  it('destroy() before the association exists does not throw', () => {
    const s = new sockets.Socket();
    expect(() => s.destroy()).not.toThrow();
  });
});
