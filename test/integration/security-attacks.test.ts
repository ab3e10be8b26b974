/**
 * Attacks of RFC 5355 against real registrars, pool elements and pool users
 * over SCTP on loopback (several loopback addresses play several hosts).
 * Each used to succeed.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import * as rsp from '../../src/index.js';
import { Registrar } from '../../src/registrar/registrar.js';
import { SctpPeerLink } from '../../src/registrar/enrp/sctp-peer-link.js';
import type { PeerMessage } from '../../src/registrar/enrp/messages.js';
import { createUdpEndpoint } from '../../src/transport/udp-endpoint.js';
import type { TransportAddress } from '../../src/transport/types.js';
import { encodeMessage } from '../../src/wire/messages.js';

const CLI = 'dist/cli/main.js';
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function startRegistrar(options: ConstructorParameters<typeof Registrar>[0] = {}): Promise<{ registrar: Registrar; address: string }> {
  const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false, minAddressScope: 'loopback', ...options });
  await registrar.start();
  cleanups.push(() => registrar.close());
  return { registrar, address: `127.0.0.1:${registrar.addresses[0]!.port}` };
}

async function echoPe(registrar: string, pool: string): Promise<rsp.PoolElementSocket> {
  const pe = rsp.socket({ registrars: [registrar] });
  await pe.register(pool);
  cleanups.push(() => pe.close());
  void (async () => {
    for await (const s of pe) void (async () => { for await (const m of s) await s.send(m.data).catch(() => undefined); })();
  })();
  return pe;
}

describe('false failure reports', () => {
  it('reports from three hosts against two healthy PEs remove nothing; sessions keep working', async () => {
    const { registrar, address } = await startRegistrar({ keepAliveTimeout: 3000 });
    const pes = [await echoPe(address, 'Echo'), await echoPe(address, 'Echo')];
    // Three "pool users" on three hosts report every PE, again and again.
    const reporters = ['127.0.0.2', '127.0.0.3', '127.0.0.4'].map((h) => rsp.createInstance({ registrars: [address], env: {}, localAddress: h }));
    for (const r of reporters) cleanups.push(() => r.close());
    for (let round = 0; round < 3; round++) {
      for (const r of reporters) for (const pe of pes) await r.reportFailure('Echo', pe.peId!);
    }
    await until('the probes to be answered', () => registrar.stats.unreachableProbesAnswered >= 2);
    expect(registrar.stats.pesRemovedUnreachable).toBe(0);
    expect(registrar.handlespace.getPool(new TextEncoder().encode('Echo'))?.size ?? 0).toBe(2);
    const session = await rsp.connect('Echo', { registrars: [address] });
    cleanups.push(() => session.close());
    await session.send('still here');
    expect(Buffer.from((await session.recv())!.data).toString()).toBe('still here');
  });
});

describe('H-bit keep-alive from a stranger', () => {
  it('a PE does not leave its registrar for an unknown one', async () => {
    const { registrar, address } = await startRegistrar();
    const asap = rsp.createInstance({ registrars: [address], env: {} });
    cleanups.push(() => asap.close());
    const reg = await asap.register('Victim', { port: 7 });
    const refused: string[] = [];
    asap.on('adoptionRefused', (i) => refused.push(i.reason));
    const stored = registrar.handlespace.find(new TextEncoder().encode('Victim'), reg.peId)!;
    const peAsap = { address: '127.0.0.1', port: stored.asapTransport!.port };
    const attacker = await createUdpEndpoint({ address: '127.0.0.66', port: 0, listen: true });
    cleanups.push(() => attacker.close());
    const a = await attacker.connect(peAsap, { timeout: 5000 });
    await a.send(encodeMessage({ protocol: 'asap', type: 'endpoint-keep-alive', home: true, serverId: 0x666, poolHandle: new TextEncoder().encode('Victim'), peId: reg.peId }), { ppid: 11 });
    await until('the keep-alive to be refused', () => refused.length > 0);
    expect(refused).toEqual(['unknown-registrar']);
    expect(asap.registrar).toBe(address);
    expect(asap.homeRegistrarId).not.toBe(0x666);
    await reg.update({ load: 0.5 }); // its next registration still goes to the real registrar
    expect(registrar.stats.reRegistrations).toBeGreaterThanOrEqual(1);
  });
});

/** `rsp registrar` with ENRP, started with --expose-gc so memory figures are live data. */
async function registrarProcess(args: string[]): Promise<{ proc: ChildProcess; enrp: TransportAddress; memory(): Promise<NodeJS.MemoryUsage>; enrpStats(): Promise<{ stats: Record<string, number>; peers: unknown[] }> }> {
  const proc = fork(CLI, ['registrar', '--asap', '127.0.0.1:0', '--enrp', '127.0.0.1:0', '--announce', 'off', '--min-address-scope', 'loopback', '--log-level', 'warn', ...args], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: ['--expose-gc'] });
  cleanups.push(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL');
      await new Promise((r) => proc.once('exit', r));
    }
  });
  proc.stdout!.resume();
  proc.stderr!.resume();
  const enrp = await new Promise<TransportAddress>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('registrar did not start')), 20_000);
    proc.on('message', (m: { event?: string; address?: TransportAddress }) => {
      if (m.event === 'enrp') {
        clearTimeout(t);
        resolve(m.address!);
      }
    });
  });
  const ask = <T>(cmd: object, event: string): Promise<T> =>
    new Promise((resolve) => {
      const on = (m: { event?: string }): void => {
        if (m.event === event) {
          proc.off('message', on);
          resolve(m as T);
        }
      };
      proc.on('message', on);
      proc.send(cmd);
    });
  return {
    proc,
    enrp,
    memory: async () => (await ask<{ memory: NodeJS.MemoryUsage }>({ cmd: 'stats', gc: true }, 'stats')).memory,
    enrpStats: () => ask({ cmd: 'enrp-stats' }, 'enrp-stats'),
  };
}

const presence = (senderId: number): PeerMessage => ({
  type: 'presence',
  senderId,
  receiverId: 0,
  replyRequired: true,
  checksum: 0x1234,
  serverInfo: { serverId: senderId, transport: { protocol: 'sctp', port: 9901, transportUse: 0, addresses: ['127.0.0.1'] } },
});

describe('ENRP floods', () => {
  it('50,000 Presence messages with distinct sender ids cost bounded memory (admitted host) and nothing (stranger)', async () => {
    const r = await registrarProcess(['--enrp-allow', '127.0.0.1']);
    const endpoint = await createUdpEndpoint({ address: '127.0.0.1', port: 0, listen: true });
    const link = new SctpPeerLink({ serverId: 0x7e57, endpoint });
    cleanups.push(async () => {
      await link.close();
      await endpoint.close();
    });
    link.setHandler({ message: () => undefined });
    const N = 50_000;
    const flood = async (id: (i: number) => number, total: number): Promise<void> => {
      const start = (await r.enrpStats()).stats.received;
      for (let i = 1; i <= N; i++) {
        link.send(r.enrp, presence(id(i)));
        if (i % 2000 === 0) await new Promise((res) => setImmediate(res));
      }
      await until('every presence to arrive', async () => (await r.enrpStats()).stats.received >= start + total, 120_000);
    };
    // Warm-up: the same number of Presence messages from one sender id (what a
    // busy legitimate peer costs: the transport's buffers and the JavaScript
    // heap's young generation grow once), so what follows measures the sender ids.
    await flood(() => 0x10000, N);
    const before = await r.memory();
    await flood((i) => 0x10000 + i, N);
    const { stats, peers } = await r.enrpStats();
    const after = await r.memory();
    const mib = (n: number): string => (n / 2 ** 20).toFixed(1);
    console.log(`[enrp flood] ${N} sender ids: RSS ${mib(before.rss)} -> ${mib(after.rss)} MiB, heap used ${mib(before.heapUsed)} -> ${mib(after.heapUsed)} MiB, peers ${peers.length}, refused ${stats.refusedPeers}`);
    expect(peers.length).toBeLessThanOrEqual(2);
    expect(stats.refusedPeers).toBeGreaterThanOrEqual(N - 2);
    expect(after.rss - before.rss).toBeLessThan(20 * 2 ** 20);
    expect(after.heapUsed - before.heapUsed).toBeLessThan(5 * 2 ** 20);

    // A registrar that admits only 127.0.0.2: the same host is a stranger and nothing is kept.
    const s2 = await registrarProcess(['--enrp-allow', '127.0.0.2']);
    for (let i = 1; i <= 5000; i++) link.send(s2.enrp, presence(0x20000 + i));
    link.send(s2.enrp, { type: 'handle-table-request', senderId: 0x20001, receiverId: 0, ownChildrenOnly: false });
    await until('the stranger traffic to be refused', async () => (await s2.enrpStats()).stats.refusedHosts >= 5001, 60_000);
    const st2 = await s2.enrpStats();
    expect(st2.peers).toEqual([]);
    expect(st2.stats.handleTableResponses).toBe(0);
  });
});
