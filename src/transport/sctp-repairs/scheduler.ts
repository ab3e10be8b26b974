/**
 * One flush of an association's queues per event-loop turn: everything
 * queued in the current turn (SACK, control chunks, retransmissions, new
 * data) leaves together, bundled into as few packets as the path allows.
 * The flush itself is the association's `_bundle` method, which the
 * send-path repair implements; scheduling lives down here so that the
 * areas that only need to ask for a flush (SACK processing, heartbeats,
 * setup) do not depend on the send path.
 *
 * @module
 */
import type { Loose } from './internals.js';
import { st } from './state.js';

function runFlush(a: Loose): void {
  a._bundle();
}

/** Schedules one flush of the association's queues on the next event-loop turn. */
export function scheduleFlush(a: Loose): void {
  const s = st(a);
  // A flush promised for the end of the current job (a message was just queued) sends it too.
  if (s.flushImmediate || s.closed || s.flushPromised) return;
  s.flushImmediate = setImmediate(runFlush, a);
}
