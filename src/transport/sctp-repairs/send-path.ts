/**
 * Repair: the send path (queueing, bundling, flight size, write callbacks)
 * and SACK generation.
 *
 * Replaces, on `Association.prototype` of `sctp/lib/association.js`:
 * `SEND`, `send`, `drain`, `_sendChunk`, `_bundle`, `_sack`, `scheduleSack`,
 * `_sendPacket`, `onData` and `_deliver`.
 *
 * - Original: every queued chunk armed a `setTimeout(0)` (≥ 1 ms) before
 *   bundling (~380 round trips/s). Now one `setImmediate` per event-loop turn
 *   flushes everything queued (control chunks, SACK, retransmissions, new
 *   data) into as few packets as the packet size allows.
 * - Original: one `drainCallback` slot per association — a second pending
 *   write overwrote the first, so concurrent writes on several streams
 *   stalled. Now every message is queued with its own callback, called once
 *   its last fragment has been transmitted (assigned a TSN and handed to the
 *   transport); messages larger than the peer's window or the congestion
 *   window are sent progressively as acknowledgements open the windows, so
 *   their callbacks always complete. The callback gets the TSN of the
 *   message's last fragment: once the peer's cumulative TSN ack covers it,
 *   the peer's SCTP has the whole message (see `acknowledgedTsn`).
 * - Original: `send()` rejected a write when flight size ≥ cwnd and the
 *   callback could be released before the flight size was reset. Now new
 *   data simply waits in the queue; the flight size is the exact sum of the
 *   chunks currently in flight (see retransmission.ts).
 * - Original: unordered messages consumed a stream sequence number, which
 *   stalled ordered delivery at the receiver; now only ordered ones do.
 * - Original: stream id `== OS` was accepted; now `0 <= stream < OS`.
 * - Fragment size follows `maxPacketSize` (default fits IPv6+UDP in 1500).
 * - The SACK is encoded directly, bundled first, once per flush; the
 *   delayed-SACK timer uses `sackTimeout` and every second packet, gaps,
 *   duplicates or drops are acknowledged immediately.
 * - DATA received in SHUTDOWN-SENT is answered with SHUTDOWN (plus SACK when
 *   needed) — the original read an undefined `this.duplicates` there and threw.
 * - Delivered messages carry `ppid`, `stream_id` and `unordered` properties;
 *   they are queued for `RECEIVE()` only while a `'DATA ARRIVE'` listener
 *   exists (the original grew `readBuffer` forever otherwise).
 *
 * @module
 */
import { AssociationClass, ChunkClass, override, type Loose } from './internals.js';
import { tsnAdd } from './serial.js';
import { st, now, sendRaw, sendFramed, COMMON_HEADER, OutChunk, OutMessage, type AssocState, type MessageReceiver, type SendCallback } from './state.js';
import { startT3 } from './retransmission.js';
import { sendShutdownChunk, restartT2, restartT5 } from './shutdown-timers.js';
import { clearErrors, failWithAbort } from './lifecycle.js';
import { scheduleFlush } from './scheduler.js';
import { putU16, putU32 } from './bytes.js';
import { acceptNextWhole, setDirectReceiver } from './reassembly.js';
import { asBuffer } from '../slab.js';

/** SACK-IMMEDIATELY flag of a DATA chunk (RFC 7053). */
const DATA_FLAG_I = 0x08;
// The states in which DATA may be sent, received, queued. Comparisons (ESTABLISHED first) rather
// than sets: these run per message, and the state names are the package's constant strings.
function dataState(state: string): boolean {
  return state === 'ESTABLISHED' || state === 'SHUTDOWN-PENDING' || state === 'SHUTDOWN-RECEIVED';
}
function receiveState(state: string): boolean {
  return state === 'ESTABLISHED' || state === 'SHUTDOWN-PENDING' || state === 'SHUTDOWN-SENT';
}
function queueState(state: string): boolean {
  return state === 'ESTABLISHED' || state === 'COOKIE-WAIT' || state === 'COOKIE-ECHOED';
}

/** Writes the 16-byte header of a DATA chunk (RFC 4960 3.3.1) at `offset` (unchecked writes, see bytes.ts). */
function writeDataHeader(b: Buffer, offset: number, c: OutChunk): void {
  b[offset] = 0;
  b[offset + 1] = c.flags;
  putU16(b, offset + 2, 16 + c.payload.length);
  putU32(b, offset + 4, c.tsn >>> 0);
  putU16(b, offset + 8, c.streamId);
  putU16(b, offset + 10, c.ssn & 0xffff);
  putU32(b, offset + 12, c.ppid >>> 0);
}

/**
 * Most DATA chunks in flight. The windows count bytes, but a receiver's socket buffer and SACK
 * processing pay per packet and per chunk: a long stream of tiny messages could otherwise put
 * tens of thousands of chunks in flight (more datagrams than the peer's socket buffer holds, and
 * every SACK with a gap block walks them all).
 */
const MAX_OUTSTANDING_CHUNKS = 1024;

/** How often one flush asks the owner for more messages when its queue ran empty. */
const MAX_REFILLS = 4;

/** Smallest room in a packet worth filling with a fragment of a larger message. */
const FILL_MIN = 4096;

/** DATA payloads above this size are sent as a view of the message, smaller ones are copied into the packet. */
const COPY_LIMIT = 4096;

/**
 * Encodes the chunks of one packet. Control chunks come encoded; DATA chunks
 * are written here from their fields. A packet of small pieces becomes one
 * buffer with room for the common header in front (sent with
 * {@link sendFramed}); a packet with a large DATA payload is not copied but
 * returned as pieces without the common header: a 16-byte header plus a
 * view of the message per DATA chunk (the packet encoders pad every piece to
 * 4 bytes, which for the header is a no-op and for the payload is the
 * chunk's padding).
 */
function encodePacket(pieces: ReadonlyArray<Buffer | OutChunk>, size: number, large: boolean): Buffer | Buffer[] {
  // (`instanceof OutChunk` is decided at the first prototype; a Buffer test walks four.)
  if (large) {
    const out: Buffer[] = [];
    for (const p of pieces) {
      if (!(p instanceof OutChunk)) out.push(p);
      else {
        const header = Buffer.allocUnsafe(16);
        writeDataHeader(header, 0, p);
        out.push(header, p.payload);
      }
    }
    return out;
  }
  const area = Buffer.allocUnsafe(size);
  let o = COMMON_HEADER;
  for (const p of pieces) {
    let end: number;
    if (p instanceof OutChunk) {
      writeDataHeader(area, o, p);
      area.set(p.payload, o + 16);
      end = o + 16 + p.payload.length;
    } else {
      area.set(p, o);
      end = o + p.length;
    }
    o = (end + 3) & ~3;
    if (o > end) area.fill(0, end, o);
  }
  return area;
}

const NO_GAPS: ReadonlyArray<{ start: number; finish: number }> = Object.freeze([]);
const NO_DUPLICATES: readonly number[] = Object.freeze([]);

/**
 * Encodes a SACK chunk (RFC 4960 3.3.4) from `Reassembly.sackInfo()`, after
 * `headroom` bytes left free (for the common header of a framed packet).
 */
function encodeSack(info: Loose, headroom = 0): Buffer {
  const gaps: ReadonlyArray<{ start: number; finish: number }> = info.sack_info?.gap_blocks ?? NO_GAPS;
  const dups: readonly number[] = info.sack_info?.duplicate_tsn ?? NO_DUPLICATES;
  const length = 16 + 4 * gaps.length + 4 * dups.length;
  const b = Buffer.allocUnsafe(headroom + length);
  const h = headroom;
  b[h] = 3;
  b[h + 1] = 0;
  putU16(b, h + 2, length);
  putU32(b, h + 4, info.c_tsn_ack >>> 0);
  putU32(b, h + 8, Math.max(0, Math.min(0xffffffff, info.a_rwnd | 0)) >>> 0);
  putU16(b, h + 12, gaps.length);
  putU16(b, h + 14, dups.length);
  let o = h + 16;
  for (const g of gaps) {
    putU16(b, o, g.start & 0xffff);
    putU16(b, o + 2, g.finish & 0xffff);
    o += 4;
  }
  for (const d of dups) {
    putU32(b, o, d >>> 0);
    o += 4;
  }
  return b;
}

/**
 * The peer's cumulative TSN ack: every message whose last TSN is at or
 * before it (serial order, `tsnLe`) has been received by the peer's SCTP.
 */
export function acknowledgedTsn(a: Loose): number {
  return st(a).cumAck;
}

function buildSack(a: Loose, headroom = 0): Buffer | undefined {
  const s = st(a);
  s.sackNeeded = false;
  // The delayed-SACK timer stays armed and finds nothing due: no timer churn per message.
  s.sackDue = 0;
  s.packetsSinceSack = 0;
  if (!a.reassembly || typeof a.reassembly.sackInfo !== 'function' || a.peer_tag === undefined) return undefined;
  s.everSentSack = true;
  return encodeSack(a.reassembly.sackInfo(), headroom);
}

/**
 * Promises that the caller will call {@link flush} at the end of the current
 * job (the association does after queueing messages): until then a flush
 * that the receive path asks for (an immediate SACK) is left to that call
 * instead of an event-loop turn of its own, so it still rides on the data
 * being queued. {@link cancelFlushPromise} withdraws the promise.
 */
export function flushAtEndOfJob(a: Loose): void {
  st(a).flushPromised = true;
}

/** Withdraws {@link flushAtEndOfJob}: flushes asked for from now on get their own event-loop turn. */
export function cancelFlushPromise(a: Loose): void {
  const s = st(a);
  if (!s.flushPromised) return;
  s.flushPromised = false;
  if (s.sackNeeded || s.control.length > 0 || s.pending.length > 0 || s.retransmitCount > 0) scheduleFlush(a);
}

/** Sends everything that is queued and allowed by the windows. */
export function flush(a: Loose): void {
  const s = st(a);
  s.flushPromised = false;
  if (s.flushImmediate) {
    clearImmediate(s.flushImmediate);
    s.flushImmediate = undefined;
  }
  if (s.closed || !a.endpoint) return;
  const max = s.packetSize;
  let bufs: Array<Buffer | OutChunk> = [];
  let size = 12;
  // The packet being built holds a DATA payload too large to copy into it.
  let large = false;
  let dataSent = false;
  const done: OutMessage[] = [];
  const emit = (): void => {
    if (bufs.length > 0) {
      const packet = encodePacket(bufs, size, large);
      if (Array.isArray(packet)) sendRaw(a, packet);
      else sendFramed(a, packet);
      bufs = [];
      size = 12;
      large = false;
    }
  };
  const add = (b: Buffer): void => {
    const wire = (b.length + 3) & ~3;
    if (bufs.length > 0 && size + wire > max) emit();
    bufs.push(b);
    size += wire;
  };
  let lastData: OutChunk | undefined;
  const addData = (c: OutChunk): void => {
    if (bufs.length > 0 && size + c.wire > max) emit();
    bufs.push(c);
    size += c.wire;
    if (c.payload.length > COPY_LIMIT) large = true;
    lastData = c;
  };

  const canData = dataState(a.state);
  const wantsData = canData && (s.pending.length > 0 || s.retransmitCount > 0);
  if (s.sackNeeded || (s.sackDue !== 0 && wantsData)) {
    const sack = buildSack(a);
    if (sack) add(sack);
  }
  if (s.control.length > 0) {
    for (const c of s.control) add(c);
    s.control.length = 0;
  }

  if (canData) {
    if (s.retransmitCount > 0) {
      for (let i = 0; i < s.outstanding.size; i++) {
        const c = s.outstanding.at(i);
        if (!c.retransmit) continue;
        const fits = s.flight === 0 || s.flight + c.size <= s.cwnd;
        if (!fits) {
          if (!(c.fast && s.fastAllowance >= c.wire)) break;
          s.fastAllowance -= c.wire;
        }
        c.retransmit = false;
        c.fast = false;
        c.misses = 0;
        s.retransmitCount--;
        c.inFlight = true;
        s.flight += c.size;
        c.transmissions++;
        c.sentAt = now();
        s.peerRwnd = Math.max(0, s.peerRwnd - c.size);
        if (s.rttProbe && s.rttProbe.tsn === c.tsn) s.rttProbe = undefined;
        addData(c);
        dataSent = true;
      }
      s.fastAllowance = 0;
    }
    // DATA chunks are padded to 4 bytes: a full packet must stay within `max` with the padding.
    const maxPayload = (max - 12 - 16) & ~3;
    const sentAt = now();
    let refills = 0;
    while (s.retransmitCount === 0) {
      if (s.pending.length === 0) {
        // The owner's queue may hold more messages that were waiting for room here: take them
        // now (bounded), so this packet leaves full rather than as a small tail of its own.
        if (s.refill === undefined || refills++ >= MAX_REFILLS) break;
        s.refill();
        if (s.pending.length === 0) break;
      }
      const m = s.pending.peek()!;
      const remaining = m.data.length - m.offset;
      let len = Math.min(remaining, maxPayload);
      // Fill the packet being built rather than start a new one for a large fragment (a 64 KiB
      // message behind a small tail would otherwise take two packets of which one is nearly empty).
      const room = (max - size - 16) & ~3;
      if (len > room && room >= FILL_MIN) len = room;
      const chunkSize = 16 + len;
      if (s.flight > 0 && (s.flight + chunkSize > s.cwnd || chunkSize > s.peerRwnd || s.outstanding.size >= MAX_OUTSTANDING_CHUNKS)) break;
      // Sender-side silly window avoidance (RFC 9260, 6.1): a short chunk that would open a packet
      // the windows cannot let grow to full size waits, when more is queued behind it, for the
      // SACK that the data in flight is sure to bring. A message that is all there is still goes
      // at once, as does anything behind an empty flight.
      const opensPacket = bufs.length === 0 || size + ((chunkSize + 3) & ~3) > max;
      if (s.flight > 0 && len < maxPayload && s.pendingBytes > len && opensPacket && Math.min(s.cwnd - s.flight, s.peerRwnd) < max) break;
      const first = m.offset === 0;
      const last = len === remaining;
      const flags = (m.unordered ? 4 : 0) | (first ? 2 : 0) | (last ? 1 : 0);
      const tsn = s.nextTsn;
      s.nextTsn = tsnAdd(tsn, 1);
      const c = new OutChunk(tsn, flags, m, first && last ? m.data : m.data.subarray(m.offset, m.offset + len), chunkSize, sentAt);
      s.outstanding.push(c);
      s.flight += chunkSize;
      s.peerRwnd = Math.max(0, s.peerRwnd - chunkSize);
      if (!s.rttProbe) s.rttProbe = c;
      m.offset += len;
      s.pendingBytes -= len;
      addData(c);
      dataSent = true;
      if (last) {
        s.pending.shift();
        m.lastTsn = tsn;
        if (m.callback) done.push(m);
      }
    }
  }
  // After this flush the sender waits (for the application or for a SACK that opens a window):
  // ask for the SACK at once (I bit, RFC 7053) instead of after the peer's delayed-SACK timer,
  // which would otherwise stall small windows after a loss and lone messages.
  if (lastData) lastData.flags |= DATA_FLAG_I;
  emit();
  a.flightsize = s.flight;
  if (dataSent) startT3(a);
  for (const m of done) {
    try {
      m.callback!(undefined, m.lastTsn, m);
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}

function rejectSend(callback: SendCallback | undefined, message: OutMessage | undefined, text: string): false {
  if (callback) {
    const error = new Error(text);
    const m = message ?? new OutMessage(EMPTY, 0, 0, false, callback);
    queueMicrotask(() => callback(error, 0, m));
  }
  return false;
}

const EMPTY = Buffer.alloc(0);

/** Why the association cannot queue a message for stream `streamId` now, or undefined. */
function refusal(a: Loose, s: AssocState, streamId: number): string | undefined {
  if (s.closed || a.state === 'CLOSED') return 'association closed';
  if (!queueState(a.state)) return 'not accepting new data in SHUTDOWN state';
  const streams = typeof a.OS === 'number' && a.OS > 0 ? a.OS : 1;
  if (!Number.isInteger(streamId) || streamId < 0 || streamId >= streams) return `wrong stream id ${streamId}`;
  return undefined;
}

/** Assigns the stream sequence number and queues `m` for transmission; false above the send high-water mark. */
function enqueue(a: Loose, s: AssocState, m: OutMessage, flushSoon: boolean): boolean {
  if (!m.unordered) {
    const ssn = s.ssn[m.streamId] ?? 0;
    s.ssn[m.streamId] = (ssn + 1) & 0xffff;
    m.ssn = ssn;
  }
  s.pending.push(m);
  s.pendingBytes += m.data.length;
  a.lastChunkSize = m.data.length;
  if (flushSoon && dataState(a.state)) scheduleFlush(a);
  return s.pendingBytes < s.tuning.sendHighWaterMark;
}

/**
 * Queues a message built by the caller (an {@link OutMessage} or a subclass
 * carrying the caller's own fields): the allocation-free counterpart of
 * `SEND` for the transport's associations. `m.data` must not be empty and is
 * not copied; `m.callback` runs once with `(error, lastTsn, m)`. Returns false
 * when the queue is above the send high-water mark (the message is queued
 * anyway) or when the message was refused (the callback then gets the error).
 * With `flushSoon` false the caller promises to call {@link flush} itself
 * (the association does, at the end of the current job), and no flush is
 * scheduled for the next event-loop turn. `s`: the association's repair
 * state, when the caller keeps it (`st(a)` otherwise).
 */
export function queueMessage(a: Loose, m: OutMessage, flushSoon = true, s: AssocState = st(a)): boolean {
  const why = refusal(a, s, m.streamId);
  if (why !== undefined) return rejectSend(m.callback, m, why);
  if (m.data.length === 0) return rejectSend(m.callback, m, 'empty message');
  return enqueue(a, s, m, flushSoon);
}

function SEND(this: Loose, buffer: Loose, options: Loose, callback?: (error?: Error, lastTsn?: number) => void): boolean {
  const s = st(this);
  const cb: SendCallback | undefined = typeof callback === 'function' ? (error, lastTsn) => callback(error, lastTsn) : undefined;
  options = options || {};
  // sockets.js passes `stream_id: false` for "default stream".
  const requested = options.stream_id ?? options.stream;
  const streamId = requested === undefined || requested === null || requested === false ? 0 : requested;
  const why = refusal(this, s, streamId);
  if (why !== undefined) return rejectSend(cb, undefined, why);
  if (!(buffer instanceof Uint8Array)) return rejectSend(cb, undefined, 'data must be a Buffer or Uint8Array');
  const data = asBuffer(buffer);
  if (data.length === 0) return rejectSend(cb, undefined, 'empty message');
  let ppid = options.ppid;
  if (!Number.isInteger(ppid) && Number.isInteger((buffer as Loose).ppid)) ppid = (buffer as Loose).ppid;
  const message = new OutMessage(data, streamId, Number.isInteger(ppid) ? ppid >>> 0 : 0, !!options.unordered, cb);
  return enqueue(this, s, message, true);
}

function onData(this: Loose, chunk: Loose): void {
  const s = st(this);
  if (s.closed || !receiveState(this.state) || !chunk) return;
  if (!Buffer.isBuffer(chunk.user_data) || chunk.user_data.length === 0) {
    failWithAbort(this, { error_causes: [{ cause: 'NO_USER_DATA', tsn: chunk.tsn >>> 0 }] }, 'abort');
    return;
  }
  s.lastReceived = now();
  const accepted = this.reassembly.process(chunk);
  const result = this.reassembly.lastResult;
  if (this.state === 'SHUTDOWN-SENT') {
    // The peer is alive and still finishing its data: answer with SHUTDOWN
    // (RFC 4960 9.2), and count this as progress for T2/T5.
    if (result === 'new') {
      clearErrors(this);
      restartT5(this);
    }
    sendShutdownChunk(this);
    restartT2(this);
    if (this.reassembly.have_gaps || result !== 'new') {
      s.sackNeeded = true;
      scheduleFlush(this);
    }
    return;
  }
  // Acknowledge at once on gaps, drops, duplicates, and when the window is
  // nearly closed (the sender is then probing one chunk at a time).
  let immediate = !s.everSentSack || !accepted || this.reassembly.have_gaps || this.reassembly.rwnd < 4 * s.packetSize;
  if (chunk.flags?.I) immediate = true;
  acknowledgeData(this, s, immediate, !!chunk.last_in_packet);
}

/**
 * When to acknowledge received DATA: a packet out of order gets one SACK
 * now (RFC 9260 6.7), and in order at least every second packet does; else
 * an immediate SACK (at the next flush) or the delayed-SACK timer. The
 * socket delivers several datagrams per event-loop turn, and one SACK
 * coalesced per turn was a single point of failure for a whole window (its
 * loss left the sender to T3) and gave the sender one miss indication where
 * it needs three.
 */
function acknowledgeData(a: Loose, s: AssocState, immediate: boolean, lastInPacket: boolean): void {
  if (lastInPacket) {
    s.packetsSinceSack++;
    if (s.packetsSinceSack >= 2 || a.reassembly.have_gaps) {
      const sack = buildSack(a, COMMON_HEADER);
      if (sack) sendFramed(a, sack);
      return;
    }
  }
  if (immediate) {
    s.sackNeeded = true;
    scheduleFlush(a);
  } else {
    armDelayedSack(a);
  }
}

/**
 * Receives one DATA chunk of an established association without a chunk
 * object when it is a whole message with the next TSN (see
 * `acceptNextWhole`). Returns 0 when the chunk must go through `onData`
 * instead (nothing was changed), 1 when it was taken, 2 when it was taken
 * and asks for an immediate SACK (I bit). `s` is the association's repair
 * state (`st(a)`, looked up once per packet by the caller). After the last
 * DATA chunk of the packet taken this way, or before `onData` gets a later
 * one, call {@link dataChunksTaken}.
 */
export function takeWholeChunk(a: Loose, s: AssocState, tsn: number, flags: number, streamId: number, ssn: number, ppid: number, payload: Buffer, owned: boolean): number {
  if (a.state !== 'ESTABLISHED' || (flags & 3) !== 3 || s.closed) return 0;
  if (!acceptNextWhole(a.reassembly, tsn, streamId, ssn, ppid, (flags & 4) !== 0, payload, owned)) return 0;
  return (flags & DATA_FLAG_I) !== 0 ? 2 : 1;
}

/**
 * The acknowledgement rules of `onData` for chunks taken by
 * {@link takeWholeChunk}: `sackImmediately` when one of them had the I bit;
 * `lastInPacket` when the packet's last DATA chunk was among them (the
 * packet then counts for the every-second-packet SACK). `s` as for
 * {@link takeWholeChunk}.
 */
export function dataChunksTaken(a: Loose, s: AssocState, sackImmediately: boolean, lastInPacket: boolean): void {
  s.lastReceived = now();
  const r = a.reassembly;
  acknowledgeData(a, s, sackImmediately || !s.everSentSack || r.have_gaps || r.rwnd < 4 * s.packetSize, lastInPacket);
}

/** Makes a delayed SACK due in `sackTimeout` unless one is already due; arms the timer if it is not armed. */
function armDelayedSack(a: Loose): void {
  const s = st(a);
  if (s.sackDue === 0) s.sackDue = now() + s.tuning.sackTimeout;
  if (!s.sackTimer) s.sackTimer = setTimeout(delayedSack, s.tuning.sackTimeout, a);
}

function delayedSack(a: Loose): void {
  const s = st(a);
  s.sackTimer = undefined;
  if (s.closed || s.sackDue === 0) return;
  const left = s.sackDue - now();
  if (left > 1) {
    s.sackTimer = setTimeout(delayedSack, left, a);
    return;
  }
  s.sackNeeded = true;
  flush(a);
}

function deliverData(this: Loose, data: Loose, stream: number, ppid: number, unordered?: boolean): void {
  const s = st(this);
  if (s.closed) return;
  const u = unordered === undefined ? !!data.unordered : !!unordered;
  if (s.receiver) {
    s.receiver(data, stream, ppid, u);
    return;
  }
  data.ppid = ppid;
  data.stream_id = stream;
  data.unordered = u;
  if (this.listenerCount('DATA ARRIVE') > 0) {
    this.readBuffer.push(data);
    this.emit('DATA ARRIVE', stream);
  }
}

/**
 * Hands every message the association delivers from now on to `receiver`
 * (in delivery order, synchronously) instead of queueing it for `RECEIVE()`
 * behind a `'DATA ARRIVE'` event; `undefined` restores the events.
 */
export function setReceiver(a: Loose, receiver: MessageReceiver | undefined): void {
  const s = st(a);
  s.receiver = receiver;
  // The reassembly calls it directly (no event, no property on each buffer); deliveries stop
  // once the association is closed, as through `_deliver`.
  if (a.reassembly) {
    setDirectReceiver(
      a.reassembly,
      receiver === undefined
        ? undefined
        : (data: Buffer, stream: number, ppid: number, unordered: boolean): void => {
            if (!s.closed) receiver(data, stream, ppid, unordered);
          },
    );
  }
}

/** Installs the send-path repair. */
export function installSendPathRepair(): void {
  const proto = AssociationClass.prototype;
  override(proto, 'SEND', SEND);
  override(proto, 'send', function send(this: Loose, buffer: Loose, options: Loose, callback?: (e?: Error) => void) {
    SEND.call(this, buffer, options, callback);
  });
  override(proto, 'drain', function drain(this: Loose) {
    const s = st(this);
    return s.pendingBytes < s.tuning.sendHighWaterMark;
  });
  override(proto, '_sendChunk', function _sendChunk(this: Loose, chunkType: string, options: Loose, _destination: unknown, callback?: () => void) {
    const s = st(this);
    if (s.closed && chunkType !== 'abort') return;
    if (chunkType === 'data') {
      SEND.call(this, options?.user_data, options ?? {}, callback);
      return;
    }
    if (chunkType === 'sack') {
      s.sackNeeded = true;
      scheduleFlush(this);
      return;
    }
    const buffer: Buffer = new ChunkClass(chunkType, options).toBuffer();
    if (chunkType === 'heartbeat_ack') {
      s.control.push(buffer);
      scheduleFlush(this);
    } else {
      sendRaw(this, [buffer], chunkType === 'init' ? 0 : undefined);
    }
    if (typeof callback === 'function') setImmediate(callback);
  });
  override(proto, '_bundle', function _bundle(this: Loose) {
    flush(this);
  });
  override(proto, '_sack', function _sack(this: Loose) {
    const s = st(this);
    s.sackNeeded = true;
    scheduleFlush(this);
  });
  override(proto, 'scheduleSack', function scheduleSack(this: Loose) {
    const s = st(this);
    if (!s.closed) armDelayedSack(this);
  });
  override(proto, '_sendPacket', function _sendPacket(this: Loose, buffers: Buffer[], _destination: unknown, callbacks?: Array<() => void>) {
    sendRaw(this, buffers);
    if (Array.isArray(callbacks)) {
      for (const cb of callbacks) if (typeof cb === 'function') setImmediate(cb);
    }
  });
  override(proto, 'onData', onData);
  override(proto, '_deliver', deliverData);
  override(proto, 'unpause', function unpause(this: Loose, stream: number) {
    if (this.reassembly.unpause(stream)) {
      st(this).sackNeeded = true;
      scheduleFlush(this);
    }
  });
}
