/**
 * `rsp registrar --http` and `rsp server --http` as child processes:
 * /healthz turns ready, /metrics (parsed as the Prometheus text format)
 * follows a registration, a handle resolution and a SIGKILLed PE, and
 * /api/handlespace equals what `rsp hsdump --json` downloads over ENRP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as rsp from '../../src/index.js';
import { killAll, requireBuild, rsp as run, type RspChild } from '../fixtures/cli-helpers.js';
import { parseExposition, sum, value, type Exposition } from './prometheus-text.js';

beforeAll(requireBuild);
afterAll(killAll);

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeout = 30_000): Promise<T> {
  const end = Date.now() + timeout;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`${what}: not within ${timeout} ms${last ? ` (${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function metrics(url: string): Promise<Exposition> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text());
}

const urlOf = (line: string): string => /url=(http:\/\/[\d.]+:\d+)/.exec(line)![1]!;

describe('--http: metrics, health and the handlespace API', () => {
  let registrar: RspChild;
  let url = '';
  let asap = '';
  let enrp = '';

  it('registrar: /healthz turns ready once listening and synchronised', { timeout: 60_000 }, async () => {
    registrar = run(['registrar', '--asap', '127.0.0.1:0', '--announce', 'off', '--enrp', '127.0.0.1:0', '--enrp-allow', '127.0.0.1', '--http', '127.0.0.1:0', '--mentor-discovery-timeout', '300', '--keep-alive-interval', '1000', '--keep-alive-timeout', '1000']);
    url = urlOf(await registrar.wait((l) => l.includes('http-listening'), 30_000));
    asap = /asap=([\d.]+:\d+)/.exec(await registrar.wait((l) => l.includes(' listening '), 30_000))![1]!;
    enrp = /enrp=([\d.]+:\d+)/.exec(await registrar.wait((l) => l.includes('enrp-started'), 30_000))![1]!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const ready = await waitFor('ready', async () => {
      const res = await fetch(`${url}/healthz`);
      const body = (await res.json()) as { status: string; enrp: string };
      return res.status === 200 ? body : undefined;
    });
    expect(ready).toMatchObject({ status: 'ready', enrp: 'synchronized' });
    const m = await metrics(url);
    expect(m.types.get('rserpool_registrar_registrations_total')).toBe('counter');
    expect(m.types.get('rserpool_registrar_pool_elements')).toBe('gauge');
    expect(value(m, 'rserpool_registrar_pool_elements')).toBe(0);
    expect(value(m, 'rserpool_enrp_synchronized')).toBe(1);
    // Unknown paths and methods answer with an error, not a hang.
    expect((await fetch(`${url}/nothing`)).status).toBe(404);
    expect((await fetch(`${url}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('a taken --http port is a clear start failure (exit 1), and --http takes a bare port as loopback', { timeout: 60_000 }, async () => {
    const port = new URL(url).port;
    const second = run(['registrar', '--asap', '127.0.0.1:0', '--announce', 'off', '--enrp', 'off', '--http', port]);
    expect(await second.exited).toBe(1);
    expect(second.stdout.join('\n')).toMatch(/start-failed.*http=127\.0\.0\.1:\d+.*EADDRINUSE/);
    const bad = run(['server', '--service', 'echo', '--pool', 'P', '--http', 'nonsense']);
    expect(await bad.exited).not.toBe(0);
    expect(bad.stderr.join('\n')).toMatch(/--http/);
  });

  it('metrics follow registrations, a resolution and a SIGKILLed PE; PE metrics count its sessions', { timeout: 120_000 }, async () => {
    const pes = [0, 1].map(() => run(['server', '--service', 'echo', '--pool', 'MetricsPool', '--registrar', asap, '--http', '0', '--quiet']));
    const peUrls = await Promise.all(pes.map(async (p) => /^http (http:\/\/[\d.]+:\d+)/.exec(await p.wait((l) => l.startsWith('http '), 30_000))![1]!));
    await Promise.all(pes.map((p) => p.wait((l) => l.startsWith('registered PE'), 30_000)));
    for (const u of peUrls) expect((await fetch(`${u}/healthz`)).status).toBe(200);

    let m = await waitFor('two PEs', async () => {
      const e = await metrics(url);
      return value(e, 'rserpool_registrar_pool_elements') === 2 ? e : undefined;
    });
    expect(value(m, 'rserpool_registrar_registrations_total')).toBe(2);
    expect(value(m, 'rserpool_registrar_pools')).toBe(1);
    expect(value(m, 'rserpool_registrar_associations')).toBe(2);
    const resolutionsBefore = value(m, 'rserpool_registrar_handle_resolutions_total')!;

    const session = await rsp.connect('MetricsPool', { registrars: [asap], failoverTimeout: 10_000 });
    await session.send('hello');
    expect(Buffer.from((await session.recv())!.data).toString()).toBe('hello');
    await session.close();
    m = await metrics(url);
    expect(value(m, 'rserpool_registrar_handle_resolutions_total')!).toBeGreaterThan(resolutionsBefore);
    const peSessions = await Promise.all(peUrls.map(async (u) => value(await metrics(u), 'rserpool_pe_sessions_total') ?? 0));
    expect(peSessions.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
    expect(value(await metrics(peUrls[0]!), 'rserpool_pe_registered')).toBe(1);

    pes[0]!.child.kill('SIGKILL');
    m = await waitFor('PE removed', async () => {
      const e = await metrics(url);
      return value(e, 'rserpool_registrar_pool_elements') === 1 ? e : undefined;
    });
    expect(sum(m, 'rserpool_registrar_pe_removals_total')).toBe(1);
    expect(m.samples.find((s) => s.name === 'rserpool_registrar_pe_removals_total')!.labels['reason']).toMatch(/^(association-closed|keep-alive-timeout|unreachable)$/);
    expect(value(m, 'rserpool_registrar_keep_alives_sent_total')!).toBeGreaterThan(0);
    expect(value(m, 'rserpool_registrar_deregistrations_total')).toBe(0);
  });

  it('/api/handlespace equals rsp hsdump --json', { timeout: 60_000 }, async () => {
    const api = (await (await fetch(`${url}/api/handlespace`)).json()) as { pools: { pool: string; elements: { id: string }[] }[] };
    const dump = run(['hsdump', '--json', enrp]);
    expect(await dump.exited).toBe(0);
    const fromEnrp = JSON.parse(dump.stdout.join('\n')) as typeof api;
    const sorted = (d: typeof api): typeof api => ({ ...d, pools: d.pools.map((p) => ({ ...p, elements: [...p.elements].sort((a, b) => a.id.localeCompare(b.id)) })).sort((a, b) => a.pool.localeCompare(b.pool)) });
    expect(sorted(api)).toEqual(sorted(fromEnrp));
    expect(api.pools[0]!.elements).toHaveLength(1);
  });

  it('stops cleanly on SIGTERM', { timeout: 30_000 }, async () => {
    registrar.child.kill('SIGTERM');
    expect(await registrar.exited).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
