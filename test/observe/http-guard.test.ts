/**
 * The HTTP server's guards: bound to loopback it answers only requests
 * addressed to a loopback name or address (DNS rebinding: 421), and it
 * refuses state-changing requests a browser sends from another site (403),
 * while scripts and same-origin pages go through. Real HTTP requests with
 * the headers a browser would send.
 */
import { request } from 'node:http';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { startHttpServer, type HttpServerHandle } from '../../src/observe/http-server.js';
import { killAll, requireBuild, rsp } from '../fixtures/cli-helpers.js';

const servers: HttpServerHandle[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

let posted = 0;
async function start(address: string, allowedHosts?: string[]): Promise<HttpServerHandle> {
  const s = await startHttpServer({
    listen: { address, port: 0 },
    routes: { 'POST /api/act': () => ({ acted: ++posted }) },
    ...(allowedHosts ? { allowedHosts } : {}),
  });
  servers.push(s);
  return s;
}

/** Sends one request to `s` (always over 127.0.0.1) with exactly these headers. */
function send(s: HttpServerHandle, method: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: s.address.port, method, path, headers, setHost: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(method === 'POST' ? '{}' : undefined);
  });
}

describe('HTTP guard against DNS rebinding and cross-site requests', () => {
  it('bound to loopback, answers loopback Host names only (421 otherwise)', async () => {
    const s = await start('127.0.0.1');
    const port = s.address.port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, `app.localhost:${port}`, '127.0.0.1']) {
      expect((await send(s, 'GET', '/healthz', { host })).status, host).toBe(200);
    }
    for (const host of [`rebind.example:${port}`, `127.0.0.1.rebind.example:${port}`, `10.0.0.1:${port}`, 'rebind.example']) {
      const r = await send(s, 'GET', '/healthz', { host });
      expect(r.status, host).toBe(421);
      expect(JSON.parse(r.body).error).toMatch(/not served here/);
    }
    // A rebinding page cannot drive the server either, whatever its headers.
    const before = posted;
    expect((await send(s, 'POST', '/api/act', { host: `rebind.example:${port}`, origin: `http://rebind.example:${port}` })).status).toBe(421);
    expect(posted).toBe(before);
  });

  it('accepts names the operator adds for a reverse proxy', async () => {
    const s = await start('127.0.0.1', ['monitor.internal']);
    expect((await send(s, 'GET', '/healthz', { host: 'monitor.internal:8443' })).status).toBe(200);
    expect((await send(s, 'GET', '/healthz', { host: 'other.internal' })).status).toBe(421);
  });

  it('refuses cross-site state-changing requests (403) and lets same-origin pages and scripts through', async () => {
    const s = await start('127.0.0.1');
    const host = `127.0.0.1:${s.address.port}`;
    const before = posted;
    const attempts: Record<string, string>[] = [
      { host, origin: 'https://attacker.example' },
      { host, origin: 'null' },
      { host, origin: `http://localhost:${s.address.port}` },
      { host, 'sec-fetch-site': 'cross-site' },
      { host, origin: 'not a url' },
    ];
    for (const headers of attempts) {
      const r = await send(s, 'POST', '/api/act', headers);
      expect(r.status, JSON.stringify(headers)).toBe(403);
    }
    expect(posted).toBe(before);
    // The page's own requests, and clients that send no Origin (curl), act.
    expect((await send(s, 'POST', '/api/act', { host, origin: `http://${host}`, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    expect((await send(s, 'POST', '/api/act', { host })).status).toBe(200);
    expect(posted).toBe(before + 2);
    // Reading stays open to any origin on loopback (a GET changes nothing).
    expect((await send(s, 'GET', '/healthz', { host, origin: 'https://attacker.example', 'sec-fetch-site': 'cross-site' })).status).toBe(200);
  });

  it('bound to a non-loopback address, serves any Host but still refuses cross-site POSTs', async () => {
    const s = await start('0.0.0.0');
    const port = s.address.port;
    expect((await send(s, 'GET', '/healthz', { host: `monitor.example:${port}` })).status).toBe(200);
    expect((await send(s, 'POST', '/api/act', { host: `monitor.example:${port}`, origin: 'https://attacker.example' })).status).toBe(403);
    expect((await send(s, 'POST', '/api/act', { host: `monitor.example:${port}`, origin: `http://monitor.example:${port}` })).status).toBe(200);
  });
});

describe('--http-allow-host on the command line', () => {
  afterAll(killAll);
  it('rsp monitor answers the added name and still refuses others; a bad name is a usage error', { timeout: 60_000 }, async () => {
    requireBuild();
    const m = rsp(['monitor', '--listen', '127.0.0.1:0', '--http', '127.0.0.1:0', '--http-allow-host', 'pool.proxy.example', '--http-allow-host', 'other.proxy.example']);
    const port = Number(/^http http:\/\/127\.0\.0\.1:(\d+)/.exec(await m.wait((l) => l.startsWith('http '), 30_000))![1]);
    const handle = { address: { address: '127.0.0.1', port } } as HttpServerHandle;
    expect((await send(handle, 'GET', '/healthz', { host: `pool.proxy.example:${port}` })).status).toBe(200);
    expect((await send(handle, 'GET', '/healthz', { host: 'other.proxy.example' })).status).toBe(200);
    expect((await send(handle, 'GET', '/healthz', { host: `rebind.example:${port}` })).status).toBe(421);
    m.child.kill('SIGTERM');
    expect(await m.exited).toBe(0);
    const bad = rsp(['monitor', '--listen', '127.0.0.1:0', '--http', '127.0.0.1:0', '--http-allow-host', 'a b']);
    expect(await bad.exited).not.toBe(0);
    expect(bad.stderr.join('\n')).toMatch(/is not a host name/);
  });
});
