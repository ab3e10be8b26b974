import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/clock.js';
import { Handlespace } from '../../../src/handlespace/handlespace.js';
import { RegistrarHandlespace } from '../../../src/registrar/enrp/registrar-handlespace.js';
import { handle, pe } from './helpers.js';

describe('registrar handlespace view', () => {
  it('expires PEs learned from peers after their registration life, refreshes them on updates, never expires own PEs', () => {
    const clock = new FakeClock(1000);
    const hs = new Handlespace({ clock });
    const gone: number[] = [];
    const view = new RegistrarHandlespace(hs, clock, (p) => gone.push(p.peId));
    hs.register(handle('P'), pe(1, 7), { expiresAt: Infinity }); // own PE, supervised by keep-alives
    view.applyPeer(handle('P'), { ...pe(2, 9), registrationLife: 5000 });
    view.applyPeer(handle('P'), { ...pe(3, 9), registrationLife: 5000 });
    clock.advance(4000);
    view.applyPeer(handle('P'), { ...pe(3, 9), registrationLife: 5000 }); // refreshed by a re-registration update
    clock.advance(1500);
    expect(gone).toEqual([2]);
    expect(view.ownedCount(9)).toBe(1);
    clock.advance(4000);
    expect(gone).toEqual([2, 3]);
    expect(hs.size).toBe(1);
    expect(view.expired).toBe(2);
    view.close();
  });

  it('moves ownership and keeps the per-owner checksums consistent', () => {
    const clock = new FakeClock();
    const hs = new Handlespace({ clock });
    const view = new RegistrarHandlespace(hs, clock);
    for (let i = 1; i <= 5; i++) view.applyPeer(handle('P'), pe(i, 9));
    const before = view.ownershipChecksum(9);
    const moved = view.transferOwnership(9, 7);
    expect(moved.map((e) => e.element.peId).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(view.ownershipChecksum(7)).toBe(before);
    expect(view.ownershipChecksum(9)).toBe(0xffff);
    expect(view.ownedBy(7)).toHaveLength(5);
    // A peer update that moves one PE to another home.
    view.applyPeer(handle('P'), pe(5, 8));
    expect(view.ownedCount(7)).toBe(4);
    expect(view.ownedCount(8)).toBe(1);
    expect(view.remove(handle('P'), 5)).toBe(true);
    expect(view.get(handle('P'), 5)).toBeUndefined();
    view.close();
  });
});
