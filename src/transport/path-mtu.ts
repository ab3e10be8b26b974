/**
 * What the host knows about the MTU towards a destination, before any
 * probing: the starting packet size of an association and the largest one
 * worth probing for (RFC 8899 §4: the PLPMTU is bounded by the MTU of the
 * local interface).
 *
 * - A destination that is one of this host's own addresses (127.0.0.0/8,
 *   `::1`, or an address of any local interface) is reached through the
 *   loopback interface (this is how Linux routes it): its MTU, no probing.
 * - A destination inside the subnet of a local interface is one link away:
 *   that interface's MTU, no probing (every host on a link shares its MTU).
 * - Anything else starts at a safe 1,500-byte link (or the outgoing
 *   interface's MTU when that is smaller) and is probed upwards to the
 *   outgoing interface's MTU.
 *
 * Interface MTUs come from `/sys/class/net/<name>/mtu` (Linux); elsewhere
 * loopback is taken as 16,384 bytes and other interfaces as 1,500. The
 * interface table is cached for one second.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';

/** The link MTU every IP path is assumed to carry without probing (Ethernet). */
export const SAFE_LINK_MTU = 1500;
/** Largest UDP payload over IPv4 (65,535 − 20 − 8); IPv6 without jumbograms: 65,535 − 8. */
export const MAX_UDP_PAYLOAD_IPV4 = 65_507;
export const MAX_UDP_PAYLOAD_IPV6 = 65_527;

/** How a destination is reached, as far as the host can tell. */
export type PathKind = 'loopback' | 'link' | 'routed';

/** Link MTUs (IP packet sizes) towards one destination. */
export interface PathMtu {
  kind: PathKind;
  /** Interface the packets leave by, when known. */
  interface: string | undefined;
  /** Link MTU to start with. */
  mtu: number;
  /** Largest link MTU worth probing for (= `mtu` when no probing is needed). */
  ceiling: number;
}

interface IfaceEntry {
  name: string;
  family: 4 | 6;
  address: string;
  internal: boolean;
  /** Address as bytes (4 or 16) and prefix length, for subnet tests. */
  bytes: Uint8Array;
  prefix: number;
}

let cache: { at: number; entries: IfaceEntry[] } | undefined;
const mtuCache = new Map<string, { at: number; mtu: number }>();
const CACHE_MS = 1000;

function interfaceEntries(): IfaceEntry[] {
  const t = Date.now();
  if (cache && t - cache.at < CACHE_MS) return cache.entries;
  const entries: IfaceEntry[] = [];
  let table: NodeJS.Dict<os.NetworkInterfaceInfo[]> = {};
  try {
    table = os.networkInterfaces();
  } catch {
    /* no interface table: everything is routed */
  }
  for (const [name, list] of Object.entries(table)) {
    for (const info of list ?? []) {
      const bytes = addressBytes(info.address);
      if (!bytes) continue;
      const prefix = Number((info.cidr ?? '').split('/')[1] ?? (bytes.length === 4 ? 32 : 128));
      entries.push({ name, family: bytes.length === 4 ? 4 : 6, address: info.address, internal: info.internal, bytes, prefix });
    }
  }
  cache = { at: t, entries };
  return entries;
}

/** MTU of a network interface (link MTU, bytes). */
export function interfaceMtu(name: string, internal = false): number {
  const t = Date.now();
  const hit = mtuCache.get(name);
  if (hit && t - hit.at < CACHE_MS) return hit.mtu;
  let mtu = internal ? 16_384 : SAFE_LINK_MTU;
  if (process.platform === 'linux' && /^[\w.:@-]+$/.test(name)) {
    try {
      const value = Number(readFileSync(`/sys/class/net/${name}/mtu`, 'utf8').trim());
      if (Number.isInteger(value) && value >= 68) mtu = value;
    } catch {
      /* not readable: keep the assumption */
    }
  }
  mtuCache.set(name, { at: t, mtu });
  return mtu;
}

/** Forgets cached interface data (tests change MTUs on the fly). */
export function clearPathMtuCache(): void {
  cache = undefined;
  mtuCache.clear();
}

function addressBytes(address: string): Uint8Array | undefined {
  const plain = address.split('%')[0]!;
  const family = net.isIP(plain);
  if (family === 4) return Uint8Array.from(plain.split('.').map(Number));
  if (family !== 6) return undefined;
  const out = new Uint8Array(16);
  let text = plain;
  // IPv4-suffixed IPv6 (::ffff:1.2.3.4)
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    text = text.slice(0, -v4[1]!.length) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
  for (let i = 0; i < 8; i++) {
    const g = parseInt(groups[i] ?? '0', 16) || 0;
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  }
  return out;
}

function inSubnet(bytes: Uint8Array, entry: IfaceEntry): boolean {
  if (bytes.length !== entry.bytes.length) return false;
  let bits = entry.prefix;
  for (let i = 0; i < bytes.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((bytes[i]! & mask) !== (entry.bytes[i]! & mask)) return false;
  }
  return true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function isLoopback(bytes: Uint8Array): boolean {
  if (bytes.length === 4) return bytes[0] === 127;
  for (let i = 0; i < 15; i++) if (bytes[i] !== 0) return false;
  return bytes[15] === 1;
}

function loopbackMtu(entries: IfaceEntry[], family: 4 | 6): { name: string | undefined; mtu: number } {
  const lo = entries.find((e) => e.internal && e.family === family) ?? entries.find((e) => e.internal);
  return lo ? { name: lo.name, mtu: interfaceMtu(lo.name, true) } : { name: undefined, mtu: 16_384 };
}

/**
 * Link MTUs towards `remote`. `local` is the source address the packets
 * leave from when known (a bound or connected socket's address; not the
 * wildcard): its interface is the outgoing one for routed destinations.
 */
export function pathMtuTo(remote: string, local?: string): PathMtu {
  const bytes = addressBytes(remote);
  const entries = interfaceEntries();
  if (!bytes) return { kind: 'routed', interface: undefined, mtu: SAFE_LINK_MTU, ceiling: SAFE_LINK_MTU };
  const family = bytes.length === 4 ? 4 : 6;
  if (isLoopback(bytes) || entries.some((e) => sameBytes(e.bytes, bytes))) {
    const lo = loopbackMtu(entries, family);
    return { kind: 'loopback', interface: lo.name, mtu: lo.mtu, ceiling: lo.mtu };
  }
  // Most specific subnet of a non-loopback interface (link-local IPv6 is per interface: skip the guess).
  let best: IfaceEntry | undefined;
  for (const e of entries) {
    if (e.internal || e.family !== family) continue;
    if (family === 6 && e.bytes[0] === 0xfe && (e.bytes[1]! & 0xc0) === 0x80) continue;
    if (inSubnet(bytes, e) && (!best || e.prefix > best.prefix)) best = e;
  }
  if (best) {
    const mtu = interfaceMtu(best.name);
    return { kind: 'link', interface: best.name, mtu, ceiling: mtu };
  }
  // Routed: the outgoing interface bounds the search.
  const localBytes = local ? addressBytes(local) : undefined;
  const out = localBytes ? entries.find((e) => !e.internal && sameBytes(e.bytes, localBytes)) : undefined;
  let ceiling: number;
  if (out) ceiling = interfaceMtu(out.name);
  else {
    ceiling = 0;
    for (const e of entries) if (!e.internal && e.family === family) ceiling = Math.max(ceiling, interfaceMtu(e.name));
    if (ceiling === 0) ceiling = SAFE_LINK_MTU;
  }
  return { kind: 'routed', interface: out?.name, mtu: Math.min(SAFE_LINK_MTU, ceiling), ceiling };
}

/** IP + UDP header bytes in front of an SCTP packet over UDP (RFC 6951 §5.6). */
export function udpOverhead(family: 4 | 6): number {
  return (family === 6 ? 40 : 20) + 8;
}

/**
 * Largest SCTP packet that fits a link MTU over UDP, also within the UDP
 * payload limit (a datagram of 65,535 bytes of IP cannot carry more).
 */
export function sctpPacketSizeForUdp(linkMtu: number, family: 4 | 6): number {
  const limit = family === 6 ? MAX_UDP_PAYLOAD_IPV6 : MAX_UDP_PAYLOAD_IPV4;
  return Math.min(linkMtu - udpOverhead(family), limit) & ~3;
}

/** Largest SCTP packet that fits a link MTU directly over IP (raw mode). */
export function sctpPacketSizeForIp(linkMtu: number, family: 4 | 6): number {
  return Math.min(linkMtu, 65_535) - (family === 6 ? 40 : 20);
}
