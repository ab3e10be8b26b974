/**
 * What `npm publish` would ship (`npm pack --dry-run`): the license, the
 * project links, every entry point of "exports", and source maps whose
 * sources are in the package too.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { requireBuild, root } from '../fixtures/cli-helpers.js';

const run = promisify(execFile);

describe('the published package', () => {
  it('carries LICENSE, project links, every exported file, and maps whose sources ship with it', async () => {
    requireBuild();
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, unknown> & {
      exports: Record<string, string | Record<string, string>>;
    };
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(path.join(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License[\s\S]*rserpool contributors/);
    expect(pkg.repository).toMatchObject({ type: 'git', url: expect.stringMatching(/^git\+https:\/\//) });
    expect(pkg.homepage).toMatch(/^https:\/\//);
    expect(pkg.bugs).toMatchObject({ url: expect.stringMatching(/^https:\/\//) });

    // --ignore-scripts: no rebuild of dist/ under the feet of tests running beside this one.
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const { stdout } = await run(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, timeout: 120_000, maxBuffer: 64 << 20 });
    const files = new Set((JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path));
    for (const f of ['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json', 'dist/cli/main.js', 'web/index.html', 'web/app.js', 'web/fractal.html', 'web/fractal.js', 'web/live.js', 'web/style.css']) expect(files, f).toContain(f);
    for (const entry of Object.values(pkg.exports)) {
      for (const target of typeof entry === 'string' ? [entry] : Object.values(entry)) expect(files, target).toContain(target.replace(/^\.\//, ''));
    }
    // Nothing of the repository's own test or benchmark code.
    expect([...files].filter((f) => /^(test|bench|examples|node_modules)\//.test(f))).toEqual([]);
    // Every source map (.js.map and .d.ts.map) points at a TypeScript source that is published too.
    const maps = [...files].filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    const missing: string[] = [];
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(path.join(root, map), 'utf8')) as { sources: string[] };
      for (const s of sources) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(map), s));
        if (!files.has(target)) missing.push(`${map} -> ${target}`);
      }
    }
    expect(missing).toEqual([]);
  }, 150_000);

  it('needs nothing outside the repository: no source, test, benchmark or example reads a sibling folder', () => {
    // A relative path that climbs out of the repository root to a folder beside it.
    const outside = new RegExp(['\\.\\./', '(?:\\.\\./)*', 'shared', '/'].join(''));
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(path.join(root, dir))) {
        const rel = path.posix.join(dir, name);
        if (statSync(path.join(root, rel)).isDirectory()) walk(rel);
        else if (/\.(ts|mjs|js|json)$/.test(name) && outside.test(readFileSync(path.join(root, rel), 'utf8'))) offenders.push(rel);
      }
    };
    for (const dir of ['src', 'test', 'bench', 'examples']) walk(dir);
    expect(offenders).toEqual([]);
  });

  it('`npm run fuzz` runs (a short version: FUZZ_CASES=300) with nothing beside the repository', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/fuzz-wire.ts'], {
      cwd: root,
      timeout: 120_000,
      env: { ...process.env, FUZZ_CASES: '300', FUZZ_SEED: '7' },
    });
    expect(JSON.parse(stdout.trim())).toMatchObject({ bench: 'fuzz-wire', failures: 0, seed: 7 });
  }, 150_000);
});
