/**
 * Transport benchmark in raw-IP mode: runs `bench/transport.ts --mode raw`
 * (the same figures as UDP encapsulation, each against Node TCP in the same
 * run) and forwards its JSON lines:
 * `{ "bench": "transport", "mode": "raw", "name", "value", "unit", "tcp", "ratio_to_tcp" }`.
 * Without root or the optional dependency `raw-socket` it prints one line
 * `{ "bench": "transport", "mode": "raw", "skipped": "<reason>" }` and exits 0.
 *
 * Usage: `npx tsx bench/transport-raw.ts [--duration ms] [--only name,...]`.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { rawModeUnavailableReason } from '../src/transport/raw-stack.js';

const reason = rawModeUnavailableReason();
if (reason) {
  process.stdout.write(`${JSON.stringify({ bench: 'transport', mode: 'raw', skipped: reason })}\n`);
} else {
  const script = fileURLToPath(new URL('./transport.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--mode', 'raw', ...process.argv.slice(2)], {
    stdio: 'inherit',
    cwd: fileURLToPath(new URL('..', import.meta.url)),
  });
  child.on('exit', (code) => process.exit(code ?? 1));
}
