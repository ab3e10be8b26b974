/**
 * SHUTDOWN progress of the repaired machine (RFC 4960 §9.2): the SHUTDOWN
 * and SHUTDOWN-ACK chunks, the T2 retransmission timer with backoff, the T5
 * guard, and the step from SHUTDOWN-PENDING / SHUTDOWN-RECEIVED once all
 * data is acknowledged. Used by the SACK processing, the send path and the
 * SHUTDOWN handlers (shutdown.ts); depends on the lifecycle layer only.
 *
 * @module
 */
import { ChunkClass, type Loose } from './internals.js';
import { st, sendRaw, clearTimer } from './state.js';
import { countError, declareDead, failAssociation, stopHeartbeat } from './lifecycle.js';

function cumTsn(a: Loose): number {
  const n = a.reassembly?.peer_c_tsn?.number;
  return typeof n === 'number' ? n >>> 0 : 0;
}

/** Sends SHUTDOWN with the current cumulative TSN. */
export function sendShutdownChunk(a: Loose): void {
  sendRaw(a, [new ChunkClass('shutdown', { c_tsn_ack: cumTsn(a) }).toBuffer()]);
}

export function sendShutdownAck(a: Loose): void {
  sendRaw(a, [new ChunkClass('shutdown_ack', {}).toBuffer()]);
}

export function startT2(a: Loose): void {
  const s = st(a);
  if (s.t2 || s.closed) return;
  s.t2 = setTimeout(expireT2, s.rto, a);
}

export function restartT2(a: Loose): void {
  const s = st(a);
  s.t2 = clearTimer(s.t2);
  startT2(a);
}

export function expireT2(a: Loose): void {
  const s = st(a);
  s.t2 = undefined;
  if (s.closed) return;
  if (countError(a)) {
    declareDead(a, 'shutdown unanswered');
    return;
  }
  s.rto = Math.min(s.rto * 2, s.tuning.rtoMax);
  if (a.state === 'SHUTDOWN-SENT') sendShutdownChunk(a);
  else if (a.state === 'SHUTDOWN-ACK-SENT') sendShutdownAck(a);
  else return;
  startT2(a);
}

export function startT5(a: Loose): void {
  const s = st(a);
  if (s.t5 || s.closed) return;
  s.t5 = setTimeout(() => {
    s.t5 = undefined;
    failAssociation(a, 'timeout', 'SCTP shutdown guard expired', 'shutdown', true);
  }, s.tuning.shutdownGuard);
}

/** Restarts the shutdown guard after progress (new DATA while in SHUTDOWN-SENT). */
export function restartT5(a: Loose): void {
  const s = st(a);
  if (!s.t5) return;
  s.t5 = clearTimer(s.t5);
  startT5(a);
}

/** Advances SHUTDOWN-PENDING / SHUTDOWN-RECEIVED once all data is acknowledged. */
export function checkShutdownProgress(a: Loose): void {
  const s = st(a);
  if (s.closed) return;
  const idle = s.outstanding.size === 0 && s.pending.length === 0;
  if (!idle) return;
  if (a.state === 'SHUTDOWN-PENDING') {
    a.state = 'SHUTDOWN-SENT';
    stopHeartbeat(a);
    sendShutdownChunk(a);
    startT2(a);
    startT5(a);
  } else if (a.state === 'SHUTDOWN-RECEIVED') {
    a.state = 'SHUTDOWN-ACK-SENT';
    stopHeartbeat(a);
    sendShutdownAck(a);
    startT2(a);
    startT5(a);
  }
}

