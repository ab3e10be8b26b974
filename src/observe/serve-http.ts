/**
 * One call per role to serve metrics, health, the JSON APIs and the web
 * view of a running component over HTTP: {@link serveRegistrarHttp} and
 * {@link servePoolElementHttp}. `rsp registrar --http` and
 * `rsp server --http` use them; so can applications.
 *
 * @module
 */
import type { Registrar } from '../registrar/registrar.js';
import type { EnrpAttachment } from '../registrar/enrp/attach.js';
import type { TransportAddress } from '../transport/types.js';
import { handleTableToJson } from '../registrar/enrp/handle-table-json.js';
import { EventFeed, hexId } from './feed.js';
import { startHttpServer, type HttpServerHandle, type HttpServerOptions } from './http-server.js';
import { createMetricsRegistry, poolElementMetrics, registrarMetrics, type PoolElementMetricsSource } from './metrics.js';
import { RegistrarView } from './registrar-view.js';
import type { CspMonitor } from './csp.js';
import { componentViews, feedFromMonitor } from './csp-view.js';

/** Options shared by the `serve*Http` functions. */
export interface ServeHttpOptions {
  /** Where to listen (default `127.0.0.1:0`: loopback, ephemeral port). */
  listen?: Partial<TransportAddress>;
  /** Also export the Node.js process metrics (default true). */
  processMetrics?: boolean;
  /** Further `Host` names accepted while bound to loopback (see {@link HttpServerOptions.allowedHosts}). */
  allowedHosts?: string[];
}

/** A component served over HTTP. */
export interface ObservedHttp extends HttpServerHandle {
  /** The event feed shown in the web view (push your own events to it). */
  readonly feed: EventFeed;
}

/**
 * Serves a registrar: `GET /metrics`, `GET /healthz` (ready once it
 * listens and, with ENRP, has synchronised), `GET /api/handlespace` (the
 * JSON of `rsp hsdump --json`), `GET /api/state`, `GET /events` and the
 * web view at `/`. With `monitor`, the components reporting to that
 * Component Status Protocol monitor are shown too.
 *
 * ```ts
 * const http = await serveRegistrarHttp(registrar, { listen: { port: 8080 } });
 * console.log(`${http.url}/metrics`);
 * ```
 */
export async function serveRegistrarHttp(registrar: Registrar, options: ServeHttpOptions & { enrp?: EnrpAttachment; monitor?: CspMonitor } = {}): Promise<ObservedHttp> {
  const registry = createMetricsRegistry({ processMetrics: options.processMetrics ?? true });
  const metrics = registrarMetrics(registrar, registry, options.enrp ? { enrp: options.enrp } : {});
  const view = new RegistrarView(registrar, options.enrp ? { enrp: options.enrp } : {});
  // With a CSP monitor, the components reporting to it join the same view.
  const monitor = options.monitor;
  const detachMonitor = monitor ? feedFromMonitor(monitor, view.feed) : () => undefined;
  let server: HttpServerHandle;
  try {
    server = await startHttpServer({
      ...(options.listen ? { listen: options.listen } : {}),
      ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
      metrics: registry,
      feed: view.feed,
      state: () => (monitor ? { ...view.snapshot(), components: componentViews(monitor.list()) } : view.snapshot()),
      health: () => ({ ready: view.ready, detail: { registrar: hexId(registrar.id), running: registrar.running, enrp: options.enrp ? (options.enrp.server.synchronized ? 'synchronized' : 'synchronizing') : 'off' } }),
      routes: { 'GET /api/handlespace': () => handleTableToJson(view.handleTable()) },
    });
  } catch (err) {
    metrics.close();
    view.close();
    detachMonitor();
    throw err;
  }
  return withClose(server, view.feed, () => {
    metrics.close();
    view.close();
    detachMonitor();
  });
}

/** A pool element as {@link servePoolElementHttp} sees it (a `PoolElementSocket` is one). */
export interface ObservablePoolElement extends PoolElementMetricsSource {
  readonly local: TransportAddress | undefined;
  /** The registration once registered: its policy and the registrar that is its home now. */
  readonly registration: { readonly policy: { type: string }; readonly homeRegistrarId: number } | undefined;
}

/**
 * Serves a pool element: `GET /metrics` (registration, sessions, sessions
 * taken over by failover), `GET /healthz` (ready once registered),
 * `GET /api/state`, `GET /events` and the web view. Push session events to
 * the returned `feed`.
 */
export async function servePoolElementHttp(pe: ObservablePoolElement, options: ServeHttpOptions & { pool?: string; service?: string } = {}): Promise<ObservedHttp> {
  const registry = createMetricsRegistry({ processMetrics: options.processMetrics ?? true });
  poolElementMetrics(pe, registry);
  const feed = new EventFeed();
  const started = performance.now();
  const server = await startHttpServer({
    ...(options.listen ? { listen: options.listen } : {}),
    ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
    metrics: registry,
    feed,
    health: () => ({ ready: pe.registration !== undefined, detail: { pe: pe.peId === undefined ? null : hexId(pe.peId) } }),
    state: () => ({
      role: 'pe',
      id: pe.peId === undefined ? null : hexId(pe.peId),
      pool: options.pool ?? null,
      service: options.service ?? null,
      address: pe.local ? `${pe.local.address}:${pe.local.port}` : null,
      registered: pe.registration !== undefined,
      policy: pe.registration?.policy.type ?? null,
      load: pe.registration !== undefined && 'load' in pe.registration.policy ? (pe.registration.policy as { load: number }).load / 0xffffffff : null,
      home: pe.registration && pe.registration.homeRegistrarId !== 0 ? hexId(pe.registration.homeRegistrarId) : null,
      sessions: pe.sessionCount,
      stats: { ...pe.stats },
      uptimeMs: Math.round(performance.now() - started),
    }),
  });
  return withClose(server, feed, () => undefined);
}

function withClose(server: HttpServerHandle, feed: EventFeed, detach: () => void): ObservedHttp {
  return {
    address: server.address,
    url: server.url,
    broadcast: server.broadcast,
    feed,
    async close() {
      detach();
      await server.close();
    },
  };
}
