import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { TokenBucket } from '../../src/registrar/rate-limiter.js';

describe('TokenBucket', () => {
  it('allows a burst, then the sustained rate', () => {
    const clock = new FakeClock();
    const b = new TokenBucket({ rate: 10, burst: 5 }, clock);
    let ok = 0;
    for (let i = 0; i < 20; i++) if (b.take()) ok++;
    expect(ok).toBe(5);
    clock.advance(1000);
    ok = 0;
    for (let i = 0; i < 20; i++) if (b.take()) ok++;
    expect(ok).toBe(5); // refilled to the burst size, not beyond
    clock.advance(100);
    expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
  });

  it('is unlimited with rate 0', () => {
    const b = new TokenBucket({ rate: 0 }, new FakeClock());
    for (let i = 0; i < 10_000; i++) expect(b.take()).toBe(true);
    expect(b.unlimited).toBe(true);
  });

  it('holds over a long run close to the configured rate', () => {
    const clock = new FakeClock();
    const b = new TokenBucket({ rate: 100, burst: 10 }, clock);
    let ok = 0;
    for (let t = 0; t < 10_000; t++) {
      clock.advance(1);
      for (let i = 0; i < 3; i++) if (b.take()) ok++;
    }
    expect(ok).toBeGreaterThanOrEqual(1000);
    expect(ok).toBeLessThanOrEqual(1011);
  });
});
