/**
 * Observability: Prometheus metrics, health and JSON APIs over HTTP, the
 * live web view with its event feed, and the Component Status Protocol
 * (reporter and monitor): `rserpool/observe`. The root exports
 * `serveRegistrarHttp` and `servePoolElementHttp`.
 *
 * ```ts
 * import { serveRegistrarHttp, CspMonitor } from 'rserpool/observe';
 * ```
 *
 * @packageDocumentation
 */
export * from './metrics.js';
export * from './feed.js';
export * from './http-server.js';
export * from './serve-http.js';
export * from './registrar-view.js';
export * from './csp.js';
export * from './csp-status.js';
export * from './csp-view.js';
