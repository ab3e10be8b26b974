/**
 * `rsp calcapp` against two `rsp server --service calcapp` processes: jobs
 * complete, and a job whose PE is SIGKILLed mid-way completes at the other PE
 * (restored from its last cookie).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Registrar } from '../../src/registrar/registrar.js';
import { killAll, requireBuild, rsp as run } from '../fixtures/cli-helpers.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  killAll();
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});
beforeAll(requireBuild);

const DONE = /^job (\d+) size (\d+) completed by PE (0x[0-9a-f]{8})/;

describe('rsp calcapp', () => {
  it('runs jobs on CalcApp PEs and finishes a job at the other PE after its PE is killed', { timeout: 90_000 }, async () => {
    const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false });
    await registrar.start();
    cleanups.push(() => registrar.close());
    const address = `127.0.0.1:${registrar.addresses[0]!.port}`;
    // 200,000 calculations/s: a job of 600,000 takes 3 s alone.
    const servers = [0, 1].map(() => run(['server', '--service', 'calcapp', '--pool', 'CalcAppPool', '--registrar', address, '--capacity', '200000', '--policy', 'least-used']));
    const ids = await Promise.all(servers.map((s) => s.wait((l) => l.startsWith('registered PE'), 30_000).then((l) => /0x[0-9a-f]{8}/.exec(l)![0])));
    const pu = run(['calcapp', '--registrar', address, '--jobs', '2', '--job-size', '600000', '--fixed-size', '--job-interval', '10', '--keepalive-interval', '300', '--keepalive-timeout', '2000', '--failover-timeout', '20000']);
    // Wait until a PE logged the first job's session, then kill that PE.
    const serving = await Promise.race(servers.map((s, i) => s.wait((l) => l.startsWith('session from'), 30_000).then(() => i)));
    await new Promise((r) => setTimeout(r, 1500));
    servers[serving]!.child.kill('SIGKILL');
    const code = await pu.exited;
    expect(code).toBe(0);
    const done = pu.stdout.map((l) => DONE.exec(l)).filter((m) => m !== null);
    expect(done.map((m) => Number(m[1])).sort()).toEqual([1, 2]);
    for (const m of done) expect(m[3]).toBe(ids[1 - serving]);
    expect(pu.stdout.join('\n')).toMatch(/failover/);
    expect(pu.stdout.at(-1)).toMatch(/^2 jobs completed, 0 failed/);
  });
});
