/**
 * What a new user of the `rsp` commands meets: host names wherever an
 * address is accepted (failing at once with the resolver's reason), one PE
 * id format, one error line format, the pid of `rsp server`, exit status 0
 * after SIGINT, policy fractions that read back as registered (0.5, not
 * 0.5000000001164153), `rsp resolve`, `--json` events, and an `rsp hsdump`
 * that leaves no trace in the registrar's peer table or log.
 */
import { createSocket } from 'node:dgram';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as rsp from '../../src/index.js';
import { attachEnrp, createLogger, Registrar, type LogLevel } from '../../src/registrar/index.js';
import { killAll, requireBuild, rsp as run } from '../fixtures/cli-helpers.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  killAll();
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});
beforeAll(requireBuild);

const ID = /^0x[0-9a-f]{8}$/;

/** A registrar with ENRP on loopback, its log lines collected. */
async function startRegistrar(): Promise<{ registrar: Registrar; asapPort: number; enrpPort: number; log: string[]; peers: () => number }> {
  const log: string[] = [];
  const logger = createLogger({ level: 'debug' as LogLevel, format: 'text', stream: { write: (s: string) => (log.push(s.trimEnd()), true) } as unknown as NodeJS.WritableStream });
  const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false, logger });
  await registrar.start();
  const enrp = await attachEnrp(registrar, { listen: { address: '127.0.0.1', port: 0 }, multicast: false, allow: ['127.0.0.1'], logger });
  cleanups.push(async () => {
    await enrp.close();
    await registrar.close();
  });
  return { registrar, asapPort: registrar.addresses[0]!.port, enrpPort: enrp.endpoint.local.port, log, peers: () => enrp.server.peerList().length };
}

/** A UDP port nobody listens on (bound, read, released). */
async function closedPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('rsp commands: host names, ids, errors, exit status, JSON', () => {
  it('rsp resolve lists the PEs of a pool by a host name, load 0.5 reading back as 0.5; an unknown pool is an error line', { timeout: 120_000 }, async () => {
    const { asapPort } = await startRegistrar();
    const reg = await rsp.register('CliResolve', { registrars: [`127.0.0.1:${asapPort}`], port: 4711, policy: { type: 'least-used', load: 0.5 } });
    cleanups.push(() => reg.deregister());
    const text = run(['resolve', 'CliResolve', '--registrar', `localhost:${asapPort}`]);
    expect(await text.exited, text.stderr.join('\n')).toBe(0);
    expect(text.stdout).toEqual([expect.stringMatching(/^PE 0x[0-9a-f]{8} at 127\.0\.0\.1:4711 \(sctp\) policy least-used\(load=0\.5\) home 0x[0-9a-f]{8}$/)]);
    const json = run(['resolve', 'CliResolve', '--registrar', `localhost:${asapPort}`, '--json']);
    expect(await json.exited).toBe(0);
    const doc = JSON.parse(json.stdout.join('\n')) as { pool: string; elements: Array<{ id: string; home: string; policy: { load: number }; addresses: string[] }> };
    expect(doc.pool).toBe('CliResolve');
    expect(doc.elements).toHaveLength(1);
    expect(doc.elements[0]).toMatchObject({ id: `0x${reg.peId.toString(16).padStart(8, '0')}`, addresses: ['127.0.0.1:4711'], policy: { type: 'least-used', load: 0.5 } });
    expect(doc.elements[0]!.home).toMatch(ID);
    const missing = run(['resolve', 'NoSuchPool', '--registrar', `127.0.0.1:${asapPort}`]);
    expect(await missing.exited).toBe(1);
    expect(missing.stderr).toEqual(['rsp resolve: error: Pool "NoSuchPool" not found']);
  });

  it('rsp hsdump takes a host name, reads load 0.5 as 0.5, and leaves no peer and no peer log lines behind', { timeout: 120_000 }, async () => {
    const { asapPort, enrpPort, log, peers } = await startRegistrar();
    const reg = await rsp.register('CliDump', { registrars: [`127.0.0.1:${asapPort}`], port: 4712, policy: { type: 'least-used', load: 0.5 } });
    cleanups.push(() => reg.deregister());
    const dump = run(['hsdump', `localhost:${enrpPort}`, '--json']);
    expect(await dump.exited, dump.stderr.join('\n')).toBe(0);
    const doc = JSON.parse(dump.stdout.join('\n')) as { registrar: string; pools: Array<{ pool: string; elements: Array<{ id: string; policy: unknown }> }> };
    expect(doc.registrar).toMatch(ID);
    expect(doc.pools[0]!.pool).toBe('CliDump');
    expect(doc.pools[0]!.elements[0]).toMatchObject({ id: expect.stringMatching(ID), policy: { type: 'least-used', load: 0.5 } });
    const table = run(['hsdump', `localhost:${enrpPort}`]);
    expect(await table.exited).toBe(0);
    expect(table.stdout.join('\n')).toMatch(/CliDump\s+0x[0-9a-f]{8}\s+0x[0-9a-f]{8}\s+least-used\(load=0\.5\)/);
    // The reader never became a peer: nothing to log now, nothing to declare dead later.
    expect(peers()).toBe(0);
    expect(log.filter((l) => /enrp-peer|enrp-audit/.test(l))).toEqual([]);
  });

  it('rsp hsdump fails at once with the real reason: a closed port (ECONNREFUSED), a name that does not resolve (ENOTFOUND)', { timeout: 120_000 }, async () => {
    // --timeout 600000: an answer that waited for the timeout would not come within the test's own limit.
    const refused = run(['hsdump', `127.0.0.1:${await closedPort()}`, '--timeout', '600000']);
    expect(await refused.exited).toBe(1);
    expect(refused.stderr).toEqual([expect.stringMatching(/^rsp hsdump: error: .*(refused|ECONNREFUSED)/i)]);
    const unknown = run(['hsdump', 'nosuchhost.invalid:9901', '--timeout', '600000']);
    expect(await unknown.exited).toBe(1);
    expect(unknown.stderr).toEqual([expect.stringMatching(/^rsp hsdump: error: Cannot resolve host "nosuchhost\.invalid": .*ENOTFOUND/)]);
  });

  it('a registrar list with a name that does not resolve fails at once with ENOTFOUND, in the library and in every command', { timeout: 120_000 }, async () => {
    // Library: NoRegistrarError carrying the resolver's reason, without three rounds of retries.
    const err = (await rsp.resolve('P', { registrars: ['nosuchhost.invalid:3863'], hunt: { connectTimeout: 600_000 } }).catch((e: unknown) => e)) as rsp.NoRegistrarError;
    expect(err).toBeInstanceOf(rsp.NoRegistrarError);
    expect(err.message).toMatch(/Cannot resolve host "nosuchhost\.invalid".*ENOTFOUND/);
    expect((err.cause as { code?: string }).code).toBe('ERR_RSP_HOST_NOT_FOUND');
    const resolve = run(['resolve', 'P', '--registrar', 'nosuchhost.invalid:3863']);
    expect(await resolve.exited).toBe(1);
    expect(resolve.stderr).toEqual([expect.stringMatching(/^rsp resolve: error: .*ENOTFOUND/)]);
    const registrar = run(['registrar', '--asap', '127.0.0.1:0', '--enrp', '127.0.0.1:0', '--announce', 'off', '--peer', 'nosuchhost.invalid:9901']);
    expect(await registrar.exited).toBe(1);
    expect(registrar.stderr).toEqual([expect.stringMatching(/^rsp registrar: error: Cannot resolve host "nosuchhost\.invalid": .*ENOTFOUND/)]);
  });

  it('every command prints its errors as "rsp <command>: error: ..."', { timeout: 120_000 }, async () => {
    const cases: Array<[string, string[]]> = [
      ['server', ['server', '--service', 'echo', '--pool', 'X', '--load', '2']],
      ['server', ['server', '--service', 'echo', '--pool', 'X', '--cookie-key', 'short']],
      ['server', ['server', '--service', 'echo', '--pool', 'X', '--address', 'nosuchhost.invalid']],
      ['terminal', ['terminal', '--pool', 'X', '--replay', 'all']],
      ['pingpong', ['pingpong', '--pool', 'X', '--count', 'many']],
      ['hsdump', ['hsdump', 'not an address']],
      ['resolve', ['resolve']],
      ['registrar', ['registrar', '--asap', 'nosuchhost.invalid:0', '--enrp', 'off', '--announce', 'off']],
      ['demo', ['demo', '--pes', 'x']],
    ];
    const children = cases.map(([, args]) => run(args));
    for (const [i, [command]] of cases.entries()) {
      const c = children[i]!;
      expect(await c.exited, `${command}: ${c.stderr.join('\n')}`).not.toBe(0);
      expect(c.stderr[0], cases[i]![1].join(' ')).toMatch(new RegExp(`^rsp ${command}: error: `));
    }
    const unknown = run(['bogus']);
    expect(await unknown.exited).not.toBe(0);
    expect(unknown.stderr[0]).toMatch(/^rsp: error: unknown command 'bogus'/);
  });

  it('rsp server prints its pid; server, registrar, pingpong and terminal exit 0 after SIGINT; --json events for pingpong and terminal', { timeout: 150_000 }, async () => {
    const { registrar: pr, asapPort } = await startRegistrar();
    const address = `localhost:${asapPort}`;
    const server = run(['server', '--service', 'pingpong', '--pool', 'CliJson', '--registrar', address, '--address', 'localhost']);
    const line = await server.wait((l) => l.startsWith('registered PE'), 60_000);
    expect(line).toMatch(new RegExp(`^registered PE 0x[0-9a-f]{8} in pool CliJson at 127\\.0\\.0\\.1:\\d+ \\(.*pid ${server.child.pid}\\)$`));
    const peId = /registered PE (0x[0-9a-f]{8})/.exec(line)![1]!;

    const ping = run(['pingpong', '--pool', 'CliJson', '--registrar', address, '--count', '2', '--interval', '100', '--json']);
    expect(await ping.exited, ping.stderr.join('\n')).toBe(0);
    const events = ping.stdout.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.map((e) => e['event'])).toEqual(['connected', 'pong', 'pong', 'summary']);
    expect(events[0]).toEqual({ event: 'connected', pe: peId, pool: 'CliJson' });
    expect(events[1]).toMatchObject({ event: 'pong', counter: 1, seq: 1, continued: true });
    expect(events[3]).toMatchObject({ event: 'summary', replies: 2, gaps: 0, repeats: 0, end: 'count' });

    const term = run(['terminal', '--pool', 'CliJson', '--registrar', address, '--json'], { stdin: 'pipe' });
    await term.wait((l) => l.startsWith('{'), 60_000, 'stderr');
    expect(JSON.parse(term.stderr[0]!)).toEqual({ event: 'connected', pe: peId, pool: 'CliJson' });
    term.child.kill('SIGINT');
    expect(await term.exited).toBe(0);

    // SIGINT while still looking for a PE (the pool's only PE is dead, so connect keeps trying): status 0, no error line.
    const dead = await rsp.register('CliDead', { registrars: [`127.0.0.1:${asapPort}`], addresses: ['127.0.0.1'], port: await closedPort() });
    cleanups.push(() => dead.deregister());
    const resolutionsBefore = pr.stats.handleResolutions;
    const waiting = run(['pingpong', '--pool', 'CliDead', '--registrar', address, '--failover-timeout', '600000']);
    // It is connecting once the registrar has been asked for the pool.
    for (let i = 0; i < 600 && pr.stats.handleResolutions === resolutionsBefore; i++) await new Promise((r) => setTimeout(r, 100));
    expect(pr.stats.handleResolutions).toBeGreaterThan(resolutionsBefore);
    waiting.child.kill('SIGINT');
    expect(await waiting.exited).toBe(0);
    expect(waiting.stderr).toEqual([]);

    server.child.kill('SIGINT');
    expect(await server.exited).toBe(0);
    const registrar = run(['registrar', '--asap', 'localhost:0', '--enrp', 'off', '--announce', 'off']);
    await registrar.wait((l) => l.includes('listening'), 60_000);
    expect(registrar.stdout.join('\n')).toMatch(/asap=127\.0\.0\.1:\d+/);
    registrar.child.kill('SIGINT');
    expect(await registrar.exited, [...registrar.stdout, ...registrar.stderr].join('\n')).toBe(0);
  });
});
