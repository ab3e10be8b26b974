/**
 * T3 against peers that delay SACKs (sctplib, usrsctp and Linux wait up to
 * 200 ms for a second packet, as RFC 4960 §6.2 allows): with the fast RTO
 * bounds of this library (rtoMin 50 ms), every lone message used to be
 * retransmitted before its delayed SACK arrived (48 of 49 ENRP Presence
 * messages to the reference in one capture). T3 now waits at least
 * `sackDelayGuard` (250 ms) until the peer has acknowledged a lone packet
 * promptly; towards such a peer (this library) it runs at the RTO.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { associate, associationInfo } from '../../../src/transport/sctp-repairs/index.js';
import { setupRepairs } from './mode.js';
import { MemoryNetwork, chunkTypes, collect, connectPair, sleep, waitFor, type Pair } from './harness.js';

beforeAll(setupRepairs);

let pair: Pair | undefined;
afterEach(() => {
  pair?.close();
  pair = undefined;
});

const SACK = 3;
const DATA = 0;

/** A network on which the server's SACK-only packets arrive 200 ms late (a delayed-SACK peer). */
function delayedSackNetwork(): { network: MemoryNetwork; transmissions: Map<number, number> } {
  const network = new MemoryNetwork();
  const transmissions = new Map<number, number>();
  network.set({
    tap: (d, from, to) => {
      const types = chunkTypes(d);
      if (from === '10.0.0.2' && types[0] === DATA) {
        const tsn = d.readUInt32BE(16);
        transmissions.set(tsn, (transmissions.get(tsn) ?? 0) + 1);
      }
      if (from === '10.0.0.1' && types.length === 1 && types[0] === SACK) {
        const copy = Buffer.from(d);
        setTimeout(() => network.hosts.get(to)?.receive(copy, from), 200);
        return null;
      }
      return undefined;
    },
  });
  return { network, transmissions };
}

async function loneMessages(p: Pair, count: number, gapMs: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    p.a.SEND(Buffer.from(`presence ${i}`), { stream_id: 0, ppid: 12 }, () => {});
    await sleep(gapMs);
  }
}

describe('T3 and delayed SACKs', () => {
  it('no spurious retransmission of lone messages to a peer that delays SACKs by 200 ms', async () => {
    const { network, transmissions } = delayedSackNetwork();
    pair = await connectPair(network, { associate: (client, options) => associate(client, options as never, { rtoMin: 50, rtoMax: 200 }) });
    const got = collect(pair.b);
    await loneMessages(pair, 8, 300);
    await waitFor(() => got.length === 8 && associationInfo(pair!.a).outstanding === 0, 5000, 'all acknowledged');
    expect(transmissions.size).toBe(8);
    expect([...transmissions.values()].filter((n) => n > 1)).toEqual([]);
    expect(associationInfo(pair.a).promptSack).toBe(false);
  }, 20_000);

  it('without the guard the same peer gets lone messages retransmitted (the defect)', async () => {
    const { network, transmissions } = delayedSackNetwork();
    pair = await connectPair(network, { associate: (client, options) => associate(client, options as never, { rtoMin: 50, rtoMax: 200, sackDelayGuard: 1 }) });
    const got = collect(pair.b);
    await loneMessages(pair, 4, 300);
    await waitFor(() => got.length === 4 && associationInfo(pair!.a).outstanding === 0, 5000, 'all acknowledged');
    expect([...transmissions.values()].filter((n) => n > 1).length).toBeGreaterThan(0);
  }, 20_000);

  it('a peer that SACKs promptly (this library) is recognised: T3 runs at the RTO again', async () => {
    pair = await connectPair(new MemoryNetwork());
    const got = collect(pair.b);
    await loneMessages(pair, 3, 50);
    await waitFor(() => got.length === 3 && associationInfo(pair!.a).outstanding === 0, 5000, 'all acknowledged');
    expect(associationInfo(pair.a).promptSack).toBe(true);
  });
});
