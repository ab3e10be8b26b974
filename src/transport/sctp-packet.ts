/**
 * SCTP common-header handling done by the endpoint before a packet reaches
 * the `sctp` protocol machine: CRC32c verification and computation (RFC 4960
 * §6.8, Appendix B; little-endian in bytes 8–11 as RFC 6951 framing keeps
 * it), a bounds-checked scan of the chunk headers, and the few stateless
 * replies of RFC 4960 §8.4 (ABORT, SHUTDOWN COMPLETE).
 *
 * @module
 * @internal
 */
import { crc32c } from '@node-rs/crc32';

/** SCTP chunk type numbers used by the demultiplexer. */
export const ChunkType = {
  DATA: 0,
  INIT: 1,
  INIT_ACK: 2,
  SACK: 3,
  HEARTBEAT: 4,
  HEARTBEAT_ACK: 5,
  ABORT: 6,
  SHUTDOWN: 7,
  SHUTDOWN_ACK: 8,
  ERROR: 9,
  COOKIE_ECHO: 10,
  COOKIE_ACK: 11,
  SHUTDOWN_COMPLETE: 14,
} as const;

/** Common header (12 bytes) plus the smallest chunk header (4 bytes). */
export const MIN_PACKET_LENGTH = 16;

const ZERO4 = new Uint8Array(4);

/** CRC32c of an SCTP packet with its checksum field taken as zero. */
export function sctpChecksum(packet: Uint8Array): number {
  let crc = crc32c(packet.subarray(0, 8));
  crc = crc32c(ZERO4, crc);
  return crc32c(packet.subarray(12), crc);
}

/**
 * True when bytes 8–11 hold the correct CRC32c (little-endian). The field is
 * zeroed for one native CRC call over the whole packet and restored before
 * returning, so the buffer is unchanged afterwards (it must not be shared
 * with concurrent readers, which a received datagram is not).
 */
export function verifyChecksum(packet: Buffer): boolean {
  const received = packet.readUInt32LE(8);
  packet.writeUInt32LE(0, 8);
  const computed = crc32c(packet) >>> 0;
  packet.writeUInt32LE(received, 8);
  return received === computed;
}

/** Writes the CRC32c into bytes 8–11 (little-endian). */
export function writeChecksum(packet: Buffer): Buffer {
  packet.writeUInt32LE(0, 8);
  packet.writeUInt32LE(crc32c(packet), 8);
  return packet;
}

/** What the demultiplexer needs to know about a packet's chunks. */
export interface ChunkSummary {
  /** Number of chunks. */
  count: number;
  /** Type of the first chunk. */
  first: number;
  /** Flags of the first chunk. */
  firstFlags: number;
  /** Bit set of the chunk types present (types ≥ 32 set bit 31). */
  types: number;
  /** T bit of the first ABORT chunk, if any. */
  abortT: boolean;
  /** T bit of the first SHUTDOWN COMPLETE chunk, if any. */
  shutdownCompleteT: boolean;
}

/** True when `summary.types` contains chunk type `type`. */
export function hasChunk(summary: ChunkSummary, type: number): boolean {
  return (summary.types & (1 << Math.min(type, 31))) !== 0;
}

/**
 * Walks the chunk headers of a packet (after the 12-byte common header).
 * Returns `undefined` when a chunk length is below 4 or runs past the end:
 * such packets are malformed and dropped before the protocol machine sees
 * them.
 */
export function scanChunks(packet: Buffer): ChunkSummary | undefined {
  let offset = 12;
  const summary: ChunkSummary = { count: 0, first: -1, firstFlags: 0, types: 0, abortT: false, shutdownCompleteT: false };
  while (offset + 4 <= packet.length) {
    const type = packet[offset]!;
    const flags = packet[offset + 1]!;
    const length = packet.readUInt16BE(offset + 2);
    if (length < 4 || offset + length > packet.length) return undefined;
    if (summary.count === 0) {
      summary.first = type;
      summary.firstFlags = flags;
    }
    const bit = 1 << Math.min(type, 31);
    if (type === ChunkType.ABORT && (summary.types & bit) === 0) summary.abortT = (flags & 1) === 1;
    if (type === ChunkType.SHUTDOWN_COMPLETE && (summary.types & bit) === 0) summary.shutdownCompleteT = (flags & 1) === 1;
    summary.types |= bit;
    summary.count++;
    offset += (length + 3) & ~3;
  }
  if (summary.count === 0 || offset < packet.length) return undefined;
  return summary;
}

/** Builds one SCTP packet from header fields and already encoded chunks. */
export function buildPacket(srcPort: number, dstPort: number, vTag: number, chunks: readonly Uint8Array[]): Buffer {
  let length = 12;
  for (const c of chunks) length += (c.length + 3) & ~3;
  const out = Buffer.alloc(length);
  out.writeUInt16BE(srcPort, 0);
  out.writeUInt16BE(dstPort, 2);
  out.writeUInt32BE(vTag >>> 0, 4);
  let offset = 12;
  for (const c of chunks) {
    out.set(c, offset);
    offset += (c.length + 3) & ~3;
  }
  return writeChecksum(out);
}

/** A bare control chunk (type, flags, length 4). */
export function controlChunk(type: number, flags: number): Buffer {
  const c = Buffer.alloc(4);
  c[0] = type;
  c[1] = flags;
  c.writeUInt16BE(4, 2);
  return c;
}
