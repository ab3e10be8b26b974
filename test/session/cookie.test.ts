import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CookieError, open, openWithInfo, seal } from '../../src/session/cookie.js';

const secret = 'a shared secret of the pool, 32b';

function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CookieError);
    expect((err as CookieError).code).toBe('ERR_RSP_COOKIE_INVALID');
    return (err as CookieError).reason;
  }
  throw new Error('expected a CookieError');
}

describe('state cookies', () => {
  it('round-trips structured state, signed and encrypted, padded to a multiple of 4', () => {
    const state = { counter: 41, user: 'alice', items: [1, 2, 3], nested: { ok: true }, bytes: new Uint8Array([1, 2]) };
    for (const encrypt of [false, true]) {
      const cookie = seal(state, secret, { encrypt });
      expect(cookie.length % 4).toBe(0);
      const opened = openWithInfo<typeof state>(cookie, secret);
      expect(opened.state.counter).toBe(41);
      expect(opened.state.items).toEqual([1, 2, 3]);
      expect(Uint8Array.from(opened.state.bytes)).toEqual(new Uint8Array([1, 2]));
      expect(opened.encrypted).toBe(encrypt);
      expect(opened.keyId).toBe('');
    }
  });

  it('hides the state when encrypted and shows it when only signed', () => {
    const marker = 'VISIBLE-MARKER-TEXT';
    const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');
    expect(text(seal({ marker }, secret))).toContain(marker);
    expect(text(seal({ marker }, secret, { encrypt: true }))).not.toContain(marker);
  });

  it('refuses every single-bit change (forgery) and truncation', () => {
    for (const encrypt of [false, true]) {
      const cookie = seal({ counter: 7, name: 'x' }, secret, { encrypt });
      for (let i = 0; i < cookie.length; i++) {
        for (let bit = 0; bit < 8; bit++) {
          const forged = Uint8Array.from(cookie);
          forged[i] ^= 1 << bit;
          expect(() => open(forged, secret)).toThrow(CookieError);
        }
      }
      for (let n = 0; n < cookie.length; n++) {
        expect(() => open(cookie.subarray(0, n), secret)).toThrow(CookieError);
      }
    }
  });

  it('refuses cookies sealed with another secret', () => {
    const cookie = seal({ a: 1 }, 'another secret, also long enough');
    expect(failure(() => open(cookie, secret))).toBe('bad-signature');
  });

  it('rotates keys by id: old cookies open while the ring holds their key', () => {
    const ring1 = { current: 'k1', keys: { k1: 'first secret of the pool 0001' } };
    const ring2 = { current: 'k2', keys: { k1: 'first secret of the pool 0001', k2: 'second secret of the pool 002' } };
    const old = seal({ v: 1 }, ring1);
    const fresh = seal({ v: 2 }, ring2, { encrypt: true });
    expect(open(old, ring2)).toEqual({ v: 1 });
    expect(openWithInfo(fresh, ring2).keyId).toBe('k2');
    const ring3 = { current: 'k2', keys: { k2: 'second secret of the pool 002' } };
    expect(failure(() => open(old, ring3))).toBe('unknown-key');
    expect(failure(() => open(fresh, secret))).toBe('unknown-key');
  });

  it('enforces maxAge and requireEncryption', () => {
    const cookie = seal({ a: 1 }, secret, { now: 1_000_000 });
    expect(open(cookie, secret, { maxAge: 5000, now: 1_004_000 })).toEqual({ a: 1 });
    expect(failure(() => open(cookie, secret, { maxAge: 5000, now: 1_006_000 }))).toBe('expired');
    expect(failure(() => open(cookie, secret, { requireEncryption: true }))).toBe('not-encrypted');
  });

  it('rejects short secrets when sealing', () => {
    expect(() => seal({}, 'short')).toThrow(/at least 16 bytes/);
  });

  it('never throws anything but CookieError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          open(bytes, secret);
        } catch (err) {
          return err instanceof CookieError;
        }
        return false; // random bytes must never authenticate
      }),
      { numRuns: 3000 },
    );
  });
});
