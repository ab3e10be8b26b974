/**
 * A pool element as the handlespace stores it.
 *
 * @module
 */
import type { PolicyInfo, PoolElementParam, TransportParam } from '../wire/types.js';
import type { ExpiryEntry } from './expiry-queue.js';
import type { Pool } from './pool.js';
import type { WeightedSamplerNode } from './weighted-sampler.js';

/**
 * One registered pool element. It has the shape of the wire's
 * {@link PoolElementParam}, so it can be handed to the encoder as it is.
 *
 * Fields are read-only for callers: change a PE through its
 * {@link Handlespace} (re-registration, {@link Handlespace.setHomeRegistrar},
 * {@link Handlespace.setExpiry}) so every index stays consistent.
 */
export class PoolElement implements PoolElementParam, ExpiryEntry, WeightedSamplerNode {
  /** The pool this PE belongs to. */
  readonly pool: Pool;
  /** PE identifier (1..0xfffffffe). */
  readonly peId: number;
  /** Identifier of the home registrar that owns this PE (0 = unknown). */
  homeRegistrarId: number;
  /** Registration life in milliseconds, as registered. */
  registrationLife: number;
  /** Where pool users reach this PE. */
  userTransport: TransportParam;
  /** Selection policy values as last registered. */
  policy: PolicyInfo;
  /** The PE's ASAP transport (the association it registered over), when known. */
  asapTransport: TransportParam | undefined;
  /** Time of the first registration (caller's clock). */
  readonly registeredAt: number;
  /** Time of the last registration or update (caller's clock). */
  updatedAt: number;
  /** Absolute expiry time (caller's clock); `Infinity` when it never expires. */
  expiresAt = Infinity;
  /** Opaque tag of the connection (e.g. SCTP association) the PE registered over. */
  connection: unknown = undefined;
  /**
   * Selection sequence number: assigned on insertion and whenever the PE is
   * selected; smaller means "earlier among ties".
   */
  seq = 0;
  /** Accumulated load degradation (degradation policies), reset on every update. */
  degradation = 0;
  /** Unreachability reports received for this PE (MAX-BAD-PE-REPORT bookkeeping). */
  unreachableReports = 0;
  /** Weighted-round-robin round; owned by the policy. @internal */
  round = 0;
  /** Weighted-round-robin selections left in the current round; owned by the policy. @internal */
  credit = 0;

  /** @internal */ expiryIndex = -1;
  /** Round-robin list links; owned by the selector. @internal */ prev: PoolElement | null = null;
  /** @internal */ next: PoolElement | null = null;
  /** Position in the selector's heap or slot array; owned by the selector. @internal */ slot = -1;
  /** Owner list links; owned by the handlespace. @internal */ ownerPrev: PoolElement | null = null;
  /** @internal */ ownerNext: PoolElement | null = null;
  /** The owner list; owned by the handlespace. @internal */ ownerSet: unknown = null;
  /** Free for selection plug-ins that need per-PE state of their own. */
  policyState: unknown = undefined;

  /** @internal Created by {@link Handlespace.register}. */
  constructor(pool: Pool, param: PoolElementParam, now: number) {
    this.pool = pool;
    this.peId = param.peId;
    this.homeRegistrarId = param.homeRegistrarId;
    this.registrationLife = param.registrationLife;
    this.userTransport = param.userTransport;
    this.policy = param.policy;
    this.asapTransport = param.asapTransport;
    this.registeredAt = now;
    this.updatedAt = now;
  }

  /** `false` once the PE has been removed from its handlespace. */
  get active(): boolean {
    return this.ownerSet !== null;
  }

  /** The pool handle of the PE's pool. */
  get poolHandle(): Uint8Array {
    return this.pool.handle;
  }

  /** A plain {@link PoolElementParam} copy of the registration data. */
  toParam(): PoolElementParam {
    const p: PoolElementParam = {
      peId: this.peId,
      homeRegistrarId: this.homeRegistrarId,
      registrationLife: this.registrationLife,
      userTransport: this.userTransport,
      policy: this.policy,
    };
    if (this.asapTransport !== undefined) p.asapTransport = this.asapTransport;
    return p;
  }
}
