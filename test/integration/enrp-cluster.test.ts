/**
 * ENRP between registrars in one process over real SCTP-over-UDP on
 * loopback (ephemeral ports): propagation, deregistration, audit repair of
 * dropped updates, late-joiner download, simultaneous start.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as rsp from '../../src/index.js';
import { Registrar } from '../../src/registrar/registrar.js';
import { attachEnrp, type EnrpAttachment } from '../../src/registrar/enrp/attach.js';
import type { EnrpOptions } from '../../src/registrar/enrp/options.js';
import type { SyncResult } from '../../src/registrar/enrp/handle-table-sync.js';
import type { TransportAddress } from '../../src/transport/types.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(pred: () => boolean | Promise<boolean>, timeout = 20_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeout;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`until: timeout waiting for ${what}`);
    await sleep(25);
  }
}

const timers: EnrpOptions = { heartbeatInterval: 300, maxTimeLastHeard: 1500, maxTimeNoResponse: 1000, mentorDiscoveryTimeout: 300 };

interface Node {
  registrar: Registrar;
  enrp: EnrpAttachment;
  asap: string;
  enrpAddress: TransportAddress;
}

async function startNode(peers: TransportAddress[], extra: EnrpOptions = {}): Promise<Node> {
  const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false, minAddressScope: 'loopback' });
  await registrar.start();
  cleanups.push(() => registrar.close());
  const enrp = await attachEnrp(registrar, { listen: { address: '127.0.0.1', port: 0 }, multicast: false, peers, allow: ['127.0.0.1'], ...timers, ...extra });
  cleanups.push(() => enrp.close());
  const a = registrar.addresses[0]!;
  return { registrar, enrp, asap: `${a.address}:${a.port}`, enrpAddress: enrp.endpoint.local };
}

/** Starts n registrars, each knowing the ones started before it. */
async function cluster(n: number): Promise<Node[]> {
  const nodes: Node[] = [];
  for (let i = 0; i < n; i++) nodes.push(await startNode(nodes.map((x) => x.enrpAddress)));
  await until(() => nodes.every((x) => x.enrp.server.peerList().length === n - 1), 10_000, 'full mesh');
  return nodes;
}

function instance(registrars: string[]): rsp.AsapInstance {
  const i = rsp.createInstance({ registrars, env: {} });
  cleanups.push(() => i.close());
  return i;
}

function populate(node: Node, count: number, pools = 10): void {
  const hs = node.registrar.handlespace;
  for (let i = 1; i <= count; i++) {
    const r = hs.register(
      new TextEncoder().encode(`pool-${i % pools}`),
      {
        peId: i,
        homeRegistrarId: node.registrar.id,
        registrationLife: 300_000,
        userTransport: { protocol: 'sctp', port: 10000 + (i % 50000), transportUse: 0, addresses: ['127.0.0.1'] },
        policy: { type: 'round-robin' },
        asapTransport: { protocol: 'sctp', port: 9, transportUse: 0, addresses: ['127.0.0.1'] },
      },
      { expiresAt: Infinity },
    );
    if (!r.ok) throw new Error(r.reason);
  }
}

describe('ENRP cluster over SCTP on loopback', () => {
  it('three registrars: a PE registered at the first is resolvable at the third; deregistration propagates', async () => {
    const [a, , c] = await cluster(3);
    const pe = instance([a!.asap]);
    const reg = await pe.register('EchoPool', { port: 7001, policy: { type: 'round-robin' } });
    const pu = instance([c!.asap]);
    await until(async () => {
      try {
        return (await pu.resolve('EchoPool', { cache: false })).some((x) => x.id === reg.peId);
      } catch {
        return false;
      }
    }, 10_000, 'PE resolvable at the third registrar');
    const stored = c!.registrar.handlespace.find(new TextEncoder().encode('EchoPool'), reg.peId)!;
    expect(stored.homeRegistrarId).toBe(a!.registrar.id);
    await reg.deregister();
    await until(() => c!.registrar.handlespace.size === 0, 10_000, 'deregistration at the third registrar');
    await expect(pu.resolve('EchoPool', { cache: false })).rejects.toMatchObject({ code: 'ERR_RSP_POOL_NOT_FOUND' });
  });

  it('a registrar that missed updates is repaired by the checksum audit', async () => {
    const [a, b] = await cluster(2);
    // Drop every Handle Update from a to b.
    const link = a!.enrp.link;
    const original = link.send.bind(link);
    let dropping = true;
    link.send = (to, m) => {
      if (dropping && m.type === 'handle-update') return;
      original(to, m);
    };
    const pe = instance([a!.asap]);
    const regs = [];
    for (let i = 0; i < 5; i++) regs.push(await pe.register('AuditPool', { port: 7100 + i, policy: { type: 'round-robin' } }));
    await regs[0]!.deregister();
    expect(a!.registrar.handlespace.size).toBe(4);
    dropping = false;
    const audits: number[] = [];
    b!.enrp.server.on('mismatch', (id) => audits.push(id));
    await until(() => b!.registrar.handlespace.size === 4 && b!.registrar.handlespace.ownershipChecksum(a!.registrar.id) === a!.registrar.handlespace.ownershipChecksum(a!.registrar.id), 10_000, 'audit repair');
    expect(audits).toContain(a!.registrar.id);
  });

  it('a late joiner downloads the full handlespace (10,000 PEs) in several responses', async () => {
    const a = await startNode([]);
    populate(a, 10_000);
    const b = await startNode([a.enrpAddress], { maxElementsPerResponse: 512 });
    const syncs: SyncResult[] = [];
    b.enrp.server.on('sync', (r) => syncs.push(r));
    await until(() => b.enrp.server.synchronized && syncs.some((s) => s.kind === 'full'), 30_000, 'download');
    const full = syncs.find((s) => s.kind === 'full')!;
    expect(full.complete).toBe(true);
    expect(full.received).toBe(10_000);
    expect(full.responses).toBeGreaterThan(10);
    expect(b.registrar.handlespace.size).toBe(10_000);
    expect(b.registrar.handlespace.ownershipChecksum(a.registrar.id)).toBe(a.registrar.handlespace.ownershipChecksum(a.registrar.id));
  });

  it('a taken-over PE that cannot be reached is removed instead of kept forever', async () => {
    const [a, b] = await cluster(2);
    const { createUdpEndpoint } = await import('../../src/transport/udp-endpoint.js');
    const e = await createUdpEndpoint({ address: '127.0.0.1', port: 0 });
    const deadPort = e.local.port;
    await e.close();
    const hs = b!.registrar.handlespace;
    for (let i = 1; i <= 3; i++) {
      hs.register(new TextEncoder().encode('GonePool'), {
        peId: i,
        homeRegistrarId: b!.registrar.id,
        registrationLife: 300_000,
        userTransport: { protocol: 'sctp', port: 7600 + i, transportUse: 0, addresses: ['127.0.0.1'] },
        policy: { type: 'round-robin' },
        asapTransport: { protocol: 'sctp', port: deadPort, transportUse: 0, addresses: ['127.0.0.1'] },
      }, { expiresAt: Infinity });
    }
    // Not registered over ASAP, so no Handle Update went out: the audit brings them to a.
    await until(() => a!.registrar.handlespace.size === 3, 10_000, 'PEs at a');
    const takeovers: number[] = [];
    a!.enrp.server.on('takeover', (id) => takeovers.push(id));
    await b!.enrp.close();
    await until(() => takeovers.length === 1 && a!.registrar.handlespace.size === 0, 15_000, 'takeover and removal of the unreachable PEs');
    expect(takeovers).toEqual([b!.registrar.id]);
  });

  it('registrars find each other by multicast Presence without a peer list', async () => {
    const group = { address: '239.0.0.51', port: 20000 + Math.floor(Math.random() * 40000) };
    const nodes: Node[] = [];
    for (let i = 0; i < 2; i++) {
      const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false, minAddressScope: 'loopback' });
      await registrar.start();
      cleanups.push(() => registrar.close());
      const enrp = await attachEnrp(registrar, { listen: { address: '127.0.0.1', port: 0 }, multicast: group, multicastInterface: '127.0.0.1', ...timers });
      cleanups.push(() => enrp.close());
      nodes.push({ registrar, enrp, asap: `127.0.0.1:${registrar.addresses[0]!.port}`, enrpAddress: enrp.endpoint.local });
    }
    await until(() => nodes.every((n) => n.enrp.server.peerList().length === 1), 10_000, 'multicast discovery');
    const pe = instance([nodes[0]!.asap]);
    await pe.register('McastPool', { port: 7501, policy: { type: 'round-robin' } });
    await until(() => nodes[1]!.registrar.handlespace.size === 1, 10_000, 'PE at the other registrar');
  });

  it('two registrars started at the same instant converge on one association and share PEs', async () => {
    for (let round = 0; round < 3; round++) {
      const r1 = new Registrar({ asap: ['127.0.0.1:0'], announce: false, minAddressScope: 'loopback' });
      const r2 = new Registrar({ asap: ['127.0.0.1:0'], announce: false, minAddressScope: 'loopback' });
      await Promise.all([r1.start(), r2.start()]);
      cleanups.push(() => r1.close(), () => r2.close());
      // Reserve two ENRP ports, then start both ENRP servers pointing at each other at once.
      const { createUdpEndpoint } = await import('../../src/transport/udp-endpoint.js');
      const e1 = await createUdpEndpoint({ address: '127.0.0.1', port: 0, listen: true });
      const e2 = await createUdpEndpoint({ address: '127.0.0.1', port: 0, listen: true });
      const [x1, x2] = await Promise.all([
        attachEnrp(r1, { createEndpoint: async () => e1, multicast: false, peers: [e2.local], ...timers }),
        attachEnrp(r2, { createEndpoint: async () => e2, multicast: false, peers: [e1.local], ...timers }),
      ]);
      cleanups.push(() => x1.close(), () => x2.close());
      await until(() => x1.server.peerList().length === 1 && x2.server.peerList().length === 1, 10_000, 'peers');
      const p1 = instance([`127.0.0.1:${r1.addresses[0]!.port}`]);
      const p2 = instance([`127.0.0.1:${r2.addresses[0]!.port}`]);
      await p1.register('Both', { port: 7201, policy: { type: 'round-robin' } });
      await p2.register('Both', { port: 7202, policy: { type: 'round-robin' } });
      await until(() => r1.handlespace.size === 2 && r2.handlespace.size === 2, 10_000, 'both PEs on both registrars');
      // The redundant association of the simultaneous connect is closed: one remains.
      await until(() => x1.link.associationCount === 1 && x2.link.associationCount === 1, 10_000, 'one association');
      await p1.register('Both', { port: 7203, policy: { type: 'round-robin' } });
      await until(() => r2.handlespace.size === 3, 10_000, 'third PE after dedupe');
      for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
    }
  });
});
