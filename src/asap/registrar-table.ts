/**
 * The registrar table of an ASAP instance (spec §12.1 steps 1–2): the
 * registrars a PE or PU may use as its home registrar. Entries come from a
 * static list (options or the `RSP_REGISTRARS` environment variable) and from
 * ASAP Server Announce datagrams heard on the announce group; announced
 * entries expire after `announceTimeout` (RFC 5352 T7-ENRPoutdate, 5 s)
 * unless refreshed.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import { InvalidArgumentError } from '../errors.js';
import type { Clock } from '../clock.js';
import type { TransportAddress } from '../transport/types.js';

/** Default SCTP port of ASAP (spec §1). */
export const ASAP_PORT = 3863;

/** Name of the environment variable that may list registrars (`HOST:PORT` separated by commas or spaces). */
export const REGISTRARS_ENV = 'RSP_REGISTRARS';

/** Where a {@link RegistrarEntry} came from. */
export type RegistrarSource = 'static' | 'announce';

/** One registrar the instance may connect to. */
export interface RegistrarEntry {
  /** SCTP transport address of the registrar's ASAP endpoint. */
  readonly address: TransportAddress;
  /** Registrar (server) identifier when known from an announce, else 0. */
  serverId: number;
  /** Static entries never expire; announced ones do. */
  readonly source: RegistrarSource;
  /** For announced entries: the clock time after which the entry is dropped. */
  expiresAt: number;
}

/** Events of a {@link RegistrarTable}. */
export interface RegistrarTableEvents {
  /** A registrar was added (static entry or first announce). */
  added: (entry: RegistrarEntry) => void;
  /** An announced registrar expired. */
  expired: (entry: RegistrarEntry) => void;
}

/**
 * Parses `HOST:PORT`, `[IPv6]:PORT`, a bare `HOST` (port 3863) or a bare IPv6
 * address into a transport address.
 *
 * @throws InvalidArgumentError when the text is not an address.
 */
export function parseTransportAddress(text: string, defaultPort = ASAP_PORT): TransportAddress {
  const s = text.trim();
  let host: string;
  let portText: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracket) {
    host = bracket[1]!;
    portText = bracket[2];
  } else if (s.split(':').length > 2) {
    host = s; // bare IPv6 address
  } else {
    const i = s.lastIndexOf(':');
    if (i >= 0) {
      host = s.slice(0, i);
      portText = s.slice(i + 1);
    } else {
      host = s;
    }
  }
  if (host === '' || /\s/.test(host)) throw new InvalidArgumentError(`Invalid registrar address "${text}"`);
  if (host === 'localhost') host = '127.0.0.1';
  let port = defaultPort;
  if (portText !== undefined) {
    if (!/^\d+$/.test(portText)) throw new InvalidArgumentError(`Invalid port in "${text}"`);
    port = Number(portText);
  }
  if (!(port >= 1 && port <= 65535)) throw new InvalidArgumentError(`Port out of range in "${text}"`);
  return { address: host, port };
}

/** Formats a transport address as `HOST:PORT` (`[v6]:PORT` for IPv6). */
export function formatTransportAddress(a: TransportAddress): string {
  return a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

/**
 * Parses a registrar list: an array of `HOST:PORT` strings or transport
 * addresses, or one string with entries separated by commas or whitespace
 * (the format of `RSP_REGISTRARS`).
 */
export function parseRegistrarList(list: string | ReadonlyArray<string | TransportAddress>): TransportAddress[] {
  const items = typeof list === 'string' ? list.split(/[\s,]+/).filter((x) => x !== '') : list;
  return items.map((x) => (typeof x === 'string' ? parseTransportAddress(x) : { address: x.address, port: x.port }));
}

/** Options of a {@link RegistrarTable}. */
export interface RegistrarTableOptions {
  /** Time source for announce expiry. */
  clock: Clock;
  /** Lifetime of an announced entry in ms (RFC 5352 T7-ENRPoutdate); default 5000. */
  announceTimeout?: number;
  /** Upper bound on announced entries kept (protection against announce floods); default 64. */
  maxAnnounced?: number;
}

const key = (a: TransportAddress): string => `${a.address}|${a.port}`;

/** The registrar table: static entries plus announced entries with expiry. */
export class RegistrarTable extends EventEmitter<RegistrarTableEvents> {
  private readonly entries = new Map<string, RegistrarEntry>();
  private readonly clock: Clock;
  /** Lifetime of announced entries in ms. */
  readonly announceTimeout: number;
  private readonly maxAnnounced: number;

  constructor(options: RegistrarTableOptions) {
    super();
    this.clock = options.clock;
    this.announceTimeout = options.announceTimeout ?? 5000;
    this.maxAnnounced = options.maxAnnounced ?? 64;
  }

  /** Adds a static (never expiring) registrar. */
  addStatic(address: TransportAddress): RegistrarEntry {
    const k = key(address);
    const old = this.entries.get(k);
    if (old?.source === 'static') return old;
    const entry: RegistrarEntry = { address: { ...address }, serverId: old?.serverId ?? 0, source: 'static', expiresAt: Infinity };
    this.entries.set(k, entry);
    if (!old) this.emit('added', entry);
    return entry;
  }

  /**
   * Records a Server Announce (spec §12.7): the registrar `serverId` can be
   * reached at `addresses` (the announce's SCTP transports, or the UDP source
   * address and port when it carries none). Refreshes the expiry of known
   * entries; static entries only learn the server id.
   */
  handleAnnounce(serverId: number, addresses: ReadonlyArray<TransportAddress>): void {
    const now = this.clock.now();
    for (const a of addresses) {
      const k = key(a);
      const old = this.entries.get(k);
      if (old) {
        old.serverId = serverId;
        if (old.source === 'announce') old.expiresAt = now + this.announceTimeout;
        continue;
      }
      this.purge();
      if (this.countAnnounced() >= this.maxAnnounced) continue;
      const entry: RegistrarEntry = { address: { ...a }, serverId, source: 'announce', expiresAt: now + this.announceTimeout };
      this.entries.set(k, entry);
      this.emit('added', entry);
    }
  }

  /** Learns the server id of the registrar at `address` (e.g. from a keep-alive). */
  setServerId(address: TransportAddress, serverId: number): void {
    const e = this.entries.get(key(address));
    if (e) e.serverId = serverId;
  }

  /** Drops announced entries whose lifetime has passed. */
  purge(): void {
    const now = this.clock.now();
    for (const [k, e] of this.entries) {
      if (e.source === 'announce' && e.expiresAt <= now) {
        this.entries.delete(k);
        this.emit('expired', e);
      }
    }
  }

  /** Live entries (announced ones not yet expired), static entries first. */
  list(): RegistrarEntry[] {
    this.purge();
    const all = [...this.entries.values()];
    return [...all.filter((e) => e.source === 'static'), ...all.filter((e) => e.source === 'announce')];
  }

  /** Number of live entries. */
  get size(): number {
    this.purge();
    return this.entries.size;
  }

  /**
   * Up to `n` distinct live entries in random order (spec §12.1 step 3:
   * candidates are chosen at random), skipping addresses in `exclude`.
   */
  pick(n: number, exclude: ReadonlySet<string> = new Set(), random: () => number = Math.random): RegistrarEntry[] {
    const pool = this.list().filter((e) => !exclude.has(formatTransportAddress(e.address)));
    for (let i = pool.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    return pool.slice(0, Math.max(0, n));
  }

  private countAnnounced(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.source === 'announce') n++;
    return n;
  }
}
