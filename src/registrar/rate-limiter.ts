/**
 * Token buckets on the injectable clock, used by the registrar to limit
 * request rates per association (RFC 5355: handle-resolution flooding,
 * false failure reports).
 *
 * @module
 */
import type { Clock } from '../clock.js';

/** A rate limit: sustained `rate` per second with bursts of up to `burst`. */
export interface RateLimit {
  /** Tokens added per second; `0` or `Infinity` disables the limit. */
  rate: number;
  /** Bucket size (largest burst); defaults to `max(1, rate)`. */
  burst?: number;
}

/**
 * A token bucket. It holds no timer: tokens are refilled lazily from the
 * clock when {@link TokenBucket.take} is called, so millions of buckets cost
 * only their few fields.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly rate: number;
  private readonly burst: number;

  /**
   * @param limit - rate and burst
   * @param clock - time source
   */
  constructor(
    limit: RateLimit,
    private readonly clock: Clock,
  ) {
    this.rate = limit.rate;
    this.burst = limit.burst ?? Math.max(1, limit.rate);
    this.tokens = this.burst;
    this.last = clock.now();
  }

  /** True when this bucket never refuses. */
  get unlimited(): boolean {
    return !(this.rate > 0) || this.rate === Infinity;
  }

  /**
   * Takes `n` tokens if available.
   *
   * @returns true when allowed, false when the limit is exceeded (nothing taken)
   */
  take(n = 1): boolean {
    if (this.unlimited) return true;
    const now = this.clock.now();
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000);
      this.last = now;
    }
    if (this.tokens >= n) {
      this.tokens -= n;
      return true;
    }
    return false;
  }
}

/** True when `limit` never refuses anything. */
export function isUnlimited(limit: RateLimit | undefined): boolean {
  return limit === undefined || !(limit.rate > 0) || limit.rate === Infinity;
}
