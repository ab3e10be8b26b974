/**
 * The web view in real headless Chromium: the page of a running registrar
 * lists its PEs (child processes), and a SIGKILLed PE shows up in the live
 * event feed within 2 s. Skipped with a message when there is no Chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { Registrar } from '../../src/registrar/registrar.js';
import { serveRegistrarHttp, type ObservedHttp } from '../../src/observe/serve-http.js';
import { killAll, requireBuild, rsp as run } from '../fixtures/cli-helpers.js';
import { artifactPath, chromiumPath, launchChromium, reportSkip } from '../helpers/browser.js';

reportSkip('web-view');

describe.skipIf(chromiumPath === undefined)('web view in Chromium', () => {
  let browser: Browser;
  let registrar: Registrar;
  let http: ObservedHttp;
  beforeAll(async () => {
    requireBuild();
    // Fast keep-alives: a killed PE is noticed well within the 2 s the feed is given.
    registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false, keepAliveInterval: 250, keepAliveTimeout: 250 });
    await registrar.start();
    http = await serveRegistrarHttp(registrar, { processMetrics: false });
    browser = await launchChromium();
  }, 90_000);
  afterAll(async () => {
    killAll();
    await browser?.close();
    await http?.close();
    await registrar?.close();
  });

  it('shows the PEs of the registrar, and a PE kill in the feed within 2 s', { timeout: 120_000 }, async () => {
    const a = registrar.addresses[0]!;
    const pes = [0, 1, 2].map((i) => run(['server', '--service', 'echo', '--pool', 'WebPool', '--registrar', `${a.address}:${a.port}`, '--quiet', ...(i === 2 ? ['--http', '0'] : [])]));
    const ids = await Promise.all(pes.map(async (p) => '0x' + /registered PE 0x([0-9a-f]{8})/.exec(await p.wait((l) => l.startsWith('registered PE'), 30_000))![1]!));
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    await page.goto(http.url + '/');
    await page.waitForSelector('#conn.on', { timeout: 20_000 });
    for (const id of ids) await page.waitForSelector(`#pools tr[data-pe="${id}"]`, { timeout: 20_000 });
    expect(await page.locator('#pools tbody tr').count()).toBe(3);
    expect(await page.getAttribute(`#pools tr[data-pe="${ids[0]}"]`, 'data-pool')).toBe('WebPool');
    expect(await page.textContent('#pools tbody tr.pool-first')).toContain('WebPool');
    expect(await page.textContent(`#pools tr[data-pe="${ids[0]}"]`)).toContain('round-robin');
    expect(await page.textContent('#registrars')).toContain(`0x${registrar.id.toString(16).padStart(8, '0')}`);
    for (const id of ids) await page.waitForSelector(`#feed li[data-kind="registered"][data-pe="${id}"]`, { timeout: 10_000 });

    pes[1]!.child.kill('SIGKILL');
    await page.waitForSelector(`#feed li[data-kind="removed"][data-pe="${ids[1]}"]`, { timeout: 2000 });
    await page.waitForSelector(`#pools tr[data-pe="${ids[1]}"]`, { state: 'detached', timeout: 5000 });
    expect(await page.locator('#pools tbody tr').count()).toBe(2);
    await page.screenshot({ path: artifactPath('web-view.png'), fullPage: true });

    // The same page served by a pool element shows that PE.
    const peUrl = /^http (http:\/\/[\d.]+:\d+)/.exec(await pes[2]!.wait((l) => l.startsWith('http '), 30_000))![1]!;
    await page.goto(peUrl + '/');
    await page.waitForSelector('#conn.on', { timeout: 20_000 });
    await page.locator('#self', { hasText: ids[2]! }).waitFor({ timeout: 20_000 });
    expect(await page.textContent('#role')).toBe('pool element');
    expect(await page.textContent('#pools tbody')).toContain('round-robin (service echo)');
    await page.close();
  });
});
