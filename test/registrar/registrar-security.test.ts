/**
 * Attacks on the registrar's ASAP side that used to work (RFC 5355): false
 * failure reports, taking over another association's PE identity, one host
 * locking out the others, readers that never read.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { Registrar, type RegistrarOptions } from '../../src/registrar/registrar.js';
import type { RSerPoolMessage } from '../../src/wire/messages.js';
import { ErrorCauseCode, type PoolElementParam } from '../../src/wire/types.js';
import { FakeAssociation } from '../fixtures/registrar-fake-association.js';

const enc = new TextEncoder();
const POOL = enc.encode('EchoPool');

function registration(peId: number, pool = POOL, port = 7000): RSerPoolMessage {
  const pe: PoolElementParam = { peId, homeRegistrarId: 0, registrationLife: 30_000, userTransport: { protocol: 'sctp', port, transportUse: 0, addresses: ['127.0.0.1'] }, policy: { type: 'round-robin' } };
  return { protocol: 'asap', type: 'registration', poolHandle: pool, poolElement: pe };
}
const report = (peId: number): RSerPoolMessage => ({ protocol: 'asap', type: 'endpoint-unreachable', poolHandle: POOL, peId });
const ack = (peId: number): RSerPoolMessage => ({ protocol: 'asap', type: 'endpoint-keep-alive-ack', poolHandle: POOL, peId });

let registrars: Registrar[] = [];
function make(options: RegistrarOptions = {}): { r: Registrar; clock: FakeClock } {
  const clock = new FakeClock(1000);
  const r = new Registrar({ announce: false, minAddressScope: 'loopback', checkAssociationAddresses: false, registrarId: 0x1234, clock, random: () => 0.5, ...options });
  registrars.push(r);
  return { r, clock };
}
let nextPort = 41000;
function connect(r: Registrar, host = '127.0.0.1'): FakeAssociation {
  const a = new FakeAssociation({ address: host, port: nextPort++ });
  r.addAssociation(a);
  return a;
}
afterEach(async () => {
  for (const r of registrars) await r.close();
  registrars = [];
});

describe('Endpoint Unreachable cannot remove a healthy PE', () => {
  it('three reports from one association count once', () => {
    const { r, clock } = make({ keepAliveInterval: 60_000, keepAliveTimeout: 500 });
    const pe = connect(r);
    pe.receive(registration(1));
    pe.take();
    const pu = connect(r, '127.0.0.9');
    for (let i = 0; i < 3; i++) pu.receive(report(1));
    clock.advance(5000);
    expect(r.handlespace.find(POOL, 1)).toBeDefined();
    expect(pe.take()).toEqual([]); // not even probed
    expect(r.stats.unreachableProbes).toBe(0);
  });

  it('reports from three hosts start a probe; a PE that answers stays and the count starts over', () => {
    const { r, clock } = make({ keepAliveInterval: 60_000, keepAliveTimeout: 500 });
    const pe = connect(r);
    pe.receive(registration(1));
    pe.take();
    const pus = ['127.0.0.2', '127.0.0.3', '127.0.0.4'].map((h) => connect(r, h));
    for (const pu of pus) pu.receive(report(1));
    expect(pe.last()).toMatchObject({ type: 'endpoint-keep-alive', peId: 1 });
    pe.receive(ack(1));
    clock.advance(5000);
    expect(r.handlespace.find(POOL, 1)).toBeDefined();
    expect(r.stats.unreachableProbesAnswered).toBe(1);
    // Months later: two more glitches do not add up with the old ones.
    for (const pu of pus.slice(0, 2)) pu.receive(report(1));
    expect(pe.take()).toEqual([]);
    // A steady stream of reports from three hosts: the PE keeps answering and keeps its place.
    for (let round = 0; round < 20; round++) {
      for (const pu of pus) pu.receive(report(1));
      const ka = pe.take().filter((m) => m.type === 'endpoint-keep-alive');
      if (ka.length > 0) pe.receive(ack(1));
      clock.advance(300);
    }
    expect(r.handlespace.find(POOL, 1)).toBeDefined();
    expect(r.stats.pesRemovedUnreachable).toBe(0);
  });
});

describe('a PE identity belongs to the association that registered it', () => {
  it('another association of the same host can neither re-register nor deregister it while the owner lives', () => {
    const { r } = make();
    const owner = connect(r);
    owner.receive(registration(7, POOL, 7000));
    const thief = connect(r); // same host, other association
    thief.receive(registration(7, POOL, 6666));
    expect(thief.last()).toMatchObject({ type: 'registration-response', rejected: true, operationError: [{ code: ErrorCauseCode.SECURITY_REJECTION }] });
    expect(r.handlespace.find(POOL, 7)!.userTransport.port).toBe(7000);
    thief.receive({ protocol: 'asap', type: 'deregistration', poolHandle: POOL, peId: 7 });
    expect(thief.last()).toMatchObject({ type: 'deregistration-response', operationError: [{ code: ErrorCauseCode.SECURITY_REJECTION }] });
    expect(r.handlespace.find(POOL, 7)).toBeDefined();
    expect(r.stats.foreignPeRefused).toBe(2);
    // The owner probed meanwhile; once it is gone the id is free again.
    owner.end('abort');
    thief.receive(registration(7, POOL, 6666));
    expect(thief.last()).toMatchObject({ type: 'registration-response', rejected: false });
  });
});

describe('one host cannot lock out the others', () => {
  it('associations: a host gets at most half of --max-associations', () => {
    const { r } = make({ maxAssociations: 10 });
    const flood = Array.from({ length: 12 }, () => connect(r, '127.0.0.66'));
    expect(flood.filter((a) => a.aborted).length).toBe(7);
    const honest = connect(r, '127.0.0.1');
    expect(honest.aborted).toBe(false);
    expect(r.stats.associationsRefusedPerHost).toBe(7);
    // Slots come back when the host's associations close.
    for (const a of flood) a.end('abort');
    expect(connect(r, '127.0.0.66').aborted).toBe(false);
  });

  it('pools: a host fills at most half of --max-pools', () => {
    const { r } = make({ maxPools: 10 });
    const a = connect(r, '127.0.0.66');
    const b = connect(r, '127.0.0.66');
    for (let i = 1; i <= 10; i++) (i % 2 ? a : b).receive(registration(i, enc.encode(`pool${i}`)));
    expect(r.stats.pools).toBe(5);
    const honest = connect(r, '127.0.0.1');
    honest.receive(registration(100, enc.encode('mine')));
    expect(honest.last()).toMatchObject({ rejected: false });
    // Joining a pool the host already uses is fine.
    a.receive(registration(11, enc.encode('pool1')));
    expect(a.last()).toMatchObject({ rejected: false });
  });

  it('handle resolutions and failure reports are limited per host, not only per association', () => {
    const { r } = make({ handleResolutionRate: { rate: 1000, burst: 1000 }, hostHandleResolutionRate: { rate: 10, burst: 10 }, hostFailureReportRate: { rate: 5, burst: 5 } });
    const pe = connect(r, '127.0.0.1');
    pe.receive(registration(1));
    const many = Array.from({ length: 10 }, () => connect(r, '127.0.0.66'));
    let answered = 0;
    for (const a of many) {
      for (let i = 0; i < 10; i++) a.receive({ protocol: 'asap', type: 'handle-resolution', poolHandle: POOL });
      answered += a.take().filter((m) => m.type === 'handle-resolution-response' && ((m as { poolElements?: unknown[] }).poolElements ?? []).length > 0).length;
    }
    expect(answered).toBe(10);
    const other = connect(r, '127.0.0.2');
    other.receive({ protocol: 'asap', type: 'handle-resolution', poolHandle: POOL });
    expect(other.last()).toMatchObject({ type: 'handle-resolution-response', poolElements: [{ peId: 1 }] });
    for (const a of many) a.receive(report(1));
    expect(r.stats.failureReports).toBe(5);
  });
});

describe('readers that never read', () => {
  it('an association whose unsent queue exceeds maxUnsentBytes is aborted and counted', () => {
    const { r } = make({ maxUnsentBytes: 64 * 1024 });
    const pe = connect(r, '127.0.0.1');
    pe.receive(registration(1));
    const slow = connect(r, '127.0.0.7');
    slow.bufferedAmount = 64 * 1024; // nothing it was sent has been read
    slow.receive({ protocol: 'asap', type: 'handle-resolution', poolHandle: POOL });
    expect(slow.aborted).toBe(true);
    expect(r.stats.associationsAbortedUnsent).toBe(1);
    expect(r.stats.associations).toBe(1);
  });
});
