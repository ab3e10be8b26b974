/**
 * Repaired / un-repaired switch of the regression tests.
 *
 * `npx vitest run test/transport/sctp-repairs` runs every test against the
 * repaired machine. `SCTP_REPAIRS=off npx vitest run test/transport/sctp-repairs`
 * runs the same tests against the original `sctp@1.0.0` (no overrides): each
 * regression test must then fail — that is how we check that a test really
 * covers its defect. Tests that would hang the process without the repair
 * (the zero-length-parameter loop) run the original code in a worker thread
 * with a deadline.
 */
import {
  installSctpRepairs,
  uninstallSctpRepairs,
  resetSctpDefaults,
} from '../../../src/transport/sctp-repairs/index.js';

export const REPAIRED = process.env['SCTP_REPAIRS'] !== 'off';

export function setupRepairs(): void {
  if (REPAIRED) installSctpRepairs();
  resetSctpDefaults();
}

/** Runs `fn` against the original package, then restores the mode. */
export async function withoutRepairs<T>(fn: () => T | Promise<T>): Promise<T> {
  uninstallSctpRepairs();
  try {
    return await fn();
  } finally {
    if (REPAIRED) installSctpRepairs();
  }
}
