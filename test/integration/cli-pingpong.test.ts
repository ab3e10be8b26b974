/**
 * `rsp pingpong` against two `rsp server --service pingpong` processes:
 * replies are printed, and after the serving PE is killed with SIGKILL the
 * count continues on the other PE without a gap.
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

const PONG = /^pong (\d+) from PE (0x[0-9a-f]{8})/;

describe('rsp pingpong', () => {
  it('prints replies and continues the count after its server is SIGKILLed', { timeout: 90_000 }, async () => {
    const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false });
    await registrar.start();
    cleanups.push(() => registrar.close());
    const address = `127.0.0.1:${registrar.addresses[0]!.port}`;
    const key = 'pingpong test secret, long enough';
    const servers = [0, 1].map(() => run(['server', '--service', 'pingpong', '--pool', 'CliPing', '--registrar', address, '--cookie-key', key]));
    const ids = await Promise.all(servers.map((s) => s.wait((l) => l.startsWith('registered PE'), 30_000).then((l) => /0x[0-9a-f]{8}/.exec(l)![0])));

    const pu = run(['pingpong', '--pool', 'CliPing', '--registrar', address, '--interval', '100']);
    const fifth = await pu.wait((l) => PONG.exec(l)?.[1] === '5', 30_000);
    const serving = PONG.exec(fifth)![2]!;
    const victim = servers[ids.indexOf(serving)]!;
    victim.child.kill('SIGKILL');
    const killedAt = pu.stdout.length;
    const other = ids.find((i) => i !== serving)!;
    await pu.wait((l) => l.startsWith('failover:'), 30_000);
    await pu.wait((l) => pu.stdout.indexOf(l) > killedAt && PONG.exec(l)?.[2] === other && Number(PONG.exec(l)![1]) >= 8, 30_000);

    pu.child.kill('SIGINT');
    expect(await pu.exited).toBe(0);
    const counters = pu.stdout.map((l) => PONG.exec(l)).filter((m) => m !== null).map((m) => Number(m[1]));
    expect(counters).toEqual(counters.map((_, i) => i + 1));
    expect(pu.stdout.join('\n')).not.toMatch(/GAP|REPEAT/);
    expect(pu.stdout.find((l) => l.startsWith('failover:'))).toMatch(new RegExp(`^failover: PE ${serving} -> PE ${other} at 127\\.0\\.0\\.1:\\d+ in \\d+ ms \\(.*cookie echoed`));
    expect(pu.stdout.at(-1)).toMatch(/replies, 0 gaps, 0 repeats/);
  });
});
