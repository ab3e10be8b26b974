/**
 * A small, fast, seedable pseudo-random number generator (sfc32, "Small Fast
 * Counting" generator) used by the random selection policies. It is not
 * cryptographically secure; it only has to be fast and reproducible.
 *
 * @module
 */

/** Source of random numbers used by the handlespace policies. */
export interface RandomSource {
  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number;
  /** A uniformly distributed number in [0, 1) with 53 bits of precision. */
  nextDouble(): number;
}

/** sfc32 generator: 128 bits of state, period ≥ 2^32, passes PractRand to 2^40+ bytes. */
export class Sfc32Random implements RandomSource {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /**
   * @param seed - any 32-bit integer; when omitted a seed is taken from
   *   `Math.random()` (non-reproducible).
   */
  constructor(seed?: number) {
    const s = seed === undefined ? (Math.random() * 0x100000000) >>> 0 : seed >>> 0;
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = s;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  nextDouble(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }
}
