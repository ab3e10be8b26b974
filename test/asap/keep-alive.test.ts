import { describe, expect, it } from 'vitest';
import { decideKeepAlive, listLookup } from '../../src/asap/keep-alive.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const regs = [
  { poolHandle: enc('A'), peId: 1 },
  { poolHandle: enc('A'), peId: 2 },
  { poolHandle: enc('B'), peId: 3 },
];

describe('keep-alive decisions', () => {
  it('acks the named PE on the home association', () => {
    const d = decideKeepAlive({ serverId: 9, homeFlag: false, poolHandle: enc('A'), peId: 2 }, { onHomeAssociation: true, homeRegistrarId: 9, registrations: listLookup(regs) });
    expect(d.ack.map((r) => r.peId)).toEqual([2]);
    expect(d.adopt).toBe(false);
    expect(d.newHomeId).toBeUndefined();
  });

  it('does not ack an unknown PE id', () => {
    const d = decideKeepAlive({ serverId: 9, homeFlag: false, poolHandle: enc('A'), peId: 77 }, { onHomeAssociation: true, homeRegistrarId: 9, registrations: listLookup(regs) });
    expect(d.ack).toEqual([]);
  });

  it('acks every PE of the pool when the keep-alive carries no PE id', () => {
    const d = decideKeepAlive({ serverId: 9, homeFlag: false, poolHandle: enc('A') }, { onHomeAssociation: true, homeRegistrarId: 9, registrations: listLookup(regs) });
    expect(d.ack.map((r) => r.peId)).toEqual([1, 2]);
  });

  it('records the server id from the first keep-alive', () => {
    const d = decideKeepAlive({ serverId: 9, homeFlag: false, poolHandle: enc('B'), peId: 3 }, { onHomeAssociation: true, homeRegistrarId: 0, registrations: listLookup(regs) });
    expect(d.newHomeId).toBe(9);
  });

  it('ignores H=0 on a new association', () => {
    const d = decideKeepAlive({ serverId: 10, homeFlag: false, poolHandle: enc('A'), peId: 1 }, { onHomeAssociation: false, homeRegistrarId: 9, registrations: listLookup(regs) });
    expect(d).toEqual({ ack: [], adopt: false });
  });

  it('adopts a registrar sending H=1 on a new association, then acks', () => {
    const d = decideKeepAlive({ serverId: 10, homeFlag: true, poolHandle: enc('A'), peId: 1 }, { onHomeAssociation: false, homeRegistrarId: 9, registrations: listLookup(regs) });
    expect(d.adopt).toBe(true);
    expect(d.newHomeId).toBe(10);
    expect(d.ack.map((r) => r.peId)).toEqual([1]);
  });

  it('H=1 on the home association only changes the id', () => {
    const d = decideKeepAlive({ serverId: 11, homeFlag: true, poolHandle: enc('A'), peId: 1 }, { onHomeAssociation: true, homeRegistrarId: 9, registrations: listLookup(regs) });
    expect(d.adopt).toBe(false);
    expect(d.newHomeId).toBe(11);
  });
});
