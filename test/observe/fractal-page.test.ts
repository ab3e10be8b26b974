/**
 * `rsp fractal --demo --http` in real headless Chromium: the page's kill
 * buttons SIGKILL the PEs serving two regions while the picture is being
 * computed; both sessions fail over, and the picture still completes with
 * every pixel set, on the page (canvas) and in the pool user. A screenshot
 * is saved under test-artifacts/. Skipped with a message when there is no
 * Chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { killAll, requireBuild, rsp as run } from '../fixtures/cli-helpers.js';
import { artifactPath, chromiumPath, launchChromium, reportSkip } from '../helpers/browser.js';

reportSkip('fractal-page');

describe.skipIf(chromiumPath === undefined)('fractal page in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    requireBuild();
    browser = await launchChromium();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    killAll();
  });

  it('completes with every pixel set after two PE kills from the page', { timeout: 180_000 }, async () => {
    const W = 200;
    const H = 128;
    // Slow PEs (1500 points/s per session): each region takes about 4 s, time enough to kill two PEs.
    const fractal = run(['fractal', '--demo', '4', '--pe-rate', '1500', '--http', '127.0.0.1:0', '--width', String(W), '--height', String(H), '--sessions', '4', '--images', '0', '--pause', '10m']);
    const url = /^http (http:\/\/[\d.]+:\d+)/.exec(await fractal.wait((l) => l.startsWith('http '), 60_000))![1]!;
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url + '/');
    type View = { number: number; pixelsSet: number; failovers: number; complete: boolean };
    const view = (): Promise<View> => page.evaluate(() => (globalThis as unknown as { fractalView: View }).fractalView);
    await page.waitForFunction(() => (globalThis as unknown as { fractalView: View }).fractalView.pixelsSet > 0, undefined, { timeout: 60_000 });
    const image = (await view()).number;

    // Kill the PE of a region that is still being computed, twice.
    for (let k = 1; k <= 2; k++) {
      const button = page.locator('.region button:not([disabled])').first();
      await button.waitFor({ timeout: 20_000 });
      await button.click();
      await page.locator('#feed li[data-kind="killed"]').nth(k - 1).waitFor({ timeout: 20_000 });
      await page.waitForFunction((n) => (globalThis as unknown as { fractalView: View }).fractalView.failovers >= n, k, { timeout: 30_000 });
    }
    // The server kills whichever PE serves the region when the button is pressed: two different PEs.
    const killed = await page.locator('#feed li[data-kind="killed"]').evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { pe?: string } }).dataset.pe));
    expect(new Set(killed).size).toBe(2);
    await page.waitForFunction(() => (globalThis as unknown as { fractalView: View }).fractalView.complete, undefined, { timeout: 90_000 });
    const v = await view();
    expect(v.number).toBe(image);
    expect(v.failovers).toBeGreaterThanOrEqual(2);
    expect(v.pixelsSet).toBe(W * H);
    // Every pixel of the canvas is painted (opaque).
    const transparent = await page.evaluate(() => {
      // Runs in the page (this project compiles without the DOM types).
      type Canvas = { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
      const c = (globalThis as unknown as { document: { querySelector(s: string): Canvas } }).document.querySelector('#image');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] !== 255) n++;
      return n;
    });
    expect(transparent).toBe(0);
    // The pool user agrees: every pixel has its PE, and the killed PEs computed some of them.
    const img = (await (await fetch(`${url}/api/image`)).json()) as { values: number[]; owners: (string | null)[] };
    expect(img.owners).toHaveLength(W * H);
    expect(img.owners.every((o) => o !== null)).toBe(true);
    expect(await page.locator('#feed li[data-kind="failover"]').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#feed li[data-kind="killed"]').count()).toBe(2);
    await page.screenshot({ path: artifactPath('fractal-page.png'), fullPage: true });

    // New parameters from the page's form start the next image at once.
    await page.fill('#params input[name="width"]', '64');
    await page.fill('#params input[name="height"]', '64');
    await page.fill('#params input[name="sessions"]', '2');
    await page.fill('#params input[name="maxIterations"]', '50');
    await page.click('#params button[type="submit"]');
    await page.waitForFunction((n) => (globalThis as unknown as { fractalView: View }).fractalView.number > n, image, { timeout: 30_000 });
    await page.waitForFunction(() => (globalThis as unknown as { fractalView: View }).fractalView.complete, undefined, { timeout: 60_000 });
    expect((await view()).pixelsSet).toBe(64 * 64);
    const state = (await (await fetch(`${url}/api/fractal`)).json()) as { image: { width: number; height: number; sessions: number; maxIterations: number }; rects: unknown[] };
    expect(state.image).toMatchObject({ width: 64, height: 64, sessions: 2, maxIterations: 50 });
    expect(state.rects).toHaveLength(2);
    // Bad parameters are refused with a reason.
    const bad = await fetch(`${url}/api/start`, { method: 'POST', body: '{"width":"wide"}' });
    expect(bad.status).toBe(400);
    expect(errors).toEqual([]);
    await page.close();
    fractal.child.kill('SIGTERM');
    expect(await fractal.exited).toBe(0);
  });
});
