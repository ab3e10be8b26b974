/**
 * Basic Mode leaves nothing that keeps a process alive: a child process that
 * registers, resolves, reports and deregisters (or finds no registrar)
 * exits by itself.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Registrar } from '../../src/registrar/registrar.js';

const child = fileURLToPath(new URL('../fixtures/asap-exit-child.ts', import.meta.url));

function run(args: string[]): Promise<{ code: number | null; out: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const p = spawn(process.execPath, ['--import', 'tsx', child, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`child did not exit within 25 s; stdout=${out} stderr=${err}`));
    }, 25_000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`child exited with ${code}: ${err}`));
      else resolve({ code, out, ms: Date.now() - t0 });
    });
  });
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

describe('Basic Mode process lifetime', () => {
  it('a process that registered, resolved and deregistered exits by itself', async () => {
    const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false });
    await registrar.start();
    cleanups.push(() => registrar.close());
    const a = registrar.addresses[0]!;
    const r = await run([`${a.address}:${a.port}`]);
    expect(r.out.trim()).toBe('1');
    expect(registrar.handlespace.size).toBe(0);
  }, 30_000);

  it('a process that found no registrar exits by itself with ERR_RSP_NO_REGISTRAR', async () => {
    const r = await run(['127.0.0.1:9', 'no-registrar']);
    expect(r.out.trim()).toBe('ERR_RSP_NO_REGISTRAR');
  }, 30_000);

  it('a process whose rsp.socket().register() found no registrar exits by itself', async () => {
    const r = await run(['127.0.0.1:9', 'socket-no-registrar']);
    expect(r.out.trim()).toBe('ERR_RSP_NO_REGISTRAR');
  }, 30_000);

  it('a process whose rsp.socket().register() was refused by the registrar exits by itself', async () => {
    const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false });
    await registrar.start();
    cleanups.push(() => registrar.close());
    const a = registrar.addresses[0]!;
    const r = await run([`${a.address}:${a.port}`, 'socket-refused']);
    expect(r.out.trim()).toMatch(/^ERR_RSP_/);
    expect(r.out.trim()).not.toBe('ERR_RSP_NO_REGISTRAR');
  }, 30_000);
});
