/**
 * The set of selection policies a handlespace accepts, looked up by name or
 * wire type code. Adding a policy means registering one more
 * {@link SelectionPolicy}; the handlespace core is not touched.
 *
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import { leastUsedDegradationDpfPolicy, leastUsedDegradationPolicy, leastUsedDpfPolicy, leastUsedPolicy, priorityLeastUsedDegradationPolicy, priorityLeastUsedPolicy } from './policies/least-used.js';
import { priorityPolicy } from './policies/priority.js';
import { randomPolicy, weightedRandomDpfPolicy, weightedRandomPolicy } from './policies/random.js';
import {
  randomizedLeastUsedDegradationPolicy,
  randomizedLeastUsedPolicy,
  randomizedPriorityLeastUsedDegradationPolicy,
  randomizedPriorityLeastUsedPolicy,
} from './policies/randomized-least-used.js';
import { roundRobinPolicy, weightedRoundRobinPolicy } from './policies/round-robin.js';
import type { SelectionPolicy } from './policy.js';

/** Every built-in policy: all of RFC 5356 plus the reference implementation's encodable extras (spec §6). */
export const BUILTIN_POLICIES: readonly SelectionPolicy[] = Object.freeze([
  roundRobinPolicy,
  weightedRoundRobinPolicy,
  randomPolicy,
  weightedRandomPolicy,
  priorityPolicy,
  leastUsedPolicy,
  leastUsedDegradationPolicy,
  priorityLeastUsedPolicy,
  randomizedLeastUsedPolicy,
  randomizedPriorityLeastUsedPolicy,
  randomizedLeastUsedDegradationPolicy,
  priorityLeastUsedDegradationPolicy,
  randomizedPriorityLeastUsedDegradationPolicy,
  weightedRandomDpfPolicy,
  leastUsedDpfPolicy,
  leastUsedDegradationDpfPolicy,
]);

/** A name- and type-code-indexed set of {@link SelectionPolicy} plug-ins. */
export class PolicyRegistry {
  private readonly byName = new Map<string, SelectionPolicy>();
  private readonly byCode = new Map<number, SelectionPolicy>();

  /** @param policies - initial policies (default: {@link BUILTIN_POLICIES}). */
  constructor(policies: Iterable<SelectionPolicy> = BUILTIN_POLICIES) {
    for (const p of policies) this.add(p);
  }

  /**
   * Adds a policy.
   * @throws InvalidArgumentError when its name or type code is already taken.
   */
  add(policy: SelectionPolicy): this {
    if (this.byName.has(policy.name)) throw new InvalidArgumentError(`policy ${policy.name} is already registered`);
    if (this.byCode.has(policy.typeCode >>> 0)) throw new InvalidArgumentError(`policy type 0x${(policy.typeCode >>> 0).toString(16)} is already registered`);
    this.byName.set(policy.name, policy);
    this.byCode.set(policy.typeCode >>> 0, policy);
    return this;
  }

  /** The policy of a `PolicyInfo.type` name, if known. */
  get(name: string): SelectionPolicy | undefined {
    return this.byName.get(name);
  }

  /** The policy of a 32-bit wire type code, if known. */
  byTypeCode(code: number): SelectionPolicy | undefined {
    return this.byCode.get(code >>> 0);
  }

  /** All registered policies. */
  [Symbol.iterator](): IterableIterator<SelectionPolicy> {
    return this.byName.values();
  }
}

/** The shared registry of built-in policies (do not add to it; create your own registry instead). */
export const defaultPolicyRegistry: PolicyRegistry = new PolicyRegistry();
