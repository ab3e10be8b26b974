import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.js';
import { Registration, type RegistrationHost } from '../../src/asap/registration.js';
import { policyFromOptions } from '../../src/asap/policy-options.js';
import { RegistrationRefusedError, TimeoutError, ClosedError } from '../../src/errors.js';
import type { TransportParam } from '../../src/wire/types.js';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

class FakeHost implements RegistrationHost {
  clock = new FakeClock();
  homeRegistrarId = 0;
  sends: Array<{ at: number; load: number }> = [];
  deregs = 0;
  removed = 0;
  /** Next results: 'ok' | error; default ok. */
  script: Array<'ok' | Error> = [];
  async sendRegistration(r: Registration): Promise<TransportParam> {
    this.sends.push({ at: this.clock.now(), load: (r.policy as { load?: number }).load ?? -1 });
    const next = this.script.shift() ?? 'ok';
    if (next !== 'ok') throw next;
    return { ...r.userTransport, addresses: ['127.0.0.1'] } as TransportParam;
  }
  async sendDeregistration(): Promise<void> {
    this.deregs++;
  }
  removeRegistration(): void {
    this.removed++;
  }
}

function make(host: FakeHost, interval = 1000): Registration {
  return new Registration(host, {
    poolHandle: new TextEncoder().encode('P'),
    policy: policyFromOptions({ type: 'least-used', load: 0.25 }),
    userTransport: { protocol: 'sctp', port: 5000, transportUse: 0, addresses: [] },
    reregistrationInterval: interval,
    registrationLife: 3 * interval,
    retryDelay: 100,
  });
}

describe('Registration keeper', () => {
  it('registers, then re-registers every interval on the clock', async () => {
    const host = new FakeHost();
    const r = make(host);
    const events: string[] = [];
    r.on('registered', () => events.push('registered'));
    r.on('reregistered', () => events.push('reregistered'));
    await r.start();
    expect(r.peId).toBeGreaterThanOrEqual(1);
    expect(r.peId).toBeLessThanOrEqual(0xfffffffe);
    expect(r.state).toBe('registered');
    expect(r.userTransport.addresses).toEqual(['127.0.0.1']);
    for (let i = 0; i < 3; i++) {
      host.clock.advance(1000);
      await flush();
    }
    expect(host.sends.map((s) => s.at)).toEqual([0, 1000, 2000, 3000]);
    expect(events).toEqual(['registered', 'reregistered', 'reregistered', 'reregistered']);
    await r.deregister();
    expect(host.deregs).toBe(1);
    expect(host.removed).toBe(1);
    expect(host.clock.pending).toBe(0);
  });

  it('spreads re-registrations with jitter, never later than the interval', async () => {
    const host = new FakeHost();
    const r = new Registration(host, {
      poolHandle: new TextEncoder().encode('P'),
      policy: policyFromOptions('round-robin'),
      userTransport: { protocol: 'sctp', port: 5000, transportUse: 0, addresses: [] },
      reregistrationInterval: 1000,
      registrationLife: 3000,
      retryDelay: 100,
      jitter: 0.1,
      random: () => 0.5,
    });
    await r.start();
    host.clock.advance(950);
    await flush();
    host.clock.advance(950);
    await flush();
    expect(host.sends.map((s) => s.at)).toEqual([0, 950, 1900]);
    await r.deregister();
  });

  it('update() re-registers at once with the new load and restarts the interval', async () => {
    const host = new FakeHost();
    const r = make(host);
    await r.start();
    host.clock.advance(400);
    await r.update({ load: 0.5 });
    expect(host.sends).toHaveLength(2);
    expect(host.sends[1]).toEqual({ at: 400, load: 0x80000000 });
    host.clock.advance(999);
    await flush();
    expect(host.sends).toHaveLength(2);
    host.clock.advance(1);
    await flush();
    expect(host.sends).toHaveLength(3);
    await r.deregister();
  });

  it('merges updates requested while one is in flight', async () => {
    const host = new FakeHost();
    const r = make(host);
    await r.start();
    const ps = [r.update({ load: 0.1 }), r.update({ load: 0.2 }), r.update({ load: 0.3 })];
    await Promise.all(ps);
    // The first update goes out at once; the other two are merged into one.
    expect(host.sends.length).toBe(3);
    expect(host.sends[2]!.load).toBe(Math.round(0.3 * 0xffffffff));
    await r.deregister();
  });

  it('a refused first registration rejects start() and closes', async () => {
    const host = new FakeHost();
    host.script = [new RegistrationRefusedError(5, 'inconsistent pooling policy')];
    const r = make(host);
    await expect(r.start()).rejects.toBeInstanceOf(RegistrationRefusedError);
    expect(r.state).toBe('closed');
    expect(host.removed).toBe(1);
    await expect(r.update({ load: 0.1 })).rejects.toBeInstanceOf(ClosedError);
  });

  it('failed re-registrations are reported and retried with back-off', async () => {
    const host = new FakeHost();
    const r = make(host, 10_000);
    const errors: Error[] = [];
    r.on('error', (e) => errors.push(e));
    await r.start();
    host.script = [new TimeoutError('t1'), new TimeoutError('t2'), 'ok'];
    host.clock.advance(10_000);
    await flush();
    host.clock.advance(100);
    await flush();
    host.clock.advance(200);
    await flush();
    expect(host.sends.map((s) => s.at)).toEqual([0, 10_000, 10_100, 10_300]);
    expect(errors.map((e) => e.message)).toEqual(['t1', 't2']);
    expect(r.state).toBe('registered');
    await r.deregister();
  });
});
