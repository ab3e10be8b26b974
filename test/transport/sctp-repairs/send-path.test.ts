/**
 * Regression tests of the send path (send-path.ts, retransmission.ts):
 * no timer per chunk, no stall at loss, concurrent writes on several
 * streams, large messages and messages larger than the peer's window.
 */
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import { setupRepairs, REPAIRED } from './mode.js';
import { setEndpointTuning, associationInfo, associate } from '../../../src/transport/sctp-repairs/index.js';
import { MemoryNetwork, connectPair, collect, send, waitFor, injectToServer, dataChunk, chunkTypes, type Pair } from './harness.js';

beforeAll(setupRepairs);

let pair: Pair | undefined;
afterEach(() => {
  pair?.close();
  pair = undefined;
});

function pattern(length: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

describe('send path', () => {
  it('does not arm a timer per chunk (association.js ~925)', async () => {
    pair = await connectPair(new MemoryNetwork());
    const got = collect(pair.b);
    const original = globalThis.setTimeout;
    let timers = 0;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      timers++;
      return original(...args);
    }) as typeof setTimeout;
    try {
      const sends: Promise<void>[] = [];
      for (let i = 0; i < 500; i++) sends.push(send(pair.a, Buffer.from(`msg ${i}`)));
      await Promise.all(sends);
      await waitFor(() => got.length === 500, 10_000, '500 messages');
    } finally {
      globalThis.setTimeout = original;
    }
    // T3 restarts, delayed SACKs and the test's polling remain; one timer per chunk (≥ 500) is gone.
    expect(timers).toBeLessThan(250);
  });

  it('2,000 messages complete at 5 % loss with reordering and duplicates (stall at ~473/~572/~1450)', async () => {
    const network = new MemoryNetwork({ seed: 42 });
    pair = await connectPair(network);
    network.set({ loss: 0.05, reorder: 0.05, duplicate: 0.02 });
    const got = collect(pair.b);
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 2000; i++) sends.push(send(pair.a, Buffer.from(`${i}:`.padEnd(300, '.'))));
    await Promise.all(sends);
    await waitFor(() => got.length === 2000, 25_000, '2000 messages at 5 % loss');
    got.forEach((m, i) => expect(m.toString().split(':')[0]).toBe(String(i)));
    expect(network.dropped).toBeGreaterThan(0);
    if (REPAIRED) {
      await waitFor(() => associationInfo(pair!.a).outstanding === 0, 10_000, 'all acknowledged');
      expect(associationInfo(pair.a).flight).toBe(0);
    }
  });

  it('concurrent writes on several streams all complete (single callback slot ~1662)', async () => {
    pair = await connectPair(new MemoryNetwork());
    const got = collect(pair.b);
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 100; i++) {
      for (let stream = 0; stream < 8; stream++) {
        sends.push(send(pair.a, Buffer.from(`${stream}/${i}`.padEnd(2000, '#')), { stream_id: stream }));
      }
    }
    await Promise.all(sends);
    await waitFor(() => got.length === 800, 20_000, '800 messages');
    for (let stream = 0; stream < 8; stream++) {
      const seq = got.filter((m) => m.stream_id === stream).map((m) => Number(m.toString().split('/')[1]!.replace(/#+$/, '')));
      expect(seq).toEqual([...Array(100).keys()]);
    }
  });

  it('a 1 MiB message arrives intact and its write callback completes (~1671)', async () => {
    const network = new MemoryNetwork({ seed: 3 });
    pair = await connectPair(network);
    network.set({ loss: 0.02 });
    const got = collect(pair.b);
    const big = pattern(1 << 20, 99);
    await send(pair.a, big, { ppid: 1234 });
    await waitFor(() => got.length === 1, 20_000, '1 MiB message');
    expect(got[0]!.length).toBe(big.length);
    expect(got[0]!.equals(big)).toBe(true);
    expect(got[0]!.ppid).toBe(1234);
  });

  it('a message larger than the peer window completes', async () => {
    const network = new MemoryNetwork({ seed: 5 });
    const windows: number[] = [];
    network.set({ tap: (d) => void (d[12] === 2 && windows.push(d.readUInt32BE(20))) });
    // The server advertises only 64 KiB (the original advertised whatever the endpoint had).
    pair = await connectPair(network, {
      serverOptions: { a_rwnd: 65536 },
      onEndpoints: (server) => {
        if (REPAIRED) setEndpointTuning(server, { receiveWindow: 65536 });
      },
    });
    expect(windows[0]).toBe(65536);
    network.set({ tap: undefined, loss: 0.02 });
    const got = collect(pair.b);
    const big = pattern(200 * 1024, 7);
    await send(pair.a, big);
    await send(pair.a, Buffer.from('after'));
    await waitFor(() => got.length === 2, 20_000, 'message larger than the window');
    expect(got[0]!.equals(big)).toBe(true);
  });

  it('ordered delivery is not stalled by unordered messages on the same stream', async () => {
    pair = await connectPair(new MemoryNetwork());
    const got = collect(pair.b);
    await send(pair.a, Buffer.from('u1'), { unordered: true });
    await send(pair.a, Buffer.from('o1'));
    await send(pair.a, Buffer.from('o2'));
    await waitFor(() => got.length === 3, 5000, 'three messages');
    expect(got.map((m) => m.toString()).sort()).toEqual(['o1', 'o2', 'u1']);
    expect(got.find((m) => m.toString() === 'u1')!.unordered).toBe(true);
  });
});

describe('receive window', () => {
  it('INIT and INIT-ACK advertise the configured window (default 4 MiB)', async () => {
    const network = new MemoryNetwork();
    const windows: number[] = [];
    network.set({
      tap: (d) => {
        const type = d[12];
        if (type === 1 || type === 2) windows.push(d.readUInt32BE(12 + 8));
      },
    });
    pair = await connectPair(network, { clientOptions: { a_rwnd: 16384 } });
    expect(windows.length).toBeGreaterThanOrEqual(2);
    for (const w of windows) expect(w).toBeGreaterThanOrEqual(4 * 1024 * 1024);
  });

  it('the window is tunable per endpoint and per association', async () => {
    if (!REPAIRED) return;
    const network = new MemoryNetwork();
    const initAck: number[] = [];
    const init: number[] = [];
    network.set({
      tap: (d) => {
        if (d[12] === 1) init.push(d.readUInt32BE(20));
        if (d[12] === 2) initAck.push(d.readUInt32BE(20));
      },
    });
    pair = await connectPair(network, {
      onEndpoints: (server) => setEndpointTuning(server, { receiveWindow: 256 * 1024 }),
      associate: (client, options) => associate(client, options as never, { receiveWindow: 1 << 20 }),
    });
    expect(initAck[0]).toBe(256 * 1024);
    expect(init[0]).toBe(1 << 20);
  });

  it('asks for an immediate SACK (I bit, RFC 7053) on the last DATA chunk before it waits, and the receiver honours it', async () => {
    const network = new MemoryNetwork();
    const dataFlags: number[] = [];
    let sacks = 0;
    network.set({
      tap: (d) => {
        let o = 12;
        while (o + 4 <= d.length) {
          if (d[o] === 0) dataFlags.push(d[o + 1]!);
          if (d[o] === 3) sacks++;
          o += (d.readUInt16BE(o + 2) + 3) & ~3;
        }
      },
    });
    // A delayed-SACK timer far longer than the deadline below: only the I bit can bring the SACK in time.
    const slow = { rtoMin: 30_000, rtoMax: 60_000, rtoInitial: 30_000, sackTimeout: 15_000 };
    pair = await connectPair(network, {
      onEndpoints: (server, client) => {
        setEndpointTuning(server, slow);
        setEndpointTuning(client, slow);
      },
    });
    const got = collect(pair.b);
    // Two messages: the receiver's first SACK is immediate anyway; the second one's is the test.
    await send(pair.a, pattern(100, 1));
    await waitFor(() => got.length === 1 && associationInfo(pair!.a).outstanding === 0, 5000, 'first SACK');
    const before = sacks;
    await send(pair.a, pattern(100, 2));
    await waitFor(() => got.length === 2, 5000, 'delivery');
    await waitFor(() => associationInfo(pair!.a).outstanding === 0, 5000, 'immediate SACK of a lone message');
    expect(sacks).toBeGreaterThan(before);
    expect(dataFlags.at(-1)! & 0x08).toBe(0x08);
  });

  it('a DATA chunk without the I bit is acknowledged by the delayed-SACK timer', async () => {
    const network = new MemoryNetwork();
    let sacksFromServer = 0;
    network.set({
      tap: (d, from) => {
        if (from === '10.0.0.1' && chunkTypes(d).includes(3)) sacksFromServer++;
      },
    });
    pair = await connectPair(network, {
      onEndpoints: (server) => setEndpointTuning(server, { rtoMin: 4000, rtoMax: 8000, rtoInitial: 4000, sackTimeout: 1500 }),
    });
    const got = collect(pair.b);
    // The first DATA of an association is acknowledged at once; the next lone packet waits for
    // the delayed-SACK timer (a sender that does not set the I bit, like most foreign stacks).
    const tsn = (pair.b.reassembly.peer_c_tsn.number + 1) >>> 0;
    injectToServer(pair, [dataChunk(tsn, 0, 0, Buffer.from('a'))]);
    await waitFor(() => got.length === 1 && sacksFromServer > 0, 5000, 'first and its SACK');
    const first = sacksFromServer;
    injectToServer(pair, [dataChunk(tsn + 1, 0, 1, Buffer.from('b'))]);
    await waitFor(() => got.length === 2, 5000, 'second');
    // Not acknowledged at once...
    expect(sacksFromServer).toBe(first);
    // ...but after the delayed-SACK timer.
    await waitFor(() => sacksFromServer > first, 10_000, 'delayed SACK');
  });
});
