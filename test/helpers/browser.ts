/**
 * Headless Chromium for the web-view tests, through `playwright-core` and
 * the system's Chromium (Debian package `chromium`). The tests skip with a
 * printed reason when no Chromium binary is found. `CHROMIUM_PATH`
 * overrides the search.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** Path of a Chromium binary, or undefined. */
export const chromiumPath: string | undefined = [process.env['CHROMIUM_PATH'], ...CANDIDATES].find((p): p is string => p !== undefined && p !== '' && existsSync(p));

/** Prints why browser tests are skipped (once per file). */
export function reportSkip(file: string): void {
  if (chromiumPath === undefined) console.log(`${file}: skipped, no Chromium found (Debian: apt-get install chromium; or set CHROMIUM_PATH)`);
}

/** Launches headless Chromium (no sandbox when running as root, as in CI containers). */
export function launchChromium(): Promise<Browser> {
  if (chromiumPath === undefined) throw new Error('no Chromium');
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return chromium.launch({ executablePath: chromiumPath, args: root ? ['--no-sandbox'] : [], timeout: 60_000 });
}

/** Folder for screenshots taken by tests (ignored by git). */
export function artifactPath(name: string): string {
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test-artifacts');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}
