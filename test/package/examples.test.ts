/**
 * The programs in examples/ import the package by its name (self-reference
 * to the built dist/), as they would once copied out of the repository, and
 * run here for a few messages against an in-test registrar.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Registrar } from '../../src/registrar/registrar.js';
import { killAll, node, requireBuild, root } from '../fixtures/cli-helpers.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  killAll();
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});
beforeAll(requireBuild);

async function startRegistrar(): Promise<string> {
  const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false });
  await registrar.start();
  cleanups.push(() => registrar.close());
  const a = registrar.addresses[0]!;
  return `${a.address}:${a.port}`;
}

const example = (name: string, ...args: string[]) => node(['--import', 'tsx', path.join('examples', name), ...args]);

describe('examples', () => {
  it('import only the package name, never the sources', () => {
    for (const f of readdirSync(path.join(root, 'examples')).filter((n) => n.endsWith('.ts'))) {
      const text = readFileSync(path.join(root, 'examples', f), 'utf8');
      expect(text, f).toMatch(/from 'rserpool(\/[a-z]+)?'/);
      expect(text, f).not.toMatch(/from '\.\.?\//);
    }
  });

  it('echo-pe serves echo-pu, and stops on SIGINT', { timeout: 120_000 }, async () => {
    const registrar = await startRegistrar();
    const pe = example('echo-pe.ts', registrar);
    await pe.wait((l) => /^echo PE 0x[0-9a-f]{8} registered, serving on port \d+/.test(l), 60_000);
    const pu = example('echo-pu.ts', registrar, '3');
    expect(await pu.exited, pu.stderr.join('\n')).toBe(0);
    expect(pu.stdout).toEqual(['hello 1', 'hello 2', 'hello 3']);
    pe.child.kill('SIGINT');
    expect(await pe.exited).toBe(0);
  });

  it('pingpong-pe counts the requests of pingpong-pu in a sealed cookie', { timeout: 120_000 }, async () => {
    const registrar = await startRegistrar();
    const pe = example('pingpong-pe.ts', registrar);
    await pe.wait((l) => /^pingpong PE 0x[0-9a-f]{8} registered/.test(l), 60_000);
    const pu = example('pingpong-pu.ts', registrar, '4');
    expect(await pu.exited, pu.stderr.join('\n')).toBe(0);
    expect(pu.stdout.map((l) => l.replace(/ from 0x[0-9a-f]{8} /, ' from PE '))).toEqual([1, 2, 3, 4].map((i) => `pong ${i} from PE (ping ${i})`));
    pe.child.kill('SIGINT');
    expect(await pe.exited).toBe(0);
  });
});
