import { describe, expect, it } from 'vitest';
import { poolElementChecksumSum, poolHandleChecksumSum } from '../../src/handlespace/checksum.js';
import { computePeChecksum, finishChecksum, peChecksumPartial } from '../../src/wire/checksum.js';
import { enc } from './helpers.js';

describe('handlespace checksum parts (spec §9)', () => {
  it('reproduces the worked example 0xc040 from handle and PE id parts', () => {
    const sum =
      poolElementChecksumSum(poolHandleChecksumSum(enc('EchoPool')), 0x11223344) +
      poolElementChecksumSum(poolHandleChecksumSum(enc('EchoPool')), 0x55667788) +
      poolElementChecksumSum(poolHandleChecksumSum(enc('CalcAppPool')), 0x0a0b0c0d);
    expect(finishChecksum(sum)).toBe(0xc040);
  });

  it('splits exactly like the codec’s partial sum, also for odd handle lengths', () => {
    for (const [h, id] of [
      ['abc', 0x00010002],
      ['EchoPool', 0xffffffff],
      ['x', 1],
    ] as const) {
      expect(poolElementChecksumSum(poolHandleChecksumSum(enc(h)), id)).toBe(peChecksumPartial(enc(h), id));
    }
    // "abc" → 0x6162 + 0x6300 (pad byte between handle and PE id)
    expect(poolHandleChecksumSum(enc('abc'))).toBe(0x6162 + 0x6300);
  });

  it('is 0xffff for an empty set', () => {
    expect(computePeChecksum([])).toBe(0xffff);
  });
});
