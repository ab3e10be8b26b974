import { EventEmitter } from 'eventemitter3';
import { describe, expect, it } from 'vitest';
import type { Association, AssociationEvents, CloseReason, Endpoint, EndpointEvents, SendOptions, TransportAddress } from '../../../src/transport/types.js';
import { SctpPeerLink } from '../../../src/registrar/enrp/sctp-peer-link.js';
import type { PeerMessage } from '../../../src/registrar/enrp/messages.js';
import { addressKey } from '../../../src/registrar/enrp/peer-link.js';

/** In-memory endpoints: connect() makes a pair of associations, messages arrive on the next macrotask. */
const registry = new Map<string, FakeEndpoint>();

class FakeAssociation extends EventEmitter<AssociationEvents> implements Association {
  peer: FakeAssociation | undefined;
  open = true;
  bufferedAmount = 0;
  constructor(
    readonly local: TransportAddress,
    readonly remote: TransportAddress,
    readonly initiator: string,
  ) {
    super();
  }
  send(data: Uint8Array, options: SendOptions): Promise<void> {
    if (!this.open) return Promise.reject(new Error('closed'));
    const peer = this.peer!;
    setImmediate(() => peer.open && peer.emit('message', data, { ppid: options.ppid, stream: 0, unordered: false }));
    return Promise.resolve();
  }
  async close(): Promise<void> {
    this.end('local', 'shutdown');
  }
  abort(): void {
    this.end('local', 'abort');
  }
  private end(mine: CloseReason, theirs: CloseReason): void {
    if (!this.open) return;
    this.open = false;
    const peer = this.peer!;
    // Data already sent is delivered before the peer sees the shutdown.
    setImmediate(() => setImmediate(() => {
      if (peer.open) {
        peer.open = false;
        peer.emit('close', theirs);
      }
    }));
    this.emit('close', mine);
  }
}

class FakeEndpoint extends EventEmitter<EndpointEvents> implements Endpoint {
  constructor(readonly local: TransportAddress) {
    super();
    registry.set(addressKey(local), this);
  }
  async connect(remote: TransportAddress): Promise<Association> {
    await new Promise((r) => setTimeout(r, 5));
    const other = registry.get(addressKey(remote));
    if (other === undefined) throw new Error('refused');
    const mine = new FakeAssociation(this.local, remote, addressKey(this.local));
    const theirs = new FakeAssociation(remote, this.local, addressKey(this.local));
    mine.peer = theirs;
    theirs.peer = mine;
    other.emit('association', theirs);
    return mine;
  }
  async close(): Promise<void> {
    registry.delete(addressKey(this.local));
  }
}

const presence = (senderId: number, seq: number): PeerMessage => ({
  type: 'presence',
  senderId,
  receiverId: 0,
  replyRequired: false,
  checksum: seq,
  serverInfo: { serverId: senderId, transport: { protocol: 'sctp', port: 1, transportUse: 0, addresses: ['127.0.0.1'] } },
});

describe('SCTP peer link: simultaneous connect', () => {
  it('keeps the association initiated by the smaller server id on both sides and loses no message', async () => {
    const a1 = { address: '127.0.0.1', port: 1001 };
    const a2 = { address: '127.0.0.1', port: 1002 };
    const e1 = new FakeEndpoint(a1);
    const e2 = new FakeEndpoint(a2);
    // Server 9 listens on 1001, server 5 on 1002: the kept association is the one 1002 initiated.
    const l1 = new SctpPeerLink({ serverId: 9, endpoint: e1, dedupeGrace: 30 });
    const l2 = new SctpPeerLink({ serverId: 5, endpoint: e2, dedupeGrace: 30 });
    const got1: number[] = [];
    const got2: number[] = [];
    l1.setHandler({ message: (m) => m.type === 'presence' && got1.push(m.checksum) });
    l2.setHandler({ message: (m) => m.type === 'presence' && got2.push(m.checksum) });
    // Both send first at the same instant: each opens an association to the other.
    let seq = 0;
    for (; seq < 50; seq++) {
      l1.send(a2, presence(9, seq));
      l2.send(a1, presence(5, seq));
    }
    await new Promise((r) => setTimeout(r, 20));
    expect(l1.associationCount).toBe(2);
    expect(l2.associationCount).toBe(2);
    // Keep sending through the switch-over.
    for (let i = 0; i < 20; i++, seq++) {
      l1.send(a2, presence(9, seq));
      l2.send(a1, presence(5, seq));
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 60));
    expect(l1.associationCount).toBe(1);
    expect(l2.associationCount).toBe(1);
    expect(l1.stats.deduplicated + l2.stats.deduplicated).toBeGreaterThan(0);
    for (let i = 0; i < 10; i++, seq++) {
      l1.send(a2, presence(9, seq));
      l2.send(a1, presence(5, seq));
    }
    await new Promise((r) => setTimeout(r, 20));
    expect(got1.sort((x, y) => x - y)).toEqual([...Array(seq).keys()]);
    expect(got2.sort((x, y) => x - y)).toEqual([...Array(seq).keys()]);
    // The survivor is the association initiated by server 5 (endpoint 1002).
    const kept = (l2 as unknown as { conns: Map<string, { outgoing?: FakeAssociation; incoming?: FakeAssociation }> }).conns.get(addressKey(a1))!;
    expect(kept.outgoing?.open).toBe(true);
    expect(kept.incoming).toBeUndefined();
    await l1.close();
    await l2.close();
    await e1.close();
    await e2.close();
  });
});
