/**
 * Repair: SACK processing, flight size, congestion control, RTO and T3
 * retransmission of all outstanding data.
 *
 * Replaces, on `Association.prototype` of `sctp/lib/association.js`:
 * `onSack`, `_acknowledge`, `_updateRTO`, `_startT3`, `_stopT3`,
 * `_restartT3`, `_expireT3`, `_retransmit` and `_fastRetransmit`.
 *
 * - Original: retransmissions added their size to the flight size again and
 *   acknowledgements of gap-acked chunks were subtracted twice or never, so
 *   the flight size drifted and sending stalled (a 5 %-loss transfer froze).
 *   Now each outstanding chunk carries an `inFlight` flag and the flight
 *   size is exactly the sum of chunks in flight; a chunk leaves the flight
 *   when acknowledged (cumulatively or by a gap block) or marked for
 *   retransmission, and re-enters when retransmitted.
 * - Original: outstanding chunks were kept in an object keyed by TSN, which
 *   iterates in numeric (not serial) order across 2^32. Now a Map in
 *   transmission order with serial comparisons.
 * - Original: T3 expiry retransmitted only what fitted in one packet, had no
 *   limit, and left the rest to a path that ignored cwnd. Now T3 expiry
 *   (RFC 4960 6.3.3) counts an association error, backs the RTO off
 *   exponentially (capped at `rtoMax`), sets cwnd to one packet, marks every
 *   outstanding chunk not gap-acked for retransmission, and the send path
 *   resends them in TSN order as cwnd allows; after `maxRetransmissions`
 *   consecutive expiries the association is declared dead (`timeout`).
 * - Any SACK from the peer clears the association error counter.
 * - Fast retransmit follows the HTNA rule with three miss indications and
 *   one packet allowed beyond cwnd; fast recovery exits at its exit point.
 * - RTO (RFC 4960 6.3.1) with granularity 1 ms (the original used 50 ms,
 *   keeping loopback RTOs ≥ 200 ms), clamped to the tuning's `rtoMin` and
 *   `rtoMax`; Karn's rule for retransmitted chunks.
 * - SACKs acknowledging TSNs that were never sent, or older than the
 *   current cumulative ack, are ignored.
 *
 * @module
 */
import { AssociationClass, override, type Loose } from './internals.js';
import { tsnAdd, tsnDiff, tsnGt, tsnLt } from './serial.js';
import { st, now, clearTimer } from './state.js';
import { scheduleFlush } from './scheduler.js';
import { declareDead, countError, clearErrors } from './lifecycle.js';
import { checkShutdownProgress } from './shutdown-timers.js';

const SACK_STATES = new Set(['ESTABLISHED', 'SHUTDOWN-PENDING', 'SHUTDOWN-RECEIVED', 'SHUTDOWN-SENT', 'COOKIE-ECHOED']);

/** Feeds one RTT measurement (ms) into SRTT/RTTVAR/RTO. */
export function updateRto(a: Loose, r: number): void {
  const s = st(a);
  const t = s.tuning;
  if (!(r >= 0) || !Number.isFinite(r)) return;
  if (!s.srtt) {
    s.srtt = r || 0.01;
    s.rttvar = r / 2;
  } else {
    s.rttvar = 0.75 * s.rttvar + 0.25 * Math.abs(s.srtt - r);
    s.srtt = 0.875 * s.srtt + 0.125 * r;
  }
  s.rto = Math.min(Math.max(s.srtt + Math.max(1, 4 * s.rttvar), t.rtoMin), t.rtoMax);
  // Not mirrored into the original's SRTT/RTTVAR/RTO fields: nothing reads them any more (its RTO
  // code is replaced), and storing fractions into fields it created as small integers changed
  // their representation and deprecated the hidden class of every association.
}

/*
 * T3 is restarted on almost every SACK. Instead of clearing and creating a
 * timer each time, the deadline moves and the one armed timer re-arms itself
 * for the remainder when it fires early.
 */
function armT3(a: Loose): void {
  const s = st(a);
  const deadline = s.t3Deadline!;
  // An armed timer that fires later than the new deadline is replaced.
  if (s.t3 && s.t3FireAt <= deadline + 1) return;
  if (s.t3) clearTimeout(s.t3);
  const delay = Math.max(1, deadline - now());
  s.t3FireAt = now() + delay;
  s.t3 = setTimeout(onT3Timer, delay, a);
}

/** Lone packets that must be acknowledged promptly before T3 may run below `sackDelayGuard`. */
const PROMPT_SACKS_NEEDED = 3;

/** The T3 timeout: the RTO, but at least `sackDelayGuard` until the peer proved it SACKs promptly. */
function t3Timeout(s: ReturnType<typeof st>): number {
  return s.promptSack ? s.rto : Math.max(s.rto, s.tuning.sackDelayGuard);
}

export function startT3(a: Loose): void {
  const s = st(a);
  if (s.closed || s.t3Deadline !== undefined) return;
  s.t3Deadline = now() + t3Timeout(s);
  armT3(a);
}

export function stopT3(a: Loose): void {
  st(a).t3Deadline = undefined;
}

export function restartT3(a: Loose): void {
  const s = st(a);
  if (s.closed) return;
  s.t3Deadline = now() + t3Timeout(s);
  armT3(a);
}

function onT3Timer(a: Loose): void {
  const s = st(a);
  s.t3 = undefined;
  if (s.closed || s.t3Deadline === undefined) return;
  if (s.t3Deadline - now() > 1) {
    armT3(a);
    return;
  }
  s.t3Deadline = undefined;
  expireT3(a);
}

function expireT3(a: Loose): void {
  const s = st(a);
  if (s.closed || s.outstanding.size === 0) return;
  s.t3Expirations++;
  if (countError(a)) {
    declareDead(a, 'retransmission limit reached');
    return;
  }
  const mtu = s.packetSize;
  s.rto = Math.min(s.rto * 2, s.tuning.rtoMax);
  s.ssthresh = Math.max(Math.floor(s.cwnd / 2), 4 * mtu);
  s.cwnd = mtu;
  s.partialBytesAcked = 0;
  s.fastRecovery = false;
  s.rttProbe = undefined;
  for (let i = 0; i < s.outstanding.size; i++) {
    const c = s.outstanding.at(i);
    c.fast = false;
    if (c.gapAcked || c.retransmit) continue;
    c.retransmit = true;
    s.retransmitCount++;
    if (c.inFlight) {
      c.inFlight = false;
      s.flight -= c.size;
    }
  }
  startT3(a);
  scheduleFlush(a);
}

interface Block {
  start: number;
  finish: number;
}

const NO_BLOCKS: readonly Block[] = Object.freeze([]);

/**
 * Applies a cumulative ack (and optional gap blocks and advertised window)
 * from a SACK or a SHUTDOWN.
 */
export function applyAck(a: Loose, cum: number, gapBlocks: Block[] | undefined, aRwnd: number | undefined): void {
  const s = st(a);
  const highestSent = tsnAdd(s.nextTsn, -1);
  if (tsnLt(cum, s.cumAck) || tsnGt(cum, highestSent)) return;
  const t = now();
  s.lastReceived = t;
  clearErrors(a);
  const mtu = s.packetSize;
  const flightBefore = s.flight;
  const advanced = tsnGt(cum, s.cumAck);
  let ackedBytes = 0;
  let htna: number | undefined;
  const sampleRtt = (tsn: number, transmissions: number): void => {
    if (s.rttProbe && s.rttProbe.tsn === tsn) {
      // Lone packets (nothing sent after them) acknowledged quickly, several times and never
      // late: the peer does not delay SACKs. One prompt SACK proves nothing (stacks that delay
      // SACKs acknowledge the first DATA of an association at once).
      if (transmissions === 1 && tsn === highestSent && !s.delayedSack) {
        if (t - s.rttProbe.sentAt >= s.tuning.sackDelayGuard / 2) {
          s.delayedSack = true;
          s.promptSack = false;
        } else if (++s.promptSacks >= PROMPT_SACKS_NEEDED) s.promptSack = true;
      }
      if (transmissions === 1) updateRto(a, t - s.rttProbe.sentAt);
      s.rttProbe = undefined;
    }
  };

  if (advanced) {
    while (s.outstanding.size > 0) {
      const c = s.outstanding.at(0);
      const tsn = c.tsn;
      if (tsnGt(tsn, cum)) break;
      s.outstanding.shift();
      if (c.inFlight) s.flight -= c.size;
      if (c.retransmit) s.retransmitCount--;
      if (c.gapAcked) s.gapAckedCount--;
      else {
        ackedBytes += c.size;
        htna = tsn;
      }
      sampleRtt(tsn, c.transmissions);
    }
    s.cumAck = cum;
  }

  let blocks: readonly Block[] = NO_BLOCKS;
  if (Array.isArray(gapBlocks) && gapBlocks.length > 0) {
    blocks = gapBlocks
      .filter((b) => b && Number.isInteger(b.start) && Number.isInteger(b.finish) && b.start >= 1 && b.start <= b.finish)
      .sort((x, y) => x.start - y.start);
  }
  let highestGapAcked: number | undefined;
  // Walk the outstanding chunks only when there is something to mark or unmark.
  if (s.outstanding.size > 0 && (blocks.length > 0 || s.gapAckedCount > 0)) {
    let bi = 0;
    for (let i = 0; i < s.outstanding.size; i++) {
      const c = s.outstanding.at(i);
      const off = tsnDiff(c.tsn, cum);
      while (bi < blocks.length && blocks[bi]!.finish < off) bi++;
      const covered = bi < blocks.length && blocks[bi]!.start <= off;
      if (covered) {
        highestGapAcked = c.tsn;
        if (!c.gapAcked) {
          c.gapAcked = true;
          s.gapAckedCount++;
          if (c.inFlight) {
            c.inFlight = false;
            s.flight -= c.size;
          }
          if (c.retransmit) {
            c.retransmit = false;
            c.fast = false;
            s.retransmitCount--;
          }
          ackedBytes += c.size;
          htna = c.tsn;
          sampleRtt(c.tsn, c.transmissions);
        }
      } else if (c.gapAcked) {
        // Renege: the peer dropped a chunk it had reported.
        c.gapAcked = false;
        s.gapAckedCount--;
      }
    }
  }

  // Miss indications (RFC 4960 7.2.4, HTNA).
  let fastMarked = false;
  if (blocks.length > 0) {
    const limit = htna !== undefined ? htna : s.fastRecovery && advanced ? highestGapAcked : undefined;
    if (limit !== undefined) {
      for (let i = 0; i < s.outstanding.size; i++) {
        const c = s.outstanding.at(i);
        if (!tsnLt(c.tsn, limit)) break;
        if (c.gapAcked || c.retransmit) continue;
        c.misses++;
        if (c.misses >= 3) {
          c.misses = 0;
          c.retransmit = true;
          c.fast = true;
          s.retransmitCount++;
          if (c.inFlight) {
            c.inFlight = false;
            s.flight -= c.size;
          }
          fastMarked = true;
        }
      }
    }
  }
  if (fastMarked) {
    if (!s.fastRecovery) {
      s.ssthresh = Math.max(Math.floor(s.cwnd / 2), 4 * mtu); // whole bytes: cwnd stays an integer
      s.cwnd = s.ssthresh;
      s.partialBytesAcked = 0;
      s.fastRecovery = true;
      s.fastRecoveryExit = highestSent;
    }
    s.fastAllowance = mtu;
  }
  if (s.fastRecovery && !tsnLt(cum, s.fastRecoveryExit)) s.fastRecovery = false;

  // Congestion window growth (RFC 4960 7.2.1/7.2.2).
  if (advanced && !s.fastRecovery && ackedBytes > 0 && flightBefore + mtu >= s.cwnd) {
    if (s.cwnd <= s.ssthresh) {
      s.cwnd += Math.min(ackedBytes, mtu);
    } else {
      s.partialBytesAcked += ackedBytes;
      if (s.partialBytesAcked >= s.cwnd) {
        s.partialBytesAcked -= s.cwnd;
        s.cwnd += mtu;
      }
    }
  }
  if (s.flight < 0) s.flight = 0;
  if (aRwnd !== undefined) s.peerRwnd = Math.max(0, aRwnd - s.flight);
  a.flightsize = s.flight;
  a.cwnd = s.cwnd;
  a.peer_rwnd = s.peerRwnd;

  if (s.outstanding.size === 0) stopT3(a);
  else if (advanced) restartT3(a);
  else startT3(a);

  if (s.retransmitCount > 0 || s.pending.length > 0) scheduleFlush(a);
  checkShutdownProgress(a);
}

function onSack(this: Loose, chunk: Loose): void {
  const s = st(this);
  if (s.closed || !chunk || !SACK_STATES.has(this.state)) return;
  if (typeof chunk.c_tsn_ack !== 'number' || typeof chunk.a_rwnd !== 'number') return;
  applyAck(this, chunk.c_tsn_ack >>> 0, chunk.sack_info?.gap_blocks, chunk.a_rwnd >>> 0);
}

/** Installs the retransmission repair. */
export function installRetransmissionRepair(): void {
  const proto = AssociationClass.prototype;
  override(proto, 'onSack', onSack);
  override(proto, '_acknowledge', function _acknowledge() {
    /* folded into onSack */
  });
  override(proto, '_updateRTO', function _updateRTO(this: Loose, r: number) {
    updateRto(this, r);
  });
  override(proto, '_startT3', function _startT3(this: Loose) {
    startT3(this);
  });
  override(proto, '_stopT3', function _stopT3(this: Loose) {
    stopT3(this);
  });
  override(proto, '_restartT3', function _restartT3(this: Loose) {
    restartT3(this);
  });
  override(proto, '_expireT3', function _expireT3(this: Loose) {
    stopT3(this);
    expireT3(this);
  });
  override(proto, '_retransmit', function _retransmit(this: Loose) {
    scheduleFlush(this);
  });
  override(proto, '_fastRetransmit', function _fastRetransmit(this: Loose) {
    scheduleFlush(this);
  });
}
