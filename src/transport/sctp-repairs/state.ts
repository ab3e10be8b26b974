/**
 * Per-association state of the repaired protocol machine. The original
 * `Association` keeps its send-side bookkeeping in loosely coupled fields
 * (`sent`, `flightsize`, `queue`, `drainCallback`...); the repairs keep theirs
 * in one object stored under a symbol, created on first use.
 *
 * @module
 */
// The global `performance` is an accessor property: bound once here, not looked up per packet.
import { performance } from 'node:perf_hooks';
import type { Loose } from './internals.js';
import { tuningOf, type SctpTuning } from './tuning.js';
import type { PmtuSearch } from './plpmtud.js';
import { Ring } from '../ring.js';
import { fillSctpChecksum } from './checksum.js';

/**
 * First value of number fields that can hold values outside V8's small-integer range: TSNs,
 * verification tags and PPIDs (unsigned 32-bit) and times (fractions of milliseconds). V8 picks a
 * field's representation from the first value stored; a field first given a small integer and
 * later a larger or fractional number changes representation, which deprecates the hidden class
 * of every object of that shape and deoptimises the code using them ("Maps became deprecated";
 * whether it happens depended on the random initial TSN of the first association). A field that
 * starts as a double never changes. `-0` is a double equal to 0.
 */
export const DOUBLE_ZERO = -0;

/**
 * Completion callback of a queued message: an error, or the TSN of the
 * message's last fragment; the third argument is the message itself, so one
 * callback can serve every message of an association (no closure per message).
 */
export type SendCallback = (error: Error | undefined, lastTsn: number, message: OutMessage) => void;

/**
 * A message accepted by `SEND` (or `queueMessage`) and not yet fully
 * transmitted. A class, so that every message has the same shape from its
 * creation on (V8 keeps one hidden class and never has to migrate objects);
 * callers may extend it to carry their own per-message fields in the same
 * object instead of wrapping it.
 */
export class OutMessage {
  data: Buffer;
  /** Bytes of `data` already cut into chunks. */
  offset = 0;
  streamId: number;
  /** Stream sequence number (assigned when queued; 0 for unordered messages). */
  ssn = 0;
  ppid = DOUBLE_ZERO;
  unordered: boolean;
  callback: SendCallback | undefined;
  /** TSN of the last fragment, once transmitted (valid when the callback runs without error). */
  lastTsn = DOUBLE_ZERO;

  constructor(data: Buffer, streamId: number, ppid: number, unordered: boolean, callback: SendCallback | undefined) {
    this.data = data;
    this.streamId = streamId;
    this.ppid = ppid;
    this.unordered = unordered;
    this.callback = callback;
  }
}

/** Receives each complete message of an association: data, stream, PPID, unordered flag. */
export type MessageReceiver = (data: Buffer, stream: number, ppid: number, unordered: boolean) => void;

/** One DATA chunk that has a TSN and is not yet cumulatively acknowledged. */
export class OutChunk {
  tsn = DOUBLE_ZERO;
  /** DATA chunk flags (U, B, E, I), stream, stream sequence number and payload protocol id. */
  flags: number;
  streamId: number;
  ssn: number;
  ppid = DOUBLE_ZERO;
  /** The chunk's user data: a view of the queued message, not a copy. */
  payload: Buffer;
  /** Bytes on the wire (header + payload + padding). */
  wire: number;
  /** Chunk length counted in flight size (header + payload). */
  size: number;
  /** Counted in the flight size right now. */
  inFlight = true;
  /** Acknowledged by a gap block of the latest SACK. */
  gapAcked = false;
  /** Marked for retransmission (T3 or fast retransmit). */
  retransmit = false;
  /** Marked by fast retransmit (may ignore cwnd for one packet). */
  fast = false;
  /** Miss indications (RFC 4960 7.2.4). */
  misses = 0;
  /** Number of transmissions so far. */
  transmissions = 1;
  sentAt = DOUBLE_ZERO;

  /** A chunk of `m` (its `payload`), sent for the first time at `sentAt`. */
  constructor(tsn: number, flags: number, m: OutMessage, payload: Buffer, size: number, sentAt: number) {
    this.tsn = tsn;
    this.flags = flags;
    this.streamId = m.streamId;
    this.ssn = m.ssn;
    this.ppid = m.ppid;
    this.payload = payload;
    this.wire = (size + 3) & ~3;
    this.size = size;
    this.sentAt = sentAt;
  }
}

/**
 * The chunks that have a TSN and are not yet cumulatively acknowledged, in
 * TSN order. TSNs are assigned consecutively, so this is a queue: new chunks
 * at the end, acknowledged ones off the front. (A `Map` served here before;
 * V8 keeps deleted entries of a `Map` as holes that every iteration from the
 * start walks again, which made each SACK cost O(chunks acknowledged so far)
 * with large windows of small messages.) The association's ring buffer
 * ({@link Ring}): its storage stays at the largest flight the association had.
 */
export class OutstandingQueue extends Ring<OutChunk> {
  /** Number of chunks. */
  get size(): number {
    return this.length;
  }
}

/** Why an association ended, as reported by the repairs. */
export type SctpLossReason = 'timeout' | 'abort' | 'unreachable' | 'restart' | 'local';

export interface AssocState {
  tuning: SctpTuning;
  /** Largest SCTP packet towards the peer now (path MTU minus headers; PLPMTUD raises it). */
  packetSize: number;
  /** Path MTU search, when the path is probed (plpmtud.ts). */
  pmtu: PmtuSearch | undefined;
  /** `packetSize` was set for this path (not taken from the tuning). */
  pathMtuSet: boolean;
  closed: boolean;
  closeReason: SctpLossReason | 'shutdown' | undefined;
  // --- send side
  nextTsn: number;
  /** Messages queued and not yet fully cut into chunks, in order (a ring: `Array.shift()` moved the array's start on every message sent). */
  pending: Ring<OutMessage>;
  pendingBytes: number;
  /**
   * Called by `flush()` when `pending` runs empty: the owner may queue more
   * messages at once (synchronously, with {@link queueMessage}), so the
   * packet being built is filled instead of leaving with a small tail.
   */
  refill: (() => void) | undefined;
  outstanding: OutstandingQueue;
  /** Chunks marked for retransmission (count). */
  retransmitCount: number;
  /** Outstanding chunks currently acknowledged by a gap block (count). */
  gapAckedCount: number;
  flight: number;
  cwnd: number;
  ssthresh: number;
  partialBytesAcked: number;
  peerRwnd: number;
  cumAck: number;
  fastRecovery: boolean;
  fastRecoveryExit: number;
  /** Bytes of fast retransmission allowed regardless of cwnd. */
  fastAllowance: number;
  /** Next stream sequence number per outbound stream (index: stream id; missing: 0). */
  ssn: number[];
  control: Buffer[];
  flushImmediate: NodeJS.Immediate | undefined;
  /**
   * The owner of the association will call `flush()` at the end of the
   * current job (see `flushAtEndOfJob` in send-path.ts): a flush asked for
   * meanwhile needs no event-loop turn of its own.
   */
  flushPromised: boolean;
  // --- RTO
  rto: number;
  srtt: number;
  rttvar: number;
  /** The chunk timed for the next RTT sample (never a retransmitted one: Karn's rule). */
  rttProbe: OutChunk | undefined;
  /**
   * True once the peer acknowledged a lone packet well within
   * `sackDelayGuard`: it does not delay SACKs, so T3 may run at the RTO
   * alone. Until then T3 waits at least `sackDelayGuard`.
   */
  promptSack: boolean;
  /** Lone packets acknowledged promptly so far (many stacks acknowledge the first DATA at once). */
  promptSacks: number;
  /** The peer delayed the SACK of a lone packet: it is never treated as prompt. */
  delayedSack: boolean;
  /** T3 expirations so far (each one retransmits the outstanding data). */
  t3Expirations: number;
  t3: NodeJS.Timeout | undefined;
  /** When T3 expires (performance.now() ms); undefined = stopped. The timer is re-armed lazily. */
  t3Deadline: number | undefined;
  /** When the armed T3 timer fires. */
  t3FireAt: number;
  // --- receive side
  sackNeeded: boolean;
  sackTimer: NodeJS.Timeout | undefined;
  /** When the delayed SACK is due (performance.now() ms); 0 = none pending. The timer is re-armed lazily. */
  sackDue: number;
  packetsSinceSack: number;
  everSentSack: boolean;
  lastReceived: number;
  /** Takes delivered messages directly instead of `'DATA ARRIVE'` + `RECEIVE()` (see `setReceiver`). */
  receiver: MessageReceiver | undefined;
  // --- failure detection
  /** Association error counter (RFC 4960 8.1). */
  errorCount: number;
  /** Error counter of the peer's (single) path (RFC 4960 8.2). */
  pathErrorCount: number;
  pathActive: boolean;
  hbInterval: NodeJS.Timeout | undefined;
  hbTimer: NodeJS.Timeout | undefined;
  hbPending: { nonce: number; at: number } | undefined;
  /** Recently sent heartbeats (a late HEARTBEAT-ACK still proves the peer alive). */
  hbRecent: Array<{ nonce: number; at: number }>;
  // --- setup
  t1: NodeJS.Timeout | undefined;
  t1Count: number;
  initSentAt: number;
  initBuffer: Buffer | undefined;
  cookieBuffer: Buffer | undefined;
  // --- shutdown
  t2: NodeJS.Timeout | undefined;
  t2Count: number;
  t5: NodeJS.Timeout | undefined;
  shutdownCallbacks: Array<() => void>;
}

export const STATE = Symbol.for('rserpool.sctp.state');

const silent = Object.assign(() => {}, { enabled: false });
/** Shared debug loggers for associations whose `debug` namespaces are disabled. */
const SILENT_DEBUGGER = Object.freeze({ warn: silent, info: silent, debug: silent, trace: silent });

/**
 * The original constructor creates four `debug` loggers per association
 * (~9 KiB of heap); when none is enabled they are replaced by shared no-ops.
 */
function slimDebugger(a: Loose): void {
  const d = a.debugger;
  if (!d || d === SILENT_DEBUGGER) return;
  if (d.warn?.enabled || d.info?.enabled || d.debug?.enabled || d.trace?.enabled) return;
  a.debugger = SILENT_DEBUGGER;
}

export function now(): number {
  return performance.now();
}

/** The repair state of an association (created on first use). */
export function st(a: Loose): AssocState {
  let s: AssocState | undefined = a[STATE];
  if (!s) {
    const tuning = tuningOf(a);
    const initialTsn = typeof a.my_next_tsn?.number === 'number' ? a.my_next_tsn.number >>> 0 : (a.my_tag ?? 0) >>> 0;
    const mtu = tuning.maxPacketSize;
    s = {
      tuning,
      packetSize: mtu,
      pmtu: undefined,
      pathMtuSet: false,
      closed: false,
      closeReason: undefined,
      nextTsn: DOUBLE_ZERO,
      pending: new Ring<OutMessage>(),
      pendingBytes: 0,
      refill: undefined,
      outstanding: new OutstandingQueue(),
      retransmitCount: 0,
      gapAckedCount: 0,
      flight: 0,
      cwnd: Math.min(4 * mtu, Math.max(2 * mtu, 4380)),
      ssthresh: 0x7fffffff,
      partialBytesAcked: 0,
      peerRwnd: 0,
      cumAck: DOUBLE_ZERO,
      fastRecovery: false,
      fastRecoveryExit: DOUBLE_ZERO,
      fastAllowance: 0,
      ssn: [],
      control: [],
      flushImmediate: undefined,
      flushPromised: false,
      rto: DOUBLE_ZERO,
      srtt: DOUBLE_ZERO,
      rttvar: DOUBLE_ZERO,
      rttProbe: undefined,
      promptSack: false,
      promptSacks: 0,
      delayedSack: false,
      t3Expirations: 0,
      t3: undefined,
      t3Deadline: undefined,
      t3FireAt: DOUBLE_ZERO,
      sackNeeded: false,
      sackTimer: undefined,
      sackDue: DOUBLE_ZERO,
      packetsSinceSack: 0,
      everSentSack: false,
      lastReceived: now(),
      receiver: undefined,
      errorCount: 0,
      pathErrorCount: 0,
      pathActive: true,
      hbInterval: undefined,
      hbTimer: undefined,
      hbPending: undefined,
      hbRecent: [],
      t1: undefined,
      t1Count: 0,
      initSentAt: DOUBLE_ZERO,
      initBuffer: undefined,
      cookieBuffer: undefined,
      t2: undefined,
      t2Count: 0,
      t5: undefined,
      shutdownCallbacks: [],
    };
    // Number fields start as doubles (DOUBLE_ZERO); their real first values follow.
    s.nextTsn = initialTsn;
    s.cumAck = (initialTsn - 1) >>> 0;
    s.rto = tuning.rtoInitial;
    a[STATE] = s;
    slimDebugger(a);
  }
  return s;
}

/** Re-reads the tuning of an association (after `tuneAssociation`). */
export function refreshTuning(a: Loose): void {
  const s = st(a);
  s.tuning = tuningOf(a);
  if (!s.pathMtuSet) s.packetSize = s.tuning.maxPacketSize;
  if (!s.srtt) s.rto = s.tuning.rtoInitial;
  else s.rto = Math.min(Math.max(s.rto, s.tuning.rtoMin), s.tuning.rtoMax);
}

/** Sends encoded chunks in one packet to the association's peer (never throws). */
export function sendRaw(a: Loose, buffers: Buffer[], vTag?: number): boolean {
  const endpoint = a.endpoint;
  if (!endpoint || a.mute) return false;
  try {
    endpoint._sendPacket(a.remoteAddress, a.remotePort, (vTag ?? a.peer_tag ?? 0) >>> 0, buffers, undefined);
    return true;
  } catch (error) {
    a.debugger?.warn?.('send failed %O', error);
    return false;
  }
}

/** Bytes in front of a framed packet for the SCTP common header (ports, verification tag, checksum). */
export const COMMON_HEADER = 12;

/**
 * A transport that sends an encoded SCTP packet as it is (common header and
 * CRC32c filled in) to the association's peer. The UDP links and the raw-IP
 * stack implement it; others get the chunks through sctp's
 * `Endpoint._sendPacket`.
 */
interface EncodedPacketTransport {
  sendEncoded?(packet: Buffer, association: Loose): void;
}

/**
 * Sends one packet built in a single buffer whose first {@link COMMON_HEADER}
 * bytes are reserved for the common header: the header and the CRC32c are
 * written here, in place (the same fields sctp's `Endpoint._sendPacket`
 * uses), and the transport gets the buffer as it is: no packet object, no
 * second copy, one I/O vector entry.
 */
export function sendFramed(a: Loose, packet: Buffer): boolean {
  const endpoint = a.endpoint;
  if (!endpoint || a.mute) return false;
  const vTag = (a.peer_tag ?? 0) >>> 0;
  try {
    const transport = endpoint.transport as EncodedPacketTransport | undefined;
    if (transport !== undefined && transport.sendEncoded !== undefined) {
      packet.writeUInt16BE(endpoint.localPort, 0);
      packet.writeUInt16BE(a.remotePort, 2);
      packet.writeUInt32BE(vTag, 4);
      transport.sendEncoded(fillSctpChecksum(packet), a);
    } else {
      endpoint._sendPacket(a.remoteAddress, a.remotePort, vTag, [packet.subarray(COMMON_HEADER)], undefined);
    }
    return true;
  } catch (error) {
    a.debugger?.warn?.('send failed %O', error);
    return false;
  }
}

export function clearTimer(t: NodeJS.Timeout | undefined): undefined {
  if (t) clearTimeout(t);
  return undefined;
}
