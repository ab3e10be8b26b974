/**
 * Flushes that wait for the end of the received packet being processed.
 *
 * An association that queues messages transmits them at the end of the
 * current job, so that messages queued in one synchronous run share
 * packets. Most messages are queued by a `message` listener, that is while
 * the receive fast path processes a packet; there the end of the job is
 * known exactly, and the fast path runs the flushes itself when the packet
 * is done ({@link endPacket}) instead of each association scheduling a
 * microtask (which costs Node a pass through its tick queue per message and
 * side of a request/response exchange). Outside a packet, associations keep
 * scheduling their microtask.
 *
 * @module
 * @internal
 */

/** Packets being processed (nested only if a listener made a stack deliver synchronously). */
let depth = 0;
/** Flushes asked for while a packet was processed, in the order asked. */
let due: Array<() => void> = [];

/** Marks the start of the processing of one received packet. */
export function beginPacket(): void {
  depth++;
}

/**
 * Marks the end of the processing of one received packet; when it was the
 * outermost one, runs the flushes asked for meanwhile (each must catch its
 * own errors).
 */
export function endPacket(): void {
  if (--depth !== 0 || due.length === 0) return;
  const run = due;
  due = [];
  for (let i = 0; i < run.length; i++) run[i]!();
}

/**
 * Runs `flush` when the packet being processed is done and returns true, or
 * returns false when no packet is being processed (the caller then schedules
 * the flush itself).
 */
export function flushAfterPacket(flush: () => void): boolean {
  if (depth === 0) return false;
  due.push(flush);
  return true;
}
