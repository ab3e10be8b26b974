/**
 * Round Robin (RR, 0x00000001) and Weighted Round Robin (WRR, 0x00000002),
 * RFC 5356 §2.1.1–2.1.2, semantics as spec §11.
 *
 * - RR cycles through the PEs in sequence order; a used PE moves to the end
 *   (O(1) per pick).
 * - WRR serves every PE *weight* times per round: PEs are ordered by
 *   (round, sequence); a used PE stays in its round (moving to the end of it)
 *   until it has been used *weight* times, then moves on to the next round.
 *   A new PE joins the current (lowest) round. Weight 0 counts as 1.
 *
 * @module
 */
import { POLICY_TYPE_CODES, type PolicyInfo } from '../../wire/types.js';
import { OrderedSelector, type OrderedPolicyRules } from '../ordered-selector.js';
import type { SelectionPolicy } from '../policy.js';
import { RoundRobinSelector } from '../round-robin-selector.js';
import type { PoolElement } from '../pool-element.js';

/** Round Robin (RR): cycle through the PEs. */
export const roundRobinPolicy: SelectionPolicy = {
  name: 'round-robin',
  typeCode: POLICY_TYPE_CODES['round-robin'],
  fields: [],
  defaultMaxIncrement: 1,
  createSelector: () => new RoundRobinSelector(),
};

function wrrWeight(pe: PoolElement): number {
  const w = (pe.policy as Extract<PolicyInfo, { type: 'weighted-round-robin' }>).weight;
  return w > 1 ? w : 1;
}

const wrrRules: OrderedPolicyRules = {
  key: (pe) => pe.round,
  init(pe, first) {
    pe.round = first === undefined ? 0 : first.round;
    pe.credit = wrrWeight(pe);
  },
  consume(pe) {
    if (pe.credit > 1) pe.credit--;
    else {
      pe.round++;
      pe.credit = wrrWeight(pe);
    }
  },
  refresh(pe) {
    const w = wrrWeight(pe);
    if (pe.credit > w) pe.credit = w;
  },
};

/** Weighted Round Robin (WRR): like RR, each PE is served *weight* times per round. */
export const weightedRoundRobinPolicy: SelectionPolicy = {
  name: 'weighted-round-robin',
  typeCode: POLICY_TYPE_CODES['weighted-round-robin'],
  fields: ['weight'],
  defaultMaxIncrement: 1,
  createSelector: () => new OrderedSelector(wrrRules),
};
