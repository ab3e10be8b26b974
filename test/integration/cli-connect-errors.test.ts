/**
 * `rsp terminal` and `rsp pingpong` fail as fast and as precisely as
 * `rsp.resolve()`: the registrar's "pool not found" and "no registrar" are
 * reported at once with exit status 1, even with a long `--failover-timeout`.
 * Uses the built CLI (dist/).
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registrar } from '../../src/registrar/registrar.js';

const main = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [main, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), 40_000);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stderr });
    });
  });
}

let registrar: Registrar;
let address: string;
beforeAll(async () => {
  registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false });
  await registrar.start();
  const a = registrar.addresses[0]!;
  address = `${a.address}:${a.port}`;
});
afterAll(() => registrar.close());

describe('rsp terminal / pingpong: connect errors', () => {
  it('terminal: a pool that does not exist', async () => {
    const r = await run(['terminal', '--pool', 'NoSuchPool', '--registrar', address, '--failover-timeout', '60000']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^rsp terminal: error: Pool "NoSuchPool" not found/m);
  }, 60_000);

  it('pingpong: no registrar answers', async () => {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    const port = s.address().port;
    await new Promise<void>((r) => s.close(() => r()));
    const r = await run(['pingpong', '--pool', 'AnyPool', '--registrar', `127.0.0.1:${port}`, '--failover-timeout', '60000']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^rsp pingpong: error: .*registrar/im);
  }, 60_000);
});
