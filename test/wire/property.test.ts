/**
 * Property tests of the codec (fast-check), about 24,000 cases in total:
 * random bytes and damaged real messages never make the decoder do anything
 * but decode or throw ProtocolError; random valid messages round-trip.
 * `npm run fuzz` runs the same properties a million times.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeMessage, encodeMessage, ppidOf } from '../../src/wire/index.js';
import { afterRoundTrip, checkDecoderContract, messageArb, MUTATIONS, mutate, mutatedArb, prng, randomBytesArb, SEEDS } from './fuzz-support.js';

const SEED = 0x5eed;

describe('decoder contract on hostile input', () => {
  it('random bytes: decoded or ProtocolError (8,000 cases)', () => {
    fc.assert(
      fc.property(randomBytesArb, ([ppid, bytes]) => {
        checkDecoderContract(ppid, bytes);
      }),
      { numRuns: 8000, seed: SEED },
    );
  });

  it('mutated vectors: bit flips, truncation, lying and huge lengths, duplicated/reordered parameters, deep nesting (8,000 cases)', () => {
    fc.assert(
      fc.property(mutatedArb, ([ppid, bytes]) => {
        checkDecoderContract(ppid, bytes);
      }),
      { numRuns: 8000, seed: SEED },
    );
  });

  it('every mutation kind on every vector at least once (deterministic sweep)', () => {
    const outcomes = new Map<string, number>();
    let n = 0;
    for (const seed of SEEDS) {
      for (const kind of MUTATIONS) {
        const outcome = checkDecoderContract(seed.ppid, mutate(seed, kind, prng(n++)));
        outcomes.set(`${kind}:${outcome}`, (outcomes.get(`${kind}:${outcome}`) ?? 0) + 1);
      }
    }
    // The mutators do produce rejections of every kind.
    for (const kind of MUTATIONS) expect(outcomes.get(`${kind}:rejected`) ?? 0, kind).toBeGreaterThan(0);
  });
});

describe('valid messages', () => {
  it('round-trip: decode(encode(m)) equals m (6,000 cases)', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const bytes = encodeMessage(m);
        expect(bytes.length % 4).toBe(0);
        expect((bytes[2]! << 8) | bytes[3]!).toBe(bytes.length);
        expect(decodeMessage(ppidOf(m), bytes)).toEqual(afterRoundTrip(m));
      }),
      { numRuns: 6000, seed: SEED },
    );
  });

  it('a message whose final padding is missing decodes to the same message (2,000 cases)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.boolean(), (poolHandle, subscribe) => {
        const m = { protocol: 'asap', type: 'handle-resolution', subscribe, poolHandle } as const;
        const bytes = encodeMessage(m);
        const end = 8 + poolHandle.length; // header + pool handle TLV without its padding
        const cut = bytes.slice(0, end);
        cut[2] = end >>> 8;
        cut[3] = end & 0xff;
        expect(decodeMessage(11, cut)).toEqual(m);
        expect(encodeMessage(decodeMessage(11, cut))).toEqual(bytes);
      }),
      { numRuns: 2000, seed: SEED },
    );
  });
});
