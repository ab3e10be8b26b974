/**
 * `npm run soak`: the long versions of tests whose short versions run in
 * `npm test`. Runs every `bench/soak-*.ts` one after another, each in its
 * own process; exits non-zero when one fails. `npm run soak -- delivery`
 * runs only `soak-delivery.ts`.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const only = new Set(process.argv.slice(2));
const scripts = readdirSync(dir)
  .filter((f) => /^soak-.+\.ts$/.test(f))
  .filter((f) => only.size === 0 || only.has(f.slice(5, -3)))
  .sort();

let failed = 0;
for (const script of scripts) {
  process.stderr.write(`--- ${script}\n`);
  const code = await new Promise<number>((resolve) => {
    const child = spawn('npx', ['tsx', `${dir}${script}`], { stdio: 'inherit' });
    child.on('exit', (c) => resolve(c ?? 1));
  });
  if (code !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
