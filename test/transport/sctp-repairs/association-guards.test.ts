/**
 * Regression tests: single packets with a valid verification tag that made
 * the original association code throw (association.js ~176, ~340, ~689,
 * ~702, ~827; reassembly.js ~262). With the repairs each is handled without
 * an exception and without the last-resort guard having to catch anything
 * (`sctpRepairStats.handlerExceptions` stays 0).
 */
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import { setupRepairs, REPAIRED } from './mode.js';
import { sctpRepairStats } from '../../../src/transport/sctp-repairs/index.js';
import { MemoryNetwork, connectPair, injectToServer, chunk, dataChunk, collect, waitFor, sleep, type Pair } from './harness.js';

beforeAll(setupRepairs);

let pair: Pair | undefined;
afterEach(() => {
  pair?.close();
  pair = undefined;
});

async function established(): Promise<Pair> {
  pair = await connectPair(new MemoryNetwork());
  return pair;
}

function expectHandled(fn: () => void): void {
  const before = sctpRepairStats.handlerExceptions;
  expect(fn).not.toThrow();
  if (REPAIRED) expect(sctpRepairStats.handlerExceptions).toBe(before);
}

describe('association handlers survive hostile chunks', () => {
  it('COOKIE-ECHO with an invalid cookie to an existing association (~176)', async () => {
    const p = await established();
    expectHandled(() => injectToServer(p, [chunk('cookie_echo', { cookie: Buffer.alloc(60, 7) })]));
    expect(p.b.state).toBe('ESTABLISHED');
  });

  it('HEARTBEAT without heartbeat info (~689)', async () => {
    const p = await established();
    expectHandled(() => injectToServer(p, [Buffer.from([4, 0, 0, 4])]));
  });

  it('HEARTBEAT-ACK without heartbeat info (~702)', async () => {
    const p = await established();
    expectHandled(() => injectToServer(p, [Buffer.from([5, 0, 0, 4])]));
  });

  it('ERROR chunk whose causes cannot be decoded (~827)', async () => {
    const p = await established();
    p.b.on('COMMUNICATION ERROR', () => {});
    expectHandled(() => injectToServer(p, [Buffer.from([9, 0, 0, 12, 0x00, 0x99, 0x00, 0x08, 1, 2, 3, 4])]));
  });

  it('DATA while in SHUTDOWN-SENT (~340)', async () => {
    const p = await established();
    p.network.set({ blackhole: true });
    p.b.SHUTDOWN();
    await waitFor(() => p.b.state === 'SHUTDOWN-SENT', 2000, 'SHUTDOWN-SENT');
    const tsn = p.b.reassembly.peer_c_tsn.number + 1;
    expectHandled(() => injectToServer(p, [dataChunk(tsn, 0, 0, Buffer.from('late'))]));
  });

  it('DATA with a TSN far outside the window (reassembly ~262)', async () => {
    const p = await established();
    const got = collect(p.b);
    const tsn = (p.b.reassembly.peer_c_tsn.number + 100_000) >>> 0;
    expectHandled(() => injectToServer(p, [dataChunk(tsn, 0, 0, Buffer.from('far'))]));
    await sleep(30);
    expect(got).toHaveLength(0);
    // The association still works afterwards.
    p.a.SEND(Buffer.from('ok'), { stream_id: 0, ppid: 1 }, () => {});
    await waitFor(() => got.length === 1, 5000, 'delivery after bogus TSN');
  });

  it('DATA for a stream id beyond the inbound streams is not delivered', async () => {
    const p = await established();
    const got = collect(p.b);
    const tsn = (p.b.reassembly.peer_c_tsn.number + 10) >>> 0;
    expectHandled(() => injectToServer(p, [dataChunk(tsn, 999, 0, Buffer.from('bogus'))]));
    await sleep(30);
    expect(got).toHaveLength(0);
    p.a.SEND(Buffer.from('ok'), { stream_id: 0, ppid: 1 }, () => {});
    await waitFor(() => got.length === 1, 5000, 'delivery after bogus stream');
  });
});
