/**
 * In-memory doubles for ENRP unit tests: a handlespace and a network of
 * peer links driven by a fake clock.
 */
import type { FakeClock } from '../../../src/clock.js';
import { computeOwnershipChecksum } from '../../../src/handlespace/checksum.js';
import type { TransportAddress } from '../../../src/transport/types.js';
import type { PoolElementParam, PoolHandle } from '../../../src/wire/types.js';
import { entryKey, type EnrpHandlespace, type HandlespaceEntry } from '../../../src/registrar/enrp/handlespace-view.js';
import type { PeerMessage } from '../../../src/registrar/enrp/messages.js';
import { addressKey, type PeerLink, type PeerLinkHandler } from '../../../src/registrar/enrp/peer-link.js';
import { EnrpServer } from '../../../src/registrar/enrp/enrp-server.js';
import type { EnrpOptions } from '../../../src/registrar/enrp/options.js';

export class MemoryHandlespace implements EnrpHandlespace {
  readonly map = new Map<string, HandlespaceEntry>();

  ownershipChecksum(ownerId: number): number {
    return computeOwnershipChecksum(this.ownedBy(ownerId).map((e) => ({ poolHandle: e.poolHandle, peId: e.element.peId })));
  }
  ownedCount(ownerId: number): number {
    return this.ownedBy(ownerId).length;
  }
  ownedBy(ownerId: number): HandlespaceEntry[] {
    return [...this.map.values()].filter((e) => e.element.homeRegistrarId === ownerId);
  }
  all(): HandlespaceEntry[] {
    return [...this.map.values()];
  }
  get(poolHandle: PoolHandle, peId: number): PoolElementParam | undefined {
    return this.map.get(entryKey(poolHandle, peId))?.element;
  }
  applyPeer(poolHandle: PoolHandle, element: PoolElementParam): boolean {
    this.map.set(entryKey(poolHandle, element.peId), { poolHandle, element: { ...element } });
    return true;
  }
  remove(poolHandle: PoolHandle, peId: number): boolean {
    return this.map.delete(entryKey(poolHandle, peId));
  }
  transferOwnership(fromId: number, toId: number): HandlespaceEntry[] {
    const out = this.ownedBy(fromId);
    for (const e of out) e.element.homeRegistrarId = toId;
    return out;
  }
  /** Sorted "handle/id@owner" strings for comparisons. */
  dump(): string[] {
    return [...this.map.values()].map((e) => `${Buffer.from(e.poolHandle).toString()}/${e.element.peId}@${e.element.homeRegistrarId}`).sort();
  }
}

type Filter = (from: string, to: string, m: PeerMessage) => boolean;

export class MemoryNetwork {
  readonly links = new Map<string, MemoryLink>();
  readonly down = new Set<string>();
  /** Return false to drop a message. */
  filter: Filter = () => true;
  latency = 1;
  readonly log: { from: string; to: string; type: string }[] = [];
  constructor(readonly clock: FakeClock) {}

  link(address: TransportAddress, multicast = false): MemoryLink {
    const l = new MemoryLink(this, address, multicast);
    this.links.set(addressKey(address), l);
    return l;
  }

  deliver(from: MemoryLink, to: TransportAddress, m: PeerMessage, multicast: boolean): void {
    const fk = addressKey(from.local);
    const tk = addressKey(to);
    if (this.down.has(fk) || this.down.has(tk) || !this.filter(fk, tk, m)) return;
    const target = this.links.get(tk);
    if (target === undefined || target.closed) return;
    this.log.push({ from: fk, to: tk, type: m.type });
    const copy = structuredClone(m);
    this.clock.setTimeout(() => {
      if (this.down.has(tk) || target.closed) return;
      target.handler?.message(copy, { from: from.local, multicast });
    }, this.latency);
  }
}

export class MemoryLink implements PeerLink {
  handler: PeerLinkHandler | undefined;
  closed = false;
  constructor(
    private readonly net: MemoryNetwork,
    readonly local: TransportAddress,
    private readonly multicastOn: boolean,
  ) {}
  setHandler(handler: PeerLinkHandler): void {
    this.handler = handler;
  }
  send(to: TransportAddress, message: PeerMessage): void {
    if (!this.closed) this.net.deliver(this, to, message, false);
  }
  multicast(message: PeerMessage): void {
    if (!this.multicastOn || this.closed) return;
    for (const l of this.net.links.values()) if (l !== this && l.multicastOn) this.net.deliver(this, l.local, message, true);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

export const handle = (s: string): Uint8Array => new TextEncoder().encode(s);

export function pe(peId: number, home: number, port = 7000): PoolElementParam {
  return {
    peId,
    homeRegistrarId: home,
    registrationLife: 30000,
    userTransport: { protocol: 'sctp', port, transportUse: 0, addresses: ['192.0.2.10'] },
    policy: { type: 'round-robin' },
    asapTransport: { protocol: 'sctp', port: 40000 + (peId % 20000), transportUse: 0, addresses: ['192.0.2.10'] },
  };
}

export interface Node {
  id: number;
  hs: MemoryHandlespace;
  server: EnrpServer;
  link: MemoryLink;
  adopted: HandlespaceEntry[];
  address: TransportAddress;
  register(pool: string, peId: number): void;
  deregister(pool: string, peId: number): void;
}

export function makeNode(net: MemoryNetwork, id: number, port: number, options: EnrpOptions, multicast = false, random: () => number = () => 0.5, host = '127.0.0.1'): Node {
  const hs = new MemoryHandlespace();
  const address = { address: host, port };
  const link = net.link(address, multicast);
  const adopted: HandlespaceEntry[] = [];
  // The nodes of these tests trust each other's host (127.0.0.1) unless a test says otherwise.
  const server = new EnrpServer({ serverId: id, handlespace: hs, adopt: (e) => adopted.push(...e) }, link, { allow: ['127.0.0.0/8'], ...options }, net.clock, random);
  return {
    id,
    hs,
    server,
    link,
    adopted,
    address,
    register(pool, peId) {
      const el = pe(peId, id);
      hs.applyPeer(handle(pool), el);
      server.localChange('add', handle(pool), el);
    },
    deregister(pool, peId) {
      const el = hs.get(handle(pool), peId)!;
      hs.remove(handle(pool), peId);
      server.localChange('del', handle(pool), el);
    },
  };
}

export const addr = (port: number): TransportAddress => ({ address: '127.0.0.1', port });
