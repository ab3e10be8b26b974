/**
 * `rserpool/handlespace`: the handlespace data structure (pools, pool
 * elements, checksums, expiry) and the RFC 5356 selection policies, as a
 * registrar or a pool-user cache uses them. For custom policies, simulations
 * and tests of selection behaviour.
 *
 * ```ts
 * import { Handlespace, PoolUserCache, defaultPolicyRegistry } from 'rserpool/handlespace';
 * ```
 *
 * @packageDocumentation
 * @module rserpool/handlespace
 */
export {
  Handlespace,
  hasControlChannel,
  type HandlespaceOptions,
  type HandlespaceRegisterOptions,
  type RegistrationResult,
  type RegistrationAccepted,
  type RegistrationRefused,
} from './handlespace.js';
export { Pool } from './pool.js';
export { PoolElement } from './pool-element.js';
export { PoolUserCache, type PoolUserCacheOptions } from './pool-user-cache.js';
export { PolicyRegistry, BUILTIN_POLICIES, defaultPolicyRegistry } from './policy-registry.js';
export { type SelectionPolicy, type PoolSelector, POLICY_VALUE_MAX } from './policy.js';
export { OrderedSelector, type OrderedPolicyRules } from './ordered-selector.js';
export { SampledSelector, UniformSelector, type SampledPolicyRules } from './sampled-selector.js';
export { RoundRobinSelector } from './round-robin-selector.js';
export { WeightedSampler, type WeightedSamplerNode } from './weighted-sampler.js';
export { ExpiryQueue, type ExpiryEntry } from './expiry-queue.js';
export { Sfc32Random, type RandomSource } from './random.js';
export { roundRobinPolicy, weightedRoundRobinPolicy } from './policies/round-robin.js';
export { randomPolicy, weightedRandomPolicy, weightedRandomDpfPolicy } from './policies/random.js';
export { priorityPolicy } from './policies/priority.js';
export {
  leastUsedPolicy,
  leastUsedDegradationPolicy,
  priorityLeastUsedPolicy,
  priorityLeastUsedDegradationPolicy,
  leastUsedDpfPolicy,
  leastUsedDegradationDpfPolicy,
} from './policies/least-used.js';
export {
  randomizedLeastUsedPolicy,
  randomizedPriorityLeastUsedPolicy,
  randomizedLeastUsedDegradationPolicy,
  randomizedPriorityLeastUsedDegradationPolicy,
} from './policies/randomized-least-used.js';
