/**
 * Receive fast path (sctp-fastpath.ts): DATA and SACK chunks read straight
 * from the datagram must reach the association as the same events, with the
 * same fields, as sctp's generic decoder produces; anything else, or a chunk
 * too short for its fixed fields, must be left to the generic path.
 */
import { describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { fastPathEligible, receiveFast } from '../../src/transport/sctp-fastpath.js';
import { scanChunks } from '../../src/transport/sctp-packet.js';
import type { SctpAssociation } from '../../src/transport/sctp-lib.js';

function packet(...chunks: Buffer[]): Buffer {
  const padded = chunks.map((c) => Buffer.concat([c, Buffer.alloc((4 - (c.length % 4)) % 4)]));
  return Buffer.concat([Buffer.alloc(12), ...padded]);
}

function data(tsn: number, stream: number, ssn: number, ppid: number, flags: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(16 + payload.length);
  b[0] = 0;
  b[1] = flags;
  b.writeUInt16BE(b.length, 2);
  b.writeUInt32BE(tsn, 4);
  b.writeUInt16BE(stream, 8);
  b.writeUInt16BE(ssn, 10);
  b.writeUInt32BE(ppid, 12);
  payload.copy(b, 16);
  return b;
}

function sack(cum: number, rwnd: number, gaps: Array<[number, number]>, dups: number[]): Buffer {
  const b = Buffer.alloc(16 + 4 * gaps.length + 4 * dups.length);
  b[0] = 3;
  b.writeUInt16BE(b.length, 2);
  b.writeUInt32BE(cum, 4);
  b.writeUInt32BE(rwnd, 8);
  b.writeUInt16BE(gaps.length, 12);
  b.writeUInt16BE(dups.length, 14);
  let o = 16;
  for (const [s, f] of gaps) {
    b.writeUInt16BE(s, o);
    b.writeUInt16BE(f, o + 2);
    o += 4;
  }
  for (const d of dups) {
    b.writeUInt32BE(d, o);
    o += 4;
  }
  return b;
}

function capture(p: Buffer): Array<[string, Record<string, unknown>]> {
  const events: Array<[string, Record<string, unknown>]> = [];
  const a = new EventEmitter();
  a.on('data', (c) => events.push(['data', c]));
  a.on('sack', (c) => events.push(['sack', c]));
  receiveFast(a as unknown as SctpAssociation, p, '127.0.0.1');
  return events;
}

describe('receive fast path', () => {
  it('decodes SACK and DATA chunks in packet order, with flags, gap blocks, duplicates and the last-in-packet mark', () => {
    const p = packet(
      sack(0xfffffffe, 65536, [[2, 3], [5, 5]], [7, 0xffffffff]),
      data(0xffffffff, 3, 9, 51, 0x03, Buffer.from('abc')),
      data(0, 4, 0, 0x12345678, 0x0c, Buffer.from('hello!')),
    );
    const summary = scanChunks(p)!;
    expect(fastPathEligible(p, summary)).toBe(true);
    const events = capture(p);
    expect(events.map(([e]) => e)).toEqual(['sack', 'data', 'data']);
    expect(events[0]![1]).toEqual({
      c_tsn_ack: 0xfffffffe,
      a_rwnd: 65536,
      sack_info: { gap_blocks: [{ start: 2, finish: 3 }, { start: 5, finish: 5 }], duplicate_tsn: [7, 0xffffffff] },
    });
    expect(events[1]![1]).toMatchObject({ tsn: 0xffffffff, stream_id: 3, ssn: 9, ppid: 51, flags: { B: true, E: true, U: false, I: false }, last_in_packet: false });
    expect(Buffer.from(events[1]![1]['user_data'] as Buffer).toString()).toBe('abc');
    expect(events[2]![1]).toMatchObject({ tsn: 0, stream_id: 4, ppid: 0x12345678, flags: { B: false, E: false, U: true, I: true }, last_in_packet: true });
    expect(Buffer.from(events[2]![1]['user_data'] as Buffer).toString()).toBe('hello!');
  });

  it('leaves other chunks and malformed DATA or SACK to the generic path', () => {
    const heartbeat = Buffer.from([4, 0, 0, 8, 0, 1, 0, 4]);
    const withHeartbeat = packet(data(1, 0, 0, 0, 3, Buffer.from('x')), heartbeat);
    expect(fastPathEligible(withHeartbeat, scanChunks(withHeartbeat)!)).toBe(false);
    const shortData = packet(Buffer.from([0, 3, 0, 8, 0, 0, 0, 1]));
    expect(fastPathEligible(shortData, scanChunks(shortData)!)).toBe(false);
    const lyingSack = sack(1, 1, [[1, 1]], []);
    lyingSack.writeUInt16BE(5, 12); // claims five gap blocks, carries one
    const p = packet(lyingSack);
    expect(fastPathEligible(p, scanChunks(p)!)).toBe(false);
    // An empty DATA chunk is eligible: the handler answers it (ABORT, "no user data") as the generic path does.
    const empty = packet(data(1, 0, 0, 0, 3, Buffer.alloc(0)));
    expect(fastPathEligible(empty, scanChunks(empty)!)).toBe(true);
    expect((capture(empty)[0]![1]['user_data'] as Buffer).length).toBe(0);
  });
});
