/**
 * Hand-over of per-association tuning from `associate()` to the repaired
 * `Association.init()` (which runs synchronously inside
 * `Endpoint.ASSOCIATE`).
 *
 * @module
 */
import type { Loose } from './internals.js';
import { storeAssociationTuning, type SctpTuningOptions } from './tuning.js';
import { refreshTuning, STATE } from './state.js';

let pendingTuning: SctpTuningOptions | undefined;

export function setPendingTuning(tuning: SctpTuningOptions | undefined): void {
  pendingTuning = tuning;
}

export function takePendingTuning(): SctpTuningOptions | undefined {
  const t = pendingTuning;
  pendingTuning = undefined;
  return t;
}

/** Stores tuning on an association and refreshes its live state. */
export function tuneAssociationInternal(a: Loose, options: SctpTuningOptions | undefined): void {
  storeAssociationTuning(a, options);
  if (a[STATE]) refreshTuning(a);
}
