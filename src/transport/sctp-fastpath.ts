/**
 * Receive fast path for the packets that make up nearly all traffic of an
 * established association: packets that hold only DATA and SACK chunks.
 *
 * The generic path hands every packet to sctp's `Endpoint.onPacket`, which
 * decodes each chunk through the package's table-driven TLV decoder
 * (allocating a `Chunk` with its flags object and filter results), collects
 * the chunk types in a dictionary, re-checks the verification tag and only
 * then emits one event per chunk. For DATA and SACK the endpoint has
 * already done all of that work that matters (CRC32c, framing, routing by
 * tag, see udp-endpoint.ts), so this module reads the few fixed fields
 * directly from the datagram and emits the same `'data'` / `'sack'` events
 * on the association, with objects of the shape the repaired handlers read
 * (send-path.ts `onData`, retransmission.ts `onSack`); when those handlers
 * are the only listeners (sctp-slim.ts), it calls them directly instead,
 * and a whole message with the next expected TSN does not even get a chunk
 * object: send-path.ts `takeWholeChunk` records and delivers it, and
 * `dataChunksTaken` applies `onData`'s acknowledgement rules once per packet.
 * Anything else, or a
 * chunk too short for its fixed fields, goes the generic way (which rejects
 * or reports it).
 *
 * @module
 * @internal
 */
import type { ChunkSummary } from './sctp-packet.js';
import type { SctpAssociation } from './sctp-lib.js';
import { dispatchesDirectly } from './sctp-slim.js';
import { DOUBLE_ZERO, st } from './sctp-repairs/state.js';
import { view } from './slab.js';
import { repairsComplete } from './sctp-repairs/index.js';
import { dataChunksTaken, takeWholeChunk } from './sctp-repairs/send-path.js';
import { beginPacket, endPacket } from './packet-job.js';

const DATA = 0;
const SACK = 3;
const FAST_TYPES = (1 << DATA) | (1 << SACK);

/** Flags objects of DATA chunks, shared (the handlers only read them). */
const DATA_FLAGS = Array.from({ length: 16 }, (_, f) =>
  Object.freeze({ E: (f & 1) !== 0, B: (f & 2) !== 0, U: (f & 4) !== 0, I: (f & 8) !== 0 }),
);

/** A received DATA chunk, in the shape the repaired `onData` and the reassembly read. */
class FastData {
  tsn = DOUBLE_ZERO;
  ppid = DOUBLE_ZERO;
  constructor(
    readonly flags: (typeof DATA_FLAGS)[number],
    tsn: number,
    readonly stream_id: number,
    readonly ssn: number,
    ppid: number,
    readonly user_data: Buffer,
    readonly last_in_packet: boolean,
    /**
     * True when `user_data` may be delivered as it is, without a copy: the
     * datagram is this packet's own buffer, which nothing else holds or
     * reuses. The message is then a view of the datagram (at most 64 KiB),
     * as a chunk read from a TCP socket is in Node.
     */
    readonly owned: boolean,
  ) {
    this.tsn = tsn;
    this.ppid = ppid;
  }
}

const NO_GAPS: Array<{ start: number; finish: number }> = [];
const NO_DUPLICATES: number[] = [];
Object.freeze(NO_GAPS);
Object.freeze(NO_DUPLICATES);

/** A received SACK chunk, in the shape the repaired `onSack` reads. */
class FastSack {
  c_tsn_ack = DOUBLE_ZERO;
  a_rwnd = DOUBLE_ZERO;
  constructor(
    cumulativeTsnAck: number,
    advertisedWindow: number,
    readonly sack_info: { gap_blocks: Array<{ start: number; finish: number }>; duplicate_tsn: number[] },
  ) {
    this.c_tsn_ack = cumulativeTsnAck;
    this.a_rwnd = advertisedWindow;
  }
}

type Emitter = {
  emit(event: string, ...args: unknown[]): boolean;
  onData(chunk: FastData, source: string): void;
  onSack(chunk: FastSack, source: string): void;
};

/** True when the packet can take the fast path (only DATA and SACK chunks, all well-formed). */
export function fastPathEligible(packet: Buffer, summary: ChunkSummary): boolean {
  if ((summary.types & ~FAST_TYPES) !== 0) return false;
  let offset = 12;
  while (offset + 4 <= packet.length) {
    const type = packet[offset]!;
    const length = packet.readUInt16BE(offset + 2);
    if (length < 16 || offset + length > packet.length) return false;
    if (type !== DATA) {
      // SACK: the gap blocks and duplicate TSNs it announces fit in the chunk.
      const blocks = packet.readUInt16BE(offset + 12) + packet.readUInt16BE(offset + 14);
      if (16 + 4 * blocks > length) return false;
    }
    offset += (length + 3) & ~3;
  }
  return true;
}

/**
 * Hands a validated DATA/SACK packet to its association (call only after
 * {@link fastPathEligible}). `source` is the peer's address, passed on as the
 * generic path does. `owned`: nobody else holds or reuses `packet` (a
 * datagram freshly received from a socket), so single-chunk messages are
 * delivered as views of it instead of copies.
 */
export function receiveFast(association: SctpAssociation, packet: Buffer, source: string, owned = false): void {
  // Messages queued by listeners while this packet is processed leave when it is done.
  beginPacket();
  try {
    receiveChunks(association, packet, source, owned);
  } finally {
    endPacket();
  }
}

function receiveChunks(association: SctpAssociation, packet: Buffer, source: string, owned: boolean): void {
  const a = association as unknown as Emitter;
  // The handlers themselves when nothing else listens (the usual case), else the events.
  const direct = dispatchesDirectly(association);
  // Whole in-order messages skip the chunk object and the general handler (see takeWholeChunk),
  // when the repaired handlers that path replicates run. Their repair state is looked up once per
  // packet (sctp's association objects go through many hidden classes: the lookup can be generic).
  const state = direct && repairsComplete ? st(association) : undefined;
  let pendingTaken = false;
  let takenAsksSack = false;
  // Index of the last DATA chunk: the receiver counts packets for its delayed SACK there.
  let lastData = -1;
  let offset = 12;
  while (offset + 4 <= packet.length) {
    if (packet[offset] === DATA) lastData = offset;
    offset += (packet.readUInt16BE(offset + 2) + 3) & ~3;
  }
  offset = 12;
  while (offset + 4 <= packet.length) {
    const type = packet[offset]!;
    const length = packet.readUInt16BE(offset + 2);
    if (type === DATA) {
      const flags = packet[offset + 1]!;
      const tsn = packet.readUInt32BE(offset + 4);
      const streamId = packet.readUInt16BE(offset + 8);
      const ssn = packet.readUInt16BE(offset + 10);
      const ppid = packet.readUInt32BE(offset + 12);
      const payload = view(packet, offset + 16, offset + length);
      if (state !== undefined) {
        const taken = takeWholeChunk(association, state, tsn, flags, streamId, ssn, ppid, payload, owned);
        if (taken !== 0) {
          pendingTaken = true;
          if (taken === 2) takenAsksSack = true;
          if (offset === lastData) {
            pendingTaken = false;
            dataChunksTaken(association, state, takenAsksSack, true);
          }
          offset += (length + 3) & ~3;
          continue;
        }
        if (pendingTaken) {
          // The chunks taken so far are acknowledged by the rules of chunks inside a packet.
          pendingTaken = false;
          dataChunksTaken(association, state, takenAsksSack, false);
          takenAsksSack = false;
        }
      }
      const chunk = new FastData(DATA_FLAGS[flags & 15]!, tsn, streamId, ssn, ppid, payload, offset === lastData, owned);
      if (direct) a.onData(chunk, source);
      else a.emit('data', chunk, source);
    } else {
      const gaps = packet.readUInt16BE(offset + 12);
      const dups = packet.readUInt16BE(offset + 14);
      // The handlers only read these lists: the common empty ones are shared.
      const gapBlocks: Array<{ start: number; finish: number }> = gaps === 0 ? NO_GAPS : [];
      let o = offset + 16;
      for (let i = 0; i < gaps; i++, o += 4) gapBlocks.push({ start: packet.readUInt16BE(o), finish: packet.readUInt16BE(o + 2) });
      const duplicates: number[] = dups === 0 ? NO_DUPLICATES : [];
      for (let i = 0; i < dups; i++, o += 4) duplicates.push(packet.readUInt32BE(o));
      const chunk = new FastSack(packet.readUInt32BE(offset + 4), packet.readUInt32BE(offset + 8), { gap_blocks: gapBlocks, duplicate_tsn: duplicates });
      if (direct) a.onSack(chunk, source);
      else a.emit('sack', chunk, source);
    }
    offset += (length + 3) & ~3;
  }
}
