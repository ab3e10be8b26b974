/**
 * `rsp server` as a child process with a pool user from the library, and
 * `rsp terminal`, through an in-process registrar on loopback.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as rsp from '../../src/index.js';
import { Registrar } from '../../src/registrar/registrar.js';
import { killAll, requireBuild, rsp as run } from '../fixtures/cli-helpers.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  killAll();
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});
beforeAll(requireBuild);

async function startRegistrar(): Promise<{ registrar: Registrar; address: string }> {
  const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false });
  await registrar.start();
  cleanups.push(() => registrar.close());
  const a = registrar.addresses[0]!;
  return { registrar, address: `${a.address}:${a.port}` };
}

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

describe('rsp server', () => {
  it('--help lists every option with its default', { timeout: 120_000 }, async () => {
    const c = run(['server', '--help']);
    expect(await c.exited).toBe(0);
    const help = c.stdout.join('\n').replace(/\s+/g, ' ');
    for (const o of ['--service', '--pool', '--registrar', '--policy', '--load', '--weight', '--priority', '--port', '--address', '--cookie-key', '--require-cookie', '--close-timeout', '--quiet']) {
      expect(help).toContain(o);
    }
    expect(help).toMatch(/"pingpong"/);
    expect(help).toMatch(/default: "round-robin"/);
    for (const cmd of ['terminal', 'pingpong', 'demo']) {
      const h = run([cmd, '--help']);
      expect(await h.exited).toBe(0);
      expect(h.stdout.join('\n')).toContain('--pool');
    }
  });

  it('serves echo to a library pool user, and deregisters on SIGTERM', { timeout: 90_000 }, async () => {
    const { registrar, address } = await startRegistrar();
    const server = run(['server', '--service', 'echo', '--pool', 'CliEcho', '--registrar', address]);
    const line = await server.wait((l) => l.startsWith('registered PE'), 30_000);
    expect(line).toMatch(/^registered PE 0x[0-9a-f]{8} in pool CliEcho at 127\.0\.0\.1:\d+ \(service echo/);
    const session = await rsp.connect('CliEcho', { registrars: [address], failoverTimeout: 10_000 });
    cleanups.push(() => session.close());
    await session.send('hello over a pool');
    expect(text((await session.recv())!.data)).toBe('hello over a pool');
    await session.send(new Uint8Array([0, 1, 2, 255]));
    expect([...(await session.recv())!.data]).toEqual([0, 1, 2, 255]);
    await session.close();
    expect(registrar.handlespace.size).toBe(1);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.stdout.join('\n')).toMatch(/SIGTERM: deregistering[\s\S]*stopped/);
    expect(registrar.handlespace.size).toBe(0);
  });

  it('rsp terminal sends stdin lines and prints the replies', { timeout: 90_000 }, async () => {
    const { address } = await startRegistrar();
    const server = run(['server', '--service', 'echo', '--pool', 'CliTerm', '--registrar', address]);
    await server.wait((l) => l.startsWith('registered PE'), 30_000);
    const term = run(['terminal', '--pool', 'CliTerm', '--registrar', address, '--linger', '2000'], { stdin: 'pipe' });
    term.child.stdin!.end('first line\nsecond line\n');
    expect(await term.exited).toBe(0);
    expect(term.stdout).toEqual(['first line', 'second line']);
    expect(term.stderr.join('\n')).toMatch(/connected to PE 0x[0-9a-f]{8}/);
  });

  it('refuses an unknown service and a missing pool', { timeout: 90_000 }, async () => {
    const a = run(['server', '--service', 'nope', '--pool', 'X']);
    expect(await a.exited).not.toBe(0);
    expect(a.stderr.join('\n')).toMatch(/choices|Allowed/i);
    const b = run(['server', '--service', 'echo']);
    expect(await b.exited).not.toBe(0);
    expect(b.stderr.join('\n')).toMatch(/--pool/);
  });
});
