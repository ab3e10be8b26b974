/**
 * Regression tests of failure detection (failure-detection.ts,
 * retransmission.ts): a silent peer is declared dead within the configured
 * time — idle (heartbeats) or with data outstanding (T3) — heartbeats are
 * sent in UDP mode (no destination list), tuning is per association, and
 * ICMP unreachability is reported.
 */
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import { setupRepairs, REPAIRED } from './mode.js';
import { associate, tuningOf, DEFAULT_SCTP_TUNING, reportUnreachable } from '../../../src/transport/sctp-repairs/index.js';
import { MemoryNetwork, connectPair, createEndpoint, once, send, chunkTypes, waitFor, sleep, type Pair } from './harness.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

beforeAll(setupRepairs);

let pair: Pair | undefined;
afterEach(() => {
  pair?.close();
  pair = undefined;
});

/** Worst-case detection time of the defaults: heartbeat interval plus (maxRetransmissions + 1) RTOs at rtoMax. */
const DEFAULT_BOUND = DEFAULT_SCTP_TUNING.heartbeatInterval + (DEFAULT_SCTP_TUNING.maxRetransmissions + 1) * DEFAULT_SCTP_TUNING.rtoMax;
/** Slack for a loaded CI machine (timers fire late). */
const SLACK = 3000;

describe('dead peer detection', () => {
  it('an idle association notices a silent peer within the configured time (defaults < 1 s)', async () => {
    expect(DEFAULT_BOUND).toBeLessThan(1000);
    const network = new MemoryNetwork();
    pair = await connectPair(network);
    await sleep(50);
    const pathEvents: string[] = [];
    pair.a.on('NETWORK STATUS CHANGE', (e: Loose) => pathEvents.push(e.status));
    network.set({ blackhole: true });
    const start = performance.now();
    const [reason, detail] = await once<[string, Loose]>(pair.a, 'COMMUNICATION LOST', DEFAULT_BOUND + SLACK);
    // The path error counter passed its limit first.
    expect(pathEvents).toEqual(['inactive']);
    const elapsed = performance.now() - start;
    expect(reason).toBe('timeout');
    expect(detail).toBeInstanceOf(Error);
    expect(detail.code).toBe('ETIMEDOUT');
    expect(elapsed).toBeLessThan(DEFAULT_BOUND + SLACK);
    expect(pair.a.state).toBe('CLOSED');
    expect(pair.client.associations).toHaveLength(0);
  });

  it('data outstanding to a silent peer: T3 retransmissions are limited and the association dies', async () => {
    const network = new MemoryNetwork();
    pair = await connectPair(network);
    network.set({ blackhole: true });
    const writes: Array<Error | undefined> = [];
    for (let i = 0; i < 50; i++) pair.a.SEND(Buffer.alloc(1000, i), { stream_id: 0, ppid: 1 }, (e?: Error) => writes.push(e));
    const [reason] = await once<[string]>(pair.a, 'COMMUNICATION LOST', DEFAULT_BOUND + SLACK + 1000);
    expect(reason).toBe('timeout');
    await waitFor(() => writes.length === 50, 2000, 'write callbacks');
  });

  it('both sides notice when the link dies in both directions', async () => {
    const network = new MemoryNetwork();
    pair = await connectPair(network);
    network.set({ blackhole: true });
    const results = await Promise.all([once<[string]>(pair.a, 'COMMUNICATION LOST', 5000), once<[string]>(pair.b, 'COMMUNICATION LOST', 5000)]);
    expect(results.map((r) => r[0])).toEqual(['timeout', 'timeout']);
  });

  it('a peer that stays alive is not declared dead (heartbeats answered)', async () => {
    const network = new MemoryNetwork({ seed: 11 });
    pair = await connectPair(network);
    network.set({ loss: 0.05 });
    let lost = false;
    pair.a.on('COMMUNICATION LOST', () => (lost = true));
    pair.b.on('COMMUNICATION LOST', () => (lost = true));
    await sleep(2500);
    expect(lost).toBe(false);
    expect(pair.a.state).toBe('ESTABLISHED');
  });

  it('heartbeats are sent in UDP-encapsulation mode (empty destination list)', async () => {
    const network = new MemoryNetwork();
    const server = createEndpoint(network, '10.0.0.1', 5000);
    const client = createEndpoint(network, '10.0.0.2', 6000);
    // Like sctp's UDPTransport: no remote address, packets go to the one UDP peer.
    network.host('10.0.0.2').anonymousPeer = '10.0.0.1';
    let heartbeats = 0;
    network.set({ tap: (d, from) => void (from === '10.0.0.2' && chunkTypes(d).includes(4) && heartbeats++) });
    const a = client.ASSOCIATE({ remotePort: 5000 });
    expect(a.remoteAddress).toBeUndefined();
    try {
      await once(a, 'COMMUNICATION UP', 5000);
      await waitFor(() => heartbeats >= 2, 3000, 'heartbeats from the UDP-mode association');
    } finally {
      client.close();
      server.close();
    }
  });

  it('tuning is per association', async () => {
    const network = new MemoryNetwork();
    const fast = { heartbeatInterval: 40, rtoInitial: 20, rtoMin: 10, rtoMax: 40, maxRetransmissions: 1 };
    pair = await connectPair(network, {
      associate: (client, options) => associate(client, options as never, fast),
    });
    if (REPAIRED) {
      expect(tuningOf(pair.a).heartbeatInterval).toBe(40);
      expect(tuningOf(pair.b).heartbeatInterval).toBe(DEFAULT_SCTP_TUNING.heartbeatInterval);
    }
    network.set({ blackhole: true });
    const start = performance.now();
    await once(pair.a, 'COMMUNICATION LOST', 2000);
    const fastElapsed = performance.now() - start;
    // Bound of the fast tuning: 40 + 2 × 40 ms.
    expect(fastElapsed).toBeLessThan(120 + SLACK);
    expect(pair.b.state).not.toBe('CLOSED');
  });

  it('ICMP unreachable / ECONNREFUSED ends the association with reason "unreachable"', async () => {
    pair = await connectPair(new MemoryNetwork());
    const lost = once<[string]>(pair.a, 'COMMUNICATION LOST', 1000);
    if (REPAIRED) reportUnreachable(pair.a);
    else pair.a.emit('icmp', { v_tag: pair.a.peer_tag, chunks: [] }, 3);
    expect((await lost)[0]).toBe('unreachable');
  });

  it('write callbacks keep working while the peer is alive at 5 % loss (no false death)', async () => {
    const network = new MemoryNetwork({ seed: 8 });
    pair = await connectPair(network);
    network.set({ loss: 0.05 });
    let lost = false;
    pair.a.on('COMMUNICATION LOST', () => (lost = true));
    for (let i = 0; i < 200; i++) await send(pair.a, Buffer.alloc(3000, i));
    expect(lost).toBe(false);
  });
});
