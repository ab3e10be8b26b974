/**
 * `npm run bench`: runs every benchmark script in bench/ (except this one,
 * the long fuzz run and the soak test) one after another, each in its own
 * process (`npx tsx`), and forwards the JSON lines they print. Other output
 * goes to stderr. Exits non-zero when a benchmark fails.
 *
 * Files whose name starts with `_` are helpers, not benchmarks.
 * `npm run bench -- wire handlespace` runs only the named benchmarks.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const dir = fileURLToPath(new URL('.', import.meta.url));
const EXCLUDED = new Set(['run-all.ts', 'fuzz-wire.ts', 'soak.ts']);
const isSoak = (f: string): boolean => f.startsWith('soak-');
const only = new Set(process.argv.slice(2).map((a) => a.replace(/\.ts$/, '')));
const scripts = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.startsWith('_') && !EXCLUDED.has(f) && !isSoak(f))
  .filter((f) => only.size === 0 || only.has(f.slice(0, -3)))
  .sort();

let current: ReturnType<typeof spawn> | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    current?.kill(signal);
    process.exit(130);
  });
}

function run(script: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('npx', ['tsx', `${dir}${script}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    current = child;
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      if (line.trimStart().startsWith('{')) process.stdout.write(`${line}\n`);
      else process.stderr.write(`[${script}] ${line}\n`);
    });
    child.on('error', (err) => {
      process.stderr.write(`[${script}] could not start: ${err.message}\n`);
      resolve(1);
    });
    child.on('close', (code) => resolve(code ?? 1));
  });
}

let failed = 0;
for (const script of scripts) {
  const code = await run(script);
  if (code !== 0) {
    failed++;
    process.stderr.write(`[${script}] exited with code ${code}\n`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
