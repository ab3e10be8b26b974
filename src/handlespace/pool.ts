/**
 * A pool: the pool elements registered under one pool handle.
 *
 * @module
 */
import type { TransportParam } from '../wire/types.js';
import type { PoolSelector, SelectionPolicy } from './policy.js';
import type { PoolElement } from './pool-element.js';

/**
 * The PEs of one pool handle. The first PE fixes the pool's policy, user
 * transport protocol and control-channel flag; later PEs must agree.
 * Pools are created and removed by their {@link Handlespace}.
 */
export class Pool {
  /** The pool handle (a private copy of the registered bytes). */
  readonly handle: Uint8Array;
  /** The pool's selection policy. */
  readonly policy: SelectionPolicy;
  /** Transport protocol of the PEs' user transports. */
  readonly transportProtocol: TransportParam['protocol'];
  /** Whether the PEs want an ASAP control channel (transport use "data plus control"). */
  readonly controlChannel: boolean;
  /** Per-pool selection state of the policy. @internal */
  readonly selector: PoolSelector;
  /** PEs by PE identifier. @internal */
  readonly byId = new Map<number, PoolElement>();
  /** Unfolded checksum sum of the pool handle. @internal */
  readonly handleChecksumSum: number;
  /** Hash of the handle bytes. @internal */
  readonly hash: number;
  /** Next pool with the same hash. @internal */
  nextInChain: Pool | null = null;

  /** @internal Created by the handlespace. */
  constructor(handle: Uint8Array, hash: number, policy: SelectionPolicy, selector: PoolSelector, transportProtocol: TransportParam['protocol'], controlChannel: boolean, handleChecksumSum: number) {
    this.handle = handle;
    this.hash = hash;
    this.policy = policy;
    this.selector = selector;
    this.transportProtocol = transportProtocol;
    this.controlChannel = controlChannel;
    this.handleChecksumSum = handleChecksumSum;
  }

  /** Name of the pool's policy (`PolicyInfo.type`). */
  get policyName(): string {
    return this.policy.name;
  }

  /** Number of PEs. */
  get size(): number {
    return this.byId.size;
  }

  /** The PE with this identifier, if registered. */
  get(peId: number): PoolElement | undefined {
    return this.byId.get(peId);
  }

  /** The pool's PEs, in registration order. */
  elements(): IterableIterator<PoolElement> {
    return this.byId.values();
  }

  /** Same as {@link Pool.elements}. */
  [Symbol.iterator](): IterableIterator<PoolElement> {
    return this.byId.values();
  }
}
