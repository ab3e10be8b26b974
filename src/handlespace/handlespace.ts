/**
 * The handlespace: pools by pool handle, pool elements by (pool, PE id), by
 * home registrar (with incrementally kept ownership checksums) and by expiry
 * time, each index updated on every change in O(log n) or better. Pure data:
 * no I/O and no timers; time is passed in (or read from an injectable
 * {@link Clock}).
 *
 * @module
 */
import { systemClock, type Clock } from '../clock.js';
import { ErrorCauseCode, type PoolElementParam, type PoolHandle, type TransportParam } from '../wire/types.js';
import { finishChecksum } from '../wire/checksum.js';
import { poolElementChecksumSum, poolHandleChecksumSum } from './checksum.js';
import { ExpiryQueue } from './expiry-queue.js';
import { defaultPolicyRegistry, type PolicyRegistry } from './policy-registry.js';
import { policyField, type SelectionPolicy } from './policy.js';
import { PoolElement } from './pool-element.js';
import { Pool } from './pool.js';
import { Sfc32Random, type RandomSource } from './random.js';

/** Options of a {@link Handlespace}. */
export interface HandlespaceOptions {
  /** Longest accepted pool handle in bytes (default 32, the reference implementation's limit). */
  maxPoolHandleLength?: number;
  /** Most PEs per pool (default unlimited); more are refused with cause 0x0006. */
  maxElementsPerPool?: number;
  /** Most pools (default unlimited); more are refused with cause 0x0006. */
  maxPools?: number;
  /** Accepted selection policies (default: all built-in ones). */
  policies?: PolicyRegistry;
  /** Random source of the random policies (default: {@link Sfc32Random} seeded with `seed`). */
  random?: RandomSource;
  /** Seed of the default random source; tests pass one for reproducible selections. */
  seed?: number;
  /**
   * How many of the PEs returned by one selection count as used (sequence
   * number bumped, degradation applied). Default: each policy's own default
   * (spec §11); 0 also means "policy default".
   */
  maxIncrement?: number;
  /** Source of "now" when a call does not pass the time (default: the system clock). */
  clock?: Clock;
}

/** Per-call options of {@link Handlespace.register}. */
export interface HandlespaceRegisterOptions {
  /** Current time (default: the handlespace's clock). */
  now?: number;
  /**
   * Absolute expiry time; default `now + registrationLife`. `Infinity` means
   * the PE never expires on its own (e.g. supervised by keep-alives).
   */
  expiresAt?: number;
  /**
   * Opaque tag of the connection the registration arrived on (e.g. the SCTP
   * association); PEs can be listed by it with {@link Handlespace.byConnection}.
   * On a re-registration, `undefined` keeps the previous tag.
   */
  connection?: unknown;
}

/** A successful registration. */
export interface RegistrationAccepted {
  /** Discriminant. */
  readonly ok: true;
  /** Always 0 for an accepted registration. */
  readonly cause: 0;
  /** The stored PE. */
  readonly pe: PoolElement;
  /** `true` for a new PE, `false` for a re-registration (update) of an existing one. */
  readonly created: boolean;
}

/** A refused registration. */
export interface RegistrationRefused {
  /** Discriminant. */
  readonly ok: false;
  /** RFC 5354 error cause code ({@link ErrorCauseCode}) for the Operation Error parameter. */
  readonly cause: number;
  /** Human-readable reason. */
  readonly reason: string;
}

/** Outcome of {@link Handlespace.register}: never thrown, always returned. */
export type RegistrationResult = RegistrationAccepted | RegistrationRefused;

function refusal(cause: number, reason: string): RegistrationRefused {
  return Object.freeze({ ok: false as const, cause, reason });
}

const REFUSE_HANDLE = refusal(ErrorCauseCode.INVALID_VALUES, 'pool handle is empty or too long');
const REFUSE_PE_ID = refusal(ErrorCauseCode.INVALID_VALUES, 'PE identifier must be 1..0xfffffffe');
const REFUSE_UNKNOWN_POLICY = refusal(ErrorCauseCode.INVALID_VALUES, 'unsupported pool member selection policy');
const REFUSE_POLICY_VALUES = refusal(ErrorCauseCode.INVALID_VALUES, 'invalid pool member selection policy values');
const REFUSE_TRANSPORT = refusal(ErrorCauseCode.INVALID_VALUES, 'user transport has no address or an invalid port');
const REFUSE_POLICY = refusal(ErrorCauseCode.INCONSISTENT_POLICY, 'policy differs from the pool policy');
const REFUSE_PROTOCOL = refusal(ErrorCauseCode.INCONSISTENT_TRANSPORT, 'transport protocol differs from the pool');
const REFUSE_CONTROL = refusal(ErrorCauseCode.INCONSISTENT_DATA_CONTROL, 'data/control channel use differs from the pool');
const REFUSE_POOL_FULL = refusal(ErrorCauseCode.LACK_OF_RESOURCES, 'pool has reached its maximum number of PEs');
const REFUSE_TOO_MANY_POOLS = refusal(ErrorCauseCode.LACK_OF_RESOURCES, 'handlespace has reached its maximum number of pools');

/** PEs owned by one home registrar: an intrusive list and the checksum accumulator. */
class OwnerSet {
  count = 0;
  sum = 0;
  head: PoolElement | null = null;
}

/** `true` when a transport asks for an ASAP control channel (spec §5.3). */
export function hasControlChannel(t: TransportParam): boolean {
  return (t.protocol === 'sctp' || t.protocol === 'tcp') && t.transportUse === 1;
}

function hashHandle(h: Uint8Array): number {
  let x = 0x811c9dc5;
  for (let i = 0; i < h.length; i++) x = Math.imul(x ^ h[i]!, 0x01000193);
  return x & 0x3fffffff;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  const n = a.length;
  if (n !== b.length) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

function isUint32(v: unknown): boolean {
  return typeof v === 'number' && v >>> 0 === v;
}

/** The registrar's handlespace, also used (through {@link PoolUserCache}) as a pool user's cache. */
export class Handlespace {
  private readonly table = new Map<number, Pool>();
  private readonly owners = new Map<number, OwnerSet>();
  private readonly connections = new Map<unknown, Set<PoolElement>>();
  private readonly expiry = new ExpiryQueue<PoolElement>();
  private readonly policies: PolicyRegistry;
  private readonly random: RandomSource;
  private readonly clock: Clock;
  private readonly maxHandleLength: number;
  private readonly maxPerPool: number;
  private readonly maxPools: number;
  private readonly maxIncrement: number;
  private poolTotal = 0;
  private peTotal = 0;
  /** The pool found by the last lookup (bursts of operations tend to hit one pool). */
  private lastPool: Pool | null = null;

  constructor(options: HandlespaceOptions = {}) {
    this.policies = options.policies ?? defaultPolicyRegistry;
    this.random = options.random ?? new Sfc32Random(options.seed);
    this.clock = options.clock ?? systemClock;
    this.maxHandleLength = options.maxPoolHandleLength ?? 32;
    this.maxPerPool = options.maxElementsPerPool ?? Infinity;
    this.maxPools = options.maxPools ?? Infinity;
    this.maxIncrement = options.maxIncrement ?? 0;
  }

  /** Total number of PEs. */
  get size(): number {
    return this.peTotal;
  }

  /** Number of pools. */
  get poolCount(): number {
    return this.poolTotal;
  }

  /** The pool of a handle, if it has PEs. */
  getPool(poolHandle: PoolHandle): Pool | undefined {
    const last = this.lastPool;
    if (last !== null && sameBytes(last.handle, poolHandle)) return last;
    let p: Pool | null = this.table.get(hashHandle(poolHandle)) ?? null;
    while (p !== null) {
      if (sameBytes(p.handle, poolHandle)) {
        this.lastPool = p;
        return p;
      }
      p = p.nextInChain;
    }
    return undefined;
  }

  /** The PE `peId` of a pool, if registered. */
  find(poolHandle: PoolHandle, peId: number): PoolElement | undefined {
    return this.getPool(poolHandle)?.byId.get(peId);
  }

  /** All pools. */
  *pools(): IterableIterator<Pool> {
    for (const first of this.table.values()) {
      for (let p: Pool | null = first; p !== null; p = p.nextInChain) yield p;
    }
  }

  /** All PEs, pool by pool. */
  *poolElements(): IterableIterator<PoolElement> {
    for (const pool of this.pools()) yield* pool.byId.values();
  }

  /**
   * Registers a new PE or re-registers (updates) an existing one, identified
   * by (pool handle, PE id). Refusals are returned, not thrown, with the RFC
   * 5354 cause code to send back:
   *
   * - 0x0003 invalid values: empty or too long handle, PE id 0 or 0xffffffff,
   *   unknown policy, policy values that are not unsigned 32-bit integers,
   *   user transport without address or with port 0;
   * - 0x0005 inconsistent pooling policy: other policy type than the pool;
   * - 0x0007 inconsistent transport type: other user transport protocol than the pool;
   * - 0x0008 inconsistent data/control configuration: other transport use than the pool;
   * - 0x0006 lack of resources: pool or handlespace full.
   *
   * A re-registration replaces the registration data, resets the degradation
   * counter and sets a new expiry time. The pool handle bytes are copied.
   */
  register(poolHandle: PoolHandle, param: PoolElementParam, options?: HandlespaceRegisterOptions): RegistrationResult {
    const hlen = poolHandle.length;
    if (hlen === 0 || hlen > this.maxHandleLength) return REFUSE_HANDLE;
    const peId = param.peId;
    if (!isUint32(peId) || peId === 0 || peId === 0xffffffff) return REFUSE_PE_ID;
    const info = param.policy;
    const policy = this.policies.get(info.type);
    if (policy === undefined) return REFUSE_UNKNOWN_POLICY;
    if (!this.validPolicyValues(policy, param)) return REFUSE_POLICY_VALUES;
    const ut = param.userTransport;
    if (ut.addresses.length === 0 || !(ut.port > 0 && ut.port <= 0xffff)) return REFUSE_TRANSPORT;
    const control = hasControlChannel(ut);

    const now = options?.now ?? this.clock.now();
    const expiresAt = options?.expiresAt ?? now + (param.registrationLife > 0 ? param.registrationLife : 0);
    const connection = options?.connection;

    let pool = this.getPool(poolHandle);
    if (pool !== undefined) {
      if (pool.policy !== policy) return REFUSE_POLICY;
      if (pool.transportProtocol !== ut.protocol) return REFUSE_PROTOCOL;
      if (pool.controlChannel !== control) return REFUSE_CONTROL;
      const pe = pool.byId.get(peId);
      if (pe !== undefined) {
        this.update(pe, param, now, expiresAt, connection);
        return { ok: true, cause: 0, pe, created: false };
      }
      if (pool.byId.size >= this.maxPerPool) return REFUSE_POOL_FULL;
    } else {
      if (this.poolTotal >= this.maxPools) return REFUSE_TOO_MANY_POOLS;
      if (this.maxPerPool < 1) return REFUSE_POOL_FULL;
      pool = this.createPool(poolHandle, policy, ut.protocol, control);
    }

    const pe = new PoolElement(pool, param, now);
    pool.byId.set(peId, pe);
    this.peTotal++;
    pool.selector.add(pe);
    this.linkOwner(pe);
    if (connection !== undefined) this.linkConnection(pe, connection);
    if (expiresAt !== Infinity) this.expiry.set(pe, expiresAt);
    return { ok: true, cause: 0, pe, created: true };
  }

  /**
   * Removes PE `peId` from a pool. Returns the removed PE, or `undefined`
   * when it was not registered. An emptied pool disappears.
   */
  deregister(poolHandle: PoolHandle, peId: number): PoolElement | undefined {
    const pe = this.getPool(poolHandle)?.byId.get(peId);
    if (pe !== undefined) this.remove(pe);
    return pe;
  }

  /** Removes a PE of this handlespace; `false` when it was already removed. */
  remove(pe: PoolElement): boolean {
    if (!pe.active) return false;
    const pool = pe.pool;
    pool.selector.remove(pe);
    pool.byId.delete(pe.peId);
    this.peTotal--;
    this.unlinkOwner(pe);
    if (pe.connection !== undefined) this.unlinkConnection(pe);
    this.expiry.delete(pe);
    if (pool.byId.size === 0) this.deletePool(pool);
    return true;
  }

  /**
   * Selects up to `count` distinct PEs of a pool by the pool's policy (spec
   * §11) and returns them in selection order, in `out` when given: its
   * previous contents are replaced, so a caller can reuse one array for
   * every resolution without garbage. An unknown pool yields no PEs.
   * Selection advances the policy's state (round-robin position,
   * degradation, sequence numbers).
   */
  select(poolHandle: PoolHandle, count: number, out: PoolElement[] = []): PoolElement[] {
    const pool = this.getPool(poolHandle);
    if (pool === undefined) {
      if (out.length !== 0) out.length = 0;
      return out;
    }
    return this.selectFrom(pool, count, out);
  }

  /** Like {@link Handlespace.select} for a pool already looked up. */
  selectFrom(pool: Pool, count: number, out: PoolElement[] = []): PoolElement[] {
    const n = count > 0 ? pool.selector.select(count, this.maxIncrement > 0 ? this.maxIncrement : pool.policy.defaultMaxIncrement, out, 0) : 0;
    if (out.length !== n) out.length = n;
    return out;
  }

  // ---- expiry ------------------------------------------------------------

  /** Earliest expiry time of any PE, or `Infinity`. Arm one timer for it. */
  nextExpiry(): number {
    return this.expiry.nextExpiry();
  }

  /** Removes every PE whose expiry time is ≤ `now` and returns them (appended to `out`). */
  expire(now: number, out: PoolElement[] = []): PoolElement[] {
    for (;;) {
      const pe = this.expiry.popExpired(now);
      if (pe === undefined) return out;
      this.remove(pe);
      out.push(pe);
    }
  }

  /** Sets a PE's absolute expiry time (`Infinity` = never), e.g. after a keep-alive. */
  setExpiry(pe: PoolElement, expiresAt: number): void {
    if (pe.active) this.expiry.set(pe, expiresAt);
  }

  // ---- ownership -----------------------------------------------------------

  /** ENRP PE checksum (spec §9) over the PEs owned by a registrar; 0xffff when it owns none. */
  ownershipChecksum(registrarId: number): number {
    const set = this.owners.get(registrarId);
    return set === undefined ? 0xffff : finishChecksum(set.sum);
  }

  /** Number of PEs owned by a registrar. */
  ownedCount(registrarId: number): number {
    return this.owners.get(registrarId)?.count ?? 0;
  }

  /** Identifiers of every home registrar that owns at least one PE. */
  owningRegistrars(): IterableIterator<number> {
    return this.owners.keys();
  }

  /** A snapshot of the PEs owned by a registrar (safe to modify the handlespace while walking it). */
  ownedBy(registrarId: number): PoolElement[] {
    const out: PoolElement[] = [];
    for (let pe = this.owners.get(registrarId)?.head ?? null; pe !== null; pe = pe.ownerNext) out.push(pe);
    return out;
  }

  /** Calls `fn` for each PE owned by a registrar; `fn` must not change the handlespace. */
  forEachOwnedBy(registrarId: number, fn: (pe: PoolElement) => void): void {
    for (let pe = this.owners.get(registrarId)?.head ?? null; pe !== null; pe = pe.ownerNext) fn(pe);
  }

  /** Changes the home registrar of one PE. */
  setHomeRegistrar(pe: PoolElement, registrarId: number): void {
    if (!pe.active || pe.homeRegistrarId === registrarId) return;
    this.unlinkOwner(pe);
    pe.homeRegistrarId = registrarId;
    this.linkOwner(pe);
  }

  /**
   * Makes `to` the home registrar of every PE owned by `from` (takeover,
   * spec §12.10). Returns the number of PEs moved; O(PEs moved).
   */
  transferOwnership(from: number, to: number): number {
    if (from === to) return 0;
    const src = this.owners.get(from);
    if (src === undefined) return 0;
    this.owners.delete(from);
    let dst = this.owners.get(to);
    if (dst === undefined) {
      dst = new OwnerSet();
      this.owners.set(to, dst);
    }
    let last: PoolElement | null = null;
    for (let pe = src.head; pe !== null; pe = pe.ownerNext) {
      pe.homeRegistrarId = to;
      pe.ownerSet = dst;
      last = pe;
    }
    if (last !== null) {
      last.ownerNext = dst.head;
      if (dst.head !== null) dst.head.ownerPrev = last;
      dst.head = src.head;
    }
    dst.count += src.count;
    dst.sum += src.sum;
    return src.count;
  }

  // ---- connections ---------------------------------------------------------

  /** A snapshot of the PEs registered over a connection tag (see {@link HandlespaceRegisterOptions.connection}). */
  byConnection(connection: unknown): PoolElement[] {
    const set = this.connections.get(connection);
    return set === undefined ? [] : [...set];
  }

  /** Removes every PE registered over a connection (association loss) and returns them. */
  removeByConnection(connection: unknown): PoolElement[] {
    const list = this.byConnection(connection);
    for (const pe of list) this.remove(pe);
    return list;
  }

  /** Removes every PE and pool. */
  clear(): void {
    for (const pe of [...this.poolElements()]) this.remove(pe);
  }

  // ---- internals -----------------------------------------------------------

  private validPolicyValues(policy: SelectionPolicy, param: PoolElementParam): boolean {
    const fields = policy.fields;
    for (let i = 0; i < fields.length; i++) if (!isUint32(policyField(param.policy, fields[i]!))) return false;
    return policy.validate === undefined || policy.validate(param.policy);
  }

  private update(pe: PoolElement, param: PoolElementParam, now: number, expiresAt: number, connection: unknown): void {
    pe.registrationLife = param.registrationLife;
    pe.userTransport = param.userTransport;
    pe.asapTransport = param.asapTransport;
    pe.updatedAt = now;
    pe.policy = param.policy;
    pe.degradation = 0;
    pe.pool.selector.update(pe);
    if (param.homeRegistrarId !== pe.homeRegistrarId) this.setHomeRegistrar(pe, param.homeRegistrarId);
    if (connection !== undefined && connection !== pe.connection) {
      if (pe.connection !== undefined) this.unlinkConnection(pe);
      this.linkConnection(pe, connection);
    }
    this.expiry.set(pe, expiresAt);
  }

  private createPool(handle: Uint8Array, policy: SelectionPolicy, protocol: TransportParam['protocol'], control: boolean): Pool {
    const copy = new Uint8Array(handle);
    const hash = hashHandle(copy);
    const pool = new Pool(copy, hash, policy, policy.createSelector(this.random), protocol, control, poolHandleChecksumSum(copy));
    const first = this.table.get(hash);
    if (first !== undefined) pool.nextInChain = first;
    this.table.set(hash, pool);
    this.poolTotal++;
    return pool;
  }

  private deletePool(pool: Pool): void {
    if (this.lastPool === pool) this.lastPool = null;
    const first = this.table.get(pool.hash);
    if (first === pool) {
      if (pool.nextInChain === null) this.table.delete(pool.hash);
      else this.table.set(pool.hash, pool.nextInChain);
    } else {
      let p = first ?? null;
      while (p !== null && p.nextInChain !== pool) p = p.nextInChain;
      if (p !== null) p.nextInChain = pool.nextInChain;
    }
    pool.nextInChain = null;
    this.poolTotal--;
  }

  private linkOwner(pe: PoolElement): void {
    let set = this.owners.get(pe.homeRegistrarId);
    if (set === undefined) {
      set = new OwnerSet();
      this.owners.set(pe.homeRegistrarId, set);
    }
    pe.ownerSet = set;
    pe.ownerPrev = null;
    pe.ownerNext = set.head;
    if (set.head !== null) set.head.ownerPrev = pe;
    set.head = pe;
    set.count++;
    set.sum += poolElementChecksumSum(pe.pool.handleChecksumSum, pe.peId);
  }

  private unlinkOwner(pe: PoolElement): void {
    const set = pe.ownerSet as OwnerSet;
    if (pe.ownerPrev === null) set.head = pe.ownerNext;
    else pe.ownerPrev.ownerNext = pe.ownerNext;
    if (pe.ownerNext !== null) pe.ownerNext.ownerPrev = pe.ownerPrev;
    pe.ownerPrev = pe.ownerNext = null;
    pe.ownerSet = null;
    set.count--;
    set.sum -= poolElementChecksumSum(pe.pool.handleChecksumSum, pe.peId);
    if (set.count === 0) this.owners.delete(pe.homeRegistrarId);
  }

  private linkConnection(pe: PoolElement, connection: unknown): void {
    pe.connection = connection;
    let set = this.connections.get(connection);
    if (set === undefined) {
      set = new Set();
      this.connections.set(connection, set);
    }
    set.add(pe);
  }

  private unlinkConnection(pe: PoolElement): void {
    const set = this.connections.get(pe.connection);
    if (set !== undefined) {
      set.delete(pe);
      if (set.size === 0) this.connections.delete(pe.connection);
    }
  }
}
