/**
 * Repair: failure detection — heartbeats in every transport mode, error
 * counters with limits, and a reported association death.
 *
 * Replaces, on `Association.prototype` of `sctp/lib/association.js`:
 * `_enableHeartbeat`, `onHeartbeat`, `onHeartbeatAck` and `onICMP`.
 *
 * - Original: heartbeats went only to the `destinations` list, which is empty
 *   in UDP-encapsulation mode, and nothing ever counted an unanswered
 *   heartbeat or retransmission (`association_max_retrans` was a TODO), so a
 *   dead peer was never noticed. Now, on an idle association (no data
 *   outstanding), a HEARTBEAT goes to the association's peer address exactly
 *   `heartbeatInterval` after the last packet heard from the peer; if no HEARTBEAT-ACK
 *   arrives within one RTO the association error counter grows, the RTO
 *   doubles (capped at `rtoMax`) and the next HEARTBEAT is sent at once.
 *   T3 expiries (retransmission.ts) and T2 (shutdown.ts) use the same
 *   counters: the path error counter marks the (single) path inactive past
 *   `pathMaxRetransmissions` (`'NETWORK STATUS CHANGE'` `{status:
 *   'inactive'}`, `'active'` again on the next acknowledgement), and the
 *   association error counter, when it exceeds
 *   `maxRetransmissions` the association is declared dead: an ABORT is sent
 *   (in case only one direction failed), the association is destroyed and
 *   emits `'COMMUNICATION LOST'` with reason `'timeout'` and an `Error`
 *   (code `ETIMEDOUT`, `phase` = `'established' | 'shutdown'`).
 * - A HEARTBEAT-ACK for one of the last heartbeats (even after its RTO
 *   expired) clears the counters and gives an RTT sample; any SACK clears
 *   them too.
 * - Original: `onHeartbeat`/`onHeartbeatAck` threw on a missing or short
 *   heartbeat info, and building a heartbeat for an IPv6 peer threw in a
 *   timer (uncaught). Now both are validated; the heartbeat info is a
 *   12-byte nonce/sequence blob independent of the address family.
 * - `onICMP` (and {@link reportUnreachable}) destroys the association with
 *   reason `'unreachable'` for anything but "fragmentation needed".
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { AssociationClass, ChunkClass, override, type Loose } from './internals.js';
import { st, now, sendRaw, clearTimer } from './state.js';
import { updateRto } from './retransmission.js';
import { scheduleFlush } from './scheduler.js';
import { countError, clearErrors, declareDead, reportUnreachable, stopHeartbeat } from './lifecycle.js';
import { onProbeAck, packetTooBig } from './plpmtud.js';

const HB_STATES = new Set(['ESTABLISHED', 'SHUTDOWN-PENDING', 'SHUTDOWN-RECEIVED']);

export function startHeartbeat(a: Loose): void {
  const s = st(a);
  if (s.hbInterval || s.closed) return;
  armHeartbeat(a, s.tuning.heartbeatInterval);
}

function armHeartbeat(a: Loose, delay: number): void {
  const s = st(a);
  s.hbInterval = setTimeout(hbTick, Math.max(1, delay), a);
  s.hbInterval.unref?.();
}

/**
 * Heartbeat scheduler: a HEARTBEAT leaves exactly `heartbeatInterval` after
 * the last packet heard from the peer, when no data is outstanding (T3 then
 * watches the peer) and no HEARTBEAT is pending (its own timer does).
 */
function hbTick(a: Loose): void {
  const s = st(a);
  s.hbInterval = undefined;
  if (s.closed) return;
  const interval = s.tuning.heartbeatInterval;
  if (!HB_STATES.has(a.state) || s.outstanding.size > 0 || s.hbPending) {
    armHeartbeat(a, interval);
    return;
  }
  const idle = now() - s.lastReceived;
  if (idle < interval) {
    armHeartbeat(a, interval - idle);
    return;
  }
  sendHeartbeat(a);
  armHeartbeat(a, interval);
}

/** Sends one HEARTBEAT and arms its RTO timer. */
export function sendHeartbeat(a: Loose): void {
  const s = st(a);
  const info = randomBytes(12);
  const nonce = info.readUInt32BE(0);
  s.hbPending = { nonce, at: now() };
  s.hbRecent.push(s.hbPending);
  if (s.hbRecent.length > 8) s.hbRecent.shift();
  sendRaw(a, [new ChunkClass('heartbeat', { heartbeat_info: info }).toBuffer()]);
  s.hbTimer = clearTimer(s.hbTimer);
  s.hbTimer = setTimeout(hbTimeout, s.rto, a);
}

function hbTimeout(a: Loose): void {
  const s = st(a);
  s.hbTimer = undefined;
  s.hbPending = undefined;
  if (s.closed) return;
  const dead = countError(a);
  s.rto = Math.min(s.rto * 2, s.tuning.rtoMax);
  if (dead) {
    declareDead(a, 'heartbeats unanswered');
    return;
  }
  if (HB_STATES.has(a.state) && s.outstanding.size === 0) sendHeartbeat(a);
}

function onHeartbeat(this: Loose, chunk: Loose): void {
  const s = st(this);
  if (s.closed || this.state === 'CLOSED' || this.state === 'COOKIE-WAIT') return;
  const info = chunk && chunk.heartbeat_info;
  if (!Buffer.isBuffer(info)) return;
  s.lastReceived = now();
  s.control.push(new ChunkClass('heartbeat_ack', { heartbeat_info: Buffer.from(info) }).toBuffer());
  scheduleFlush(this);
}

function onHeartbeatAck(this: Loose, chunk: Loose): void {
  const s = st(this);
  if (s.closed) return;
  const info = chunk && chunk.heartbeat_info;
  if (!Buffer.isBuffer(info) || info.length < 4) return;
  if (onProbeAck(this, info)) {
    // A path MTU probe came back: the peer is alive.
    clearErrors(this);
    s.lastReceived = now();
    return;
  }
  const nonce = info.readUInt32BE(0);
  // Any HEARTBEAT-ACK for one of our recent heartbeats resets the error
  // counters (RFC 4960 8.1), also one that arrives after its RTO expired.
  const sent = s.hbRecent.find((h) => h.nonce === nonce);
  if (!sent) return;
  updateRto(this, now() - sent.at);
  s.hbRecent = s.hbRecent.filter((h) => !sentNoLaterThan(h.at, sent.at));
  if (s.hbPending) {
    s.hbPending = undefined;
    s.hbTimer = clearTimer(s.hbTimer);
  }
  clearErrors(this);
  s.lastReceived = now();
}

function onICMP(this: Loose, packet: Loose, code: number): void {
  const s = st(this);
  if (s.closed) return;
  if (packet && packet.v_tag && this.peer_tag !== undefined && packet.v_tag !== this.peer_tag) return;
  if (code === 4) {
    // Fragmentation needed / packet too big: PLPMTUD treats it as a failed probe.
    packetTooBig(this);
    return;
  }
  reportUnreachable(this, `ICMP unreachable (code ${code})`);
}

function sentNoLaterThan(a: number, b: number): boolean {
  return a <= b;
}

/** Installs the failure-detection repair. */
export function installFailureDetectionRepair(): void {
  const proto = AssociationClass.prototype;
  override(proto, '_enableHeartbeat', function _enableHeartbeat(this: Loose) {
    startHeartbeat(this);
  });
  override(proto, 'onHeartbeat', onHeartbeat);
  override(proto, 'onHeartbeatAck', onHeartbeatAck);
  override(proto, 'onICMP', onICMP);
}
