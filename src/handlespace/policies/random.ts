/**
 * Random (RAND, 0x00000003), Weighted Random (WRAND, 0x00000004) and Weighted
 * Random with Distance Penalty Factor (WRAND-DPF, 0xb0002001), spec §11.
 * PEs of one selection are drawn without replacement; nothing is "used", so
 * selections do not change state.
 *
 * - RAND: uniform.
 * - WRAND: probability ∝ weight; weight 0 is never chosen.
 * - WRAND-DPF: weight − round(weight × distance × weightDPF / 0xffffffff), at least 1.
 *
 * @module
 */
import { POLICY_TYPE_CODES, type PolicyInfo } from '../../wire/types.js';
import { POLICY_VALUE_MAX, type SelectionPolicy } from '../policy.js';
import { SampledSelector, UniformSelector, type SampledPolicyRules } from '../sampled-selector.js';

/** Random (RAND): uniform choice. */
export const randomPolicy: SelectionPolicy = {
  name: 'random',
  typeCode: POLICY_TYPE_CODES.random,
  fields: [],
  defaultMaxIncrement: 0,
  createSelector: (random) => new UniformSelector(random),
};

const wrandRules: SampledPolicyRules = {
  weight: (pe) => (pe.policy as Extract<PolicyInfo, { type: 'weighted-random' }>).weight,
};

/** Weighted Random (WRAND): probability proportional to the weight. */
export const weightedRandomPolicy: SelectionPolicy = {
  name: 'weighted-random',
  typeCode: POLICY_TYPE_CODES['weighted-random'],
  fields: ['weight'],
  defaultMaxIncrement: 0,
  createSelector: (random) => new SampledSelector(wrandRules, random),
};

const wrandDpfRules: SampledPolicyRules = {
  weight: (pe) => {
    const p = pe.policy as Extract<PolicyInfo, { type: 'weighted-random-dpf' }>;
    const w = p.weight - Math.round((p.weight * p.distance * p.weightDpf) / POLICY_VALUE_MAX);
    return w > 1 ? w : 1;
  },
};

/** Weighted Random with Distance Penalty Factor (WRAND-DPF). */
export const weightedRandomDpfPolicy: SelectionPolicy = {
  name: 'weighted-random-dpf',
  typeCode: POLICY_TYPE_CODES['weighted-random-dpf'],
  fields: ['weight', 'weightDpf', 'distance'],
  defaultMaxIncrement: 0,
  createSelector: (random) => new SampledSelector(wrandDpfRules, random),
};
