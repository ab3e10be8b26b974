/**
 * Regression tests of T3 retransmission (retransmission.ts): when a whole
 * flight is lost, T3 expiry marks *every* outstanding chunk for
 * retransmission (the original resent one packet and left the rest to a
 * path that needed further SACKs), the RTO backs off and is capped at
 * `rtoMax`, and the flight size stays exact.
 */
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import { setupRepairs } from './mode.js';
import { associationInfo, DEFAULT_SCTP_TUNING } from '../../../src/transport/sctp-repairs/index.js';
import { MemoryNetwork, connectPair, collect, waitFor, chunkTypes, type Pair } from './harness.js';

beforeAll(setupRepairs);

let pair: Pair | undefined;
afterEach(() => {
  pair?.close();
  pair = undefined;
});

describe('T3 retransmission', () => {
  it('a whole lost flight is marked for retransmission at T3 expiry and delivered', async () => {
    const network = new MemoryNetwork();
    pair = await connectPair(network);
    const got = collect(pair.b);
    // Drop every packet from the client that carries DATA until the first T3 fires.
    let dropping = true;
    network.set({ tap: (d, from) => (dropping && from === '10.0.0.2' && chunkTypes(d).includes(0) ? null : undefined) });
    for (let i = 0; i < 30; i++) pair.a.SEND(Buffer.alloc(1200, i), { stream_id: 0, ppid: 1 }, () => {});
    await waitFor(() => associationInfo(pair!.a).outstanding > 0, 2000, 'data in flight');
    const outstanding = associationInfo(pair.a).outstanding;
    // After the first expiry, everything outstanding is marked (none is left in flight)
    // and the RTO has doubled.
    const rtoBefore = associationInfo(pair.a).rto;
    await waitFor(() => associationInfo(pair!.a).errorCount === 1, 3000, 'first T3 expiry');
    const info = associationInfo(pair.a);
    expect(info.outstanding).toBe(outstanding);
    expect(info.flight).toBeLessThanOrEqual(DEFAULT_SCTP_TUNING.maxPacketSize);
    expect(info.rto).toBe(Math.min(rtoBefore * 2, DEFAULT_SCTP_TUNING.rtoMax));
    dropping = false;
    await waitFor(() => got.length === 30, 10_000, 'delivery after T3');
    await waitFor(() => associationInfo(pair!.a).outstanding === 0, 5000, 'all acknowledged');
    expect(associationInfo(pair.a).flight).toBe(0);
    expect(associationInfo(pair.a).errorCount).toBe(0);
  });

  it('the RTO backs off exponentially and never exceeds rtoMax', async () => {
    const network = new MemoryNetwork();
    pair = await connectPair(network);
    const seen: number[] = [];
    network.set({ blackhole: true });
    pair.a.SEND(Buffer.alloc(100), { stream_id: 0, ppid: 1 }, () => {});
    pair.a.on('COMMUNICATION LOST', () => {});
    const timer = setInterval(() => {
      if (pair?.a.state !== 'CLOSED') seen.push(associationInfo(pair!.a).rto);
    }, 5);
    await waitFor(() => pair!.a.state === 'CLOSED', 5000, 'death');
    clearInterval(timer);
    expect(Math.max(...seen)).toBeLessThanOrEqual(DEFAULT_SCTP_TUNING.rtoMax);
    const distinct = [...new Set(seen)];
    for (let i = 1; i < distinct.length; i++) expect(distinct[i]).toBeGreaterThan(distinct[i - 1]!);
  });
});
