/**
 * What the ENRP server needs from the registrar's handlespace. The
 * registrar adapts its handlespace to this interface (see `attach.ts`);
 * tests use a small in-memory implementation.
 *
 * @module
 */
import type { PoolElementParam, PoolHandle } from '../../wire/types.js';

/** A pool element together with its pool handle. */
export interface HandlespaceEntry {
  poolHandle: PoolHandle;
  element: PoolElementParam;
}

/** The handlespace operations ENRP uses. */
export interface EnrpHandlespace {
  /** The 16-bit ownership checksum (spec §9) of the PEs whose home registrar is `ownerId`. */
  ownershipChecksum(ownerId: number): number;
  /** Number of PEs whose home registrar is `ownerId`. */
  ownedCount(ownerId: number): number;
  /** A snapshot of the PEs owned by `ownerId`. */
  ownedBy(ownerId: number): HandlespaceEntry[];
  /** A snapshot of every PE (for a full Handle Table Response). */
  all(): HandlespaceEntry[];
  /** The current state of one PE, or undefined when it is gone. */
  get(poolHandle: PoolHandle, peId: number): PoolElementParam | undefined;
  /**
   * Inserts or updates a PE learned from a peer (its home registrar is
   * `element.homeRegistrarId`, not this server); it expires after its
   * registration life unless refreshed. Returns false when refused.
   */
  applyPeer(poolHandle: PoolHandle, element: PoolElementParam): boolean;
  /** Removes a PE; returns whether it existed. */
  remove(poolHandle: PoolHandle, peId: number): boolean;
  /** Changes the home registrar of every PE owned by `fromId` to `toId`; returns the PEs changed. */
  transferOwnership(fromId: number, toId: number): HandlespaceEntry[];
}

/** Key of a PE across pools: hex pool handle + PE id. */
export function entryKey(poolHandle: PoolHandle, peId: number): string {
  return `${Buffer.from(poolHandle.buffer, poolHandle.byteOffset, poolHandle.byteLength).toString('hex')}/${peId >>> 0}`;
}
