import { describe, expect, it } from 'vitest';
import { computePeChecksum as computeOwnershipChecksum } from '../../src/wire/checksum.js';
import { Handlespace } from '../../src/handlespace/handlespace.js';
import { FakeClock } from '../../src/clock.js';
import { ErrorCauseCode } from '../../src/wire/types.js';
import { enc, pe, sctp } from './helpers.js';

const RR = { type: 'round-robin' } as const;

describe('Handlespace registration', () => {
  it('creates a pool with the first PE and removes it with the last', () => {
    const hs = new Handlespace();
    const r = hs.register(enc('EchoPool'), pe(1, RR), { now: 5 });
    expect(r.ok && r.created).toBe(true);
    expect(hs.poolCount).toBe(1);
    expect(hs.size).toBe(1);
    const pool = hs.getPool(enc('EchoPool'))!;
    expect(pool.policyName).toBe('round-robin');
    expect(pool.transportProtocol).toBe('sctp');
    expect(hs.find(enc('EchoPool'), 1)!.registeredAt).toBe(5);
    expect(hs.deregister(enc('EchoPool'), 1)!.peId).toBe(1);
    expect(hs.deregister(enc('EchoPool'), 1)).toBeUndefined();
    expect(hs.poolCount).toBe(0);
    expect(hs.getPool(enc('EchoPool'))).toBeUndefined();
  });

  it('compares pool handles by bytes and copies them', () => {
    const hs = new Handlespace();
    const h = new Uint8Array([0xff, 0x00, 0x41]);
    hs.register(h, pe(1, RR), { now: 0 });
    hs.register(new Uint8Array([0xff, 0x00]), pe(2, RR), { now: 0 });
    h[0] = 0;
    expect(hs.poolCount).toBe(2);
    expect(hs.find(new Uint8Array([0xff, 0x00, 0x41]), 1)).toBeDefined();
    expect(hs.find(new Uint8Array([0xff, 0x00]), 1)).toBeUndefined();
  });

  it('keeps pools whose handles share a hash apart', () => {
    // These two handles collide in the handlespace's internal 30-bit handle hash.
    const a = new Uint8Array([68, 56, 31, 171, 112, 57]);
    const b = new Uint8Array([49, 36, 171, 31, 20, 146]);
    const c = new Uint8Array([1, 2, 3]);
    const hs = new Handlespace();
    for (const [h, id] of [[a, 1], [b, 2], [c, 3]] as const) hs.register(h, pe(id, RR));
    expect(hs.find(a, 1)).toBeDefined();
    expect(hs.find(b, 2)).toBeDefined();
    expect(hs.find(a, 2)).toBeUndefined();
    expect([...hs.pools()]).toHaveLength(3);
    hs.deregister(b, 2);
    expect(hs.getPool(b)).toBeUndefined();
    expect(hs.find(a, 1)).toBeDefined();
    hs.register(b, pe(2, RR));
    hs.deregister(a, 1);
    expect(hs.getPool(a)).toBeUndefined();
    expect(hs.find(b, 2)).toBeDefined();
    expect(hs.poolCount).toBe(2);
  });

  it('treats a registration of a known PE id as a re-registration', () => {
    const hs = new Handlespace();
    hs.register(enc('P'), pe(7, { type: 'least-used', load: 1 }), { now: 0 });
    const r = hs.register(enc('P'), pe(7, { type: 'least-used', load: 9 }, { registrationLife: 50, userTransport: sctp(9000) }), { now: 10 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.created).toBe(false);
    expect(r.pe.registeredAt).toBe(0);
    expect(r.pe.updatedAt).toBe(10);
    expect(r.pe.expiresAt).toBe(60);
    expect(r.pe.userTransport.port).toBe(9000);
    expect(r.pe.policy).toEqual({ type: 'least-used', load: 9 });
    expect(hs.size).toBe(1);
  });

  it('refuses with the RFC causes', () => {
    const hs = new Handlespace({ maxPoolHandleLength: 8, maxElementsPerPool: 2 });
    const cause = (r: ReturnType<Handlespace['register']>) => (r.ok ? 0 : r.cause);
    expect(cause(hs.register(enc('P'), pe(1, RR)))).toBe(0);
    expect(cause(hs.register(enc('P'), pe(2, { type: 'least-used', load: 0 })))).toBe(ErrorCauseCode.INCONSISTENT_POLICY);
    expect(cause(hs.register(enc('P'), pe(2, RR, { userTransport: { protocol: 'tcp', port: 1, transportUse: 0, addresses: ['192.0.2.1'] } })))).toBe(
      ErrorCauseCode.INCONSISTENT_TRANSPORT,
    );
    expect(cause(hs.register(enc('P'), pe(2, RR, { userTransport: sctp(7000, 1) })))).toBe(ErrorCauseCode.INCONSISTENT_DATA_CONTROL);
    expect(cause(hs.register(enc('P'), pe(0, RR)))).toBe(ErrorCauseCode.INVALID_VALUES);
    expect(cause(hs.register(enc('P'), pe(0xffffffff, RR)))).toBe(ErrorCauseCode.INVALID_VALUES);
    expect(cause(hs.register(new Uint8Array(0), pe(3, RR)))).toBe(ErrorCauseCode.INVALID_VALUES);
    expect(cause(hs.register(enc('123456789'), pe(3, RR)))).toBe(ErrorCauseCode.INVALID_VALUES);
    expect(cause(hs.register(enc('Q'), pe(3, { type: 'least-used', load: -1 })))).toBe(ErrorCauseCode.INVALID_VALUES);
    expect(cause(hs.register(enc('Q'), pe(3, { type: 'least-used', load: 2 ** 32 })))).toBe(ErrorCauseCode.INVALID_VALUES);
    expect(cause(hs.register(enc('Q'), pe(3, { type: 'no-such-policy' } as never)))).toBe(ErrorCauseCode.INVALID_VALUES);
    expect(cause(hs.register(enc('Q'), pe(3, RR, { userTransport: sctp(7000, 0, []) })))).toBe(ErrorCauseCode.INVALID_VALUES);
    expect(cause(hs.register(enc('Q'), pe(3, RR, { userTransport: sctp(0) })))).toBe(ErrorCauseCode.INVALID_VALUES);
    expect(cause(hs.register(enc('P'), pe(2, RR)))).toBe(0);
    expect(cause(hs.register(enc('P'), pe(3, RR)))).toBe(ErrorCauseCode.LACK_OF_RESOURCES);
    // re-registration of an existing PE is still fine in a full pool
    expect(cause(hs.register(enc('P'), pe(2, RR)))).toBe(0);
    // a re-registration with another policy is refused too, and leaves the PE alone
    expect(cause(hs.register(enc('P'), pe(2, { type: 'random' })))).toBe(ErrorCauseCode.INCONSISTENT_POLICY);
    expect(hs.find(enc('P'), 2)!.policy).toEqual(RR);
    expect(hs.size).toBe(2);
  });

  it('limits the number of pools', () => {
    const hs = new Handlespace({ maxPools: 1 });
    expect(hs.register(enc('A'), pe(1, RR)).ok).toBe(true);
    const r = hs.register(enc('B'), pe(1, RR));
    expect(r.ok ? 0 : r.cause).toBe(ErrorCauseCode.LACK_OF_RESOURCES);
  });

  it('select on an unknown pool returns nothing; a given array is reused and its contents replaced', () => {
    const hs = new Handlespace();
    expect(hs.select(enc('none'), 3)).toEqual([]);
    hs.register(enc('P'), pe(1, RR));
    hs.register(enc('P'), pe(2, RR));
    const out = hs.select(enc('P'), 2);
    expect(out.map((p) => p.peId)).toEqual([1, 2]);
    expect(hs.select(enc('P'), 1, out)).toBe(out);
    expect(out.map((p) => p.peId)).toEqual([2]);
    expect(hs.select(enc('none'), 1, out)).toEqual([]);
    expect(hs.select(enc('P'), 0)).toEqual([]);
  });
});

describe('Handlespace expiry', () => {
  it('expires PEs in time order through one queue', () => {
    const hs = new Handlespace();
    hs.register(enc('P'), pe(1, RR, { registrationLife: 300 }), { now: 0 });
    hs.register(enc('P'), pe(2, RR, { registrationLife: 100 }), { now: 0 });
    hs.register(enc('P'), pe(3, RR), { now: 0, expiresAt: Infinity });
    expect(hs.nextExpiry()).toBe(100);
    expect(hs.expire(99)).toEqual([]);
    expect(hs.expire(100).map((p) => p.peId)).toEqual([2]);
    // re-registration pushes the expiry out
    hs.register(enc('P'), pe(1, RR, { registrationLife: 300 }), { now: 200 });
    expect(hs.nextExpiry()).toBe(500);
    hs.setExpiry(hs.find(enc('P'), 1)!, 250);
    expect(hs.expire(1000).map((p) => p.peId)).toEqual([1]);
    expect(hs.nextExpiry()).toBe(Infinity);
    expect(hs.size).toBe(1);
  });

  it('reads the time from an injected clock', () => {
    const clock = new FakeClock(1000);
    const hs = new Handlespace({ clock });
    const r = hs.register(enc('P'), pe(1, RR, { registrationLife: 10 }));
    expect(r.ok && r.pe.expiresAt).toBe(1010);
  });
});

describe('Handlespace ownership', () => {
  it('keeps per-registrar checksums equal to a recomputation', () => {
    const hs = new Handlespace();
    hs.register(enc('EchoPool'), pe(0x11223344, RR, { homeRegistrarId: 0xabcd }));
    hs.register(enc('EchoPool'), pe(0x55667788, RR, { homeRegistrarId: 0xabcd }));
    hs.register(enc('CalcAppPool'), pe(0x0a0b0c0d, RR, { homeRegistrarId: 0xabcd }));
    hs.register(enc('CalcAppPool'), pe(0x0a0b0c0e, RR, { homeRegistrarId: 0x1 }));
    expect(hs.ownershipChecksum(0xabcd)).toBe(0xc040);
    expect(hs.ownedCount(0xabcd)).toBe(3);
    expect(hs.ownershipChecksum(0x2)).toBe(0xffff);
    expect(hs.ownershipChecksum(0x1)).toBe(computeOwnershipChecksum(hs.ownedBy(0x1)));
    expect([...hs.owningRegistrars()].sort()).toEqual([0x1, 0xabcd]);
  });

  it('moves PEs between owners on re-registration, single change and takeover', () => {
    const hs = new Handlespace();
    for (let i = 1; i <= 5; i++) hs.register(enc('P'), pe(i, RR, { homeRegistrarId: 10 }));
    hs.register(enc('P'), pe(6, RR, { homeRegistrarId: 20 }));
    hs.register(enc('P'), pe(1, RR, { homeRegistrarId: 20 }));
    expect(hs.ownedCount(10)).toBe(4);
    hs.setHomeRegistrar(hs.find(enc('P'), 2)!, 30);
    expect(hs.find(enc('P'), 2)!.homeRegistrarId).toBe(30);
    expect(hs.transferOwnership(10, 20)).toBe(3);
    expect(hs.ownedCount(10)).toBe(0);
    expect(hs.ownedCount(20)).toBe(5);
    expect(hs.ownedBy(20).every((p) => p.homeRegistrarId === 20)).toBe(true);
    expect(hs.ownershipChecksum(20)).toBe(computeOwnershipChecksum(hs.ownedBy(20)));
    const seen: number[] = [];
    hs.forEachOwnedBy(30, (p) => seen.push(p.peId));
    expect(seen).toEqual([2]);
  });
});

describe('Handlespace connections', () => {
  it('lists and removes the PEs registered over a connection', () => {
    const hs = new Handlespace();
    const a = { assoc: 1 };
    const b = { assoc: 2 };
    hs.register(enc('P'), pe(1, RR), { connection: a });
    hs.register(enc('Q'), pe(2, RR), { connection: a });
    hs.register(enc('P'), pe(3, RR), { connection: b });
    hs.register(enc('P'), pe(3, RR), { connection: a });
    expect(hs.byConnection(a).map((p) => p.peId).sort()).toEqual([1, 2, 3]);
    expect(hs.byConnection(b)).toEqual([]);
    expect(hs.removeByConnection(a)).toHaveLength(3);
    expect(hs.size).toBe(0);
  });

  it('clear() empties everything', () => {
    const hs = new Handlespace();
    for (let i = 1; i < 10; i++) hs.register(enc(`P${i % 3}`), pe(i, RR, { homeRegistrarId: i % 2 }));
    hs.clear();
    expect(hs.size).toBe(0);
    expect(hs.poolCount).toBe(0);
    expect(hs.ownedCount(1)).toBe(0);
    expect(hs.nextExpiry()).toBe(Infinity);
  });

  it('PoolElement has the wire shape and converts to a plain parameter', () => {
    const hs = new Handlespace();
    const param = pe(1, RR, { asapTransport: sctp(5000) });
    const r = hs.register(enc('P'), param);
    expect(r.ok && r.pe.toParam()).toEqual(param);
    expect(r.ok && r.pe.poolHandle).toEqual(enc('P'));
  });
});
