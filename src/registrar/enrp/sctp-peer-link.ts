/**
 * The real {@link PeerLink}: ENRP over SCTP (PPID 12) on one endpoint, plus
 * Presence by UDP multicast.
 *
 * One association per peer address is used for sending. When two servers
 * connect to each other at the same instant, each ends up with two
 * associations to the other (its own and the one the other opened). Rule:
 * **the association initiated by the smaller server id is kept**; both
 * sides learn the other's id from the first ENRP message and so agree on
 * which one it is. The other association is closed gracefully after a
 * grace period, and anything that fails to go out on it is sent again on
 * the kept one, so no message is lost in the switch. Messages are received
 * on every association.
 *
 * @module
 */
import type { Association, CloseReason, Endpoint, TransportAddress } from '../../transport/types.js';
import type { WireLimits } from '../../wire/limits.js';
import { decodeEnrp, encodeEnrp } from './codec-adapter.js';
import type { PeerMessage } from './messages.js';
import { ENRP_PPID } from './options.js';
import { addressKey, type PeerLink, type PeerLinkHandler } from './peer-link.js';

/** A UDP multicast channel for Presence (see `src/transport/multicast.ts`). */
export interface PresenceChannel {
  send(data: Uint8Array): Promise<void>;
  on(event: 'message', listener: (data: Uint8Array, remote: TransportAddress) => void): unknown;
  close(): Promise<void>;
}

/** Options of {@link SctpPeerLink}. */
export interface SctpPeerLinkOptions {
  /** This server's id (for the simultaneous-connect rule). */
  serverId: number;
  /** The ENRP endpoint (listening). */
  endpoint: Endpoint;
  /** Address to advertise in Server Information; default the endpoint's local address. */
  advertise?: TransportAddress;
  /** Presence multicast channel, if enabled. */
  multicast?: PresenceChannel;
  /** Messages queued per peer while connecting (default 100,000); beyond, they are dropped. */
  maxQueue?: number;
  /** Time (ms) the redundant association of a simultaneous connect stays open (default 2000). */
  dedupeGrace?: number;
  /** Connect timeout in ms (default 3000). */
  connectTimeout?: number;
  /** Codec limits. */
  limits?: Partial<WireLimits>;
  /** Reports problems (decode errors, send failures). */
  onError?: (what: string, error: unknown) => void;
  /** Whether an association may carry ENRP (e.g. its TLS identity is a registrar); default: all. */
  admit?: (association: Association) => boolean;
}

/** Counters of a {@link SctpPeerLink}. */
export interface SctpPeerLinkStats {
  sent: number;
  received: number;
  decodeErrors: number;
  sendFailures: number;
  resent: number;
  dropped: number;
  connects: number;
  connectFailures: number;
  accepted: number;
  deduplicated: number;
  /** Associations refused by the `admit` check. */
  refused: number;
}

interface Conn {
  key: string;
  remote: TransportAddress;
  outgoing: Association | undefined;
  incoming: Association | undefined;
  connecting: boolean;
  queue: Uint8Array[];
  peerId: number | undefined;
  dedupeTimer: NodeJS.Timeout | undefined;
}

/** ENRP over SCTP with PPID 12 and multicast Presence. */
export class SctpPeerLink implements PeerLink {
  /** Counters. */
  readonly stats: SctpPeerLinkStats = { sent: 0, received: 0, decodeErrors: 0, sendFailures: 0, resent: 0, dropped: 0, connects: 0, connectFailures: 0, accepted: 0, deduplicated: 0, refused: 0 };
  readonly local: TransportAddress;
  private handler: PeerLinkHandler | undefined;
  private readonly conns = new Map<string, Conn>();
  private closed = false;
  private readonly o: Required<Omit<SctpPeerLinkOptions, 'multicast' | 'advertise' | 'limits' | 'onError' | 'admit'>> & SctpPeerLinkOptions;

  constructor(options: SctpPeerLinkOptions) {
    this.o = { maxQueue: 100_000, dedupeGrace: 2000, connectTimeout: 3000, ...options };
    this.local = options.advertise ?? options.endpoint.local;
    options.endpoint.on('association', (a) => this.accept(a));
    options.multicast?.on('message', (data, remote) => {
      let m: PeerMessage;
      try {
        m = decodeEnrp(data, this.o.limits);
      } catch (err) {
        this.stats.decodeErrors++;
        this.o.onError?.('multicast-decode', err);
        return;
      }
      if (m.type !== 'presence') return;
      this.stats.received++;
      this.handler?.message(m, { from: remote, multicast: true });
    });
  }

  setHandler(handler: PeerLinkHandler): void {
    this.handler = handler;
  }

  /** Number of open associations (for tests and statistics). */
  get associationCount(): number {
    let n = 0;
    for (const c of this.conns.values()) n += (c.outgoing?.open ? 1 : 0) + (c.incoming?.open ? 1 : 0);
    return n;
  }

  send(to: TransportAddress, message: PeerMessage): void {
    if (this.closed) return;
    let bytes: Uint8Array;
    try {
      bytes = encodeEnrp(message, this.o.limits);
    } catch (err) {
      this.stats.sendFailures++;
      this.o.onError?.('encode', err);
      return;
    }
    const c = this.conn(to);
    const a = this.preferred(c);
    if (a !== undefined) {
      this.transmit(c, a, bytes, false);
      return;
    }
    if (c.queue.length >= this.o.maxQueue) {
      this.stats.dropped++;
      return;
    }
    c.queue.push(bytes);
    if (!c.connecting) void this.connect(c);
  }

  multicast(message: PeerMessage): void {
    const ch = this.o.multicast;
    if (ch === undefined || this.closed) return;
    try {
      ch.send(encodeEnrp(message, this.o.limits)).catch((err) => this.o.onError?.('multicast-send', err));
    } catch (err) {
      this.o.onError?.('multicast-encode', err);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all: Promise<void>[] = [];
    for (const c of this.conns.values()) {
      if (c.dedupeTimer) clearTimeout(c.dedupeTimer);
      for (const a of [c.outgoing, c.incoming]) if (a?.open) all.push(a.close().catch(() => a.abort()));
    }
    this.conns.clear();
    await Promise.all(all);
    await this.o.multicast?.close().catch(() => undefined);
  }

  // ------------------------------------------------------------------------

  private conn(remote: TransportAddress): Conn {
    const key = addressKey(remote);
    let c = this.conns.get(key);
    if (c === undefined) {
      c = { key, remote: { address: remote.address, port: remote.port }, outgoing: undefined, incoming: undefined, connecting: false, queue: [], peerId: undefined, dedupeTimer: undefined };
      this.conns.set(key, c);
    }
    return c;
  }

  /** The association to send on: the one initiated by the smaller id when both are open. */
  private preferred(c: Conn): Association | undefined {
    const out = c.outgoing?.open ? c.outgoing : undefined;
    const inc = c.incoming?.open ? c.incoming : undefined;
    if (out && inc) {
      if (c.peerId === undefined) return out;
      return this.o.serverId < c.peerId ? out : inc;
    }
    return out ?? inc;
  }

  private transmit(c: Conn, a: Association, bytes: Uint8Array, retry: boolean): void {
    this.stats.sent++;
    a.send(bytes, { ppid: ENRP_PPID }).catch((err) => {
      // The association went away (e.g. the redundant one of a simultaneous connect): use the other one.
      const other = this.preferred(c);
      if (!retry && other !== undefined && other !== a) {
        this.stats.resent++;
        this.transmit(c, other, bytes, true);
      } else {
        this.stats.sendFailures++;
        this.o.onError?.('send', err);
      }
    });
  }

  private async connect(c: Conn): Promise<void> {
    c.connecting = true;
    this.stats.connects++;
    try {
      const a = await this.o.endpoint.connect(c.remote, { timeout: this.o.connectTimeout });
      c.connecting = false;
      if (this.closed) {
        a.abort('closed');
        return;
      }
      if (this.o.admit !== undefined && !this.o.admit(a)) {
        this.stats.refused++;
        a.abort('not an authorised registrar');
        throw new Error('peer is not an authorised registrar');
      }
      c.outgoing = a;
      this.wire(c, a, 'outgoing');
      this.flush(c);
      this.dedupe(c);
    } catch (err) {
      c.connecting = false;
      this.stats.connectFailures++;
      if (this.closed) return;
      // If the peer connected to us meanwhile, its association carries the queue.
      if (this.preferred(c) !== undefined) {
        this.flush(c);
        return;
      }
      this.stats.dropped += c.queue.length;
      c.queue.length = 0;
      this.o.onError?.('connect', err);
      this.handler?.down?.(c.remote, err);
    }
  }

  private accept(a: Association): void {
    if (this.closed) {
      a.abort('closed');
      return;
    }
    if (this.o.admit !== undefined && !this.o.admit(a)) {
      this.stats.refused++;
      a.abort('not an authorised registrar');
      return;
    }
    this.stats.accepted++;
    const c = this.conn(a.remote);
    const old = c.incoming;
    c.incoming = a;
    this.wire(c, a, 'incoming');
    if (old !== undefined && old !== a && old.open) old.abort('replaced');
    this.flush(c);
    this.dedupe(c);
  }

  private wire(c: Conn, a: Association, dir: 'outgoing' | 'incoming'): void {
    a.on('message', (data, info) => {
      if (info.ppid !== ENRP_PPID) return;
      let m: PeerMessage;
      try {
        m = decodeEnrp(data, this.o.limits);
      } catch (err) {
        this.stats.decodeErrors++;
        this.o.onError?.('decode', err);
        return;
      }
      this.stats.received++;
      if (c.peerId === undefined && m.senderId !== 0) {
        c.peerId = m.senderId;
        this.dedupe(c);
      } else if (m.senderId !== 0 && m.senderId !== c.peerId) {
        c.peerId = m.senderId; // the peer restarted with a new id
      }
      this.handler?.message(m, { from: c.remote, multicast: false });
    });
    a.on('error', () => undefined);
    a.on('close', (reason: CloseReason) => {
      if (c[dir] === a) c[dir] = undefined;
      if (this.closed) return;
      if (reason !== 'local' && this.preferred(c) === undefined) this.handler?.down?.(c.remote, new Error(`association closed (${reason})`));
    });
  }

  private flush(c: Conn): void {
    const a = this.preferred(c);
    if (a === undefined) return;
    const q = c.queue.splice(0);
    for (const bytes of q) this.transmit(c, a, bytes, false);
  }

  /** Closes the redundant association of a simultaneous connect once both ids are known. */
  private dedupe(c: Conn): void {
    if (c.dedupeTimer !== undefined || c.peerId === undefined) return;
    if (!(c.outgoing?.open && c.incoming?.open)) return;
    const redundant = this.o.serverId < c.peerId ? c.incoming : c.outgoing;
    this.stats.deduplicated++;
    c.dedupeTimer = setTimeout(() => {
      c.dedupeTimer = undefined;
      if (redundant.open && this.preferred(c) !== redundant) redundant.close().catch(() => redundant.abort('redundant'));
    }, this.o.dedupeGrace);
    c.dedupeTimer.unref?.();
  }
}
