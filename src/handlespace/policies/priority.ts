/**
 * Priority (PRI, 0x00000005): highest priority first, round robin among PEs
 * of equal priority (spec §11).
 *
 * @module
 */
import { POLICY_TYPE_CODES, type PolicyInfo } from '../../wire/types.js';
import { OrderedSelector, type OrderedPolicyRules } from '../ordered-selector.js';
import { POLICY_VALUE_MAX, type SelectionPolicy } from '../policy.js';

const priorityRules: OrderedPolicyRules = {
  key: (pe) => POLICY_VALUE_MAX - (pe.policy as Extract<PolicyInfo, { type: 'priority' }>).priority,
};

/** Priority (PRI): descending priority, ties in round-robin order. */
export const priorityPolicy: SelectionPolicy = {
  name: 'priority',
  typeCode: POLICY_TYPE_CODES.priority,
  fields: ['priority'],
  defaultMaxIncrement: 1,
  createSelector: () => new OrderedSelector(priorityRules),
};
