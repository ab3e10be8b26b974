import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  checksumAdd,
  checksumRemove,
  computePeChecksum,
  decodeMessage,
  EMPTY_PE_CHECKSUM,
  finishChecksum,
  InvalidArgumentError,
  PeChecksumAccumulator,
  peChecksumPartial,
  poolHandleFromString,
} from '../../src/wire/index.js';
import { loadVectors, vectorBytes } from './vector-files.js';

const WORKED_EXAMPLE = [
  { poolHandle: poolHandleFromString('EchoPool'), peId: 0x11223344 },
  { poolHandle: poolHandleFromString('EchoPool'), peId: 0x55667788 },
  { poolHandle: poolHandleFromString('CalcAppPool'), peId: 0x0a0b0c0d },
];

/** RFC 1071 over the concatenation, folding after every addition (the textbook form). */
function reference(entries: { poolHandle: Uint8Array; peId: number }[]): number {
  let acc = 0;
  for (const { poolHandle, peId } of entries) {
    const h = poolHandle.length % 2 === 1 ? Uint8Array.of(...poolHandle, 0) : poolHandle;
    for (let i = 0; i < h.length; i += 2) acc += (h[i]! << 8) | h[i + 1]!;
    acc += peId >>> 16;
    acc += peId & 0xffff;
    while (acc > 0xffff) acc = (acc & 0xffff) + (acc >>> 16);
  }
  return ~acc & 0xffff;
}

describe('ENRP PE checksum (spec §9)', () => {
  it('reproduces the worked example 0xc040', () => {
    expect(computePeChecksum(WORKED_EXAMPLE)).toBe(0xc040);
  });

  it('matches the checksum carried by the Presence vector', () => {
    const v = loadVectors('rfc_rsplib_generated').find((x) => x.label === 'ENRP_PRESENCE[3 owned PEs]')!;
    const m = decodeMessage(12, vectorBytes(v));
    expect(m.type === 'presence' && m.checksum).toBe(computePeChecksum(WORKED_EXAMPLE));
  });

  it('is 0xffff for the empty set', () => {
    expect(computePeChecksum([])).toBe(EMPTY_PE_CHECKSUM);
    expect(finishChecksum(0)).toBe(0xffff);
    expect(new PeChecksumAccumulator().checksum).toBe(0xffff);
  });

  it('pads odd-length handles between the handle and the PE id', () => {
    // "abc" + id 0x00010002: 0x6162 + 0x6300 + 0x0001 + 0x0002
    expect(peChecksumPartial(poolHandleFromString('abc'), 0x00010002)).toBe(0x6162 + 0x6300 + 1 + 2);
  });

  it('is incremental and order-independent', () => {
    const acc = new PeChecksumAccumulator();
    for (const e of [...WORKED_EXAMPLE].reverse()) acc.add(e.poolHandle, e.peId);
    expect(acc.checksum).toBe(0xc040);
    expect(acc.size).toBe(3);
    acc.remove(WORKED_EXAMPLE[1]!.poolHandle, WORKED_EXAMPLE[1]!.peId);
    expect(acc.checksum).toBe(computePeChecksum([WORKED_EXAMPLE[0]!, WORKED_EXAMPLE[2]!]));
    let raw = 0;
    for (const e of WORKED_EXAMPLE) raw = checksumAdd(raw, peChecksumPartial(e.poolHandle, e.peId));
    expect(finishChecksum(raw)).toBe(0xc040);
    raw = checksumRemove(raw, peChecksumPartial(WORKED_EXAMPLE[0]!.poolHandle, WORKED_EXAMPLE[0]!.peId));
    expect(finishChecksum(raw)).toBe(computePeChecksum(WORKED_EXAMPLE.slice(1)));
  });

  it('equals the textbook RFC 1071 computation for random sets, with add/remove in any order', () => {
    const entry = fc.record({ poolHandle: fc.uint8Array({ minLength: 1, maxLength: 300 }), peId: fc.integer({ min: 0, max: 0xffffffff }) });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 40 }), fc.array(entry, { maxLength: 10 }), (keep, churn) => {
        const acc = new PeChecksumAccumulator();
        for (const e of [...churn, ...keep]) acc.add(e.poolHandle, e.peId);
        for (const e of churn) acc.remove(e.poolHandle, e.peId);
        expect(acc.checksum).toBe(reference(keep));
        expect(computePeChecksum(keep)).toBe(reference(keep));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses bad input', () => {
    expect(() => peChecksumPartial(new Uint8Array(1), -1)).toThrow(InvalidArgumentError);
    expect(() => peChecksumPartial('x' as unknown as Uint8Array, 1)).toThrow(InvalidArgumentError);
    expect(() => finishChecksum(-1)).toThrow(InvalidArgumentError);
    expect(() => checksumRemove(1, 2)).toThrow(InvalidArgumentError);
    expect(() => new PeChecksumAccumulator().remove(new Uint8Array(1), 1)).toThrow(InvalidArgumentError);
  });
});
