/**
 * Access to the CommonJS internals of `sctp@1.0.0` and a small registry of
 * prototype overrides (so that tests can restore the original behaviour and
 * show each defect).
 *
 * @module
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Loose view of an object of the untyped `sctp` package. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any;

/** `sctp/lib/association.js` class. */
export const AssociationClass: Loose = require('sctp/lib/association.js');
/** `sctp/lib/endpoint.js` class. */
export const EndpointClass: Loose = require('sctp/lib/endpoint.js');
/** `sctp/lib/chunk.js` class. */
export const ChunkClass: Loose = require('sctp/lib/chunk.js');
/** `sctp/lib/packet.js` class. */
export const PacketClass: Loose = require('sctp/lib/packet.js');
/** `sctp/lib/reassembly.js` class. */
export const ReassemblyClass: Loose = require('sctp/lib/reassembly.js');
/** `sctp/lib/serial.js` class. */
export const SerialNumberClass: Loose = require('sctp/lib/serial.js');
/** `sctp/lib/defs.js` tables. */
export const defs: Loose = require('sctp/lib/defs.js');
/** `sctp/lib/sockets.js` (`Socket`, `Server`). */
export const sockets: Loose = require('sctp/lib/sockets.js');

interface SavedProperty {
  target: object;
  key: PropertyKey;
  had: boolean;
  value: unknown;
}

const saved: SavedProperty[] = [];
const savedKeys = new Map<object, Set<PropertyKey>>();

/**
 * Replaces `target[key]` with `value`, remembering the original the first
 * time so that {@link restoreOriginals} can undo it.
 */
export function override(target: object, key: PropertyKey, value: unknown): void {
  let keys = savedKeys.get(target);
  if (!keys) {
    keys = new Set();
    savedKeys.set(target, keys);
  }
  if (!keys.has(key)) {
    keys.add(key);
    saved.push({
      target,
      key,
      had: Object.prototype.hasOwnProperty.call(target, key),
      value: (target as Record<PropertyKey, unknown>)[key],
    });
  }
  Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: false });
}

/** Restores every overridden property (tests only). */
export function restoreOriginals(): void {
  for (let i = saved.length - 1; i >= 0; i--) {
    const s = saved[i]!;
    if (s.had) {
      Object.defineProperty(s.target, s.key, { value: s.value, writable: true, configurable: true, enumerable: false });
    } else {
      delete (s.target as Record<PropertyKey, unknown>)[s.key];
    }
  }
  saved.length = 0;
  savedKeys.clear();
}

/** Counters of what the repairs dropped or caught (process-wide). */
export const sctpRepairStats = {
  /** Packets dropped because their CRC32c did not match. */
  checksumErrors: 0,
  /** Packets dropped because their framing (lengths) was invalid. */
  malformedPackets: 0,
  /** Chunks dropped because they could not be decoded. */
  malformedChunks: 0,
  /** Exceptions caught by the last-resort guard around packet processing (should stay 0). */
  handlerExceptions: 0,
  /** DATA chunks dropped for a TSN outside the receive window. */
  tsnOutOfWindow: 0,
};

/** Resets {@link sctpRepairStats}. */
export function resetSctpRepairStats(): void {
  for (const key of Object.keys(sctpRepairStats) as (keyof typeof sctpRepairStats)[]) sctpRepairStats[key] = 0;
}
