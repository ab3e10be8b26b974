/**
 * ENRP access control and the rules that keep a peer from changing what is
 * not its own (RFC 5355 §3.1–3.3): each test is one attack that used to work.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/clock.js';
import { EnrpAccess } from '../../../src/registrar/enrp/access.js';
import type { PeerMessage } from '../../../src/registrar/enrp/messages.js';
import { addr, handle, makeNode, MemoryNetwork, pe, type Node } from './helpers.js';

const fast = { heartbeatInterval: 1000, maxTimeLastHeard: 3500, maxTimeNoResponse: 1500, takeoverExpiry: 3000, mentorDiscoveryTimeout: 500 };

/** Two registrars that list each other (and trust nobody else), plus a stranger's link. */
function setup(strangerHost = '192.0.2.66'): { clock: FakeClock; net: MemoryNetwork; a: Node; b: Node; send: (to: Node, m: PeerMessage) => void } {
  const clock = new FakeClock();
  const net = new MemoryNetwork(clock);
  const a = makeNode(net, 1, 9901, { ...fast, allow: [], peers: [addr(9902)] });
  const b = makeNode(net, 2, 9902, { ...fast, allow: [], peers: [addr(9901)] });
  const stranger = net.link({ address: strangerHost, port: 9901 });
  a.server.start();
  b.server.start();
  clock.advance(2000);
  return { clock, net, a, b, send: (to, m) => stranger.send(to.address, m) };
}

const presence = (senderId: number, receiverId = 0): PeerMessage => ({
  type: 'presence',
  senderId,
  receiverId,
  replyRequired: true,
  checksum: 0,
  serverInfo: { serverId: senderId, transport: { protocol: 'sctp', port: 9901, transportUse: 0, addresses: ['192.0.2.66'] } },
});

describe('ENRP access control', () => {
  it('an unconfigured host is not learnt as a peer, gets no handle table and changes nothing', () => {
    const { clock, net, a, send } = setup();
    a.register('EchoPool', 10);
    clock.advance(10);
    const before = a.hs.dump();
    send(a, presence(0x666));
    send(a, { type: 'handle-table-request', senderId: 0x666, receiverId: 1, ownChildrenOnly: false });
    send(a, { type: 'handle-update', senderId: 0x666, receiverId: 1, action: 'add', takeoverSuggested: false, poolHandle: handle('EchoPool'), element: pe(77, 0x666) });
    send(a, { type: 'handle-update', senderId: 0x666, receiverId: 1, action: 'del', takeoverSuggested: false, poolHandle: handle('EchoPool'), element: pe(10, 1) });
    send(a, { type: 'takeover-server', senderId: 0x666, receiverId: 1, targetId: 2 });
    clock.advance(100);
    expect(a.server.peerList().map((p) => p.id)).toEqual([2]);
    expect(a.hs.dump()).toEqual(before);
    expect(net.log.filter((l) => l.to.startsWith('192.0.2.66'))).toEqual([]);
    expect(a.server.stats.refusedHosts).toBe(5);
  });

  it('an --enrp-allow network admits its hosts, others stay out', () => {
    const access = new EnrpAccess({ allow: ['10.1.0.0/16', '2001:db8::/32'], peers: [{ address: '192.0.2.1', port: 9901 }] });
    const o = (address: string) => ({ from: { address, port: 1 }, multicast: false });
    expect(access.admits(o('10.1.200.3'))).toBe(true);
    expect(access.admits(o('10.2.0.1'))).toBe(false);
    expect(access.admits(o('2001:db8::5'))).toBe(true);
    expect(access.admits(o('::ffff:192.0.2.1'))).toBe(true); // the static peer, any port, mapped form
    expect(access.admits(o('192.0.2.2'))).toBe(false);
    expect(access.admits({ from: { address: '203.0.113.9', port: 9901 }, multicast: true })).toBe(false); // discovery off
    expect(() => new EnrpAccess({ allow: ['10.0.0.0/33'] })).toThrow(/prefix/);
    expect(() => new EnrpAccess({ allow: ['not-a-net'] })).toThrow(/network/);
  });

  it('multicast discovery admits the discovered registrar, and only when enabled', () => {
    const clock = new FakeClock();
    const net = new MemoryNetwork(clock);
    const a = makeNode(net, 1, 9901, { ...fast, allow: [] }, true, () => 0.5, '192.0.2.1');
    const b = makeNode(net, 2, 9901, { ...fast, allow: [] }, true, () => 0.5, '192.0.2.2');
    const c = makeNode(net, 3, 9901, { ...fast, allow: [], multicastDiscovery: false }, true, () => 0.5, '192.0.2.3');
    for (const n of [a, b, c]) n.server.start();
    clock.advance(3000);
    // c still announces itself, but admits nobody: the others learn it, it learns nobody.
    expect(a.server.peerList().map((p) => p.id)).toEqual([2, 3]);
    expect(b.server.peerList().map((p) => p.id)).toEqual([1, 3]);
    expect(c.server.peerList()).toEqual([]);
    expect(c.server.stats.refusedHosts).toBeGreaterThan(0);
  });
});

describe('ENRP: a peer changes only what is its own', () => {
  /** a and b are registrars; m is an admitted but misbehaving peer (same allow list). */
  function trio(): { clock: FakeClock; a: Node; b: Node; m: Node } {
    const clock = new FakeClock();
    const net = new MemoryNetwork(clock);
    const nodes = [1, 2, 3].map((id) => makeNode(net, id, 9900 + id, { ...fast, peers: [9901, 9902, 9903].filter((p) => p !== 9900 + id).map(addr) }));
    for (const n of nodes) n.server.start();
    clock.advance(2000);
    const [a, b, m] = nodes as [Node, Node, Node];
    return { clock, a, b, m };
  }

  it('a Handle Update cannot overwrite or delete a PE that the victim registrar owns', () => {
    const { clock, a, b, m } = trio();
    a.register('EchoPool', 10);
    clock.advance(10);
    const forged = { ...pe(10, 3), userTransport: { protocol: 'sctp' as const, port: 6666, transportUse: 0, addresses: ['203.0.113.66'] } };
    m.server.localChange('add', handle('EchoPool'), forged);
    clock.advance(10);
    expect(a.hs.get(handle('EchoPool'), 10)).toMatchObject({ homeRegistrarId: 1, userTransport: { port: 7000 } });
    expect(b.hs.get(handle('EchoPool'), 10)).toMatchObject({ homeRegistrarId: 1, userTransport: { port: 7000 } });
    // A DEL naming the owner, sent by somebody else.
    for (const n of [a, b]) {
      (m.link as { send(to: unknown, m: PeerMessage): void }).send(n.address, { type: 'handle-update', senderId: 3, receiverId: n.id, action: 'del', takeoverSuggested: false, poolHandle: handle('EchoPool'), element: pe(10, 1) });
    }
    clock.advance(10);
    expect(a.hs.dump()).toEqual(['EchoPool/10@1']);
    expect(b.hs.dump()).toEqual(['EchoPool/10@1']);
    expect(a.server.stats.refusedUpdates + b.server.stats.refusedUpdates).toBeGreaterThanOrEqual(3);
    // An update that claims another registrar as home is refused too.
    m.link.send(b.address, { type: 'handle-update', senderId: 3, receiverId: 2, action: 'add', takeoverSuggested: false, poolHandle: handle('Other'), element: pe(11, 1) });
    clock.advance(10);
    expect(b.hs.get(handle('Other'), 11)).toBeUndefined();
    // Its own PEs still propagate.
    m.register('EchoPool', 12);
    clock.advance(10);
    expect(a.hs.dump()).toEqual(['EchoPool/10@1', 'EchoPool/12@3']);
  });

  it('a Takeover Server claiming a live registrar does not re-home its PEs', () => {
    const { clock, a, b, m } = trio();
    a.register('EchoPool', 10);
    clock.advance(10);
    m.link.send(b.address, { type: 'takeover-server', senderId: 3, receiverId: 2, targetId: 1 });
    m.link.send(a.address, { type: 'takeover-server', senderId: 3, receiverId: 1, targetId: 1 });
    clock.advance(10);
    expect(b.hs.dump()).toEqual(['EchoPool/10@1']);
    expect(a.hs.dump()).toEqual(['EchoPool/10@1']);
    expect(b.server.peerList().map((p) => p.id)).toEqual([1, 3]);
    expect(b.server.stats.refusedTakeovers).toBe(1);
    // The audit that follows does not move them either.
    clock.advance(10_000);
    expect(b.hs.dump()).toEqual(['EchoPool/10@1']);
  });

  it('a handle-table audit cannot re-home the receiver\'s own PEs', () => {
    const { clock, a, m } = trio();
    a.register('EchoPool', 10);
    clock.advance(10);
    // m claims a's PE as its own in its table: its checksum differs, a audits m.
    m.hs.applyPeer(handle('EchoPool'), pe(10, 3));
    clock.advance(5000);
    expect(a.hs.dump()).toEqual(['EchoPool/10@1']);
  });

  it('the peer table is bounded: 5,000 sender ids from one admitted address add at most two peers', () => {
    const clock = new FakeClock();
    const net = new MemoryNetwork(clock);
    const a = makeNode(net, 1, 9901, { ...fast, allow: [], peers: [addr(9902)] });
    a.server.start();
    const rogue = net.link({ address: '127.0.0.1', port: 9999 }); // same host as a listed peer
    for (let id = 0x1000; id < 0x1000 + 5000; id++) rogue.send(a.address, presence(id, 0));
    clock.advance(100);
    expect(a.server.peerList().length).toBe(2);
    expect(a.server.stats.refusedPeers).toBe(4998);
    // And a bounded table overall (maxPeers).
    const clock2 = new FakeClock();
    const net2 = new MemoryNetwork(clock2);
    const c = makeNode(net2, 1, 9901, { ...fast, maxPeers: 4 });
    c.server.start();
    for (let i = 0; i < 20; i++) net2.link({ address: '127.0.0.1', port: 20000 + i }).send(c.address, presence(0x2000 + i, 0));
    clock2.advance(100);
    expect(c.server.peerList().length).toBe(4);
  });
});
