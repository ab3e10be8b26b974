/**
 * The user-facing form of pool member selection policies: loads,
 * degradations and DPF factors as fractions 0..1 instead of 32-bit wire
 * values. `{ type: 'least-used', load: 0.25 }` becomes the wire
 * {@link PolicyInfo} `{ type: 'least-used', load: 0x40000000 }`.
 *
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import { POLICY_TYPE_CODES, loadFromFraction, loadToFraction, type PolicyInfo, type PolicyName } from '../wire/types.js';

/**
 * A selection policy with fractions in 0..1. Fields a policy does not use
 * are ignored; missing fields default to 0 (weight: 1).
 */
export interface PolicyOptions {
  /** Policy name (all names of {@link PolicyName}). Default `'round-robin'`. */
  type: PolicyName;
  /** Current load, 0..1 (least-used family). */
  load?: number;
  /** Load degradation / load increment per selection, 0..1. */
  loadDegradation?: number;
  /** Load DPF factor, 0..1 (DPF policies). */
  loadDpf?: number;
  /** Weight, a non-negative integer (weighted policies). Default 1. */
  weight?: number;
  /** Weight DPF factor, 0..1 (weighted-random-dpf). */
  weightDpf?: number;
  /** Priority, a non-negative integer (priority policy; higher first). */
  priority?: number;
  /** Distance in ms (DPF policies; registrars may overwrite it). */
  distance?: number;
}

function fraction(name: string, v: number | undefined): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || Number.isNaN(v) || v < 0 || v > 1) throw new InvalidArgumentError(`Policy ${name} must be a fraction between 0 and 1, got ${String(v)}`);
  return loadFromFraction(v);
}

function u32(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new InvalidArgumentError(`Policy ${name} must be an integer 0..4294967295, got ${String(v)}`);
  return v;
}

/**
 * Converts user-facing policy options (fractions) into a wire
 * {@link PolicyInfo}. A string is a policy name with default values.
 *
 * @throws InvalidArgumentError for unknown names or out-of-range values.
 */
export function policyFromOptions(p: PolicyOptions | PolicyName | undefined): PolicyInfo {
  const o: PolicyOptions = p === undefined ? { type: 'round-robin' } : typeof p === 'string' ? { type: p } : p;
  if (!Object.prototype.hasOwnProperty.call(POLICY_TYPE_CODES, o.type)) throw new InvalidArgumentError(`Unknown policy "${String(o.type)}"`);
  const load = fraction('load', o.load);
  const loadDegradation = fraction('loadDegradation', o.loadDegradation);
  const loadDpf = fraction('loadDpf', o.loadDpf);
  const weightDpf = fraction('weightDpf', o.weightDpf);
  const weight = u32('weight', o.weight, 1);
  const priority = u32('priority', o.priority, 0);
  const distance = u32('distance', o.distance, 0);
  switch (o.type) {
    case 'round-robin':
    case 'random':
      return { type: o.type };
    case 'weighted-round-robin':
    case 'weighted-random':
      return { type: o.type, weight };
    case 'priority':
      return { type: o.type, priority };
    case 'least-used':
    case 'randomized-least-used':
      return { type: o.type, load };
    case 'least-used-degradation':
    case 'priority-least-used':
    case 'randomized-priority-least-used':
    case 'randomized-least-used-degradation':
    case 'priority-least-used-degradation':
    case 'randomized-priority-least-used-degradation':
      return { type: o.type, load, loadDegradation };
    case 'weighted-random-dpf':
      return { type: o.type, weight, weightDpf, distance };
    case 'least-used-dpf':
      return { type: o.type, load, loadDpf, distance };
    case 'least-used-degradation-dpf':
      return { type: o.type, load, loadDegradation, loadDpf, distance };
  }
}

/** Converts a wire {@link PolicyInfo} into the user-facing form (fractions 0..1). */
export function policyToOptions(p: PolicyInfo): PolicyOptions {
  const out: PolicyOptions = { type: p.type };
  const r = p as Partial<Record<'load' | 'loadDegradation' | 'loadDpf' | 'weightDpf' | 'weight' | 'priority' | 'distance', number>>;
  if (r.load !== undefined) out.load = loadToFraction(r.load);
  if (r.loadDegradation !== undefined) out.loadDegradation = loadToFraction(r.loadDegradation);
  if (r.loadDpf !== undefined) out.loadDpf = loadToFraction(r.loadDpf);
  if (r.weightDpf !== undefined) out.weightDpf = loadToFraction(r.weightDpf);
  if (r.weight !== undefined) out.weight = r.weight;
  if (r.priority !== undefined) out.priority = r.priority;
  if (r.distance !== undefined) out.distance = r.distance;
  return out;
}

/**
 * Applies an update (fractions) on top of an existing wire policy: fields
 * not given keep their values; a different `type` replaces the policy.
 */
export function mergePolicy(current: PolicyInfo, update: Partial<PolicyOptions>): PolicyInfo {
  const base = policyToOptions(current);
  return policyFromOptions({ ...base, ...Object.fromEntries(Object.entries(update).filter(([, v]) => v !== undefined)) } as PolicyOptions);
}
