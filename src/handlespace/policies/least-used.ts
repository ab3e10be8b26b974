/**
 * The least-used family (spec §11): PEs ordered by an effective load, ties
 * in round-robin order (a used PE moves to the end of its load group).
 *
 * | policy | effective load | on use |
 * |---|---|---|
 * | LU | load | — |
 * | LUD | load + degradation counter | counter += load degradation |
 * | PLU | load + load increment | — |
 * | PLUD | load + load increment + degradation counter | counter += load increment |
 * | LU-DPF | load + distance × load DPF | — |
 * | LUD-DPF | load + degradation counter + distance × load DPF | counter += load degradation |
 *
 * Effective loads saturate at 0xffffffff (100 %); loads are unsigned 32-bit
 * values. The degradation counter starts at 0 and is reset whenever the PE
 * re-registers (RFC 5356 rule; see the architecture decisions for the
 * difference to the reference implementation's order).
 *
 * @module
 */
import { POLICY_TYPE_CODES } from '../../wire/types.js';
import { OrderedSelector, type OrderedPolicyRules } from '../ordered-selector.js';
import { POLICY_VALUE_MAX, type SelectionPolicy } from '../policy.js';
import type { PoolElement } from '../pool-element.js';

interface LoadValues {
  load: number;
  loadDegradation: number;
  loadDpf: number;
  distance: number;
}

function values(pe: PoolElement): LoadValues {
  return pe.policy as unknown as LoadValues;
}

function sat(x: number): number {
  return x > POLICY_VALUE_MAX ? POLICY_VALUE_MAX : x;
}

function degrade(pe: PoolElement): void {
  pe.degradation = sat(pe.degradation + values(pe).loadDegradation);
}

function make(name: keyof typeof POLICY_TYPE_CODES, fields: string[], rules: OrderedPolicyRules): SelectionPolicy {
  return {
    name,
    typeCode: POLICY_TYPE_CODES[name],
    fields,
    defaultMaxIncrement: 1,
    createSelector: () => new OrderedSelector(rules),
  };
}

/** Least Used (LU, 0x40000001): lowest load first. */
export const leastUsedPolicy = make('least-used', ['load'], { key: (pe) => values(pe).load });

/** Least Used with Degradation (LUD, 0x40000002): lowest load + accumulated degradation first. */
export const leastUsedDegradationPolicy = make('least-used-degradation', ['load', 'loadDegradation'], {
  key: (pe) => sat(values(pe).load + pe.degradation),
  consume: degrade,
});

/** Priority Least Used (PLU, 0x40000003): lowest load + load increment first. */
export const priorityLeastUsedPolicy = make('priority-least-used', ['load', 'loadDegradation'], {
  key: (pe) => {
    const v = values(pe);
    return sat(v.load + v.loadDegradation);
  },
});

/** Priority Least Used with Degradation (PLUD, 0xb0001003). */
export const priorityLeastUsedDegradationPolicy = make('priority-least-used-degradation', ['load', 'loadDegradation'], {
  key: (pe) => {
    const v = values(pe);
    return sat(v.load + v.loadDegradation + pe.degradation);
  },
  consume: degrade,
});

/** Least Used with Distance Penalty Factor (LU-DPF, 0xb0002002). */
export const leastUsedDpfPolicy = make('least-used-dpf', ['load', 'loadDpf', 'distance'], {
  key: (pe) => {
    const v = values(pe);
    return sat(v.load + v.distance * v.loadDpf);
  },
});

/** Least Used with Degradation and Distance Penalty Factor (LUD-DPF, 0xb0002003). */
export const leastUsedDegradationDpfPolicy = make('least-used-degradation-dpf', ['load', 'loadDegradation', 'loadDpf', 'distance'], {
  key: (pe) => {
    const v = values(pe);
    return sat(v.load + pe.degradation + v.distance * v.loadDpf);
  },
  consume: degrade,
});
