/**
 * The randomized least-used family (spec §11): PEs drawn with probability
 * proportional to their spare capacity.
 *
 * | policy | weight | on use |
 * |---|---|---|
 * | RLU (0x40000004) | max(1, MAX − load) | — |
 * | RPLU (0xb0001001) | max(1, MAX − load − load increment) | — |
 * | RLUD (0xb0001002) | max(1, MAX − load − degradation counter) | counter += load degradation |
 * | RPLUD (0xb0001004) | max(1, MAX − load − load increment − degradation counter) | counter += load increment |
 *
 * MAX = 0xffffffff. The degradation counter is reset on every re-registration.
 *
 * @module
 */
import { POLICY_TYPE_CODES } from '../../wire/types.js';
import { POLICY_VALUE_MAX, type SelectionPolicy } from '../policy.js';
import type { PoolElement } from '../pool-element.js';
import { SampledSelector, type SampledPolicyRules } from '../sampled-selector.js';

interface LoadValues {
  load: number;
  loadDegradation: number;
}

function values(pe: PoolElement): LoadValues {
  return pe.policy as unknown as LoadValues;
}

function spare(used: number): number {
  const w = POLICY_VALUE_MAX - used;
  return w > 1 ? w : 1;
}

function degrade(pe: PoolElement): void {
  const d = pe.degradation + values(pe).loadDegradation;
  pe.degradation = d > POLICY_VALUE_MAX ? POLICY_VALUE_MAX : d;
}

function make(name: keyof typeof POLICY_TYPE_CODES, fields: string[], rules: SampledPolicyRules): SelectionPolicy {
  return {
    name,
    typeCode: POLICY_TYPE_CODES[name],
    fields,
    defaultMaxIncrement: 1,
    createSelector: (random) => new SampledSelector(rules, random),
  };
}

/** Randomized Least Used (RLU). */
export const randomizedLeastUsedPolicy = make('randomized-least-used', ['load'], {
  weight: (pe) => spare(values(pe).load),
});

/** Randomized Priority Least Used (RPLU). */
export const randomizedPriorityLeastUsedPolicy = make('randomized-priority-least-used', ['load', 'loadDegradation'], {
  weight: (pe) => {
    const v = values(pe);
    return spare(v.load + v.loadDegradation);
  },
});

/** Randomized Least Used with Degradation (RLUD). */
export const randomizedLeastUsedDegradationPolicy = make('randomized-least-used-degradation', ['load', 'loadDegradation'], {
  weight: (pe) => spare(values(pe).load + pe.degradation),
  consume: degrade,
});

/** Randomized Priority Least Used with Degradation (RPLUD). */
export const randomizedPriorityLeastUsedDegradationPolicy = make(
  'randomized-priority-least-used-degradation',
  ['load', 'loadDegradation'],
  {
    weight: (pe) => {
      const v = values(pe);
      return spare(v.load + v.loadDegradation + pe.degradation);
    },
    consume: degrade,
  },
);
