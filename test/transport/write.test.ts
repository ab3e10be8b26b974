/**
 * `Association.write()`: `send()` without a promise, the way
 * `net.Socket.write()` queues bytes. Real SCTP over UDP on loopback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ClosedError, InvalidArgumentError } from '../../src/errors.js';
import { MessageTooLargeError } from '../../src/transport/errors.js';
import type { Association } from '../../src/transport/types.js';
import { closeAll, closed, endpoint, messages, nextAssociation, until } from './udp-helpers.js';

afterEach(closeAll);

const PPID = 52;

async function pair(options: { highWaterMark?: number } = {}): Promise<{ client: Association; server: Association }> {
  const s = await endpoint({ address: '127.0.0.1', port: 0, listen: true });
  const c = await endpoint({ address: '127.0.0.1', port: 0, ...options });
  const accepted = nextAssociation(s);
  const client = await c.connect(s.local);
  return { client, server: await accepted };
}

describe('Association.write()', () => {
  it('delivers written messages in order with their PPID, stream and flags, copying the caller’s bytes', async () => {
    const { client, server } = await pair();
    const got = messages(server, 300);
    const reused = Buffer.alloc(64);
    for (let i = 0; i < 300; i++) {
      reused.fill(i & 0xff);
      reused.writeUInt32BE(i, 0);
      // Sizes across the slab's limit, so both kinds of copies are covered.
      const data = i % 3 === 0 ? Buffer.concat([reused, Buffer.alloc(5000, i & 0xff)]) : reused;
      expect(client.write!(data, { ppid: PPID + (i % 2), stream: i % 4 })).toBe(true);
    }
    const received = await got;
    received.forEach(({ data, info }, i) => {
      expect(Buffer.from(data).readUInt32BE(0)).toBe(i);
      expect(data[4]).toBe(i & 0xff);
      expect(data.length).toBe(i % 3 === 0 ? 64 + 5000 : 64);
      expect(info).toEqual({ ppid: PPID + (i % 2), stream: i % 4, unordered: false });
    });
  });

  it('returns false at the high-water mark and emits drain once the queue went below it', async () => {
    const { client, server } = await pair({ highWaterMark: 64 * 1024 });
    const got = messages(server, 100);
    const drained = new Promise<void>((resolve) => client.once('drain', () => resolve()));
    const results: boolean[] = [];
    // One synchronous run: nothing leaves before the loop ends, so the queue only grows.
    for (let i = 0; i < 100; i++) results.push(client.write!(Buffer.alloc(1024, i), { ppid: PPID }));
    expect(results.slice(0, 63).every(Boolean)).toBe(true);
    expect(results.slice(63).some((r) => !r)).toBe(true);
    await drained;
    expect((await got).length).toBe(100);
  });

  it('throws what send() rejects with: bad arguments, oversized messages, an AbortSignal, a closed association', async () => {
    const { client } = await pair();
    expect(() => client.write!(Buffer.alloc(0), { ppid: PPID })).toThrow(InvalidArgumentError);
    expect(() => client.write!('text' as unknown as Uint8Array, { ppid: PPID })).toThrow(InvalidArgumentError);
    expect(() => client.write!(Buffer.alloc(4), { ppid: -1 })).toThrow(InvalidArgumentError);
    expect(() => client.write!(Buffer.alloc(4), { ppid: PPID, stream: 9999 })).toThrow(InvalidArgumentError);
    expect(() => client.write!(Buffer.alloc(2 * 1024 * 1024), { ppid: PPID })).toThrow(MessageTooLargeError);
    expect(() => client.write!(Buffer.alloc(4), { ppid: PPID, signal: new AbortController().signal })).toThrow(InvalidArgumentError);
    const end = closed(client);
    client.abort();
    await end;
    expect(() => client.write!(Buffer.alloc(4), { ppid: PPID })).toThrow(ClosedError);
  });

  it('lists writes that were never transmitted as unacknowledged when the association ends', async () => {
    const { client } = await pair();
    for (let i = 0; i < 5; i++) client.write!(Buffer.alloc(100, i), { ppid: PPID, tag: i });
    const end = closed(client);
    client.abort();
    await end;
    expect(client.unacknowledged!().map((m) => [m.tag, m.transmitted])).toEqual([0, 1, 2, 3, 4].map((i) => [i, false]));
  });

  it('is acknowledged like send(): nothing is left unacknowledged once the peer answered', async () => {
    const { client, server } = await pair();
    const got = messages(server, 50);
    for (let i = 0; i < 50; i++) client.write!(Buffer.alloc(200, i), { ppid: PPID });
    await got;
    await until(() => client.unacknowledged!().length === 0, 5000, 'everything acknowledged');
  });
});
