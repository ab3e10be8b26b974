import { describe, expect, it } from 'vitest';
import { isIP } from 'node:net';
import fc from 'fast-check';
import { addressToBytes, bytesToAddress, formatIPv6, InvalidArgumentError, normalizeAddress } from '../../src/wire/index.js';

/** WHATWG URL host serialisation: RFC 5952 canonical IPv6 (no dotted IPv4 tail). */
function whatwg(bytes: Uint8Array): string {
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

describe('IP address text <-> bytes', () => {
  it('formats canonical IPv6 like the WHATWG URL serializer (RFC 5952)', () => {
    const words = fc.array(fc.constantFrom(0, 0, 0, 1, 0xabcd, 0xffff), { minLength: 8, maxLength: 8 });
    const bytes = fc.oneof(
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      words.map((w) => Uint8Array.from(w.flatMap((x) => [x >>> 8, x & 0xff]))),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        const mapped = b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
        const text = formatIPv6(b);
        if (mapped) expect(text).toBe(`::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`);
        else expect(text).toBe(whatwg(b));
        expect(addressToBytes(text)).toEqual(b);
      }),
      { numRuns: 2000 },
    );
  });

  it('parses every IPv4/IPv6 text that node:net accepts, to the same bytes as its canonical form', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (text) => {
        fc.pre(isIP(text) !== 0);
        const bytes = addressToBytes(text);
        expect(bytes.length).toBe(isIP(text) === 4 ? 4 : 16);
        expect(addressToBytes(bytesToAddress(bytes))).toEqual(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('handles the usual spellings', () => {
    expect(normalizeAddress('2001:DB8:0:0:0:0:0:10')).toBe('2001:db8::10');
    expect(normalizeAddress('::')).toBe('::');
    expect(normalizeAddress('::1')).toBe('::1');
    expect(normalizeAddress('1::')).toBe('1::');
    expect(normalizeAddress('::ffff:c000:20a')).toBe('::ffff:192.0.2.10');
    expect(normalizeAddress('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(normalizeAddress('2001:0:0:1:0:0:0:1')).toBe('2001:0:0:1::1');
    expect(normalizeAddress('192.0.2.1')).toBe('192.0.2.1');
  });

  it('refuses invalid text with InvalidArgumentError', () => {
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.4.', 'a.b.c.d', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9',
      'fe80::1%eth0', '12345::', 'g::', '1:2:3:4:5:6:7::8:9', '::1.2.3', ' 1.2.3.4']) {
      expect(() => addressToBytes(bad), bad).toThrow(InvalidArgumentError);
    }
    expect(() => bytesToAddress(new Uint8Array(5))).toThrow(InvalidArgumentError);
  });
});
