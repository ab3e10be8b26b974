/**
 * The plug-in interface of pool member selection policies. The handlespace
 * core knows nothing about individual policies: a {@link SelectionPolicy}
 * validates per-PE values and creates one {@link PoolSelector} per pool, which
 * keeps whatever order or weights it needs and picks PEs.
 *
 * @module
 */
import type { PolicyInfo } from '../wire/types.js';
import type { PoolElement } from './pool-element.js';
import type { RandomSource } from './random.js';

/** Largest 32-bit wire value: loads, degradations and DPF factors are fractions of it. */
export const POLICY_VALUE_MAX = 0xffffffff;

/** Per-pool selection state of a policy. */
export interface PoolSelector {
  /** A PE joined the pool (its `degradation` is 0). */
  add(pe: PoolElement): void;
  /** A PE left the pool. */
  remove(pe: PoolElement): void;
  /**
   * A PE re-registered or was updated: its `policy` may hold new values and
   * its `degradation` has been reset to 0.
   */
  update(pe: PoolElement): void;
  /**
   * Writes up to `count` distinct PEs in selection order into `out`, starting
   * at index `offset` (overwriting what is there), and returns how many it
   * wrote. The first `maxIncrement` of them count as "used": the policy
   * advances its state (round-robin position, degradation, sequence numbers).
   */
  select(count: number, maxIncrement: number, out: PoolElement[], offset: number): number;
}

/** A pool member selection policy. */
export interface SelectionPolicy {
  /** Policy name: `PolicyInfo.type` of the PEs that use it. */
  readonly name: string;
  /** 32-bit wire policy type code. */
  readonly typeCode: number;
  /** Names of the per-PE unsigned 32-bit fields in the policy information. */
  readonly fields: readonly string[];
  /** How many of the PEs returned by one selection are "used" when the caller does not say (spec §11). */
  readonly defaultMaxIncrement: number;
  /**
   * Optional extra check of a PE's policy values beyond "every field is an
   * unsigned 32-bit integer"; `false` refuses the registration with cause 0x0003.
   */
  validate?(info: PolicyInfo): boolean;
  /** Creates the selection state of a new pool. */
  createSelector(random: RandomSource): PoolSelector;
}

/** Reads a numeric field of a policy information object. @internal */
export function policyField(info: PolicyInfo, field: string): number {
  return (info as unknown as Record<string, number>)[field]!;
}
