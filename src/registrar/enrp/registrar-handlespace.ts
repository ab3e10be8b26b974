/**
 * Adapts the registrar's {@link Handlespace} to the {@link EnrpHandlespace}
 * view the ENRP server works on, and expires PEs learned from peers after
 * their registration life (the registrar's own PEs never expire here: they
 * are supervised by keep-alives).
 *
 * @module
 */
import type { Clock, TimerHandle } from '../../clock.js';
import type { Handlespace } from '../../handlespace/handlespace.js';
import type { PoolElement } from '../../handlespace/pool-element.js';
import type { PoolElementParam, PoolHandle } from '../../wire/types.js';
import type { EnrpHandlespace, HandlespaceEntry } from './handlespace-view.js';

const entry = (pe: PoolElement): HandlespaceEntry => ({ poolHandle: pe.poolHandle, element: pe });

/** {@link EnrpHandlespace} over a {@link Handlespace}. */
export class RegistrarHandlespace implements EnrpHandlespace {
  private timer: TimerHandle | undefined;
  private armedAt = Infinity;
  private closed = false;
  /** PEs learned from peers that expired. */
  expired = 0;
  /** PEs from peers the handlespace refused (inconsistent policy, limits). */
  refused = 0;

  constructor(
    readonly handlespace: Handlespace,
    private readonly clock: Clock,
    /** Called for each PE that expires (after removal). */
    private readonly onExpired?: (pe: PoolElement) => void,
  ) {}

  ownershipChecksum(ownerId: number): number {
    return this.handlespace.ownershipChecksum(ownerId);
  }

  ownedCount(ownerId: number): number {
    return this.handlespace.ownedCount(ownerId);
  }

  ownedBy(ownerId: number): HandlespaceEntry[] {
    return this.handlespace.ownedBy(ownerId).map(entry);
  }

  all(): HandlespaceEntry[] {
    const out: HandlespaceEntry[] = [];
    for (const pe of this.handlespace.poolElements()) out.push(entry(pe));
    return out;
  }

  get(poolHandle: PoolHandle, peId: number): PoolElementParam | undefined {
    return this.handlespace.find(poolHandle, peId);
  }

  /** The stored PE object. */
  find(poolHandle: PoolHandle, peId: number): PoolElement | undefined {
    return this.handlespace.find(poolHandle, peId);
  }

  applyPeer(poolHandle: PoolHandle, element: PoolElementParam): boolean {
    const now = this.clock.now();
    const life = element.registrationLife > 0 ? element.registrationLife : 0;
    const expiresAt = now + life;
    const existing = this.handlespace.find(poolHandle, element.peId);
    if (existing !== undefined && existing.homeRegistrarId !== element.homeRegistrarId) {
      this.handlespace.setHomeRegistrar(existing, element.homeRegistrarId);
    }
    const r = this.handlespace.register(poolHandle, { ...element }, { now, expiresAt });
    if (!r.ok) {
      this.refused++;
      return false;
    }
    this.arm(expiresAt);
    return true;
  }

  remove(poolHandle: PoolHandle, peId: number): boolean {
    const pe = this.handlespace.find(poolHandle, peId);
    return pe !== undefined && this.handlespace.remove(pe);
  }

  transferOwnership(fromId: number, toId: number): HandlespaceEntry[] {
    const moved = this.handlespace.ownedBy(fromId);
    this.handlespace.transferOwnership(fromId, toId);
    return moved.map(entry);
  }

  /** Makes a PE expire at `at` (e.g. an adopted PE that cannot be reached). */
  expireAt(pe: PoolElement, at: number): void {
    this.handlespace.setExpiry(pe, at);
    this.arm(at);
  }

  /** Stops the expiry timer. */
  close(): void {
    this.closed = true;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(at: number): void {
    if (this.closed || at >= this.armedAt) return;
    this.clock.clearTimeout(this.timer);
    this.armedAt = at;
    this.timer = this.clock.setTimeout(() => this.sweep(), Math.max(0, at - this.clock.now()));
  }

  private sweep(): void {
    this.timer = undefined;
    this.armedAt = Infinity;
    if (this.closed) return;
    const gone = this.handlespace.expire(this.clock.now());
    this.expired += gone.length;
    if (this.onExpired) for (const pe of gone) this.onExpired(pe);
    const next = this.handlespace.nextExpiry();
    if (next !== Infinity) this.arm(next);
  }
}
