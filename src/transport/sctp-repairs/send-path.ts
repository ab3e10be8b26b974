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
import { st, now, sendRaw, clearTimer, type OutChunk, type OutMessage, type SendCallback } from './state.js';
import { startT3 } from './retransmission.js';
import { sendShutdownChunk, restartT2, restartT5, failWithAbort } from './shutdown.js';
import { clearErrors } from './failure-detection.js';

const DATA_STATES = new Set(['ESTABLISHED', 'SHUTDOWN-PENDING', 'SHUTDOWN-RECEIVED']);
const RECEIVE_STATES = new Set(['ESTABLISHED', 'SHUTDOWN-PENDING', 'SHUTDOWN-SENT']);
const QUEUE_STATES = new Set(['COOKIE-WAIT', 'COOKIE-ECHOED', 'ESTABLISHED']);

/** Encodes one DATA chunk (RFC 4960 3.3.1), padded to 4 bytes. */
export function encodeData(tsn: number, streamId: number, ssn: number, ppid: number, flags: number, payload: Buffer): Buffer {
  const length = 16 + payload.length;
  const padded = (length + 3) & ~3;
  const b = Buffer.allocUnsafe(padded);
  b[0] = 0;
  b[1] = flags;
  b.writeUInt16BE(length, 2);
  b.writeUInt32BE(tsn >>> 0, 4);
  b.writeUInt16BE(streamId, 8);
  b.writeUInt16BE(ssn & 0xffff, 10);
  b.writeUInt32BE(ppid >>> 0, 12);
  payload.copy(b, 16);
  if (padded > length) b.fill(0, length);
  return b;
}

/** Encodes a SACK chunk (RFC 4960 3.3.4) from `Reassembly.sackInfo()`. */
export function encodeSack(info: Loose): Buffer {
  const gaps: Array<{ start: number; finish: number }> = info.sack_info?.gap_blocks ?? [];
  const dups: number[] = info.sack_info?.duplicate_tsn ?? [];
  const length = 16 + 4 * gaps.length + 4 * dups.length;
  const b = Buffer.allocUnsafe(length);
  b[0] = 3;
  b[1] = 0;
  b.writeUInt16BE(length, 2);
  b.writeUInt32BE(info.c_tsn_ack >>> 0, 4);
  b.writeUInt32BE(Math.max(0, Math.min(0xffffffff, info.a_rwnd | 0)) >>> 0, 8);
  b.writeUInt16BE(gaps.length, 12);
  b.writeUInt16BE(dups.length, 14);
  let o = 16;
  for (const g of gaps) {
    b.writeUInt16BE(g.start, o);
    b.writeUInt16BE(g.finish, o + 2);
    o += 4;
  }
  for (const d of dups) {
    b.writeUInt32BE(d >>> 0, o);
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

/** Schedules one flush of the association's queues on the next event-loop turn. */
export function scheduleFlush(a: Loose): void {
  const s = st(a);
  if (s.flushImmediate || s.closed) return;
  s.flushImmediate = setImmediate(flush, a);
}

function buildSack(a: Loose): Buffer | undefined {
  const s = st(a);
  s.sackNeeded = false;
  s.sackTimer = clearTimer(s.sackTimer);
  s.packetsSinceSack = 0;
  if (!a.reassembly || typeof a.reassembly.sackInfo !== 'function' || a.peer_tag === undefined) return undefined;
  s.everSentSack = true;
  return encodeSack(a.reassembly.sackInfo());
}

/** Sends everything that is queued and allowed by the windows. */
export function flush(a: Loose): void {
  const s = st(a);
  if (s.flushImmediate) {
    clearImmediate(s.flushImmediate);
    s.flushImmediate = undefined;
  }
  if (s.closed || !a.endpoint) return;
  const max = s.tuning.maxPacketSize;
  let bufs: Buffer[] = [];
  let size = 12;
  let dataSent = false;
  const done: OutMessage[] = [];
  const emit = (): void => {
    if (bufs.length > 0) {
      sendRaw(a, bufs);
      bufs = [];
      size = 12;
    }
  };
  const add = (b: Buffer): void => {
    if (bufs.length > 0 && size + b.length > max) emit();
    bufs.push(b);
    size += b.length;
  };

  const canData = DATA_STATES.has(a.state);
  const wantsData = canData && (s.pending.length > 0 || s.retransmitCount > 0);
  if (s.sackNeeded || (s.sackTimer && wantsData)) {
    const sack = buildSack(a);
    if (sack) add(sack);
  }
  if (s.control.length > 0) {
    for (const c of s.control) add(c);
    s.control.length = 0;
  }

  if (canData) {
    if (s.retransmitCount > 0) {
      for (const c of s.outstanding.values()) {
        if (!c.retransmit) continue;
        const fits = s.flight === 0 || s.flight + c.size <= s.cwnd;
        if (!fits) {
          if (!(c.fast && s.fastAllowance >= c.buffer.length)) break;
          s.fastAllowance -= c.buffer.length;
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
        add(c.buffer);
        dataSent = true;
      }
      s.fastAllowance = 0;
    }
    const maxPayload = max - 12 - 16;
    while (s.pending.length > 0 && s.retransmitCount === 0) {
      const m = s.pending[0]!;
      const remaining = m.data.length - m.offset;
      const len = Math.min(remaining, maxPayload);
      const chunkSize = 16 + len;
      if (s.flight > 0 && (s.flight + chunkSize > s.cwnd || chunkSize > s.peerRwnd)) break;
      const first = m.offset === 0;
      const last = len === remaining;
      const flags = (m.unordered ? 4 : 0) | (first ? 2 : 0) | (last ? 1 : 0);
      const tsn = s.nextTsn;
      s.nextTsn = tsnAdd(tsn, 1);
      const buffer = encodeData(tsn, m.streamId, m.ssn, m.ppid, flags, m.data.subarray(m.offset, m.offset + len));
      const c: OutChunk = {
        tsn,
        buffer,
        size: chunkSize,
        inFlight: true,
        gapAcked: false,
        retransmit: false,
        fast: false,
        misses: 0,
        transmissions: 1,
        sentAt: now(),
      };
      s.outstanding.set(tsn, c);
      s.flight += chunkSize;
      s.peerRwnd = Math.max(0, s.peerRwnd - chunkSize);
      if (!s.rttProbe) s.rttProbe = { tsn, at: c.sentAt };
      m.offset += len;
      s.pendingBytes -= len;
      add(buffer);
      dataSent = true;
      if (last) {
        s.pending.shift();
        m.lastTsn = tsn;
        if (m.callback) done.push(m);
      }
    }
  }
  emit();
  a.flightsize = s.flight;
  if (dataSent) startT3(a);
  for (const m of done) {
    try {
      m.callback!(undefined, m.lastTsn);
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}

function rejectSend(callback: SendCallback | undefined, message: string): false {
  if (callback) {
    const error = new Error(message);
    queueMicrotask(() => callback(error));
  }
  return false;
}

function SEND(this: Loose, buffer: Loose, options: Loose, callback?: SendCallback): boolean {
  const s = st(this);
  const cb = typeof callback === 'function' ? callback : undefined;
  options = options || {};
  if (s.closed || this.state === 'CLOSED') return rejectSend(cb, 'association closed');
  if (!QUEUE_STATES.has(this.state)) return rejectSend(cb, 'not accepting new data in SHUTDOWN state');
  let data: Buffer;
  if (Buffer.isBuffer(buffer)) data = buffer;
  else if (buffer instanceof Uint8Array) data = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  else return rejectSend(cb, 'data must be a Buffer or Uint8Array');
  if (data.length === 0) return rejectSend(cb, 'empty message');
  // sockets.js passes `stream_id: false` for "default stream".
  const requested = options.stream_id ?? options.stream;
  const streamId = requested === undefined || requested === null || requested === false ? 0 : requested;
  const streams = typeof this.OS === 'number' && this.OS > 0 ? this.OS : 1;
  if (!Number.isInteger(streamId) || streamId < 0 || streamId >= streams) {
    return rejectSend(cb, `wrong stream id ${streamId}`);
  }
  let ppid = options.ppid;
  if (!Number.isInteger(ppid) && Number.isInteger((buffer as Loose).ppid)) ppid = (buffer as Loose).ppid;
  const unordered = !!options.unordered;
  let ssn = 0;
  if (!unordered) {
    ssn = s.ssn.get(streamId) ?? 0;
    s.ssn.set(streamId, (ssn + 1) & 0xffff);
  }
  const message: OutMessage = {
    data,
    offset: 0,
    streamId,
    ssn,
    ppid: Number.isInteger(ppid) ? ppid >>> 0 : 0,
    unordered,
    callback: cb,
  };
  s.pending.push(message);
  s.pendingBytes += data.length;
  this.lastChunkSize = data.length;
  if (DATA_STATES.has(this.state)) scheduleFlush(this);
  return s.pendingBytes < s.tuning.sendHighWaterMark;
}

function onData(this: Loose, chunk: Loose): void {
  const s = st(this);
  if (s.closed || !RECEIVE_STATES.has(this.state) || !chunk) return;
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
  let immediate = !s.everSentSack || !accepted || this.reassembly.have_gaps || this.reassembly.rwnd < 4 * s.tuning.maxPacketSize;
  if (chunk.last_in_packet) {
    s.packetsSinceSack++;
    if (s.packetsSinceSack >= 2) immediate = true;
  }
  if (immediate) {
    s.sackNeeded = true;
    scheduleFlush(this);
  } else if (!s.sackTimer) {
    s.sackTimer = setTimeout(delayedSack, s.tuning.sackTimeout, this);
  }
}

function delayedSack(a: Loose): void {
  const s = st(a);
  s.sackTimer = undefined;
  if (s.closed) return;
  s.sackNeeded = true;
  flush(a);
}

function deliverData(this: Loose, data: Loose, stream: number, ppid: number, unordered?: boolean): void {
  if (st(this).closed) return;
  data.ppid = ppid;
  data.stream_id = stream;
  data.unordered = unordered === undefined ? !!data.unordered : !!unordered;
  if (this.listenerCount('DATA ARRIVE') > 0) {
    this.readBuffer.push(data);
    this.emit('DATA ARRIVE', stream);
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
    if (!s.sackTimer && !s.closed) s.sackTimer = setTimeout(delayedSack, s.tuning.sackTimeout, this);
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
