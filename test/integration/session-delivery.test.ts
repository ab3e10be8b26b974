/**
 * The delivery promise of Enhanced Mode sessions, tested with pool
 * elements in child processes over real SCTP over UDP on loopback:
 * nothing handed to a session is silently lost when the serving PE dies,
 * and nothing hangs.
 *
 * Most trials "kill" a PE inside a host process that runs several PEs
 * (test/fixtures/pe-host.mjs: its UDP sockets are closed without a word, so
 * later packets get ICMP port unreachable, as after SIGKILL); some kill a
 * whole process with SIGKILL. The send-after-kill trials (200) and the
 * pipelined run (1,000 requests, 20 kills) run at full count here; the
 * request trials wait for replies that take up to 300 ms, so the suite runs
 * 30 of them and `npm run soak` the 200 (RSP_REQUEST_TRIALS=200).
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as realRsp from '../../src/index.js';
import { Registrar } from '../../src/registrar/registrar.js';
import { PeHost, recvUntil } from './pe-host.js';

const SEND_TRIALS = Number(process.env.RSP_SEND_TRIALS ?? 200);
const REQUEST_TRIALS = Number(process.env.RSP_REQUEST_TRIALS ?? 30);
const PIPELINE_REQUESTS = Number(process.env.RSP_PIPELINE_REQUESTS ?? 1000);
const PIPELINE_KILLS = Number(process.env.RSP_PIPELINE_KILLS ?? 20);

const dec = new TextDecoder();
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function startRegistrar(): Promise<string> {
  // One failure report is enough to drop a dead PE (as a PU of a busy pool would cause quickly).
  const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false, maxBadPeReports: 1 });
  await registrar.start();
  cleanups.push(() => registrar.close());
  const a = registrar.addresses[0]!;
  return `${a.address}:${a.port}`;
}

async function host(registrar: string, pool: string): Promise<PeHost> {
  const h = await PeHost.spawn(registrar, pool);
  cleanups.push(() => h.close());
  return h;
}

function split(m: realRsp.SessionMessage): { pe: number; body: string; parts: string[] } {
  const parts = dec.decode(m.data).split(':');
  return { pe: Number(parts[0]), body: parts.at(-1)!, parts };
}

/** Sends `body` and receives until its echo arrives: the PE that echoed it and how many other messages came first. */
async function echo(session: realRsp.PoolSession, body: string): Promise<{ pe: number; others: number }> {
  await session.send(body);
  const r = await recvUntil(session, body, 10_000);
  if (!r) throw new Error(`no echo of ${body}`);
  return r;
}

describe('session delivery across PE deaths (processes)', () => {
  it(`${SEND_TRIALS} trials: a message sent 0–20 ms after the serving echo PE died reaches the next PE (default options)`, async () => {
    const registrar = await startRegistrar();
    const h = await host(registrar, 'DeliverA');
    for (let i = 0; i < 3; i++) await h.start('echo');
    const session = await realRsp.connect('DeliverA', { registrars: [registrar] });
    cleanups.push(() => session.close());
    let possiblyLost = 0;
    let failovers = 0;
    session.on('failover', (e) => {
      failovers++;
      possiblyLost += e.possiblyLost;
    });
    let duplicates = 0;
    for (let t = 0; t < SEND_TRIALS; t++) {
      const warm = await echo(session, `warm${t}`);
      duplicates += warm.others;
      await h.kill(warm.pe);
      const replacement = h.start('echo');
      await sleep(Math.random() * 20);
      const after = await echo(session, `after${t}`);
      duplicates += after.others;
      expect(after.pe).not.toBe(warm.pe);
      await replacement;
    }
    console.log(`send after kill: ${SEND_TRIALS} trials, 0 lost, ${duplicates} duplicates, ${failovers} failovers, possiblyLost ${possiblyLost}`);
    expect(failovers).toBeGreaterThanOrEqual(SEND_TRIALS);
    // Nothing was acknowledged by a dead PE: the session knows nothing can have been lost.
    expect(possiblyLost).toBe(0);
  }, 300_000);

  it('failover reaches the one live PE while the registrar still lists five dead ones (resolved again at once, not after the retry delay)', async () => {
    // Dead PEs stay registered: keep-alives are a minute apart and reports alone remove nothing.
    const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false, keepAliveInterval: 60_000, keepAliveTimeout: 60_000, maxBadPeReports: 100 });
    await registrar.start();
    cleanups.push(() => registrar.close());
    const address = `${registrar.addresses[0]!.address}:${registrar.addresses[0]!.port}`;
    const h = await host(address, 'DeliverD');
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) ids.push(await h.start('echo'));
    // A retry delay longer than the test's own limit: only asking the registrar again at once can
    // find the live PE in time (each answer holds 3 of the 7 PEs, most of them dead).
    const session = await realRsp.connect('DeliverD', { registrars: [address], retryDelay: 60_000, retryDelayMax: 60_000, failoverTimeout: 120_000 });
    cleanups.push(() => session.close());
    const serving = (await echo(session, 'warm')).pe;
    // The PE registered last: not in the registrar's first answer (3 PEs in registration order).
    const live = [...ids].reverse().find((id) => id !== serving)!;
    for (const id of ids) if (id !== live) await h.kill(id);
    const failovers: Array<{ to: number; attempts: number }> = [];
    session.on('failover', (e) => failovers.push({ to: e.to, attempts: e.attempts }));
    const after = await echo(session, 'after');
    expect(after.pe).toBe(live);
    expect(failovers).toHaveLength(1);
    expect(failovers[0]!.to).toBe(live);
  }, 20_000);

  it('real SIGKILL: a message sent right after the serving PE process was killed reaches the next PE', async () => {
    const registrar = await startRegistrar();
    const hosts = new Map<number, PeHost>();
    const add = async (): Promise<void> => {
      const h = await host(registrar, 'DeliverK');
      hosts.set(await h.start('echo'), h);
    };
    await Promise.all([add(), add()]);
    const session = await realRsp.connect('DeliverK', { registrars: [registrar] });
    cleanups.push(() => session.close());
    for (let t = 0; t < 3; t++) {
      const warm = await echo(session, `warm${t}`);
      const replacement = add();
      hosts.get(warm.pe)!.sigkill();
      await sleep(Math.random() * 5);
      const after = await echo(session, `after${t}`);
      expect(after.pe).not.toBe(warm.pe);
      await replacement;
    }
  }, 120_000);

  it(`${REQUEST_TRIALS} trials: request() to a PE that answers after 0–300 ms, killed at a random moment, is answered (default options)`, async () => {
    const registrar = await startRegistrar();
    const h = await host(registrar, 'DeliverB');
    for (let i = 0; i < 3; i++) await h.start('slow');
    const session = await realRsp.connect('DeliverB', { registrars: [registrar] });
    cleanups.push(() => session.close());
    let failovers = 0;
    session.on('failover', () => failovers++);
    let kills = 0;
    for (let t = 0; t < REQUEST_TRIALS; t++) {
      // The PE serving the session (once a failover in progress completed).
      for (let i = 0; i < 1000 && session.poolElement === undefined; i++) await sleep(10);
      const serving = session.poolElement!.id;
      const reply = session.request(`r${t}`, { timeout: 20_000 });
      await sleep(Math.random() * 300);
      if (await h.kill(serving)) kills++;
      const replacement = h.start('slow');
      const r = split(await reply);
      expect(r.body).toBe(`r${t}`);
      await replacement;
    }
    // A kill after the reply arrived is noticed a little later.
    for (let i = 0; i < 1000 && failovers < kills; i++) await sleep(10);
    console.log(`request under kill: ${REQUEST_TRIALS} trials, 0 lost, ${kills} kills, ${failovers} failovers, ${session.stats.resent} re-sent`);
    expect(failovers).toBe(kills);
  }, 300_000);

  it(`since-cookie: ${PIPELINE_REQUESTS} pipelined requests (8 outstanding), ${PIPELINE_KILLS} PE kills: all answered in order, state continues`, async () => {
    const registrar = await startRegistrar();
    const h = await host(registrar, 'DeliverC');
    for (let i = 0; i < 3; i++) await h.start('counter-late');
    const session = await realRsp.connect('DeliverC', { registrars: [registrar], replay: 'since-cookie' });
    cleanups.push(() => session.close());
    let failovers = 0;
    session.on('failover', () => failovers++);
    let answered = 0;
    let kills = 0;
    const every = Math.floor(PIPELINE_REQUESTS / (PIPELINE_KILLS + 1));
    const inflight = new Set<Promise<void>>();
    for (let i = 1; i <= PIPELINE_REQUESTS; i++) {
      if (i % every === 0 && kills < PIPELINE_KILLS) {
        // Kill the serving PE with up to 8 requests on the way, some answered, some not.
        for (let w = 0; w < 1000 && session.poolElement === undefined; w++) await sleep(10);
        if (await h.kill(session.poolElement!.id)) kills++;
        await h.start('counter-late');
      }
      const p: Promise<void> = session.request(String(i), { timeout: 30_000 }).then((m) => {
        const r = split(m);
        // The counter restored from the cookie plus the replayed requests: n = request number.
        expect(r.body).toBe(String(i));
        expect(Number(r.parts[1])).toBe(i);
        answered++;
      });
      inflight.add(p);
      void p.finally(() => inflight.delete(p)).catch(() => undefined);
      if (inflight.size >= 8) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    console.log(`pipelined since-cookie: ${answered} answered, ${kills} kills, ${failovers} failovers, ${session.stats.replayed} replayed, ${session.stats.repliesDiscarded} repeated replies discarded`);
    expect(answered).toBe(PIPELINE_REQUESTS);
    expect(kills).toBe(PIPELINE_KILLS);
    expect(failovers).toBe(kills);
  }, 300_000);

  it("replay 'none' (at most once): a message sent to a dead PE is not sent again, and the failover reports it", async () => {
    const registrar = await startRegistrar();
    const h = await host(registrar, 'DeliverN');
    for (let i = 0; i < 2; i++) await h.start('echo');
    const session = await realRsp.connect('DeliverN', { registrars: [registrar], replay: 'none' });
    cleanups.push(() => session.close());
    const warm = await echo(session, 'warm');
    await h.kill(warm.pe);
    const failover = new Promise<realRsp.FailoverEvent>((r) => session.once('failover', r));
    // Transmitted before the loss is noticed (or queued, then sent to the next PE): never twice.
    await session.send('after');
    const ev = await failover;
    if (ev.resent === 1) {
      // Still queued when the loss was noticed: sent to the next PE.
      expect(ev.possiblyLost).toBe(0);
      expect(await recvUntil(session, 'after', 10_000)).toBeDefined();
      expect((await echo(session, 'next')).pe).toBe(ev.to);
    } else {
      // Transmitted to the dead PE: not sent again, reported, and never echoed.
      expect(ev.resent).toBe(0);
      expect(ev.possiblyLost).toBe(1);
      const next = await echo(session, 'next');
      expect(next).toEqual({ pe: ev.to, others: 0 });
    }
  }, 60_000);
});
