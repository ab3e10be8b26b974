/**
 * Repair: receive-side TSN tracking, reassembly and ordered delivery.
 *
 * Replaces `Reassembly.prototype.init`, `process`, `accept`, `cumulative`,
 * `reassemble`, `sackInfo`, `pause` and `unpause` of `sctp/lib/reassembly.js`.
 *
 * - Original: no TSN window check; a DATA chunk with a TSN far above the
 *   cumulative TSN created a huge sparse mapping array and `sackInfo()` then
 *   threw ("gap interval too big"). Now a TSN more than 65,535 above the
 *   cumulative TSN (the reach of a 16-bit gap block) is dropped.
 * - Original: TSN and SSN arithmetic froze at the 2^32 wrap (see serial.ts);
 *   now all arithmetic is modulo 2^32 / 2^16.
 * - Original: the receive window was only decremented/incremented loosely and
 *   the "drop largest TSN" branch decremented a SerialNumber object (NaN).
 *   Now the window is capacity minus buffered bytes (fragments and messages
 *   waiting for order); a new TSN that does not fit is dropped, except the
 *   next in-order TSN, so a message as large as the window still completes.
 * - Original: a paused stream dropped every chunk (the peer retransmitted
 *   forever); now complete messages of a paused stream are held (and count
 *   against the window) until `unpause`.
 * - Original: reassembly rescanned the mapping array on every chunk; now a
 *   message is assembled only when its last missing fragment arrives.
 * - A DATA chunk for a stream id beyond the negotiated inbound streams is
 *   acknowledged but its data is discarded (RFC 4960 6.5).
 * - Delivered messages are fresh copies (never slices of a transport buffer).
 * - `sackInfo()` never throws and caps the number of gap blocks and
 *   duplicate TSNs so the SACK fits in one packet.
 *
 * `process()` returns true when the chunk was new and accepted; after the
 * call `lastResult` is `'new' | 'duplicate' | 'dropped'`. The `'data'` event
 * gets `(buffer, streamId, ppid, unordered)`.
 *
 * @module
 */
import { ReassemblyClass, SerialNumberClass, override, sctpRepairStats, type Loose } from './internals.js';
import { tsnAdd, tsnDiff, tsnGt } from './serial.js';
import { DOUBLE_ZERO } from './state.js';

/** Largest distance above the cumulative TSN that can be acknowledged by a gap block. */
export const MAX_TSN_WINDOW = 0xffff;
const MAX_DUPLICATES = 32;
const MAX_GAP_BLOCKS = 256;

interface HeldMessage {
  data: Buffer;
  ppid: number;
  unordered: boolean;
}

interface RxState {
  cum: number;
  maxTsn: number;
  /** TSNs above `cum` that were received, ascending in serial order. */
  above: number[];
  /** Buffered fragments by TSN. */
  fragments: Map<number, Loose>;
  /** Next expected stream sequence number per inbound stream (index: stream id; missing: 0). */
  nextSsn: number[];
  /** Complete ordered messages waiting for earlier SSNs, per stream. */
  waiting: Map<number, Map<number, HeldMessage>>;
  /** Complete messages of paused streams. */
  held: Map<number, HeldMessage[]>;
  buffered: number;
  capacity: number;
  /** Extra bytes allowed for the next in-order fragment beyond the window. */
  overflow: number;
  streams: number;
  /** Takes complete messages directly (see {@link setDirectReceiver}); else the `'data'` event. */
  receiver: DirectReceiver | undefined;
}

/** Receives one complete message: payload, stream, PPID, unordered flag. */
export type DirectReceiver = (data: Buffer, stream: number, ppid: number, unordered: boolean) => void;

const RX = Symbol.for('rserpool.sctp.rx');

/**
 * Hands complete messages of reassembly `r` straight to `receiver` instead
 * of emitting `'data'` (which the association relays through `_deliver`, with
 * the unordered flag as a property added to each buffer); `undefined`
 * restores the event. Kept across `init()`.
 */
export function setDirectReceiver(r: Loose, receiver: DirectReceiver | undefined): void {
  r.rspReceiver = receiver;
  const s = rx(r);
  if (s) s.receiver = receiver;
}

function rx(r: Loose): RxState | undefined {
  return r[RX];
}

function updateWindow(r: Loose, s: RxState): void {
  r.rwnd = Math.max(0, s.capacity - s.buffered);
  r.have_gaps = tsnGt(s.maxTsn, s.cum);
  if (r.peer_c_tsn) r.peer_c_tsn.number = s.cum;
}

function insertSorted(s: RxState, tsn: number): void {
  const a = s.above;
  const key = tsnDiff(tsn, s.cum);
  let i = a.length;
  if (i === 0 || tsnDiff(a[i - 1]!, s.cum) < key) {
    a.push(tsn);
    return;
  }
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (tsnDiff(a[mid]!, s.cum) < key) lo = mid + 1;
    else hi = mid;
  }
  i = lo;
  if (a[i] !== tsn) a.splice(i, 0, tsn);
}

function sameMessage(a: Loose, b: Loose): boolean {
  return a.stream_id === b.stream_id && !!a.flags.U === !!b.flags.U && (a.flags.U || a.ssn === b.ssn);
}

function emitMessage(r: Loose, s: RxState, streamId: number, msg: HeldMessage): void {
  emitParts(r, s, streamId, msg.data, msg.ppid, msg.unordered);
}

/** Emits (or, on a paused stream, holds) one complete message. */
function emitParts(r: Loose, s: RxState, streamId: number, data: Buffer, ppid: number, unordered: boolean): void {
  if (s.receiver !== undefined && (r._paused === undefined || !r._paused[streamId])) {
    s.receiver(data, streamId, ppid, unordered);
    return;
  }
  if (r._paused && r._paused[streamId]) {
    let q = s.held.get(streamId);
    if (!q) {
      q = [];
      s.held.set(streamId, q);
    }
    q.push({ data, ppid, unordered });
    s.buffered += data.length;
    return;
  }
  (data as Loose).unordered = unordered;
  r.emit('data', data, streamId, ppid, unordered);
}

/**
 * Delivers a complete message in stream order: at once when it is the next
 * one of its stream (or unordered), else kept until the gap is filled. Only a
 * message that has to wait gets an object of its own.
 */
function deliver(r: Loose, s: RxState, streamId: number, data: Buffer, ppid: number, unordered: boolean, ssn: number): void {
  if (unordered) {
    emitParts(r, s, streamId, data, ppid, true);
    return;
  }
  const expected = s.nextSsn[streamId] ?? 0;
  const ahead = (ssn - expected) & 0xffff;
  if (ahead === 0) {
    emitParts(r, s, streamId, data, ppid, false);
    let next = (expected + 1) & 0xffff;
    const waiting = s.waiting.get(streamId);
    while (waiting && waiting.size > 0) {
      const m = waiting.get(next);
      if (!m) break;
      waiting.delete(next);
      s.buffered -= m.data.length;
      emitMessage(r, s, streamId, m);
      next = (next + 1) & 0xffff;
    }
    s.nextSsn[streamId] = next;
  } else if (ahead < 0x8000) {
    let waiting = s.waiting.get(streamId);
    if (!waiting) {
      waiting = new Map();
      s.waiting.set(streamId, waiting);
    }
    if (!waiting.has(ssn)) {
      waiting.set(ssn, { data, ppid, unordered: false });
      s.buffered += data.length;
    }
  }
  // else: an SSN already delivered (peer bug) - dropped.
}

function tryAssemble(r: Loose, s: RxState, tsn: number): void {
  const chunk = s.fragments.get(tsn);
  if (!chunk) return;
  if (!chunk.flags.E && !s.fragments.has(tsnAdd(tsn, 1))) return;
  let end = tsn;
  let count = 1;
  while (!s.fragments.get(end).flags.E) {
    const next = tsnAdd(end, 1);
    const c = s.fragments.get(next);
    if (!c || c.flags.B || !sameMessage(c, chunk)) return;
    end = next;
    if (++count > MAX_TSN_WINDOW) return;
  }
  let start = tsn;
  while (!s.fragments.get(start).flags.B) {
    const prev = tsnAdd(start, -1);
    const c = s.fragments.get(prev);
    if (!c || c.flags.E || !sameMessage(c, chunk)) return;
    start = prev;
    if (++count > MAX_TSN_WINDOW) return;
  }
  const parts: Buffer[] = [];
  let t = start;
  let first: Loose;
  for (;;) {
    const c = s.fragments.get(t);
    if (!first) first = c;
    parts.push(c.user_data);
    s.buffered -= c.user_data.length;
    s.fragments.delete(t);
    if (t === end) break;
    t = tsnAdd(t, 1);
  }
  const data = Buffer.concat(parts);
  deliver(r, s, first.stream_id, data, first.ppid >>> 0, !!first.flags.U, first.ssn);
}

/**
 * The common case of `process()` without a chunk object: a whole message
 * (B and E set) whose TSN is the next one expected, while no gap and no
 * fragment is pending. Records the TSN and delivers the message (`data`
 * itself when `owned`, else a copy); returns false, having changed nothing,
 * when any condition does not hold, and the caller then goes the general
 * way.
 */
export function acceptNextWhole(r: Loose, tsn: number, streamId: number, ssn: number, ppid: number, unordered: boolean, payload: Buffer, owned: boolean): boolean {
  const s = rx(r);
  if (s === undefined || s.above.length !== 0 || s.fragments.size !== 0) return false;
  if (((tsn - s.cum) >>> 0) !== 1 || streamId >= s.streams) return false;
  const length = payload.length;
  // The next TSN may use the overflow allowance beyond the window (see process()).
  if (length === 0 || s.buffered + length > s.capacity + s.overflow) return false;
  r.lastResult = 'new';
  s.cum = tsn;
  s.maxTsn = tsn;
  deliverWhole(r, s, streamId, ssn, ppid, unordered, payload, owned);
  return true;
}

/**
 * Delivers a message that came whole in one chunk (no fragment bookkeeping):
 * `payload` itself when the receive path says its buffer is the message's
 * alone (`owned`), else a copy.
 */
function deliverWhole(r: Loose, s: RxState, streamId: number, ssn: number, ppid: number, unordered: boolean, payload: Buffer, owned: boolean): void {
  let data = payload;
  if (!owned) {
    data = Buffer.allocUnsafe(payload.length);
    payload.copy(data, 0);
  }
  deliver(r, s, streamId, data, ppid >>> 0, unordered, ssn);
  updateWindow(r, s);
}

/** Installs the reassembly repair. */
export function installReassemblyRepair(): void {
  const proto = ReassemblyClass.prototype;
  override(proto, 'init', function init(this: Loose, options: Loose) {
    const initial = ((options && options.initial_tsn) ?? 0) >>> 0;
    const cum = tsnAdd(initial, -1);
    const capacity = typeof this.rwnd === 'number' && this.rwnd > 0 ? this.rwnd : 1500;
    const s: RxState = {
      // TSNs start as doubles (see DOUBLE_ZERO), then get their values.
      cum: DOUBLE_ZERO,
      maxTsn: DOUBLE_ZERO,
      above: [],
      fragments: new Map(),
      nextSsn: [],
      waiting: new Map(),
      held: new Map(),
      buffered: 0,
      capacity,
      overflow: typeof this.rspOverflow === 'number' ? this.rspOverflow : 65_536,
      streams: Math.max(1, Math.min(0xffff, (options && options.streams) || 0xffff)),
      receiver: typeof this.rspReceiver === 'function' ? this.rspReceiver : undefined,
    };
    s.cum = cum;
    s.maxTsn = cum;
    this[RX] = s;
    this.initial_tsn = initial;
    this.duplicates = [];
    this.peer_c_tsn = new SerialNumberClass(cum);
    this.lastResult = undefined;
    if (!this._paused) this._paused = {};
    updateWindow(this, s);
  });

  override(proto, 'setCapacity', function setCapacity(this: Loose, capacity: number, overflow?: number) {
    const s = rx(this);
    if (typeof overflow === 'number') this.rspOverflow = overflow;
    if (s) {
      s.capacity = capacity;
      if (typeof overflow === 'number') s.overflow = overflow;
      updateWindow(this, s);
    } else {
      this.rwnd = capacity;
    }
  });

  override(proto, 'process', function process(this: Loose, chunk: Loose): boolean {
    const s = rx(this);
    this.lastResult = 'dropped';
    if (!s || !chunk || !Buffer.isBuffer(chunk.user_data) || typeof chunk.tsn !== 'number' || !chunk.flags) return false;
    const tsn = chunk.tsn >>> 0;
    const d = tsnDiff(tsn, s.cum);
    if (d <= 0 || s.fragments.has(tsn) || (d > 0 && s.above.length > 0 && binaryHas(s, tsn))) {
      this.lastResult = 'duplicate';
      if (this.duplicates.length < MAX_DUPLICATES) this.duplicates.push(tsn);
      return false;
    }
    if (d > MAX_TSN_WINDOW) {
      sctpRepairStats.tsnOutOfWindow++;
      return false;
    }
    const length = chunk.user_data.length;
    if (s.buffered + length > s.capacity && (d !== 1 || s.buffered + length > s.capacity + s.overflow)) {
      return false;
    }
    this.lastResult = 'new';
    // Record the TSN.
    if (tsnGt(tsn, s.maxTsn)) s.maxTsn = tsn;
    if (d === 1) {
      s.cum = tsn;
      while (s.above.length > 0 && s.above[0] === tsnAdd(s.cum, 1)) {
        s.cum = s.above.shift()!;
      }
    } else {
      insertSorted(s, tsn);
    }
    if (chunk.stream_id >= s.streams) {
      // Invalid stream: acknowledged, data discarded.
      updateWindow(this, s);
      return true;
    }
    if (chunk.flags.B && chunk.flags.E) {
      // A whole message in one chunk (the common case).
      deliverWhole(this, s, chunk.stream_id, chunk.ssn, chunk.ppid, !!chunk.flags.U, chunk.user_data, chunk.owned === true);
      return true;
    }
    s.fragments.set(tsn, chunk);
    s.buffered += length;
    tryAssemble(this, s, tsn);
    updateWindow(this, s);
    return true;
  });

  override(proto, 'accept', function accept(this: Loose, chunk: Loose) {
    return this.process(chunk);
  });
  override(proto, 'cumulative', function cumulative() {
    /* folded into process() */
  });
  override(proto, 'reassemble', function reassemble() {
    /* folded into process() */
  });

  override(proto, 'sackInfo', function sackInfo(this: Loose) {
    const s = rx(this);
    if (!s) return { a_rwnd: Math.max(0, this.rwnd | 0), c_tsn_ack: 0 };
    if (s.above.length === 0 && this.duplicates.length === 0) {
      // Nothing above the cumulative TSN and no duplicate (nearly every SACK): no lists.
      const plain: Loose = { a_rwnd: Math.max(0, s.capacity - s.buffered), c_tsn_ack: DOUBLE_ZERO };
      plain.c_tsn_ack = s.cum;
      return plain;
    }
    const gapBlocks: Array<{ start: number; finish: number }> = [];
    let blockStart = -1;
    let blockEnd = -1;
    for (const tsn of s.above) {
      const off = tsnDiff(tsn, s.cum);
      if (off <= 0 || off > MAX_TSN_WINDOW) continue;
      if (blockStart >= 0 && off === blockEnd + 1) {
        blockEnd = off;
      } else {
        if (blockStart >= 0) gapBlocks.push({ start: blockStart, finish: blockEnd });
        if (gapBlocks.length >= MAX_GAP_BLOCKS) break;
        blockStart = off;
        blockEnd = off;
      }
    }
    if (blockStart >= 0 && gapBlocks.length < MAX_GAP_BLOCKS) gapBlocks.push({ start: blockStart, finish: blockEnd });
    const duplicates: number[] = this.duplicates;
    this.duplicates = [];
    const info: Loose = { a_rwnd: Math.max(0, s.capacity - s.buffered), c_tsn_ack: DOUBLE_ZERO };
    info.c_tsn_ack = s.cum;
    if (gapBlocks.length > 0 || duplicates.length > 0) {
      info.sack_info = { gap_blocks: gapBlocks, duplicate_tsn: duplicates };
    }
    return info;
  });

  override(proto, 'pause', function pause(this: Loose, streamId: number) {
    if (!this._paused) this._paused = {};
    this._paused[streamId] = true;
  });

  override(proto, 'unpause', function unpause(this: Loose, streamId: number) {
    if (!this._paused) this._paused = {};
    this._paused[streamId] = false;
    const s = rx(this);
    if (!s) return false;
    const q = s.held.get(streamId);
    if (!q || q.length === 0) return false;
    s.held.delete(streamId);
    for (const msg of q) {
      s.buffered -= msg.data.length;
      if (this._paused[streamId]) {
        emitMessage(this, s, streamId, msg);
      } else {
        (msg.data as Loose).unordered = msg.unordered;
        this.emit('data', msg.data, streamId, msg.ppid, msg.unordered);
      }
    }
    updateWindow(this, s);
    return true;
  });

  override(proto, 'reset', function reset(this: Loose) {
    const s = rx(this);
    if (!s) return;
    s.fragments.clear();
    s.waiting.clear();
    s.held.clear();
    s.above.length = 0;
    s.buffered = 0;
  });
}

function binaryHas(s: RxState, tsn: number): boolean {
  const a = s.above;
  const key = tsnDiff(tsn, s.cum);
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const k = tsnDiff(a[mid]!, s.cum);
    if (k === key) return true;
    if (k < key) lo = mid + 1;
    else hi = mid;
  }
  return false;
}

/** Receive-side counters of a Reassembly (for tests and diagnostics). */
export function reassemblyInfo(r: Loose): { cum: number; buffered: number; capacity: number; fragments: number } | undefined {
  const s = rx(r);
  return s && { cum: s.cum, buffered: s.buffered, capacity: s.capacity, fragments: s.fragments.size };
}
