/**
 * IP address conversion between wire bytes and text, hand-written for speed:
 * dotted-quad IPv4 and RFC 5952 canonical IPv6 (IPv4-mapped addresses in the
 * `::ffff:192.0.2.1` form).
 *
 * @module
 */
import { isIP } from 'node:net';
import { InvalidArgumentError } from '../errors.js';

/**
 * Formats 4 bytes at `offset` as dotted-quad IPv4 text.
 */
export function formatIPv4(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

const words = new Uint16Array(8);
/** Hex of 0..255 without leading zeros, and with two digits. */
const HEX_SHORT: string[] = [];
const HEX_TWO: string[] = [];
for (let i = 0; i < 256; i++) {
  HEX_SHORT.push(i.toString(16));
  HEX_TWO.push(i.toString(16).padStart(2, '0'));
}

function hexWord(w: number): string {
  return w < 0x100 ? HEX_SHORT[w]! : HEX_SHORT[w >>> 8]! + HEX_TWO[w & 0xff]!;
}

/**
 * Formats 16 bytes at `offset` as canonical IPv6 text (RFC 5952: lower-case
 * hex, no leading zeros, the longest run of two or more zero groups
 * compressed to `::`, IPv4-mapped addresses with a dotted-quad tail).
 */
export function formatIPv6(bytes: Uint8Array, offset = 0): string {
  for (let i = 0; i < 8; i++) words[i] = (bytes[offset + 2 * i]! << 8) | bytes[offset + 2 * i + 1]!;
  if (words[0] === 0 && words[1] === 0 && words[2] === 0 && words[3] === 0 && words[4] === 0 && words[5] === 0xffff) {
    return `::ffff:${formatIPv4(bytes, offset + 12)}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) {
    return `${hexWord(words[0]!)}:${hexWord(words[1]!)}:${hexWord(words[2]!)}:${hexWord(words[3]!)}:${hexWord(words[4]!)}:${hexWord(words[5]!)}:${hexWord(words[6]!)}:${hexWord(words[7]!)}`;
  }
  let text = '';
  for (let i = 0; i < bestStart; i++) text += i === 0 ? hexWord(words[i]!) : `:${hexWord(words[i]!)}`;
  text += '::';
  const after = bestStart + bestLen;
  for (let i = after; i < 8; i++) text += i === after ? hexWord(words[i]!) : `:${hexWord(words[i]!)}`;
  return text;
}

function parseIPv4Into(text: string, out: Uint8Array, offset: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; /* '.' terminates the last part */
    if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return false; // leading zero
      value = value * 10 + (c - 48);
      digits++;
      if (value > 255) return false;
    } else if (c === 46) {
      if (digits === 0 || part > 3) return false;
      out[offset + part] = value;
      part++;
      value = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  return part === 4;
}

function parseHexGroup(text: string): number {
  if (text.length < 1 || text.length > 4) return -1;
  let v = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else if (c >= 65 && c <= 70) d = c - 55;
    else return -1;
    v = (v << 4) | d;
  }
  return v;
}

/** Parses `groups` (split on ':') into 16-bit words; a dotted IPv4 tail counts as two. */
function parseGroups(groups: string[], allowIPv4Tail: boolean, out: number[]): boolean {
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    if (allowIPv4Tail && i === groups.length - 1 && g.includes('.')) {
      const tail = new Uint8Array(4);
      if (!parseIPv4Into(g, tail, 0)) return false;
      out.push((tail[0]! << 8) | tail[1]!, (tail[2]! << 8) | tail[3]!);
      continue;
    }
    const v = parseHexGroup(g);
    if (v < 0) return false;
    out.push(v);
  }
  return true;
}

function parseIPv6Into(text: string, out: Uint8Array, offset: number): boolean {
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const head: number[] = [];
  const tail: number[] = [];
  if (halves.length === 1) {
    if (!parseGroups(text.split(':'), true, head) || head.length !== 8) return false;
  } else {
    const [a, b] = halves as [string, string];
    if (a.length > 0 && !parseGroups(a.split(':'), false, head)) return false;
    if (b.length > 0 && !parseGroups(b.split(':'), true, tail)) return false;
    if (head.length + tail.length > 7) return false;
  }
  out.fill(0, offset, offset + 16);
  for (let i = 0; i < head.length; i++) {
    out[offset + 2 * i] = head[i]! >>> 8;
    out[offset + 2 * i + 1] = head[i]! & 0xff;
  }
  const base = 8 - tail.length;
  for (let i = 0; i < tail.length; i++) {
    out[offset + 2 * (base + i)] = tail[i]! >>> 8;
    out[offset + 2 * (base + i) + 1] = tail[i]! & 0xff;
  }
  return true;
}

const cache = new Map<string, Uint8Array>();
const CACHE_LIMIT = 4096;

/**
 * Parses IPv4 or IPv6 text into its 4 or 16 wire bytes. Results are cached
 * (bounded), so encoding the same addresses again is a map lookup. The
 * returned array is shared: do not modify it.
 *
 * @throws InvalidArgumentError for anything that is not a plain IP address
 *   (zone indices such as `fe80::1%eth0` are refused: they have no wire form).
 */
export function addressToBytes(text: string): Uint8Array {
  const hit = cache.get(text);
  if (hit !== undefined) return hit;
  if (typeof text !== 'string') throw new InvalidArgumentError(`IP address must be a string, got ${typeof text}`);
  let bytes: Uint8Array;
  if (text.includes(':')) {
    bytes = new Uint8Array(16);
    if (!parseIPv6Into(text, bytes, 0) || isIP(text) !== 6) {
      throw new InvalidArgumentError(`invalid IPv6 address: ${JSON.stringify(text)}`);
    }
  } else {
    bytes = new Uint8Array(4);
    if (!parseIPv4Into(text, bytes, 0)) throw new InvalidArgumentError(`invalid IPv4 address: ${JSON.stringify(text)}`);
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(text, bytes);
  return bytes;
}

/** Formats 4 or 16 address bytes as text (see {@link formatIPv4}, {@link formatIPv6}). */
export function bytesToAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return formatIPv4(bytes, 0);
  if (bytes.length === 16) return formatIPv6(bytes, 0);
  throw new InvalidArgumentError(`an IP address has 4 or 16 bytes, got ${bytes.length}`);
}

/**
 * Canonical text of an address: `normalizeAddress('2001:DB8:0::1')` is
 * `'2001:db8::1'`. Useful to compare addresses given as text.
 *
 * @throws InvalidArgumentError for invalid text.
 */
export function normalizeAddress(text: string): string {
  return bytesToAddress(addressToBytes(text));
}
