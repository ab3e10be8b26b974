/**
 * Robustness: mutated packets — on the INIT path (to a listening port,
 * verification tag 0) and inside an association (valid verification tag) —
 * cause no exception, no hang and no leak.
 *
 * The test counts exceptions escaping packet processing *and* exceptions
 * caught by the repairs' last-resort guard (`handlerExceptions`): both must
 * stay 0, i.e. the protocol code itself handles every case.
 *
 * The default run (CI) uses 50,000 cases, split evenly between the two paths
 * (~10 s); the full count runs with
 * `SCTP_FUZZ_CASES=100000 npx vitest run test/transport/sctp-repairs/fuzz.test.ts`.
 *
 * Without the repairs (`SCTP_REPAIRS=off`) this test fails at once instead of
 * running: the original decoder loops forever on a zero-length parameter,
 * which would hang the test process (decoding.test.ts shows that in a
 * worker thread), and association-guards.test.ts shows the throws one by one.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { setupRepairs, REPAIRED } from './mode.js';
import { sctpRepairStats, resetSctpRepairStats } from '../../../src/transport/sctp-repairs/index.js';
import { MemoryNetwork, connectPair, buildPacket, chunk, dataChunk, prng, sleep, type Pair } from './harness.js';
import { crc32c } from '@node-rs/crc32';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

beforeAll(setupRepairs);

const CASES = Number(process.env['SCTP_FUZZ_CASES'] ?? 50_000);

function initChunkBuffer(rnd: () => number): Buffer {
  const params: Record<string, unknown> = {
    initiate_tag: (rnd() * 0xffffffff) >>> 0 || 1,
    a_rwnd: 65536,
    outbound_streams: 4,
    inbound_streams: 4,
    initial_tsn: (rnd() * 0xffffffff) >>> 0,
  };
  if (rnd() < 0.3) params['ipv4_address'] = ['10.1.2.3'];
  if (rnd() < 0.3) params['cookie_preservative'] = 1000;
  if (rnd() < 0.3) params['ecn_supported'] = true;
  if (rnd() < 0.3) params['supported_address_type'] = 5;
  return chunk('init', params);
}

function mutate(base: Buffer, rnd: () => number): Buffer {
  let b = Buffer.from(base);
  const ops = 1 + Math.floor(rnd() * 4);
  for (let k = 0; k < ops; k++) {
    const r = rnd();
    if (r < 0.35 && b.length > 12) {
      const i = 12 + Math.floor(rnd() * (b.length - 12));
      b[i] = b[i]! ^ (1 << Math.floor(rnd() * 8));
    } else if (r < 0.55 && b.length > 12) {
      const i = 12 + Math.floor(rnd() * (b.length - 12));
      b[i] = Math.floor(rnd() * 256);
    } else if (r < 0.65 && b.length > 16) {
      // Chunk or parameter length field: 0, tiny, huge or off by a few.
      const i = 12 + 2 + 4 * Math.floor(rnd() * ((b.length - 16) / 4));
      const choices = [0, 1, 3, 4, 0xffff, b.readUInt16BE(i) + 1, b.readUInt16BE(i) - 1];
      b.writeUInt16BE(choices[Math.floor(rnd() * choices.length)]! & 0xffff, i);
    } else if (r < 0.75) {
      b = b.subarray(0, 12 + Math.floor(rnd() * Math.max(1, b.length - 12)));
    } else if (r < 0.85) {
      const extra = Buffer.alloc(Math.floor(rnd() * 64));
      for (let i = 0; i < extra.length; i++) extra[i] = Math.floor(rnd() * 256);
      b = Buffer.concat([b, extra]);
    } else if (r < 0.92 && b.length >= 16) {
      b[12] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0x40, 0x80, 0x82, 0x84, 0xc0, 0xc1, 0xc2, 0xff][Math.floor(rnd() * 24)]!;
    } else if (b.length >= 20) {
      // Zero-length parameter inside the first chunk.
      const at = 12 + 4 + 4 * Math.floor(rnd() * Math.max(1, (b.length - 20) / 4));
      if (at + 4 <= b.length) b.writeUInt32BE((0x80000000 | (Math.floor(rnd() * 0x3fff) << 16)) >>> 0, at);
    }
  }
  if (b.length >= 12 && rnd() < 0.9) {
    b.writeUInt32LE(0, 8);
    b.writeUInt32LE(crc32c(b) >>> 0, 8);
  }
  return b;
}

function associationSeeds(p: Pair, rnd: () => number): Buffer[] {
  const cum: number = p.b.reassembly.peer_c_tsn.number;
  const myTsn: number = p.a.my_tag;
  const tsn = (cum + 1 + Math.floor(rnd() * 40) - 5) >>> 0;
  const seeds: Buffer[][] = [
    [dataChunk(tsn, Math.floor(rnd() * 20), Math.floor(rnd() * 5), Buffer.alloc(1 + Math.floor(rnd() * 300), 7), Math.floor(rnd() * 16))],
    [dataChunk(tsn, 0, 0, Buffer.alloc(100, 1), 2), dataChunk(tsn + 1, 0, 0, Buffer.alloc(100, 2), 0), dataChunk(tsn + 2, 0, 0, Buffer.alloc(10, 3), 1)],
    [chunk('sack', { c_tsn_ack: (myTsn + Math.floor(rnd() * 10)) >>> 0, a_rwnd: 100000, sack_info: { gap_blocks: [{ start: 2, finish: 3 }, { start: 5, finish: 9 }], duplicate_tsn: [1, 2] } })],
    [chunk('heartbeat', { heartbeat_info: Buffer.alloc(12, 5) })],
    [chunk('heartbeat_ack', { heartbeat_info: Buffer.alloc(12, 5) })],
    [chunk('error', { error_causes: [{ cause: 'INVALID_STREAM_IDENTIFIER', stream_id: 3 }, { cause: 'PROTOCOL_VIOLATION', additional_information: 'x' }] })],
    [chunk('cookie_echo', { cookie: Buffer.alloc(80, 9) })],
    [chunk('init_ack', { initiate_tag: 5, a_rwnd: 5000, outbound_streams: 1, inbound_streams: 1, initial_tsn: 1, state_cookie: Buffer.alloc(20) })],
    [Buffer.from([0xc0, 0, 0, 12, 0, 0, 0, 5, 0, 1, 0, 2])],
    [Buffer.from([0x80, 0, 0, 8, 1, 2, 3, 4]), dataChunk(tsn, 0, 0, Buffer.from('x'))],
    [chunk('cookie_ack'), chunk('heartbeat', { heartbeat_info: Buffer.alloc(4) })],
  ];
  if (rnd() < 0.01) seeds.push([chunk('shutdown', { c_tsn_ack: myTsn })]);
  if (rnd() < 0.002) seeds.push([chunk('abort')]);
  return seeds[Math.floor(rnd() * seeds.length)]!;
}

function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout' || r === 'Immediate').length;
}

describe(`fuzz: ${CASES} mutated packets`, () => {
  it('INIT path and in-association packets cause no exception, hang or leak', async () => {
    if (!REPAIRED) throw new Error('the original sctp@1.0.0 hangs on the first zero-length parameter; not run');
    resetSctpRepairStats();
    const timersBefore = activeTimers();
    const rnd = prng(0xc0ffee);
    const network = new MemoryNetwork();
    let pair = await connectPair(network);
    let thrown = 0;
    let firstThrown: string | undefined;
    let reconnects = 0;
    const half = Math.floor(CASES / 2);
    const server = (): Loose => network.host('10.0.0.1');
    const feed = (datagram: Buffer, from: string): void => {
      try {
        server().receive(datagram, from);
      } catch (error) {
        thrown++;
        firstThrown ??= `${datagram.toString('hex')}: ${(error as Error).stack}`;
      }
    };

    // INIT path: packets with verification tag 0 from hosts without association.
    for (let i = 0; i < half; i++) {
      const base = buildPacket(40000 + (i % 1000), 5000, 0, [initChunkBuffer(rnd)]);
      feed(mutate(base, rnd), `10.9.${(i >> 8) & 0xff}.${i & 0xff}`);
      if (i % 2000 === 1999) await sleep(0);
    }
    expect(pair.server.associations.length).toBeLessThanOrEqual(1);

    // In-association packets with the valid verification tag.
    for (let i = 0; i < CASES - half; i++) {
      if (pair.b.state === 'CLOSED' || pair.a.state === 'CLOSED') {
        pair.close();
        await sleep(1);
        pair = await connectPair(network);
        reconnects++;
      }
      const base = buildPacket(6000, 5000, pair.b.my_tag, associationSeeds(pair, rnd));
      feed(mutate(base, rnd), '10.0.0.2');
      if (i % 1000 === 999) await sleep(0);
    }
    // The association (or its replacement) still carries data.
    await sleep(20);
    if (pair.b.state === 'CLOSED' || pair.a.state === 'CLOSED' || pair.a.state !== 'ESTABLISHED') {
      pair.close();
      pair = await connectPair(network);
    }
    expect(thrown, firstThrown).toBe(0);
    expect(sctpRepairStats.handlerExceptions).toBe(0);
    pair.close();
    await sleep(50);
    expect(pair.server.associations).toHaveLength(0);
    expect(Object.keys(pair.server.associations_lookup)).toHaveLength(0);
    // No timers left behind by the closed associations (some slack for the runner).
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore + 5);
    // eslint-disable-next-line no-console
    console.log(`fuzz: ${CASES} cases, ${reconnects} re-associations, stats ${JSON.stringify(sctpRepairStats)}`);
  }, 120_000);
});
