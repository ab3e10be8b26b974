/**
 * Enhanced Mode failover with real processes: pool elements run as child
 * processes (test/fixtures/session-pe.mjs over dist/), are killed with
 * SIGKILL, and the pool user's session continues on another PE over
 * SCTP-over-UDP on loopback.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import * as rsp from '../../src/index.js';
import { Registrar } from '../../src/registrar/registrar.js';

const fixture = fileURLToPath(new URL('../fixtures/session-pe.mjs', import.meta.url));
const dec = new TextDecoder();

interface Pe {
  child: ChildProcess;
  peId: number;
  exited: Promise<void>;
}

const children = new Set<ChildProcess>();
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) process.kill(c.pid, 'SIGKILL');
  children.clear();
});

async function startRegistrar(): Promise<{ address: string; registrar: Registrar }> {
  const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false });
  await registrar.start();
  cleanups.push(() => registrar.close());
  const a = registrar.addresses[0]!;
  return { address: `${a.address}:${a.port}`, registrar };
}

function spawnPe(registrar: string, pool: string, mode: string): Promise<Pe> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture, registrar, pool, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`PE did not start: ${err}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready (\d+) (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, peId: Number(m[1]), exited });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`PE exited with ${String(code)} before it was ready: ${err}`));
    });
  });
}

function kill(pe: Pe): void {
  if (pe.child.pid !== undefined && pe.child.exitCode === null) process.kill(pe.child.pid, 'SIGKILL');
}

async function recvText(session: rsp.PoolSession, ms = 5000): Promise<string> {
  const m = await session.recv({ signal: AbortSignal.timeout(ms) });
  if (m === null) throw new Error('session closed');
  return dec.decode(m.data);
}

function nextFailover(session: rsp.PoolSession, ms = 5000): Promise<rsp.FailoverEvent> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no failover')), ms);
    session.once('failover', (e) => {
      clearTimeout(t);
      resolve(e);
    });
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('Enhanced Mode failover (processes)', () => {
  it('an echo session survives SIGKILL of its PE and continues', async () => {
    const { address } = await startRegistrar();
    const pes = await Promise.all([spawnPe(address, 'EchoK', 'echo'), spawnPe(address, 'EchoK', 'echo')]);
    const session = await rsp.connect('EchoK', { registrars: [address] });
    cleanups.push(() => session.close());
    await session.send('one');
    const [id1, r1] = (await recvText(session)).split(':');
    expect(r1).toBe('one');
    const serving = pes.find((p) => p.peId === Number(id1))!;
    const failover = nextFailover(session);
    const t0 = performance.now();
    kill(serving);
    const ev = await failover;
    await session.send('two');
    const [id2, r2] = (await recvText(session)).split(':');
    const ms = performance.now() - t0;
    expect(r2).toBe('two');
    expect(Number(id2)).not.toBe(serving.peId);
    expect(ev.from).toBe(serving.peId);
    expect(ev.reason).toBe('unreachable');
    console.log(`echo: SIGKILL → first reply of the new PE ${ms.toFixed(1)} ms (failover ${ev.durationMs.toFixed(1)} ms)`);
    expect(ms).toBeLessThan(3000);
  }, 90_000);

  it('a counter kept in the cookie continues without gap across 5 kills', async () => {
    const { address } = await startRegistrar();
    // Every PE starts up front (a starting Node process costs seconds of CPU on a busy host); each kill removes one.
    const pes = new Map<number, Pe>();
    for (const p of await Promise.all(Array.from({ length: 6 }, () => spawnPe(address, 'CountK', 'counter')))) pes.set(p.peId, p);
    const session = await rsp.connect('CountK', { registrars: [address] });
    cleanups.push(() => session.close());
    const times: number[] = [];
    let expected = 0;
    let serving = 0;
    const ask = async (): Promise<void> => {
      await session.send('ping');
      const [id, n] = (await recvText(session)).split(':');
      expected++;
      expect(Number(n)).toBe(expected);
      serving = Number(id);
    };
    await ask();
    await ask();
    for (let k = 0; k < 5; k++) {
      const victim = pes.get(serving)!;
      const failover = nextFailover(session);
      const t0 = performance.now();
      kill(victim);
      pes.delete(victim.peId);
      const ev = await failover;
      expect(ev.cookieEchoed).toBe(true);
      await ask();
      times.push(performance.now() - t0);
      expect(serving).not.toBe(victim.peId);
      await ask();
    }
    expect(expected).toBe(12);
    console.log(`counter: SIGKILL → first reply of the new PE, ms: ${times.map((t) => t.toFixed(1)).join(', ')}; median ${median(times).toFixed(1)}`);
    expect(median(times)).toBeLessThan(2000);
  }, 120_000);

  it("replay 'since-cookie': 1,000 requests with random PE kills are all answered, duplicates only re-sent requests", async () => {
    const { address } = await startRegistrar();
    const pes = new Map<number, Pe>();
    for (const p of await Promise.all(Array.from({ length: 3 }, () => spawnPe(address, 'ReplayK', 'counter-late')))) pes.set(p.peId, p);
    const session = await rsp.connect('ReplayK', { registrars: [address], replay: 'since-cookie' });
    cleanups.push(() => session.close());
    let serving = 0;
    let failovers = 0;
    session.on('failover', () => failovers++);
    let kills = 0;
    let stop = false;
    const killer = (async () => {
      while (!stop && kills < 2) {
        await new Promise((r) => setTimeout(r, 150 + Math.random() * 300));
        const victim = pes.get(serving);
        if (stop || !victim) continue;
        kill(victim);
        pes.delete(victim.peId);
        kills++;
      }
    })();
    let duplicates = 0;
    const total = 1000;
    for (let i = 1; i <= total; i++) {
      await session.send(String(i));
      for (;;) {
        const [id, n, req] = (await recvText(session, 10_000)).split(':');
        serving = Number(id);
        // The counter restored from the cookie plus the re-sent requests gives n = request number.
        expect(Number(n)).toBe(Number(req));
        if (Number(req) === i) break;
        expect(Number(req)).toBeLessThan(i);
        duplicates++;
      }
      // Pace the requests a little so the kills land inside the run.
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 20));
    }
    stop = true;
    await killer;
    console.log(`since-cookie: ${total} requests answered, ${kills} kills, ${failovers} failovers, ${duplicates} duplicate replies, ${session.stats.replayed} replayed`);
    expect(kills).toBeGreaterThanOrEqual(1);
    expect(failovers).toBeGreaterThanOrEqual(kills);
    expect(duplicates).toBeLessThanOrEqual(session.stats.replayed + session.stats.resent);
  }, 120_000);
});
