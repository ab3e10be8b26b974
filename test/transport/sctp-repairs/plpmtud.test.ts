/**
 * Packetization Layer Path MTU Discovery (plpmtud.ts, RFC 8899 with PAD
 * probes, RFC 4820) over the in-memory network: a path that silently drops
 * packets above a size (an ICMP black hole) is found by probing, data is
 * then sized to it, and an ICMP "packet too big" report ends a search.
 * The original package has a fixed packet size and never probes.
 */
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import { setupRepairs } from './mode.js';
import { setPathMtu, pathMtuInfo, packetTooBig } from '../../../src/transport/sctp-repairs/index.js';
import { MemoryNetwork, connectPair, collect, send, waitFor, chunkTypes, type Pair } from './harness.js';

beforeAll(setupRepairs);

let pair: Pair | undefined;
afterEach(() => {
  pair?.close();
  pair = undefined;
});

describe('path MTU discovery', () => {
  it('climbs to the largest size a black-hole path carries and sizes data packets to it', async () => {
    const network = new MemoryNetwork();
    let largest = 0;
    let pads = 0;
    network.set({
      tap: (d) => {
        if (chunkTypes(d).includes(0x84)) pads++;
        if (d.length > 4000) return null; // the path's limit, no ICMP
        largest = Math.max(largest, d.length);
      },
    });
    pair = await connectPair(network);
    // Link MTUs 1500 … 9000 with 28 bytes of IP + UDP in front of each packet.
    setPathMtu(pair.a, { packetSize: 1472, ceiling: 9000 - 28, overhead: 28 });
    await waitFor(() => !pathMtuInfo(pair!.a).searching, 10_000, 'search end');
    const info = pathMtuInfo(pair.a);
    expect(pads).toBeGreaterThan(0);
    expect(info.packetSize).toBeGreaterThan(1472);
    expect(info.packetSize).toBeLessThanOrEqual(4000);
    expect(info.failed).toBe(1);

    const got = collect(pair.b);
    const message = Buffer.alloc(200_000, 7);
    for (let i = 0; i < message.length; i++) message[i] = (i * 31) & 0xff;
    await send(pair.a, message, { ppid: 9 });
    await waitFor(() => got.length === 1, 10_000, 'delivery');
    expect(got[0]!.equals(message)).toBe(true);
    expect(largest).toBeGreaterThan(2000);
    expect(largest).toBeLessThanOrEqual(4000);
  });

  it('stops at the ceiling when the path carries everything, and probes nothing without a ceiling', async () => {
    pair = await connectPair(new MemoryNetwork());
    setPathMtu(pair.a, { packetSize: 1472, ceiling: 9000 - 28, overhead: 28 });
    await waitFor(() => !pathMtuInfo(pair!.a).searching, 10_000, 'search end');
    expect(pathMtuInfo(pair.a).packetSize).toBe(9000 - 28);
    setPathMtu(pair.b, { packetSize: 60_000 });
    expect(pathMtuInfo(pair.b)).toMatchObject({ packetSize: 60_000, searching: false, probes: 0 });
  });

  it('ends the search at the last confirmed size on "packet too big", and falls back to the base when data hit it', async () => {
    const network = new MemoryNetwork();
    pair = await connectPair(network);
    let held = false;
    network.set({
      tap: (d) => {
        // Hold back the first probe above 2000 bytes, as a router would drop it with an ICMP.
        if (!held && d.length > 2000 && chunkTypes(d).includes(0x84)) {
          held = true;
          setImmediate(() => packetTooBig(pair!.a));
          return null;
        }
      },
    });
    setPathMtu(pair.a, { packetSize: 1472, ceiling: 9000 - 28, overhead: 28 });
    await waitFor(() => held && !pathMtuInfo(pair!.a).searching, 10_000, 'search end');
    expect(pathMtuInfo(pair.a).packetSize).toBe(1972);
    packetTooBig(pair.a);
    expect(pathMtuInfo(pair.a).packetSize).toBe(1472);
  });
});
