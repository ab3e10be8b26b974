/**
 * Life and death of a repaired association, shared by every repair area:
 * the error counters of RFC 4960 §8.1–8.2, declaring the peer dead,
 * failing or destroying an association (all timers, queues and lookup
 * entries), and the error passed with `'COMMUNICATION LOST'`.
 *
 * This module and `scheduler.ts` form the bottom layer of the machine; the
 * repair areas above them import downwards only:
 *
 *   state, tuning, serial, plpmtud
 *     ← lifecycle, scheduler
 *       ← shutdown-timers (T2, T5, SHUTDOWN / SHUTDOWN-ACK progress)
 *         ← retransmission (SACK, T3, RTO)
 *           ← send-path, failure-detection, shutdown (handlers)
 *             ← cookie-timer
 *
 * @module
 */
import { ChunkClass, type Loose } from './internals.js';
import { st, sendRaw, clearTimer, type SctpLossReason } from './state.js';
import { stopPmtuSearch } from './plpmtud.js';

/** Creates the error passed with `'COMMUNICATION LOST'`. */
export function lossError(reason: SctpLossReason, message: string, phase: string): Error {
  const codes: Record<string, string> = {
    timeout: 'ETIMEDOUT',
    unreachable: 'EHOSTUNREACH',
    abort: 'ECONNRESET',
    restart: 'ECONNRESET',
    local: 'ECONNABORTED',
  };
  const error = new Error(message) as Error & { code: string; reason: string; phase: string };
  error.code = codes[reason] ?? 'ECONNRESET';
  error.reason = reason;
  error.phase = phase;
  return error;
}

/**
 * Ends an association that failed: optional ABORT to the peer, destroy,
 * then `'COMMUNICATION LOST'` with `(reason, error)`.
 */
export function failAssociation(a: Loose, reason: SctpLossReason, message: string, phase: string, sendAbort: boolean): void {
  const s = st(a);
  if (s.closed) return;
  if (sendAbort && a.peer_tag !== undefined) {
    sendRaw(a, [new ChunkClass('abort', {}).toBuffer()]);
  }
  s.closeReason = reason;
  a.closeReason = reason;
  const error = lossError(reason, message, phase);
  destroyAssociation(a, error);
  a.emit('COMMUNICATION LOST', reason, error);
}

/**
 * Counts one unanswered retransmission or heartbeat on the association and
 * on its path; marks the path inactive past `pathMaxRetransmissions`.
 * Returns true when the association error counter exceeds
 * `maxRetransmissions` (the caller declares the peer dead).
 */
export function countError(a: Loose): boolean {
  const s = st(a);
  s.errorCount++;
  s.pathErrorCount++;
  if (s.pathActive && s.pathErrorCount > s.tuning.pathMaxRetransmissions) {
    s.pathActive = false;
    a.emit('NETWORK STATUS CHANGE', { address: a.remoteAddress, port: a.remotePort, status: 'inactive', errors: s.pathErrorCount });
  }
  return s.errorCount > s.tuning.maxRetransmissions;
}

/** Clears both error counters after an acknowledgement or HEARTBEAT-ACK. */
export function clearErrors(a: Loose): void {
  const s = st(a);
  s.errorCount = 0;
  s.pathErrorCount = 0;
  if (!s.pathActive && !s.closed) {
    s.pathActive = true;
    a.emit('NETWORK STATUS CHANGE', { address: a.remoteAddress, port: a.remotePort, status: 'active', errors: 0 });
  }
}

/** Declares the peer dead after too many consecutive errors. */
export function declareDead(a: Loose, why: string): void {
  const state: string = a.state;
  const phase = state === 'COOKIE-WAIT' ? 'init' : state === 'COOKIE-ECHOED' ? 'cookie' : state.startsWith('SHUTDOWN') ? 'shutdown' : 'established';
  failAssociation(a, 'timeout', `SCTP peer unreachable: ${why}`, phase, phase !== 'init');
}

/** Reports that the peer is unreachable (e.g. ICMP port unreachable / ECONNREFUSED). */
export function reportUnreachable(a: Loose, message = 'SCTP peer unreachable'): void {
  const state: string = a.state;
  const phase = state === 'COOKIE-WAIT' ? 'init' : state === 'COOKIE-ECHOED' ? 'cookie' : 'established';
  failAssociation(a, 'unreachable', message, phase, false);
}

export function stopHeartbeat(a: Loose): void {
  const s = st(a);
  s.hbInterval = clearTimer(s.hbInterval);
  s.hbTimer = clearTimer(s.hbTimer);
  s.hbPending = undefined;
}

/** Stops the heartbeat, PMTU, T1, T2, T3 and delayed-SACK timers (and T5 with `guard`). */
export function stopTimers(a: Loose, guard: boolean): void {
  const s = st(a);
  stopHeartbeat(a);
  stopPmtuSearch(a);
  s.t1 = clearTimer(s.t1);
  s.t2 = clearTimer(s.t2);
  s.t3 = clearTimer(s.t3);
  s.t3Deadline = undefined;
  if (guard) s.t5 = clearTimer(s.t5);
  s.sackTimer = clearTimer(s.sackTimer);
}

/** Destroys an association (idempotent). */
export function destroyAssociation(a: Loose, error?: Error): void {
  const s = st(a);
  if (s.closed) return;
  s.closed = true;
  a.state = 'CLOSED';
  stopTimers(a, true);
  if (s.flushImmediate) clearImmediate(s.flushImmediate);
  s.flushImmediate = undefined;
  // Original timers, in case anything armed them.
  clearInterval(a._heartbeatInterval);
  clearTimeout(a.T1);
  clearTimeout(a.T2);
  clearTimeout(a.T3);
  clearTimeout(a.T5);
  clearTimeout(a._sack_timer);
  const pending = s.pending.toArray();
  s.pending.clear();
  s.pendingBytes = 0;
  s.outstanding.clear();
  s.retransmitCount = 0;
  s.gapAckedCount = 0;
  s.flight = 0;
  s.control.length = 0;
  a.queue = [];
  a.sent = {};
  a.readBuffer = [];
  a.reassembly?.reset?.();
  const endpoint = a.endpoint;
  if (endpoint) {
    const lookup = endpoint.associations_lookup;
    if (lookup) {
      for (const key of Object.keys(lookup)) if (lookup[key] === a) delete lookup[key];
    }
    const list: Loose[] = endpoint.associations;
    if (Array.isArray(list)) {
      const index = list.indexOf(a);
      if (index >= 0) list.splice(index, 1);
    }
    delete a.endpoint;
  }
  const failure = error ?? new Error('association closed');
  for (const m of pending) {
    if (m.callback) {
      const cb = m.callback;
      queueMicrotask(() => cb(failure, 0, m));
    }
  }
  const callbacks = s.shutdownCallbacks.splice(0);
  for (const cb of callbacks) queueMicrotask(cb);
}

/** Sends an ABORT with `options`, destroys, and reports `'COMMUNICATION LOST'`. */
export function failWithAbort(a: Loose, options: Loose, reason: 'abort'): void {
  const s = st(a);
  if (s.closed) return;
  if (a.peer_tag !== undefined) sendRaw(a, [new ChunkClass('abort', options).toBuffer()]);
  s.closeReason = reason;
  a.closeReason = reason;
  const causes = options?.error_causes ?? [];
  destroyAssociation(a, lossError('abort', 'association aborted (protocol violation)', 'established'));
  a.emit('COMMUNICATION LOST', reason, causes);
}

