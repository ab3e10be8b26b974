/**
 * Who may talk ENRP to this server (RFC 5355 §3.1–3.3): a registrar accepts
 * ENRP messages only from
 * - the hosts of its static peer list (matched by IP address, any port, so a
 *   peer that connects from another port of the same host is recognised),
 * - the networks of an allow list (`--enrp-allow 10.0.0.0/8`),
 * - registrars discovered by multicast Presence, when multicast discovery is
 *   enabled (their advertised address is remembered, bounded).
 *
 * Anything else is dropped before it can create state: no peer entry, no
 * handle table, no reply.
 *
 * @module
 */
import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { InvalidArgumentError } from '../../errors.js';
import type { TransportAddress } from '../../transport/types.js';
import { normalizeAddress } from '../address-filter.js';
import type { PeerLinkOrigin } from './peer-link.js';

/** Options of {@link EnrpAccess}. */
export interface EnrpAccessOptions {
  /** Static peers: their IP addresses are admitted. */
  peers?: readonly TransportAddress[];
  /** Networks (`ADDR/PREFIX` or a single address) whose hosts are admitted. */
  allow?: readonly string[];
  /** Accept Presence received by multicast (discovery). */
  multicast?: boolean;
  /** Most addresses remembered from multicast discovery (default 256). */
  maxDiscovered?: number;
}

/**
 * Parses one allow-list entry (`192.0.2.0/24`, `2001:db8::/32`, `10.1.2.3`,
 * `any`) into a block list.
 *
 * @throws InvalidArgumentError for text that is not a network
 */
export function addNetwork(list: BlockList, text: string): void {
  const t = text.trim();
  if (t === 'any') {
    list.addSubnet('0.0.0.0', 0, 'ipv4');
    list.addSubnet('::', 0, 'ipv6');
    return;
  }
  const slash = t.indexOf('/');
  const address = slash >= 0 ? t.slice(0, slash) : t;
  const kind = isIP(address);
  if (kind === 0) throw new InvalidArgumentError(`Invalid network "${text}" (expected ADDR/PREFIX)`);
  const max = kind === 4 ? 32 : 128;
  const prefix = slash >= 0 ? Number(t.slice(slash + 1)) : max;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (slash >= 0 && t.slice(slash + 1) === '')) {
    throw new InvalidArgumentError(`Invalid prefix length in "${text}"`);
  }
  list.addSubnet(address, prefix, kind === 4 ? 'ipv4' : 'ipv6');
}

/** The admission rule of an ENRP server. */
export class EnrpAccess {
  private readonly staticHosts = new Set<string>();
  private readonly networks = new BlockList();
  private readonly discoveredHosts = new Set<string>();
  private readonly maxDiscovered: number;
  private readonly multicastOn: boolean;
  /** Messages refused because their sender was not admitted. */
  refused = 0;

  constructor(options: EnrpAccessOptions = {}) {
    for (const p of options.peers ?? []) this.addStaticHost(p.address);
    for (const n of options.allow ?? []) addNetwork(this.networks, n);
    this.multicastOn = options.multicast === true;
    this.maxDiscovered = options.maxDiscovered ?? 256;
  }

  /** Adds a static peer host (IP address text). */
  addStaticHost(address: string): void {
    const n = normalizeAddress(address);
    if (n !== undefined) this.staticHosts.add(n);
  }

  /**
   * Resolves static peers given by DNS name (names cannot be matched
   * against the source of a packet).
   */
  async resolveNames(peers: readonly TransportAddress[]): Promise<void> {
    for (const p of peers) {
      if (isIP(p.address) !== 0) continue;
      try {
        for (const r of await lookup(p.address, { all: true })) this.addStaticHost(r.address);
      } catch {
        // unresolvable: never admitted
      }
    }
  }

  /** True when a message from `origin` may be processed. */
  admits(origin: PeerLinkOrigin): boolean {
    if (origin.multicast) return this.multicastOn;
    if (this.admitsHost(origin.from.address)) return true;
    this.refused++;
    return false;
  }

  /** True when the host at `address` is admitted over SCTP. */
  admitsHost(address: string): boolean {
    const n = normalizeAddress(address);
    if (n === undefined) return false;
    if (this.staticHosts.has(n) || this.discoveredHosts.has(n)) return true;
    return this.networks.check(n, n.includes(':') ? 'ipv6' : 'ipv4');
  }

  /** Remembers the address of a registrar heard by multicast discovery. */
  discovered(address: string): void {
    const n = normalizeAddress(address);
    if (n === undefined || this.discoveredHosts.has(n) || this.discoveredHosts.size >= this.maxDiscovered) return;
    this.discoveredHosts.add(n);
  }
}
