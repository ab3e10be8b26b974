/**
 * Pool-element services (echo, discard, daytime, chargen, pingpong), the
 * accept loop that runs one, the pingpong client, and an in-memory session
 * pair for tests.
 *
 * @module
 */
export * from './service.js';
export * from './echo.js';
export * from './discard.js';
export * from './daytime.js';
export * from './chargen.js';
export * from './pingpong.js';
export * from './pingpong-client.js';
export * from './fractal.js';
export * from './fractal-client.js';
export * from './registry.js';
export * from './serve.js';
export * from './memory-session.js';
