/**
 * Address checks for registrations (spec §0.11, §12.2; RFC 5355): a
 * registrar keeps only those user-transport addresses that belong to the
 * association the registration came over and whose scope is wide enough.
 *
 * @module
 */
import { isIP } from 'node:net';

/**
 * Address scopes, narrowest first. The numeric order is used for
 * comparisons: `scopeRank('loopback') < scopeRank('global')`.
 */
export type AddressScope = 'unspecified' | 'loopback' | 'link-local' | 'site-local' | 'global';

/** Scopes a registrar may be configured to require at least. */
export type MinAddressScope = 'loopback' | 'link-local' | 'site-local' | 'global';

const RANK: Readonly<Record<AddressScope, number>> = {
  unspecified: 0,
  loopback: 1,
  'link-local': 2,
  'site-local': 3,
  global: 4,
};

/** Rank of a scope; larger is wider. */
export function scopeRank(scope: AddressScope): number {
  return RANK[scope];
}

/** Parses an IPv6 address to 8 16-bit groups, or undefined. */
function ipv6Groups(address: string): number[] | undefined {
  let a = address;
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  if (isIP(a) !== 6) return undefined;
  // Embedded IPv4 tail (e.g. ::ffff:192.0.2.1) becomes two hex groups.
  const lastColon = a.lastIndexOf(':');
  const last = a.slice(lastColon + 1);
  if (last.includes('.')) {
    const o = last.split('.').map(Number);
    a = `${a.slice(0, lastColon + 1)}${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const want = 8;
  const dbl = a.indexOf('::');
  let groups: number[];
  if (dbl >= 0) {
    const head = a.slice(0, dbl).split(':').filter((s) => s !== '');
    const rest = a.slice(dbl + 2).split(':').filter((s) => s !== '');
    const fill = want - head.length - rest.length;
    if (fill < 0) return undefined;
    groups = [...head.map((h) => parseInt(h, 16)), ...new Array<number>(fill).fill(0), ...rest.map((h) => parseInt(h, 16))];
  } else {
    groups = a.split(':').map((h) => parseInt(h, 16));
  }
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

/**
 * Canonical text form of an address, so that equal addresses compare equal:
 * IPv4 and IPv4-mapped IPv6 become dotted IPv4, other IPv6 addresses are
 * lower-case and fully compressed the way Node prints them. Returns
 * undefined for text that is not an IP address.
 */
export function normalizeAddress(address: string): string | undefined {
  const kind = isIP(address);
  if (kind === 4) return address.split('.').map((o) => String(Number(o))).join('.');
  const g = ipv6Groups(address);
  if (g === undefined) return undefined;
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `${g[6]! >> 8}.${g[6]! & 0xff}.${g[7]! >> 8}.${g[7]! & 0xff}`;
  }
  // Compress the longest run of zero groups (RFC 5952).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/**
 * The scope of an IP address, or undefined for text that is not an address
 * and for multicast addresses (never acceptable as a transport address).
 */
export function addressScope(address: string): AddressScope | undefined {
  const n = normalizeAddress(address);
  if (n === undefined) return undefined;
  if (isIP(n) === 4) {
    const o = n.split('.').map(Number) as [number, number, number, number];
    if (o[0] === 0) return 'unspecified';
    if (o[0] === 127) return 'loopback';
    if (o[0] >= 224) return undefined; // multicast, reserved, broadcast
    if (o[0] === 169 && o[1] === 254) return 'link-local';
    if (o[0] === 10) return 'site-local';
    if (o[0] === 172 && o[1] >= 16 && o[1] <= 31) return 'site-local';
    if (o[0] === 192 && o[1] === 168) return 'site-local';
    return 'global';
  }
  const g = ipv6Groups(n)!;
  if (g.every((x) => x === 0)) return 'unspecified';
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return 'loopback';
  if ((g[0]! & 0xff00) === 0xff00) return undefined; // multicast
  if ((g[0]! & 0xffc0) === 0xfe80) return 'link-local';
  if ((g[0]! & 0xffc0) === 0xfec0) return 'site-local'; // deprecated site-local
  if ((g[0]! & 0xfe00) === 0xfc00) return 'site-local'; // unique local
  return 'global';
}

/** True for an unspecified (wildcard) address such as `0.0.0.0` or `::`. */
export function isWildcardAddress(address: string): boolean {
  return addressScope(address) === 'unspecified';
}

/** Options of {@link AddressFilter}. */
export interface AddressFilterOptions {
  /** Narrowest scope accepted (default `site-local`). */
  minScope?: MinAddressScope;
  /**
   * Accept loopback addresses regardless of `minScope`. The registrar sets this
   * when it listens on a loopback or wildcard address (then only PEs on the
   * same host can register loopback addresses, because of the association check).
   */
  allowLoopback?: boolean;
  /** Keep only addresses that are remote addresses of the association (default true). */
  requireAssociationAddress?: boolean;
}

/** Result of {@link AddressFilter.filter}. */
export interface AddressFilterResult {
  /**
   * Addresses kept, normalised, without duplicates. When every input address
   * was kept unchanged this is the input array itself (no copy).
   */
  accepted: readonly string[];
  /** Addresses dropped, with the reason. */
  rejected: { address: string; reason: 'invalid' | 'scope' | 'not-association-address' }[];
}

/** Normalised form and scope of an address text, cached by {@link AddressFilter}. */
interface AddressInfo {
  norm: string | undefined;
  scope: AddressScope | undefined;
}

const CACHE_LIMIT = 4096;

/**
 * Decides which user-transport addresses of a registration are kept.
 * Unspecified addresses (`0.0.0.0`, `::`) in a registration stand for "the
 * addresses I registered from" and are replaced by the association's remote
 * addresses (a convenience for PEs that listen on a wildcard address).
 *
 * Parsed addresses are cached (bounded), so re-registrations with the same
 * address texts cost a map lookup each.
 */
export class AddressFilter {
  private readonly minRank: number;
  private readonly allowLoopback: boolean;
  private readonly requireAssociationAddress: boolean;
  private readonly cache = new Map<string, AddressInfo>();

  constructor(options: AddressFilterOptions = {}) {
    this.minRank = RANK[options.minScope ?? 'site-local'];
    this.allowLoopback = options.allowLoopback ?? false;
    this.requireAssociationAddress = options.requireAssociationAddress ?? true;
  }

  private info(address: string): AddressInfo {
    let i = this.cache.get(address);
    if (i === undefined) {
      const norm = normalizeAddress(address);
      i = { norm, scope: norm === undefined ? undefined : addressScope(norm) };
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(address, i);
    }
    return i;
  }

  /** True when `address` has an acceptable scope (association check not included). */
  scopeAccepted(address: string): boolean {
    return this.scopeOk(this.info(address).scope);
  }

  private scopeOk(scope: AddressScope | undefined): boolean {
    if (scope === undefined || scope === 'unspecified') return false;
    if (scope === 'loopback' && this.allowLoopback) return true;
    return RANK[scope] >= this.minRank;
  }

  /**
   * Normalises the remote addresses of an association once, for repeated
   * {@link AddressFilter.filter} calls.
   */
  associationSet(associationAddresses: readonly string[]): ReadonlySet<string> {
    const set = new Set<string>();
    for (const a of associationAddresses) {
      const n = this.info(a).norm;
      if (n !== undefined) set.add(n);
    }
    return set;
  }

  /**
   * Filters `addresses` (from a registration) against the association's
   * remote addresses (an array, or a set from {@link AddressFilter.associationSet}).
   */
  filter(addresses: readonly string[], associationAddresses: readonly string[] | ReadonlySet<string>): AddressFilterResult {
    const assoc = associationAddresses instanceof Set ? associationAddresses : this.associationSet(associationAddresses as readonly string[]);
    // Fast path: every address already normalised, acceptable and distinct.
    let clean = true;
    for (let k = 0; k < addresses.length && clean; k++) {
      const a = addresses[k]!;
      const i = this.info(a);
      if (i.norm !== a || !this.scopeOk(i.scope) || (this.requireAssociationAddress && !assoc.has(a))) clean = false;
      for (let j = 0; j < k && clean; j++) if (addresses[j] === a) clean = false;
    }
    if (clean) return { accepted: addresses, rejected: [] };

    const accepted: string[] = [];
    const rejected: AddressFilterResult['rejected'] = [];
    const seen = new Set<string>();
    const consider = (n: string, original: string): void => {
      if (seen.has(n)) return;
      if (!this.scopeOk(this.info(n).scope)) {
        rejected.push({ address: original, reason: 'scope' });
        return;
      }
      if (this.requireAssociationAddress && !assoc.has(n)) {
        rejected.push({ address: original, reason: 'not-association-address' });
        return;
      }
      seen.add(n);
      accepted.push(n);
    };
    for (const a of addresses) {
      const i = this.info(a);
      if (i.norm === undefined) {
        rejected.push({ address: a, reason: 'invalid' });
        continue;
      }
      if (i.scope === 'unspecified') {
        for (const r of assoc) consider(r, a);
        continue;
      }
      consider(i.norm, a);
    }
    return { accepted, rejected };
  }
}
