/**
 * The HTTP side of observability: `GET /metrics` (Prometheus text),
 * `GET /healthz`, JSON APIs, server-sent events (`GET /events`) and the
 * static web view shipped in the package's `web/` folder. Off unless asked
 * for; binds to loopback unless told otherwise.
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Registry } from 'prom-client';
import type { TransportAddress } from '../transport/types.js';
import type { EventFeed, FeedEvent } from './feed.js';
import { METRICS_CONTENT_TYPE } from './metrics.js';
import { addressScope } from '../registrar/address-filter.js';

/** A route handler; may write the response itself or return JSON. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, body: string) => unknown;

/** Options of {@link startHttpServer}. */
export interface HttpServerOptions {
  /** Where to listen (default `127.0.0.1:0`). */
  listen?: Partial<TransportAddress>;
  /** Prometheus registry served at `/metrics`. */
  metrics?: Registry;
  /** Readiness at `/healthz`: 200 when `ready`, else 503; `detail` goes into the JSON body. */
  health?: () => { ready: boolean; detail?: Record<string, unknown> };
  /** JSON snapshot at `/api/state`, also pushed over `/events` (event `state`). */
  state?: () => unknown;
  /** Events pushed over `/events` (event `feed`); the recent ones are sent on connect. */
  feed?: EventFeed;
  /** Period of `state` pushes over `/events`, ms (default 1000). */
  statePeriod?: number;
  /** Further routes, by `METHOD /path` (e.g. `GET /api/handlespace`). */
  routes?: Record<string, RouteHandler>;
  /** Page served at `/` (a file of the `web/` folder; default `index.html`). */
  page?: string;
  /**
   * Further `Host` names accepted while bound to loopback (for a reverse
   * proxy that keeps the client's `Host`). Default: only loopback names and
   * addresses (`localhost`, `*.localhost`, `127.0.0.0/8`, `::1`).
   */
  allowedHosts?: string[];
}

/** A running HTTP server. */
export interface HttpServerHandle {
  /** The address it listens on. */
  readonly address: TransportAddress;
  /** `http://HOST:PORT` */
  readonly url: string;
  /** Sends an event to every connected `/events` stream. */
  broadcast(event: string, data: unknown): void;
  /** Stops listening and ends every open connection (event streams included). */
  close(): Promise<void>;
}

/** Files of the web view, by request path, with their content types. */
const STATIC: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'fractal.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'fractal.js': 'text/javascript; charset=utf-8',
  'live.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/** The folder of the static web view (`web/` at the package root). */
export const WEB_ROOT = fileURLToPath(new URL('../../web/', import.meta.url));

const MAX_BODY = 64 * 1024;

function json(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value, null, 2);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text + '\n');
}

/** An error with its HTTP status. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Reads a request body of at most {@link MAX_BODY} bytes (a larger one is drained and refused with 413). */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => (size > MAX_BODY ? reject(new HttpError(413, `request body larger than ${MAX_BODY} bytes`)) : resolve(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

/** True for an address of the loopback interface (`127.0.0.0/8`, `::1`, `::ffff:127.x.x.x`). */
export function isLoopbackAddress(address: string): boolean {
  return addressScope(address.replace(/^\[|\]$/g, '')) === 'loopback';
}

/** The host name of a `Host` header or origin authority, without port and brackets, lower case. */
function hostName(authority: string): string {
  const a = authority.trim().toLowerCase();
  if (a.startsWith('[')) return a.slice(1, a.indexOf(']') > 0 ? a.indexOf(']') : undefined);
  const colon = a.lastIndexOf(':');
  return colon >= 0 && a.indexOf(':') === colon ? a.slice(0, colon) : a;
}

/** True when `host` (a `Host` header's name part) names this machine's loopback. */
function isLoopbackName(host: string, extra: ReadonlySet<string>): boolean {
  return host === 'localhost' || host.endsWith('.localhost') || isLoopbackAddress(host) || extra.has(host);
}

/**
 * Why a request must be refused before any route runs, or undefined:
 * - bound to loopback, a `Host` that is not a loopback name or address is
 *   421 (DNS rebinding: a web page whose name now resolves to 127.0.0.1
 *   must not read or drive the server);
 * - a state-changing request (anything but GET/HEAD/OPTIONS) sent by a
 *   browser from another site (`Sec-Fetch-Site: cross-site`, or an `Origin`
 *   whose authority differs from `Host`) is 403 (cross-site request
 *   forgery). Clients that send neither header (curl, scripts) pass.
 */
export function refuseRequest(req: IncomingMessage, loopback: boolean, allowedHosts: ReadonlySet<string> = new Set()): { status: number; error: string } | undefined {
  const host = req.headers.host;
  if (loopback && host !== undefined && !isLoopbackName(hostName(host), allowedHosts)) {
    return { status: 421, error: `Host "${host}" is not served here (this server answers loopback names only)` };
  }
  const method = req.method ?? 'GET';
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return undefined;
  if (req.headers['sec-fetch-site'] === 'cross-site') return { status: 403, error: 'cross-site request refused' };
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let authority: string | undefined;
    try {
      authority = origin === 'null' ? undefined : new URL(origin).host.toLowerCase();
    } catch {
      authority = undefined;
    }
    if (authority === undefined || host === undefined || authority !== host.trim().toLowerCase()) return { status: 403, error: `request from origin ${origin} refused` };
  }
  return undefined;
}

/**
 * Starts the HTTP server.
 *
 * @throws when the address cannot be bound
 */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServerHandle> {
  const streams = new Set<ServerResponse>();
  const statePeriod = options.statePeriod ?? 1000;
  const page = options.page ?? 'index.html';

  const sse = (res: ServerResponse, event: string, data: unknown): void => {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  let statePush: NodeJS.Timeout | undefined;
  const onFeed = (e: FeedEvent): void => {
    for (const res of streams) sse(res, 'feed', e);
    // Something changed: push a fresh snapshot soon (coalescing bursts).
    if (options.state !== undefined && statePush === undefined && streams.size > 0) {
      statePush = setTimeout(() => {
        statePush = undefined;
        const s = options.state!();
        for (const res of streams) sse(res, 'state', s);
      }, 50);
    }
  };
  options.feed?.on('event', onFeed);
  const stateTimer =
    options.state !== undefined
      ? setInterval(() => {
          if (streams.size === 0) return;
          const s = options.state!();
          for (const res of streams) sse(res, 'state', s);
        }, statePeriod)
      : undefined;
  stateTimer?.unref();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const route = options.routes?.[`${method} ${path}`];
    if (route !== undefined) {
      const body = method === 'GET' || method === 'HEAD' ? '' : await readBody(req);
      const out = await route(req, res, body);
      if (!res.headersSent) json(res, 200, out ?? { ok: true });
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      json(res, 405, { error: `${method} not allowed on ${path}` });
      return;
    }
    if (path === '/metrics' && options.metrics !== undefined) {
      const text = await options.metrics.metrics();
      res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE });
      res.end(text);
      return;
    }
    if (path === '/healthz') {
      const h = options.health?.() ?? { ready: true };
      json(res, h.ready ? 200 : 503, { status: h.ready ? 'ready' : 'starting', ...h.detail });
      return;
    }
    if (path === '/api/state' && options.state !== undefined) {
      json(res, 200, options.state());
      return;
    }
    if (path === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write('retry: 1000\n\n');
      if (options.state !== undefined) sse(res, 'state', options.state());
      for (const e of options.feed?.recent() ?? []) sse(res, 'feed', e);
      streams.add(res);
      res.on('close', () => streams.delete(res));
      return;
    }
    if (path === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    const file = path === '/' ? page : path.slice(1);
    const type = STATIC[file];
    if (type !== undefined) {
      const body = await readFile(WEB_ROOT + file);
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' });
      res.end(body);
      return;
    }
    json(res, 404, { error: `nothing at ${path}` });
  };

  const host = options.listen?.address ?? '127.0.0.1';
  const loopback = isLoopbackAddress(host) || host.toLowerCase() === 'localhost';
  const allowedHosts = new Set((options.allowedHosts ?? []).map((h) => h.toLowerCase()));
  const server: Server = createServer((req, res) => {
    const refused = refuseRequest(req, loopback, allowedHosts);
    if (refused !== undefined) {
      json(res, refused.status, { error: refused.error });
      return;
    }
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) json(res, err instanceof HttpError ? err.status : 500, { error: err instanceof Error ? err.message : String(err) });
      else res.end();
    });
  });
  const port = options.listen?.port ?? 0;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    if (stateTimer) clearInterval(stateTimer);
    options.feed?.off('event', onFeed);
    throw err;
  }
  const a = server.address();
  const address: TransportAddress = typeof a === 'object' && a !== null ? { address: a.address, port: a.port } : { address: host, port };
  const urlHost = address.address.includes(':') ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    address,
    url: `http://${urlHost}:${address.port}`,
    broadcast(event: string, data: unknown): void {
      for (const res of streams) sse(res, event, data);
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        if (stateTimer) clearInterval(stateTimer);
        clearTimeout(statePush);
        options.feed?.off('event', onFeed);
        for (const res of streams) res.end();
        streams.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
