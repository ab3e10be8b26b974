import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/clock.js';
import { HandleTableResponder } from '../../../src/registrar/enrp/handle-table-responder.js';
import { HandleTableSync, type SyncResult } from '../../../src/registrar/enrp/handle-table-sync.js';
import { handle, MemoryHandlespace, pe } from './helpers.js';

const limits = { maxElementsPerResponse: 10, maxResponseBytes: 64000, continuationTimeout: 30000 };

describe('handle table responder', () => {
  it('continues per requesting peer and per W bit, and skips PEs removed meanwhile', () => {
    const clock = new FakeClock();
    const hs = new MemoryHandlespace();
    for (let i = 1; i <= 25; i++) hs.applyPeer(handle(i % 2 ? 'odd' : 'even'), pe(i, i <= 20 ? 1 : 2));
    const r = new HandleTableResponder(hs, 1, clock, limits);
    const a1 = r.respond(100, false);
    const b1 = r.respond(200, false);
    expect(a1).toMatchObject({ more: true, count: 10 });
    expect(b1).toMatchObject({ more: true, count: 10 });
    hs.remove(handle('odd'), 11);
    hs.remove(handle('even'), 12);
    const a2 = r.respond(100, false);
    const a3 = r.respond(100, false);
    expect(a2.count + a3.count).toBe(13);
    expect(a3.more).toBe(false);
    const ids = [a1, a2, a3].flatMap((x) => x.groups.flatMap((g) => g.elements.map((e) => e.peId)));
    expect(new Set(ids).size).toBe(23);
    expect(ids).not.toContain(11);
    // W=1: only own PEs (home 1), continuation of its own.
    const w1 = r.respond(100, true);
    const w2 = r.respond(100, true);
    const own = [w1, w2].flatMap((x) => x.groups.flatMap((g) => g.elements.map((e) => e.homeRegistrarId)));
    expect(own.every((h) => h === 1)).toBe(true);
    expect(own).toHaveLength(18);
    expect(w2.more).toBe(false);
    // Peer 200 is still in the middle of its own download.
    expect(r.pending).toBe(1);
  });

  it('forgets an idle continuation', () => {
    const clock = new FakeClock();
    const hs = new MemoryHandlespace();
    for (let i = 1; i <= 15; i++) hs.applyPeer(handle('p'), pe(i, 1));
    const r = new HandleTableResponder(hs, 1, clock, limits);
    expect(r.respond(7, false).count).toBe(10);
    clock.advance(31000);
    expect(r.respond(7, false).count).toBe(10); // started over
  });
});

describe('handle table sync (requester)', () => {
  it('retries an unanswered request once, then abandons the download', () => {
    const clock = new FakeClock();
    const hs = new MemoryHandlespace();
    const requests: number[] = [];
    const done: SyncResult[] = [];
    const s = new HandleTableSync(hs, 1, clock, 1000, { request: (id) => requests.push(id), done: (r) => done.push(r) });
    s.start(5, 'full');
    expect(s.start(5, 'audit')).toBe(false);
    clock.advance(1000);
    expect(requests).toEqual([5, 5]);
    clock.advance(1000);
    expect(done).toEqual([{ peerId: 5, kind: 'full', complete: false, received: 0, purged: 0, responses: 0 }]);
    expect(s.running(5)).toBe(false);
  });

  it('an audit applies only the peer’s own PEs and purges what it did not re-send', () => {
    const clock = new FakeClock();
    const hs = new MemoryHandlespace();
    hs.applyPeer(handle('p'), pe(1, 5));
    hs.applyPeer(handle('p'), pe(2, 5));
    hs.applyPeer(handle('p'), pe(3, 6));
    const done: SyncResult[] = [];
    const s = new HandleTableSync(hs, 1, clock, 1000, { request: () => undefined, done: (r) => done.push(r) });
    s.start(5, 'audit');
    s.response(5, { type: 'handle-table-response', senderId: 5, receiverId: 1, rejected: false, more: false, groups: [{ poolHandle: handle('p'), elements: [pe(2, 5), pe(4, 5), pe(9, 6), pe(10, 1)] }] });
    expect(hs.dump()).toEqual(['p/2@5', 'p/3@6', 'p/4@5']);
    expect(done[0]).toMatchObject({ kind: 'audit', complete: true, received: 2, purged: 1 });
  });
});
