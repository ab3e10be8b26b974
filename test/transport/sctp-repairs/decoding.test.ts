/**
 * Regression tests of the decoding repairs (checksum.ts, tlv-guard.ts,
 * serial.ts): bad checksums, malformed chunk/parameter lengths, throws in
 * decode filters, the zero-length-parameter loop and serial arithmetic.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { crc32c } from '@node-rs/crc32';
import { REPAIRED, setupRepairs, withoutRepairs } from './mode.js';
import { sctpRepairStats } from '../../../src/transport/sctp-repairs/index.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
const Packet: Loose = require('sctp/lib/packet.js');
const Chunk: Loose = require('sctp/lib/chunk.js');
const SN: Loose = require('sctp/lib/serial.js');

beforeAll(setupRepairs);

function packet(vTag: number, chunks: Buffer[], fixChecksum = true): Buffer {
  const b = Buffer.concat([Buffer.alloc(12), ...chunks]);
  b.writeUInt16BE(5000, 0);
  b.writeUInt16BE(5001, 2);
  b.writeUInt32BE(vTag, 4);
  if (fixChecksum) b.writeUInt32LE(crc32c(b) >>> 0, 8);
  return b;
}

function initChunk(extraParams: Buffer = Buffer.alloc(0)): Buffer {
  const body = Buffer.alloc(16);
  body.writeUInt32BE(0x11223344, 0); // initiate tag
  body.writeUInt32BE(65536, 4); // a_rwnd
  body.writeUInt16BE(2, 8);
  body.writeUInt16BE(2, 10);
  body.writeUInt32BE(7, 12);
  const c = Buffer.concat([Buffer.alloc(4), body, extraParams]);
  c[0] = 1;
  c.writeUInt16BE(c.length, 2);
  return c;
}

/** Runs original (un-repaired) decoding in a worker with a deadline; resolves 'hang' on timeout. */
function decodeInWorker(chunkHex: string, timeoutMs = 1500): Promise<string> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const Chunk = require(workerData.chunkPath);
    try { const c = Chunk.fromBuffer(Buffer.from(workerData.hex, 'hex')); parentPort.postMessage(c && c.error ? 'error' : 'ok'); }
    catch (e) { parentPort.postMessage('throw'); }
  `;
  return new Promise((resolve) => {
    const worker = new Worker(code, { eval: true, workerData: { hex: chunkHex, chunkPath: require.resolve('sctp/lib/chunk.js') } });
    const timer = setTimeout(() => {
      void worker.terminate();
      resolve('hang');
    }, timeoutMs);
    worker.once('message', (m: string) => {
      clearTimeout(timer);
      void worker.terminate();
      resolve(m);
    });
  });
}

describe('checksum (packet.js ~30: bad checksums were accepted)', () => {
  it('drops a packet whose CRC32c does not match', () => {
    const good = packet(0, [initChunk()]);
    const bad = Buffer.from(good);
    bad[bad.length - 1]! ^= 0x01; // corrupt one payload bit, keep the old checksum
    expect(Packet.fromBuffer(good).chunks).toHaveLength(1);
    const before = sctpRepairStats.checksumErrors;
    expect(Packet.fromBuffer(bad).chunks).toBeUndefined();
    expect(sctpRepairStats.checksumErrors).toBe(before + 1);
  });

  it('original: a corrupted packet still yields its chunks', async () => {
    const bad = packet(0, [initChunk()]);
    bad[20]! ^= 0xff;
    const chunks = await withoutRepairs(() => Packet.fromBuffer(bad).chunks);
    expect(chunks).toHaveLength(1);
  });

  it('rejects bad chunk lengths and short headers without throwing', () => {
    const zeroLen = packet(0, [Buffer.from([1, 0, 0, 0])]);
    const tooLong = packet(0, [Buffer.from([1, 0, 0x10, 0])]);
    expect(Packet.fromBuffer(zeroLen).chunks).toBeUndefined();
    expect(Packet.fromBuffer(tooLong).chunks).toBeUndefined();
    expect(Packet.fromBuffer(Buffer.alloc(10))).toBe(false);
  });

  it('does not write into the received buffer', () => {
    const good = packet(0, [initChunk()]);
    const copy = Buffer.from(good);
    Packet.fromBuffer(good);
    expect(good.equals(copy)).toBe(true);
  });
});

describe('parameter/chunk decoding (chunk.js ~118, defs.js filters)', () => {
  it('a zero-length parameter does not loop forever', async () => {
    const param = Buffer.from([0x80, 0x00, 0x00, 0x00]); // known TLV id, length 0
    const hex = initChunk(param).toString('hex');
    if (REPAIRED) {
      const c = Chunk.fromBuffer(Buffer.from(hex, 'hex'));
      expect(c.error).toBe(true);
    } else {
      expect(await decodeInWorker(hex)).not.toBe('hang');
    }
  });

  it('original: the same INIT hangs the decoder (run in a worker)', async () => {
    const hex = initChunk(Buffer.from([0x80, 0x00, 0x00, 0x00])).toString('hex');
    expect(await decodeInWorker(hex)).toBe('hang');
  });

  it.each([
    ['FORWARD-TSN shorter than its fixed fields', Buffer.from([0xc0, 0, 0, 4])],
    ['AUTH shorter than its fixed fields', Buffer.from([0x0f, 0, 0, 6, 0, 0, 0, 0])],
    ['ERROR with a truncated Invalid-Stream cause', Buffer.from([9, 0, 0, 9, 0, 1, 0, 5, 0, 0, 0, 0])],
    ['ERROR with a Stale-Cookie cause without staleness', Buffer.from([9, 0, 0, 9, 0, 3, 0, 5, 0, 0, 0, 0])],
    ['INIT with a Chunk-List naming unknown chunks', initChunk(Buffer.from([0x80, 0x03, 0, 6, 0xfe, 0xfd, 0, 0]))],
    ['INIT with an IPv4 address of odd length', initChunk(Buffer.from([0x00, 0x05, 0, 7, 1, 2, 3, 0]))],
    ['INIT with a Cookie-Preservative too short', initChunk(Buffer.from([0x00, 0x09, 0, 6, 1, 2, 0, 0]))],
    ['INIT with a parameter running past the chunk', initChunk(Buffer.from([0x00, 0x07, 0, 0x40, 1, 2, 0, 0]))],
  ])('%s: decodes without throwing', (_name, buffer) => {
    let chunk: Loose;
    expect(() => {
      chunk = Chunk.fromBuffer(buffer);
    }).not.toThrow();
    expect(chunk).toBeTruthy();
    if (chunk.chunkType === 'error') expect(Array.isArray(chunk.error_causes)).toBe(true);
  });

  it('original: several of these throw', async () => {
    const throwing = await withoutRepairs(() =>
      [
        Buffer.from([0xc0, 0, 0, 4]),
        Buffer.from([9, 0, 0, 9, 0, 1, 0, 5, 0, 0, 0, 0]),
        initChunk(Buffer.from([0x80, 0x03, 0, 6, 0xfe, 0xfd, 0, 0])),
      ].filter((b) => {
        try {
          Chunk.fromBuffer(b);
          return false;
        } catch {
          return true;
        }
      }).length,
    );
    expect(throwing).toBeGreaterThan(0);
  });
});

describe('serial-number arithmetic (serial.js ~79–85)', () => {
  it('prev, next, delta and comparisons wrap at 2^32', () => {
    expect(new SN(0).prev().number).toBe(0xffffffff);
    expect(new SN(0xffffffff).next().number).toBe(0);
    expect(new SN(0xffffffff).delta(new SN(1))).toBe(-2);
    expect(new SN(1).delta(new SN(0xffffffff))).toBe(2);
    expect(new SN(0xfffffffe).lt(new SN(3))).toBe(true);
    expect(new SN(3).gt(new SN(0xfffffffe))).toBe(true);
    expect(new SN(0xffffffff).copy().inc(2).number).toBe(1);
  });

  it('original: prev(0) is 0 and delta is wrong across the wrap', async () => {
    const [prev, delta] = await withoutRepairs(() => [new SN(0).prev().number, new SN(0xffffffff).delta(new SN(1))]);
    expect(prev).toBe(0);
    expect(delta).not.toBe(-2);
  });
});
