/**
 * What counts as one remote host for per-host limits (associations, rates,
 * distinct failure reporters, unfinished TLS handshakes).
 *
 * An IPv4 address is one host. An IPv6 host usually owns a whole /64 (SLAAC,
 * privacy addresses, a delegated prefix), so counting per address would
 * let one machine multiply its share by picking new addresses; IPv6
 * addresses are therefore grouped by prefix (default /64). Loopback and
 * link-local IPv6 addresses stay per address: every host on a link has its
 * link-local address in the same `fe80::/64`.
 *
 * @module
 */
import { isIP } from 'node:net';
import { addressToBytes, formatIPv4, formatIPv6 } from '../wire/address.js';
import { InvalidArgumentError } from '../errors.js';

/** Default IPv6 prefix length that counts as one host. */
export const DEFAULT_IPV6_HOST_PREFIX = 64;

/**
 * Checks an IPv6 host prefix length (an integer from 1 to 128).
 *
 * @throws InvalidArgumentError otherwise
 */
export function checkIpv6HostPrefix(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 128) throw new InvalidArgumentError(`${name} must be an integer from 1 to 128, got ${value}`);
  return value;
}

/**
 * The key under which per-host limits count `address`: IPv4 (also
 * IPv4-mapped IPv6) per address, IPv6 per `ipv6Prefix` bits written as
 * `prefix/len` (loopback and link-local per address). Text that is not an
 * IP address is its own key.
 */
export function hostKey(address: string, ipv6Prefix = DEFAULT_IPV6_HOST_PREFIX): string {
  const plain = address.includes('%') ? address.slice(0, address.indexOf('%')) : address;
  const kind = isIP(plain);
  if (kind === 0) return address.toLowerCase();
  const bytes = addressToBytes(plain);
  if (kind === 4) return formatIPv4(bytes, 0);
  let mapped = bytes[10] === 0xff && bytes[11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) if (bytes[i] !== 0) mapped = false;
  if (mapped) return formatIPv4(bytes, 12);
  const linkLocal = bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0x80;
  if (linkLocal || ipv6Prefix >= 128 || plain === '::1' || formatIPv6(bytes, 0) === '::1') return formatIPv6(bytes, 0);
  const masked = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const bits = Math.min(8, Math.max(0, ipv6Prefix - i * 8));
    masked[i] = bytes[i]! & (0xff << (8 - bits)) & 0xff;
  }
  return `${formatIPv6(masked, 0)}/${ipv6Prefix}`;
}
