/**
 * The registrar with pool elements and the registrar itself in separate
 * processes, over SCTP-over-UDP on loopback.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import dgram from 'node:dgram';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as rsp from '../../src/index.js';
import { Registrar } from '../../src/registrar/registrar.js';
import { decodeMessage } from '../../src/wire/messages.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const children: ChildProcess[] = [];
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(pred: () => boolean, timeout: number, what: string): Promise<void> {
  const end = Date.now() + timeout;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timeout waiting for ${what}`);
    await sleep(20);
  }
}

/** Collects stdout lines of a child; resolves the first line matching `pred`. */
function lines(child: ChildProcess): { all: string[]; wait: (pred: (l: string) => boolean, timeout: number) => Promise<string> } {
  const all: string[] = [];
  let buf = '';
  const waiters: Array<{ pred: (l: string) => boolean; resolve: (l: string) => void }> = [];
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      all.push(l);
      for (const w of [...waiters]) if (w.pred(l)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(l);
      }
    }
  });
  return {
    all,
    wait: (pred, timeout) => {
      const found = all.find(pred);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no matching output within ${timeout} ms; got:\n${all.join('\n')}`)), timeout);
        waiters.push({ pred, resolve: (l) => (clearTimeout(t), resolve(l)) });
      });
    },
  };
}

describe('registrar with separate processes', () => {
  it('a PE process killed with SIGKILL disappears after the keep-alive timeout', async () => {
    const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false, keepAliveInterval: 300, keepAliveTimeout: 300 });
    await registrar.start();
    cleanups.push(() => registrar.close());
    const a = registrar.addresses[0]!;
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'test/fixtures/registrar-pe-child.ts'), '3', 'KillPool', `${a.address}:${a.port}`], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const out = lines(child);
    const { peIds } = JSON.parse(await out.wait((l) => l.startsWith('{'), 20_000)) as { peIds: number[] };
    const ph = new TextEncoder().encode('KillPool');
    expect(peIds.every((id) => registrar.handlespace.find(ph, id) !== undefined)).toBe(true);
    // Survives a few keep-alive rounds while alive.
    await sleep(1200);
    expect(registrar.stats.pes).toBe(3);
    expect(registrar.stats.keepAliveAcks).toBeGreaterThan(0);
    const killedAt = Date.now();
    child.kill('SIGKILL');
    await until(() => registrar.stats.pes === 0, 10_000, 'PEs of the killed process to disappear');
    // Keep-alive interval + timeout plus generous slack for a loaded machine.
    expect(Date.now() - killedAt).toBeLessThan(8000);
  }, 40_000);

  describe('rsp registrar command', () => {
    const main = path.join(root, 'dist/cli/main.js');
    beforeAll(() => {
      if (!existsSync(main)) throw new Error('dist/cli/main.js is missing: run `npm run build` (npm test does)');
    });

    it('serves a PE and a PU, announces itself, and exits cleanly on SIGTERM', async () => {
      // Announces go to a unicast loopback port here, so the test stays on loopback.
      const sock = dgram.createSocket('udp4');
      await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
      cleanups.push(() => new Promise<void>((r) => sock.close(() => r())));
      const announces: Uint8Array[] = [];
      sock.on('message', (m) => announces.push(new Uint8Array(m)));
      const announcePort = sock.address().port;

      const child = spawn(
        process.execPath,
        [main, 'registrar', '--asap', '127.0.0.1:0', '--announce', `127.0.0.1:${announcePort}`, '--announce-interval', '200', '--log-format', 'json', '--registrar-id', '0x1234abcd'],
        { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      children.push(child);
      const out = lines(child);
      const listening = JSON.parse(await out.wait((l) => l.includes('"listening"'), 15_000)) as { asap: string; registrar: string };
      expect(listening.registrar).toBe('0x1234abcd');
      const address = listening.asap;

      const reg = await rsp.register('CliPool', { registrars: [address], port: 7777, policy: { type: 'least-used', load: 0.5 } });
      cleanups.push(() => reg.deregister().catch(() => undefined));
      const pes = await rsp.resolve('CliPool', { registrars: [address], cache: false });
      expect(pes.map((p) => p.id)).toEqual([reg.peId]);
      expect(pes[0]!.addresses).toEqual([{ address: '127.0.0.1', port: 7777 }]);
      await out.wait((l) => l.includes('"registered"'), 5000);

      await until(() => announces.length > 0, 5000, 'an announce');
      const ann = decodeMessage(11, announces[0]!);
      expect(ann).toMatchObject({ type: 'server-announce', serverId: 0x1234abcd, transports: [{ protocol: 'sctp', port: Number(address.split(':')[1]) }] });

      await reg.deregister();
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out.all.some((l) => l.includes('"stopped"'))).toBe(true);
    }, 40_000);

    it('rejects a bad option with a usage error', async () => {
      const child = spawn(process.execPath, [main, 'registrar', '--keep-alive-interval', 'soon'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      expect(code).not.toBe(0);
      expect(err).toMatch(/keep-alive-interval/);
    });
  });
});
