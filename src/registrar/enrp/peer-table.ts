/**
 * The table of known ENRP peers: identity, ENRP address, Server Information
 * and liveness (last heard, probe outstanding).
 *
 * @module
 */
import type { TimerHandle } from '../../clock.js';
import type { TransportAddress } from '../../transport/types.js';
import type { ServerInfoParam } from '../../wire/types.js';
import { addressKey } from './peer-link.js';

/** One known peer. */
export interface Peer {
  /** Server identifier (non-zero). */
  readonly id: number;
  /** Its ENRP transport address (where messages to it are sent). */
  address: TransportAddress;
  /** Its Server Information as last received, if any. */
  serverInfo: ServerInfoParam | undefined;
  /** Clock time it was last heard from. */
  lastHeard: number;
  /** True while a Presence with R=1 waits for an answer (MAX-TIME-NO-RESPONSE running). */
  probing: boolean;
  /** Checksum of its last Presence received over SCTP. */
  lastChecksum: number | undefined;
  /** @internal liveness timer */
  timer: TimerHandle | undefined;
}

/** What the peer table reports about a peer (see `EnrpServer` statistics and `rsp hsdump`). */
export interface PeerSummary {
  id: number;
  address: TransportAddress;
  lastHeard: number;
  probing: boolean;
}

/** Known peers by id and by address. */
export class PeerTable {
  private readonly byId = new Map<number, Peer>();

  /** Number of peers. */
  get size(): number {
    return this.byId.size;
  }

  /** The peer with `id`. */
  get(id: number): Peer | undefined {
    return this.byId.get(id);
  }

  /** Whether some known peer is reached at `address`. */
  hasAddress(address: TransportAddress): boolean {
    const k = addressKey(address);
    for (const p of this.byId.values()) if (addressKey(p.address) === k) return true;
    return false;
  }

  /** Adds a peer (or returns the existing one). */
  add(id: number, address: TransportAddress, now: number): { peer: Peer; added: boolean } {
    const existing = this.byId.get(id);
    if (existing !== undefined) return { peer: existing, added: false };
    const peer: Peer = { id, address, serverInfo: undefined, lastHeard: now, probing: false, lastChecksum: undefined, timer: undefined };
    this.byId.set(id, peer);
    return { peer, added: true };
  }

  /** Removes a peer; returns it when it was known. */
  remove(id: number): Peer | undefined {
    const p = this.byId.get(id);
    if (p !== undefined) this.byId.delete(id);
    return p;
  }

  /** Every peer. */
  values(): IterableIterator<Peer> {
    return this.byId.values();
  }

  /** Ids of every peer. */
  ids(): number[] {
    return [...this.byId.keys()];
  }

  /** Plain summaries, sorted by id. */
  list(): PeerSummary[] {
    return [...this.byId.values()]
      .map((p) => ({ id: p.id, address: p.address, lastHeard: p.lastHeard, probing: p.probing }))
      .sort((a, b) => a.id - b.id);
  }
}
