/**
 * The registrar's view of its cluster (two in-process registrars peering
 * over ENRP on loopback): the snapshot and the metrics list the peer and its
 * state, the feed tells when it joins and when it is declared dead, and the
 * HTTP server's error paths answer instead of hanging.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Registrar } from '../../src/registrar/registrar.js';
import { attachEnrp, type EnrpAttachment } from '../../src/registrar/enrp/attach.js';
import { serveRegistrarHttp } from '../../src/observe/serve-http.js';
import { EventFeed } from '../../src/observe/feed.js';
import { startHttpServer } from '../../src/observe/http-server.js';
import { parseExposition, value } from './prometheus-text.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function until(what: string, pred: () => boolean | Promise<boolean>, timeout = 30_000): Promise<void> {
  const end = Date.now() + timeout;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const hex = (n: number): string => '0x' + n.toString(16).padStart(8, '0');
const timers = { heartbeatInterval: 200, maxTimeLastHeard: 600, maxTimeNoResponse: 400, mentorDiscoveryTimeout: 300 };

async function member(peers: { address: string; port: number }[]): Promise<{ registrar: Registrar; enrp: EnrpAttachment }> {
  const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false });
  await registrar.start();
  const enrp = await attachEnrp(registrar, { listen: { address: '127.0.0.1', port: 0 }, multicast: false, peers, allow: ['127.0.0.1'], ...timers });
  cleanups.push(() => registrar.close());
  cleanups.push(() => enrp.close());
  return { registrar, enrp };
}

describe('registrar view of an ENRP cluster', () => {
  it('lists the peer with its state in the snapshot, the metrics and the feed, and its death', { timeout: 60_000 }, async () => {
    const a = await member([]);
    const b = await member([a.enrp.endpoint.local]);
    const http = await serveRegistrarHttp(a.registrar, { enrp: a.enrp, processMetrics: false });
    cleanups.push(() => http.close());
    const state = async (): Promise<{ registrars: { id: string; state: string }[] }> => (await (await fetch(`${http.url}/api/state`)).json()) as { registrars: { id: string; state: string }[] };

    await until('peer listed', async () => (await state()).registrars.some((r) => r.id === hex(b.registrar.id) && r.state === 'up'));
    const s = await state();
    expect(s.registrars[0]).toMatchObject({ id: hex(a.registrar.id), state: 'self' });
    const m = parseExposition(await (await fetch(`${http.url}/metrics`)).text());
    expect(value(m, 'rserpool_enrp_peers')).toBe(1);
    expect(value(m, 'rserpool_enrp_peer_up', { peer: hex(b.registrar.id) })).toBe(1);
    expect(http.feed.recent().some((e) => e.kind === 'peer-up' && e.text.includes(hex(b.registrar.id)))).toBe(true);
    await until('ready', async () => (await fetch(`${http.url}/healthz`)).status === 200);

    // B's ENRP stops answering: A probes it, declares it dead and takes it over.
    await b.enrp.close();
    await until('peer declared dead', () => http.feed.recent().some((e) => e.kind === 'peer-dead'));
    await until('peer gone', async () => !(await state()).registrars.some((r) => r.id === hex(b.registrar.id)));
    const after = parseExposition(await (await fetch(`${http.url}/metrics`)).text());
    expect(value(after, 'rserpool_enrp_peers')).toBe(0);
    expect(value(after, 'rserpool_enrp_peers_lost_total')).toBe(1);
  });
});

describe('HTTP server', () => {
  it('answers bad requests with errors, serves no files outside the web folder, and ends event streams on close', { timeout: 30_000 }, async () => {
    const feed = new EventFeed(3);
    const server = await startHttpServer({ feed, state: () => ({ n: 1 }), routes: { 'POST /api/echo': (_q, _r, body) => ({ body }) } });
    expect((await fetch(`${server.url}/../package.json`)).status).toBe(404);
    expect((await fetch(`${server.url}/%2e%2e/package.json`)).status).toBe(404);
    expect((await fetch(`${server.url}/api/echo`, { method: 'POST', body: 'x'.repeat(70 * 1024) })).status).toBe(413);
    expect(await (await fetch(`${server.url}/api/echo`, { method: 'POST', body: 'hi' })).json()).toEqual({ body: 'hi' });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    for (let i = 0; i < 5; i++) feed.push('k', `event ${i}`);
    expect(feed.recent().map((e) => e.text)).toEqual(['event 2', 'event 3', 'event 4']);
    // An open event stream gets the recent events, then live ones, and ends when the server closes.
    const res = await fetch(`${server.url}/events`);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('event 4')) text += new TextDecoder().decode((await reader.read()).value);
    feed.push('k', 'live one');
    while (!text.includes('live one')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain('event: state');
    await server.close();
    for (;;) if ((await reader.read().catch(() => ({ done: true }))).done) break;
    expect(feed.listenerCount('event')).toBe(0);
  });
});

describe('registrar snapshot size', () => {
  it('lists at most maxElements PEs and counts the rest', async () => {
    const { RegistrarView } = await import('../../src/observe/registrar-view.js');
    const registrar = new Registrar({ asap: ['127.0.0.1:0'], announce: false });
    const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
    for (let i = 1; i <= 30; i++) {
      registrar.handlespace.register(enc(i % 2 ? 'PoolB' : 'PoolA'), { peId: i, homeRegistrarId: registrar.id, registrationLife: 30_000, userTransport: { protocol: 'sctp', port: 1000 + i, transportUse: 0, addresses: ['127.0.0.1'] }, policy: { type: 'round-robin' } });
    }
    const view = new RegistrarView(registrar, { maxElements: 20 });
    const s = view.snapshot();
    expect(s.pools.map((p) => [p.pool, p.size])).toEqual([['PoolA', 15], ['PoolB', 15]]);
    expect(s.pools[0]!.elements).toHaveLength(15);
    expect(s.pools[1]!.elements).toHaveLength(5);
    expect(s.omitted).toBe(10);
    expect(s.registrars[0]!.pes).toBe(30);
    view.close();
  });
});
