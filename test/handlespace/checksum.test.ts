import { describe, expect, it } from 'vitest';
import { computeOwnershipChecksum, foldChecksum, poolElementChecksumSum, poolHandleChecksumSum } from '../../src/handlespace/checksum.js';
import { enc } from './helpers.js';

describe('ownership checksum (spec §9)', () => {
  it('reproduces the worked example 0xc040', () => {
    const entries = [
      { poolHandle: enc('EchoPool'), peId: 0x11223344 },
      { poolHandle: enc('EchoPool'), peId: 0x55667788 },
      { poolHandle: enc('CalcAppPool'), peId: 0x0a0b0c0d },
    ];
    expect(computeOwnershipChecksum(entries)).toBe(0xc040);
  });

  it('is 0xffff for an empty set', () => {
    expect(computeOwnershipChecksum([])).toBe(0xffff);
    expect(foldChecksum(0)).toBe(0xffff);
  });

  it('pads an odd-length handle between handle and PE id', () => {
    // "abc" → 0x6162 + 0x6300, PE id 0x00010002 → 0x0001 + 0x0002
    const sum = poolElementChecksumSum(poolHandleChecksumSum(enc('abc')), 0x00010002);
    expect(sum).toBe(0x6162 + 0x6300 + 1 + 2);
    expect(foldChecksum(sum)).toBe(~(0x6162 + 0x6300 + 3) & 0xffff);
  });

  it('folds large accumulators (many PEs) like repeated 16-bit one’s-complement addition', () => {
    let acc16 = 0;
    let big = 0;
    for (let i = 1; i < 5000; i++) {
      const s = poolElementChecksumSum(poolHandleChecksumSum(enc(`pool-${i % 7}`)), (i * 2654435761) >>> 0);
      big += s;
      acc16 += s;
      while (acc16 > 0xffff) acc16 = (acc16 & 0xffff) + (acc16 >>> 16);
    }
    expect(foldChecksum(big)).toBe(~acc16 & 0xffff);
  });
});
