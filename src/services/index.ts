/**
 * `rserpool/services`: the pool-element services behind `rsp server`
 * (echo, discard, daytime, chargen, pingpong), the accept loop that runs one
 * on a pool-element socket, the pingpong client, and an in-memory session
 * pair for tests. The root exports `serve`, `getService` and the service
 * names; import from here for a service's own codec or client.
 *
 * ```ts
 * import { serve, echoService, runPingPong } from 'rserpool/services';
 * ```
 *
 * @packageDocumentation
 * @module rserpool/services
 */
export * from './service.js';
export * from './echo.js';
export * from './discard.js';
export * from './daytime.js';
export * from './chargen.js';
export * from './pingpong.js';
export * from './pingpong-client.js';
export * from './rsplib-pingpong.js';
export * from './calcapp.js';
export * from './fractal.js';
export * from './fractal-client.js';
export * from './registry.js';
export * from './serve.js';
export * from './memory-session.js';
