/**
 * Readers: `fetchHandleTable()` (behind `rsp hsdump`) asks without a
 * Presence and is answered without becoming a peer; a registrar that does
 * not answer strangers still serves it as a temporary peer after a Presence;
 * at most 8 readers download at a time.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/clock.js';
import { fetchHandleTable, type HandleTableDump } from '../../../src/registrar/enrp/handle-table-client.js';
import type { PeerMessage } from '../../../src/registrar/enrp/messages.js';
import { addr, makeNode, MemoryNetwork } from './helpers.js';

const fast = { heartbeatInterval: 1000, maxTimeLastHeard: 3500, maxTimeNoResponse: 1500, takeoverExpiry: 3000, mentorDiscoveryTimeout: 500 };

function registrarWithPes(count: number, extra: object = {}): { clock: FakeClock; net: MemoryNetwork; node: ReturnType<typeof makeNode>; peerUps: number[] } {
  const clock = new FakeClock();
  const net = new MemoryNetwork(clock);
  const node = makeNode(net, 1, 9901, { ...fast, ...extra });
  const peerUps: number[] = [];
  node.server.on('peer-up', (id) => peerUps.push(id));
  node.server.start();
  clock.advance(1000);
  for (let i = 1; i <= count; i++) node.register(`pool${i % 3}`, i);
  return { clock, net, node, peerUps };
}

async function settle(p: Promise<HandleTableDump>, clock: FakeClock, ms: number): Promise<HandleTableDump> {
  let done = false;
  void p.finally(() => (done = true)).catch(() => undefined);
  for (let t = 0; t < ms && !done; t += 10) {
    clock.advance(10);
    await Promise.resolve();
  }
  return p;
}

describe('ENRP readers', () => {
  it('a dump without a Presence gets the whole table and leaves no peer behind', async () => {
    const { clock, net, node, peerUps } = registrarWithPes(250, { maxElementsPerResponse: 100 });
    const link = net.link(addr(9990));
    const dump = await settle(fetchHandleTable(link, addr(9901), { serverId: 0x77, clock, timeout: 5000 }), clock, 5000);
    expect(dump.serverId).toBe(1);
    expect(dump.groups.reduce((n, g) => n + g.elements.length, 0)).toBe(250);
    expect(dump.responses).toBe(3);
    expect(net.log.filter((m) => m.from === '127.0.0.1:9990').map((m) => m.type)).not.toContain('presence');
    clock.advance(30_000);
    expect(peerUps).toEqual([]);
    expect(node.server.peerList()).toEqual([]);
  });

  it('falls back to a Presence when the registrar ignores requests from servers it does not know', async () => {
    const { clock, net } = registrarWithPes(5);
    let ignored = 0;
    net.filter = (_from, _to, m: PeerMessage) => {
      const stranger = (m.type === 'list-request' || m.type === 'handle-table-request') && m.receiverId === 0;
      if (stranger) ignored++;
      return !stranger;
    };
    const link = net.link(addr(9990));
    const dump = await settle(fetchHandleTable(link, addr(9901), { serverId: 0x77, clock, timeout: 5000 }), clock, 5000);
    expect(ignored).toBe(2);
    expect(dump.groups.reduce((n, g) => n + g.elements.length, 0)).toBe(5);
  });

  it('answers at most 8 unfinished downloads of readers at a time, the others with the R bit', () => {
    const { clock, net } = registrarWithPes(50, { maxElementsPerResponse: 10 });
    const answers = new Map<number, { rejected: boolean; more: boolean }>();
    for (let id = 100; id < 110; id++) {
      const link = net.link(addr(10_000 + id));
      link.setHandler({
        message(m) {
          if (m.type === 'handle-table-response') answers.set(id, { rejected: m.rejected, more: m.more });
        },
      });
      link.send(addr(9901), { type: 'handle-table-request', senderId: id, receiverId: 0, ownChildrenOnly: false });
    }
    clock.advance(10);
    const results = [...answers.values()];
    expect(results.filter((r) => !r.rejected && r.more)).toHaveLength(8);
    expect(results.filter((r) => r.rejected)).toHaveLength(2);
  });
});
