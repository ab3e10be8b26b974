/**
 * Copies of outgoing messages from shared slabs, and views made without
 * `subarray()`: unit tests of src/transport/slab.ts.
 */
import { describe, expect, it } from 'vitest';
import { copyForSend, recycleSendCopy, sendPoolBytes, view } from '../../src/transport/slab.js';

describe('copyForSend()', () => {
  it('returns an independent Buffer with the same bytes, for small and large messages', () => {
    for (const size of [1, 100, 4096, 4097, 70_000]) {
      const source = Buffer.alloc(size, 7);
      const copy = copyForSend(source);
      expect(Buffer.isBuffer(copy)).toBe(true);
      expect(copy.equals(source)).toBe(true);
      source.fill(9);
      expect(copy.every((b) => b === 7)).toBe(true);
    }
  });

  it('never lets two live copies overlap, across slab boundaries', () => {
    const copies: Buffer[] = [];
    // 200 × 1,000 bytes: more than three 64 KiB slabs.
    for (let i = 0; i < 200; i++) copies.push(copyForSend(new Uint8Array(1000).fill(i & 0xff)));
    copies.forEach((c, i) => expect(c.every((b) => b === (i & 0xff))).toBe(true));
  });

  it('copies any Uint8Array, not only Buffers', () => {
    const u = new Uint8Array([1, 2, 3, 4]).subarray(1, 3);
    expect([...copyForSend(u)]).toEqual([2, 3]);
  });
});

describe('recycleSendCopy()', () => {
  it('gives the buffer of a large copy to the next copy of its size class, exactly as long as the message', () => {
    const first = copyForSend(Buffer.alloc(65_536, 1));
    const memory = first.buffer;
    const before = sendPoolBytes();
    recycleSendCopy(first);
    expect(sendPoolBytes()).toBe(before + 65_536);
    // 40,000 bytes round up to the same 64 KiB class.
    const next = copyForSend(Buffer.alloc(40_000, 2));
    expect(next.buffer).toBe(memory);
    expect(next.length).toBe(40_000);
    expect(next.every((b) => b === 2)).toBe(true);
    expect(sendPoolBytes()).toBe(before);
  });

  it('keeps slab copies, foreign buffers and views out of the pool', () => {
    const before = sendPoolBytes();
    recycleSendCopy(copyForSend(Buffer.alloc(1000, 1))); // a slab copy
    recycleSendCopy(Buffer.allocUnsafeSlow(100_000)); // not a power of two
    recycleSendCopy(copyForSend(Buffer.alloc(65_536, 3)).subarray(8)); // a view into a copy
    recycleSendCopy(Buffer.alloc(2 * 1024 * 1024)); // above the largest class
    expect(sendPoolBytes()).toBe(before);
  });

  it('holds at most 4 MiB, however much is given back', () => {
    const copies = Array.from({ length: 100 }, () => copyForSend(Buffer.alloc(100_000, 5)));
    for (const c of copies) recycleSendCopy(c);
    expect(sendPoolBytes()).toBeLessThanOrEqual(4 * 1024 * 1024);
    // Drain the pool again for the other tests.
    for (let i = 0; i < 40; i++) copyForSend(Buffer.alloc(100_000));
  });
});

describe('view()', () => {
  it('is subarray() for checked bounds: a Buffer over the same memory', () => {
    const base = Buffer.from('0123456789');
    const inner = base.subarray(2);
    const v = view(inner, 1, 4);
    expect(Buffer.isBuffer(v)).toBe(true);
    expect(v.toString()).toBe('345');
    expect(v.buffer).toBe(base.buffer);
    v[0] = 0x41;
    expect(base.toString()).toBe('012A456789');
    expect(view(base, 3, 3).length).toBe(0);
  });
});
