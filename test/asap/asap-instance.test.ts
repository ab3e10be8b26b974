/**
 * AsapInstance on fake time with a fake endpoint: no network, every timer on
 * the FakeClock.
 */
import { EventEmitter } from 'eventemitter3';
import { describe, expect, it } from 'vitest';
import { AsapInstance } from '../../src/asap/asap-instance.js';
import { FakeClock } from '../../src/clock.js';
import type { Association, ConnectOptions, Endpoint, EndpointEvents, TransportAddress } from '../../src/transport/types.js';
import { decodeMessage, encodeMessage } from '../../src/wire/messages.js';
import type { AsapMessage } from '../../src/wire/asap-messages.js';
import { FakeAssociation } from './fake-transport.js';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

/** A fake registrar behind a fake endpoint: answers registrations unless `silent`. */
class FakeWorld extends EventEmitter<EndpointEvents> implements Endpoint {
  readonly local: TransportAddress = { address: '127.0.0.1', port: 40000 };
  silent = false;
  /** Answer handle resolutions (the home registrar is alive for the adoption probe). */
  resolves = false;
  connects = 0;
  received: AsapMessage[] = [];
  associations: FakeAssociation[] = [];
  constructor(readonly clock: FakeClock) {
    super();
  }
  async connect(remote: TransportAddress, _o?: ConnectOptions): Promise<Association> {
    this.connects++;
    const a = new FakeAssociation(this.local, remote);
    this.wire(a);
    this.associations.push(a);
    return a;
  }
  /** Associations the "registrar" opens towards the instance. */
  incoming(remote: TransportAddress = { address: '127.0.0.1', port: 5555 }): FakeAssociation {
    const a = new FakeAssociation(this.local, remote);
    this.wire(a);
    this.emit('association', a);
    return a;
  }
  private wire(a: FakeAssociation): void {
    const send = a.send.bind(a);
    a.send = async (data, options) => {
      await send(data, options);
      const m = decodeMessage(11, data) as AsapMessage;
      this.received.push(m);
      if (this.silent) return;
      let reply: AsapMessage | undefined;
      if (m.type === 'registration') reply = { protocol: 'asap', type: 'registration-response', poolHandle: m.poolHandle, peId: m.poolElement.peId };
      if (m.type === 'deregistration') reply = { protocol: 'asap', type: 'deregistration-response', poolHandle: m.poolHandle, peId: m.peId };
      if (m.type === 'handle-resolution' && this.resolves) reply = { protocol: 'asap', type: 'handle-resolution-response', poolHandle: m.poolHandle, poolElements: [], operationError: [{ code: 9, info: new Uint8Array(0) }] } as AsapMessage;
      if (reply) {
        const bytes = encodeMessage(reply);
        queueMicrotask(() => a.emit('message', bytes, { ppid: 11, stream: 0, unordered: false }));
      }
    };
  }
  async close(): Promise<void> {}
}

function setup(): { clock: FakeClock; world: FakeWorld; asap: AsapInstance } {
  const clock = new FakeClock();
  const world = new FakeWorld(clock);
  const asap = new AsapInstance({ registrars: ['127.0.0.1:3863'], env: {}, clock, endpointFactory: async () => world, requestTimeout: 1000, reregistrationInterval: 10_000 });
  return { clock, world, asap };
}

describe('AsapInstance on fake time', () => {
  it('re-registers within the interval (jitter ≤ 10 %) on the fake clock', async () => {
    const { clock, world, asap } = setup();
    const reg = await asap.register('P', { port: 7 });
    const regs = (): number => world.received.filter((m) => m.type === 'registration').length;
    expect(regs()).toBe(1);
    clock.advance(8_999);
    await flush();
    expect(regs()).toBe(1);
    clock.advance(1_001);
    await flush();
    expect(regs()).toBe(2);
    await reg.deregister();
    await asap.close();
  });

  it('acks keep-alives on the home association and ignores H=0 on another one', async () => {
    const { clock, world, asap } = setup();
    const reg = await asap.register('P', { port: 7 });
    const home = world.associations[0]!;
    const ka = (h: boolean) => encodeMessage({ protocol: 'asap', type: 'endpoint-keep-alive', home: h, serverId: 9, poolHandle: new TextEncoder().encode('P'), peId: reg.peId });
    home.emit('message', ka(false), { ppid: 11, stream: 0, unordered: false });
    await flush();
    expect(home.sent.map((s) => (decodeMessage(11, s.data) as AsapMessage).type)).toContain('endpoint-keep-alive-ack');
    const other = world.incoming();
    other.emit('message', ka(false), { ppid: 11, stream: 0, unordered: false });
    await flush();
    expect(other.sent).toHaveLength(0);
    other.emit('message', ka(true), { ppid: 11, stream: 0, unordered: false });
    await flush();
    // A known registrar: adopted once the home registrar fails to answer a probe.
    expect(other.sent).toHaveLength(0);
    clock.advance(1000);
    await flush();
    expect(other.sent).toHaveLength(1);
    expect(asap.registrar).toBe('127.0.0.1:5555');
    expect(home.open).toBe(false); // the old registrar association was dropped
    await asap.close();
  });

  it('ignores an H-bit keep-alive from a registrar it does not know', async () => {
    const { clock, world, asap } = setup();
    const reg = await asap.register('P', { port: 7 });
    const refused: string[] = [];
    asap.on('adoptionRefused', (i) => refused.push(i.reason));
    const home = world.associations[0]!;
    const stranger = world.incoming({ address: '192.0.2.66', port: 3863 });
    stranger.emit('message', encodeMessage({ protocol: 'asap', type: 'endpoint-keep-alive', home: true, serverId: 0x666, poolHandle: new TextEncoder().encode('P'), peId: reg.peId }), { ppid: 11, stream: 0, unordered: false });
    clock.advance(5000);
    await flush();
    expect(stranger.sent).toHaveLength(0);
    expect(asap.registrar).toBe('127.0.0.1:3863');
    expect(home.open).toBe(true);
    expect(refused).toEqual(['unknown-registrar']);
    // Its next re-registration still goes to the real registrar.
    clock.advance(10_000);
    await flush();
    expect(home.sent.filter((s) => (decodeMessage(11, s.data) as AsapMessage).type === 'registration').length).toBeGreaterThanOrEqual(2);
    await asap.close();
  });

  it('keeps its home registrar when it answers the probe, even for a known registrar', async () => {
    const { clock, world, asap } = setup();
    world.resolves = true;
    const reg = await asap.register('P', { port: 7 });
    const refused: string[] = [];
    asap.on('adoptionRefused', (i) => refused.push(i.reason));
    const other = world.incoming({ address: '127.0.0.1', port: 6000 });
    other.emit('message', encodeMessage({ protocol: 'asap', type: 'endpoint-keep-alive', home: true, serverId: 7, poolHandle: new TextEncoder().encode('P'), peId: reg.peId }), { ppid: 11, stream: 0, unordered: false });
    await flush();
    clock.advance(1000);
    await flush();
    expect(other.sent).toHaveLength(0);
    expect(asap.registrar).toBe('127.0.0.1:3863');
    expect(refused).toEqual(['home-alive']);
    await asap.close();
  });

  it('a silent registrar is dropped after the request timeout and the request retried after a new hunt', async () => {
    const { clock, world, asap } = setup();
    const reg = await asap.register('P', { port: 7 });
    world.silent = true;
    const p = reg.update({ load: 0.5 }).catch((e: unknown) => e);
    await flush();
    clock.advance(1000);
    await flush();
    expect(world.connects).toBe(2); // hunted again after the timeout
    world.silent = false;
    clock.advance(1000);
    await flush();
    const r = await p;
    expect(r).toMatchObject({ code: 'ERR_RSP_TIMEOUT' }); // both attempts were lost
    await reg.update({ load: 0.6 }); // the registrar answers again
    expect(reg.state).toBe('registered');
    await asap.close();
    expect(clock.pending).toBe(0);
  });

  it('adopted by a new home while hunting its dead registrar: stops hunting, re-registers there, reports no error', async () => {
    const { clock, world, asap } = setup();
    const reg = await asap.register('P', { port: 7 });
    const errors: unknown[] = [];
    asap.on('error', (e) => errors.push(e));
    reg.on('error', (e) => errors.push(e));
    // The registrar dies: connects to it hang from now on (SCTP retrying a dead host).
    const hunts: AbortSignal[] = [];
    world.connect = (_remote: TransportAddress, o?: ConnectOptions) => {
      world.connects++;
      if (o?.signal) hunts.push(o.signal);
      return new Promise<Association>((_resolve, reject) => o?.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
    };
    world.associations[0]!.end('timeout');
    await flush();
    expect(world.connects).toBe(2);
    // A registrar that took over sends Endpoint Keep-Alive with the H bit on a new association.
    const adopter = world.incoming();
    const ka = encodeMessage({ protocol: 'asap', type: 'endpoint-keep-alive', home: true, serverId: 0x77, poolHandle: new TextEncoder().encode('P'), peId: reg.peId });
    adopter.emit('message', ka, { ppid: 11, stream: 0, unordered: false });
    await flush();
    expect(hunts.every((h) => h.aborted)).toBe(true);
    expect(asap.homeRegistrarId).toBe(0x77);
    // The pending re-registration went to the adopter.
    const sentThere = adopter.sent.map((x) => (decodeMessage(11, x.data) as AsapMessage).type);
    expect(sentThere).toContain('registration');
    clock.advance(30_000);
    await flush();
    expect(world.connects).toBe(2);
    expect(errors).toEqual([]);
    expect(reg.state).toBe('registered');
    await asap.close();
  });
});
