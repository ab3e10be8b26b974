import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { Registrar, type HandlespaceChange, type RegistrarOptions } from '../../src/registrar/registrar.js';
import type { RSerPoolMessage } from '../../src/wire/messages.js';
import { ErrorCauseCode, type PolicyInfo, type PoolElementParam } from '../../src/wire/types.js';
import { FakeAssociation } from '../fixtures/registrar-fake-association.js';

const enc = new TextEncoder();
const POOL = enc.encode('EchoPool');

function pe(peId: number, policy: PolicyInfo = { type: 'round-robin' }, extra: Partial<PoolElementParam> = {}): PoolElementParam {
  return {
    peId,
    homeRegistrarId: 0,
    registrationLife: 30_000,
    userTransport: { protocol: 'sctp', port: 7000, transportUse: 0, addresses: ['127.0.0.1'] },
    policy,
    ...extra,
  };
}

function registration(peId: number, policy?: PolicyInfo, extra?: Partial<PoolElementParam>, poolHandle = POOL): RSerPoolMessage {
  return { protocol: 'asap', type: 'registration', poolHandle, poolElement: pe(peId, policy, extra) };
}

let registrars: Registrar[] = [];

function make(options: RegistrarOptions = {}): { r: Registrar; clock: FakeClock } {
  const clock = new FakeClock(1000);
  const r = new Registrar({ announce: false, minAddressScope: 'loopback', registrarId: 0x1234, clock, random: () => 0.5, ...options });
  registrars.push(r);
  return { r, clock };
}

function connect(r: Registrar, remote = { address: '127.0.0.1', port: 40000 }): FakeAssociation {
  const a = new FakeAssociation(remote);
  r.addAssociation(a);
  return a;
}

afterEach(async () => {
  for (const r of registrars) await r.close();
  registrars = [];
});

describe('Registrar message handling', () => {
  it('registers, resolves and deregisters', () => {
    const { r } = make();
    const changes: HandlespaceChange[] = [];
    r.on('change', (c) => changes.push(c));
    const a = connect(r);
    a.receive(registration(1));
    a.receive(registration(2));
    expect(a.take()).toMatchObject([
      { type: 'registration-response', peId: 1, rejected: false },
      { type: 'registration-response', peId: 2, rejected: false },
    ]);
    expect(r.stats.pes).toBe(2);
    const stored = r.handlespace.find(POOL, 1)!;
    expect(stored.homeRegistrarId).toBe(0x1234);
    expect(stored.asapTransport).toEqual({ protocol: 'sctp', port: 40000, transportUse: 0, addresses: ['127.0.0.1'] });

    const pu = connect(r, { address: '127.0.0.1', port: 40001 });
    pu.receive({ protocol: 'asap', type: 'handle-resolution', poolHandle: POOL });
    const hrr = pu.last()!;
    expect(hrr).toMatchObject({ type: 'handle-resolution-response', policy: { type: 'round-robin' } });
    expect((hrr as { poolElements: PoolElementParam[] }).poolElements.map((p) => p.peId).sort()).toEqual([1, 2]);
    expect((hrr as { poolElements: PoolElementParam[] }).poolElements[0]!.asapTransport).toBeUndefined();

    a.receive({ protocol: 'asap', type: 'deregistration', poolHandle: POOL, peId: 1 });
    expect(a.last()).toMatchObject({ type: 'deregistration-response', peId: 1 });
    expect(r.stats.pes).toBe(1);
    expect(changes.map((c) => `${c.action}:${c.pe.peId}:${c.reason}`)).toEqual(['add:1:registration', 'add:2:registration', 'del:1:deregistration']);
  });

  it('answers an unknown pool with Operation Error 0x9', () => {
    const { r } = make();
    const pu = connect(r);
    pu.receive({ protocol: 'asap', type: 'handle-resolution', poolHandle: enc.encode('nothing') });
    expect(pu.last()).toMatchObject({ type: 'handle-resolution-response', operationError: [{ code: ErrorCauseCode.UNKNOWN_POOL_HANDLE }] });
  });

  it('honours the Handle Resolution Option and the default MaxHResItems', () => {
    const { r } = make({ maxHresItems: 2 });
    const a = connect(r);
    for (let i = 1; i <= 10; i++) a.receive(registration(i));
    const count = (m: RSerPoolMessage | undefined) => (m as { poolElements: unknown[] }).poolElements.length;
    a.receive({ protocol: 'asap', type: 'handle-resolution', poolHandle: POOL });
    expect(count(a.last())).toBe(2);
    a.receive({ protocol: 'asap', type: 'handle-resolution', poolHandle: POOL, items: 5 });
    expect(count(a.last())).toBe(5);
    a.receive({ protocol: 'asap', type: 'handle-resolution', poolHandle: POOL, items: 0xffffffff });
    expect(count(a.last())).toBe(10);
  });

  it('re-registration updates the policy values and least-used follows', () => {
    const { r } = make();
    const a = connect(r);
    a.receive(registration(1, { type: 'least-used', load: 100 }));
    a.receive(registration(2, { type: 'least-used', load: 200 }));
    const first = () => {
      a.receive({ protocol: 'asap', type: 'handle-resolution', poolHandle: POOL, items: 1 });
      return (a.last() as { poolElements: PoolElementParam[] }).poolElements[0]!.peId;
    };
    expect(first()).toBe(1);
    a.receive(registration(1, { type: 'least-used', load: 300 }));
    expect(first()).toBe(2);
    expect(r.stats.reRegistrations).toBe(1);
  });

  it('refuses invalid registrations with RFC causes', () => {
    const { r } = make();
    const a = connect(r);
    a.receive(registration(1, { type: 'round-robin' }));
    a.receive(registration(2, { type: 'least-used', load: 0 }));
    expect(a.last()).toMatchObject({ type: 'registration-response', rejected: true, operationError: [{ code: ErrorCauseCode.INCONSISTENT_POLICY }] });
    a.receive(registration(0));
    expect(a.last()).toMatchObject({ rejected: true, operationError: [{ code: ErrorCauseCode.INVALID_VALUES }] });
    a.receive(registration(3, undefined, {}, new Uint8Array(40).fill(65)));
    expect(a.last()).toMatchObject({ rejected: true, operationError: [{ code: ErrorCauseCode.INVALID_VALUES }] });
    a.receive(registration(4, undefined, { asapTransport: { protocol: 'sctp', port: 1, transportUse: 0, addresses: ['127.0.0.1'] } }));
    expect(a.last()).toMatchObject({ rejected: true });
    a.receive(registration(5, undefined, { userTransport: { protocol: 'tcp', port: 7000, transportUse: 0, addresses: ['127.0.0.1'] } }));
    expect(a.last()).toMatchObject({ rejected: true, operationError: [{ code: ErrorCauseCode.INCONSISTENT_TRANSPORT }] });
    // Only addresses of the association are kept; none left → refused.
    a.receive(registration(6, undefined, { userTransport: { protocol: 'sctp', port: 7000, transportUse: 0, addresses: ['10.1.2.3'] } }));
    expect(a.last()).toMatchObject({ rejected: true, operationError: [{ code: ErrorCauseCode.INVALID_VALUES }] });
    expect(r.stats.pes).toBe(1);
    expect(r.stats.registrationsRefused).toBe(6);
  });

  it('enforces the PEs-per-association limit', () => {
    const { r } = make({ maxPesPerAssociation: 3 });
    const a = connect(r);
    for (let i = 1; i <= 5; i++) a.receive(registration(i));
    const refused = a.take().filter((m) => (m as { rejected?: boolean }).rejected);
    expect(refused).toHaveLength(2);
    expect(refused[0]).toMatchObject({ operationError: [{ code: ErrorCauseCode.LACK_OF_RESOURCES }] });
    // Re-registration of an existing PE is still fine.
    a.receive(registration(1));
    expect(a.last()).toMatchObject({ rejected: false });
  });

  it('rate-limits handle resolutions per association', () => {
    const { r } = make({ handleResolutionRate: { rate: 10, burst: 5 } });
    const a = connect(r);
    a.receive(registration(1));
    a.take();
    for (let i = 0; i < 8; i++) a.receive({ protocol: 'asap', type: 'handle-resolution', poolHandle: POOL });
    const errors = a.take().filter((m) => (m as { operationError?: unknown }).operationError !== undefined);
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatchObject({ operationError: [{ code: ErrorCauseCode.LACK_OF_RESOURCES }] });
    expect(r.stats.rateLimited).toBe(3);
    // Another association has its own bucket.
    const b = connect(r, { address: '127.0.0.1', port: 40002 });
    b.receive({ protocol: 'asap', type: 'handle-resolution', poolHandle: POOL });
    expect(b.last()).toMatchObject({ poolElements: [{ peId: 1 }] });
  });

  it('removes a PE after MAX-BAD-PE-REPORT reports from distinct hosts once it fails the probe', () => {
    const { r, clock } = make({ maxBadPeReports: 3, keepAliveInterval: 60_000, keepAliveTimeout: 500 });
    const a = connect(r);
    a.receive(registration(1));
    a.take();
    const pus = [2, 3, 4].map((h) => connect(r, { address: `127.0.0.${h}`, port: 40003 }));
    for (const pu of pus.slice(0, 2)) pu.receive({ protocol: 'asap', type: 'endpoint-unreachable', poolHandle: POOL, peId: 1 });
    expect(a.take()).toEqual([]);
    pus[2]!.receive({ protocol: 'asap', type: 'endpoint-unreachable', poolHandle: POOL, peId: 1 });
    // The third reporter starts a keep-alive probe; the PE stays until it fails it.
    expect(a.last()).toMatchObject({ type: 'endpoint-keep-alive', peId: 1 });
    expect(r.stats.pes).toBe(1);
    clock.advance(600); // no ack: one retry
    a.receive({ protocol: 'asap', type: 'registration', poolHandle: POOL, poolElement: pe(2) }); // the association itself is alive
    clock.advance(600);
    expect(r.handlespace.find(POOL, 1)).toBeUndefined();
    expect(r.stats.pesRemovedUnreachable).toBe(1);
  });

  it('a reported PE whose association stays silent is aborted and leaves as unreachable', () => {
    const { r, clock } = make({ maxBadPeReports: 1, keepAliveInterval: 60_000, keepAliveTimeout: 500 });
    const removals: string[] = [];
    r.on('change', (c) => c.action === 'del' && removals.push(c.reason));
    const a = connect(r);
    a.receive(registration(1));
    a.take();
    connect(r, { address: '127.0.0.2', port: 40003 }).receive({ protocol: 'asap', type: 'endpoint-unreachable', poolHandle: POOL, peId: 1 });
    clock.advance(600);
    clock.advance(600);
    expect(a.aborted).toBe(true);
    expect(removals).toEqual(['unreachable']);
    expect(r.stats.pesRemovedUnreachable).toBe(1);
  });

  it('sends keep-alives, accepts acks and removes silent PEs', () => {
    const { r, clock } = make({ keepAliveInterval: 1000, keepAliveTimeout: 500, keepAliveJitter: 0 });
    const removals: string[] = [];
    r.on('change', (c) => c.action === 'del' && removals.push(c.reason));
    const a = connect(r);
    a.receive(registration(1));
    a.take();
    clock.advance(1000);
    expect(a.last()).toMatchObject({ type: 'endpoint-keep-alive', serverId: 0x1234, peId: 1, home: false });
    a.receive({ protocol: 'asap', type: 'endpoint-keep-alive-ack', poolHandle: POOL, peId: 1 });
    clock.advance(1000);
    expect(a.last()).toMatchObject({ type: 'endpoint-keep-alive' });
    // No answer, nothing else from the peer: one retry, then the association is aborted.
    clock.advance(600);
    expect(a.last()).toMatchObject({ type: 'endpoint-keep-alive' });
    expect(r.stats.pes).toBe(1);
    clock.advance(600);
    expect(r.stats.pes).toBe(0);
    expect(a.aborted).toBe(true);
    expect(r.stats.associationsAbortedByKeepAlive).toBe(1);
    // The removal names the keep-alives, not just the closed association.
    expect(removals).toEqual(['keep-alive-timeout']);
    expect(r.stats.pesRemovedAssociationClosed).toBe(0);
  });

  it('removes only the silent PE when the association is otherwise alive', () => {
    const { r, clock } = make({ keepAliveInterval: 1000, keepAliveTimeout: 500, keepAliveJitter: 0 });
    const a = connect(r);
    a.receive(registration(1));
    a.receive(registration(2));
    clock.advance(1000);
    // Ack only PE 2, repeatedly.
    for (let i = 0; i < 4; i++) {
      a.receive({ protocol: 'asap', type: 'endpoint-keep-alive-ack', poolHandle: POOL, peId: 2 });
      clock.advance(500);
    }
    expect(r.handlespace.find(POOL, 1)).toBeUndefined();
    expect(r.handlespace.find(POOL, 2)).toBeDefined();
    expect(a.aborted).toBe(false);
  });

  it('spreads the keep-alives of 100,000 PEs over one scheduler timer', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const { r, clock } = make({ random, maxPesPerAssociation: 200_000, registrationRate: { rate: 0 }, keepAliveWindow: 200_000, maxKeepAliveRate: 0 });
    const a = connect(r);
    a.send = () => Promise.resolve(); // do not decode 100,000 keep-alives
    for (let i = 1; i <= 100_000; i++) a.receive(registration(i));
    expect(r.stats.pes).toBe(100_000);
    expect(clock.pending).toBeLessThanOrEqual(2);
    const perTick: number[] = [];
    let last = 0;
    for (let t = 0; t < 70; t++) {
      clock.advance(100);
      perTick.push(r.stats.keepAlivesSent - last);
      last = r.stats.keepAlivesSent;
    }
    // All sent within the first jittered cycle, none in a burst above a tenth of the PEs.
    expect(last).toBe(100_000);
    expect(Math.max(...perTick)).toBeLessThan(20_000);
  });

  it('limits unanswered keep-alives per association (flow control)', () => {
    const { r, clock } = make({ keepAliveInterval: 1000, keepAliveTimeout: 5000, keepAliveJitter: 0, keepAliveWindow: 10 });
    const a = connect(r);
    for (let i = 1; i <= 50; i++) a.receive(registration(i));
    a.take();
    clock.advance(1000);
    let kas = a.take().filter((m) => m.type === 'endpoint-keep-alive');
    expect(kas).toHaveLength(10);
    // Acks free the window; deferred keep-alives follow.
    for (const k of kas) a.receive({ protocol: 'asap', type: 'endpoint-keep-alive-ack', poolHandle: POOL, peId: (k as { peId: number }).peId });
    kas = a.take().filter((m) => m.type === 'endpoint-keep-alive');
    expect(kas).toHaveLength(10);
    // Waiting PEs are not churned through the scheduler.
    expect(clock.pending).toBeLessThanOrEqual(2);
    expect(r.stats.keepAlivesDeferred).toBeGreaterThan(0);
    expect(r.stats.pes).toBe(50);
  });

  it('deregisters the PEs of a closed association', () => {
    const { r } = make();
    const a = connect(r);
    a.receive(registration(1));
    a.receive(registration(2));
    a.end('timeout');
    expect(r.stats.pes).toBe(0);
    expect(r.stats.associations).toBe(0);
  });

  it('refuses malformed, oversized and unexpected messages and keeps serving', () => {
    const { r } = make({ maxMessageSize: 1024 });
    const a = connect(r);
    a.receive(new Uint8Array([1, 0, 0, 200, 0, 9]));
    expect(a.last()).toMatchObject({ type: 'error' });
    a.receive(new Uint8Array(2000));
    expect(a.last()).toMatchObject({ type: 'error', operationError: [{ code: ErrorCauseCode.LACK_OF_RESOURCES }] });
    a.receive({ protocol: 'asap', type: 'cookie', cookie: new Uint8Array(4) });
    expect(a.last()).toMatchObject({ type: 'error', operationError: [{ code: ErrorCauseCode.UNRECOGNIZED_MESSAGE }] });
    a.receive(new Uint8Array([0xff, 0, 0, 4]));
    expect(a.last()).toMatchObject({ type: 'error' });
    a.receive(registration(1));
    expect(a.last()).toMatchObject({ type: 'registration-response', rejected: false });
    expect(r.stats.malformedMessages).toBe(2);
    expect(r.stats.oversizedMessages).toBe(1);
    expect(r.stats.unexpectedMessages).toBe(1);
  });

  it('refuses a PE id owned by another host', () => {
    const { r } = make({ minAddressScope: 'loopback', checkAssociationAddresses: false });
    const a = connect(r, { address: '127.0.0.1', port: 40000 });
    const b = connect(r, { address: '127.0.0.2', port: 40000 });
    a.receive(registration(1));
    b.receive(registration(1));
    expect(b.last()).toMatchObject({ rejected: true, operationError: [{ code: ErrorCauseCode.SECURITY_REJECTION }] });
  });

  it('expires a PE whose registration life ran out', () => {
    const { r, clock } = make({ keepAliveInterval: 10_000 });
    const a = connect(r);
    a.receive(registration(1, undefined, { registrationLife: 3000 }));
    clock.advance(3100);
    expect(r.stats.pes).toBe(0);
    expect(r.stats.pesExpired).toBe(1);
  });

  it('closes cleanly without leaking timers', async () => {
    const { r, clock } = make();
    const a = connect(r);
    a.receive(registration(1));
    await r.close();
    expect(clock.pending).toBe(0);
    expect(a.aborted).toBe(true);
  });
});
