/**
 * Pool Member Selection Policy parameter (type 0x0008): every policy
 * encoding of spec §6, RFC 5356 and the reference implementation's
 * extensions.
 *
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import { POLICY_TYPE_CODES, type PolicyInfo, type PolicyName } from './types.js';
import { checkUint32 } from './integer-fields.js';
import { invalid, type TlvCursor } from './tlv-reader.js';
import { ParameterType } from './parameter-types.js';
import type { TlvWriter } from './tlv-writer.js';

/** The 32-bit value fields of each policy, in wire order (spec §6). */
export const POLICY_FIELDS: Readonly<Record<PolicyName, readonly string[]>> = {
  'round-robin': [],
  'weighted-round-robin': ['weight'],
  random: [],
  'weighted-random': ['weight'],
  priority: ['priority'],
  'least-used': ['load'],
  'least-used-degradation': ['load', 'loadDegradation'],
  'priority-least-used': ['load', 'loadDegradation'],
  'randomized-least-used': ['load'],
  'randomized-priority-least-used': ['load', 'loadDegradation'],
  'randomized-least-used-degradation': ['load', 'loadDegradation'],
  'priority-least-used-degradation': ['load', 'loadDegradation'],
  'randomized-priority-least-used-degradation': ['load', 'loadDegradation'],
  'weighted-random-dpf': ['weight', 'weightDpf', 'distance'],
  'least-used-dpf': ['load', 'loadDpf', 'distance'],
  'least-used-degradation-dpf': ['load', 'loadDegradation', 'loadDpf', 'distance'],
};

const NAME_BY_CODE = new Map<number, PolicyName>(
  (Object.entries(POLICY_TYPE_CODES) as [PolicyName, number][]).map(([name, code]) => [code, name]),
);

/** The policy name of a wire policy type code, or `undefined` when the code has no wire encoding. */
export function policyNameOf(code: number): PolicyName | undefined {
  return NAME_BY_CODE.get(code);
}

function fieldsOf(policy: PolicyInfo): readonly string[] {
  const type = typeof policy === 'object' && policy !== null ? policy.type : undefined;
  const fields = typeof type === 'string' && Object.hasOwn(POLICY_FIELDS, type) ? POLICY_FIELDS[type] : undefined;
  if (fields === undefined) {
    throw new InvalidArgumentError(`unknown selection policy ${JSON.stringify((policy as { type?: unknown } | null)?.type)}`);
  }
  return fields;
}

/** Size of the encoded policy parameter (a multiple of 4); validates the values. */
export function policyParameterSize(policy: PolicyInfo): number {
  const fields = fieldsOf(policy);
  const record = policy as unknown as Record<string, unknown>;
  for (const f of fields) checkUint32(record[f], `policy ${policy.type} field ${f}`);
  return 8 + 4 * fields.length;
}

/** Writes the policy parameter (already validated by {@link policyParameterSize}). */
export function writePolicyParameter(w: TlvWriter, policy: PolicyInfo): void {
  const start = w.open(ParameterType.POOL_MEMBER_SELECTION_POLICY);
  w.u32(POLICY_TYPE_CODES[policy.type]);
  const record = policy as unknown as Record<string, number>;
  for (const f of POLICY_FIELDS[policy.type]) w.u32(record[f]!);
  w.close(start);
}

/**
 * Reads the policy parameter at the cursor. A value longer than the policy
 * needs is accepted (the extra bytes are ignored, as the reference
 * implementation does); shorter values and unknown policy types are refused.
 */
export function readPolicyParameter(cur: TlvCursor): PolicyInfo {
  const { view } = cur.ctx;
  const p = cur.valueStart;
  if (cur.valueLength < 4) invalid('selection policy parameter without a policy type', cur.offset);
  const code = view.getUint32(p);
  const name = NAME_BY_CODE.get(code);
  if (name === undefined) {
    invalid(`unsupported selection policy type 0x${code.toString(16).padStart(8, '0')}`, cur.offset);
  }
  const need = 4 + 4 * POLICY_FIELDS[name].length;
  if (cur.valueLength < need) invalid(`selection policy ${name} needs ${need} bytes, got ${cur.valueLength}`, cur.offset);
  switch (name) {
    case 'round-robin':
    case 'random':
      return { type: name };
    case 'weighted-round-robin':
    case 'weighted-random':
      return { type: name, weight: view.getUint32(p + 4) };
    case 'priority':
      return { type: name, priority: view.getUint32(p + 4) };
    case 'least-used':
    case 'randomized-least-used':
      return { type: name, load: view.getUint32(p + 4) };
    case 'least-used-degradation':
    case 'priority-least-used':
    case 'randomized-priority-least-used':
    case 'randomized-least-used-degradation':
    case 'priority-least-used-degradation':
    case 'randomized-priority-least-used-degradation':
      return { type: name, load: view.getUint32(p + 4), loadDegradation: view.getUint32(p + 8) };
    case 'weighted-random-dpf':
      return { type: name, weight: view.getUint32(p + 4), weightDpf: view.getUint32(p + 8), distance: view.getUint32(p + 12) };
    case 'least-used-dpf':
      return { type: name, load: view.getUint32(p + 4), loadDpf: view.getUint32(p + 8), distance: view.getUint32(p + 12) };
    case 'least-used-degradation-dpf':
      return {
        type: name,
        load: view.getUint32(p + 4),
        loadDegradation: view.getUint32(p + 8),
        loadDpf: view.getUint32(p + 12),
        distance: view.getUint32(p + 16),
      };
  }
}
