/**
 * `rserpool/testing`: helpers for testing code built on rserpool without
 * waiting on real time or opening sockets: a fake clock that every timer of
 * the library can be driven by, a seeded random source for reproducible
 * policy choices, and an in-memory pool-user/service session pair to unit
 * test a service.
 *
 * ```ts
 * import { FakeClock, createMemorySessionPair } from 'rserpool/testing';
 * ```
 *
 * @packageDocumentation
 * @module rserpool/testing
 */
export { type Clock, type TimerHandle, SystemClock, FakeClock, systemClock } from '../clock.js';
export { Sfc32Random, type RandomSource } from '../handlespace/random.js';
export { createMemorySessionPair, type MemoryUserEnd, type MemoryServiceEnd } from '../services/memory-session.js';
