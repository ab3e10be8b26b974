/**
 * Repair: CRC32c verification and safe framing of incoming SCTP packets.
 *
 * Replaces `Packet.prototype.fromBuffer`, `Packet.prototype.toBuffer` and
 * the static `Packet.fromBuffer` of `sctp/lib/packet.js`.
 *
 * - The original computed the checksum but only flagged a mismatch
 *   (`checksum_error`) and still returned the chunks, so corrupted or forged
 *   packets were processed. Now a packet whose CRC32c (RFC 4960 App. B,
 *   computed with `@node-rs/crc32`) does not match has no `chunks` and is
 *   dropped by every consumer (`Transport.receivePacket`, `Endpoint.onPacket`).
 * - The original wrote into the received buffer while checking; the
 *   replacement never mutates its input.
 * - A chunk length below 4 or past the end of the datagram makes the whole
 *   packet malformed (dropped) instead of leaving a partial chunk list.
 * - Packets shorter than the 12-byte common header are rejected.
 * - Encoding uses the native CRC32c and tolerates an unset verification tag.
 *
 * @module
 */
import { crc32c } from '@node-rs/crc32';
import { PacketClass, override, sctpRepairStats, type Loose } from './internals.js';
import { asBuffer } from '../slab.js';

const ZERO4 = Buffer.alloc(4);

/** CRC32c of an SCTP packet with its checksum field taken as zero. */
export function sctpChecksum(buffer: Uint8Array): number {
  const b = asBuffer(buffer);
  let crc = crc32c(b.subarray(0, 8));
  crc = crc32c(ZERO4, crc);
  crc = crc32c(b.subarray(12), crc);
  return crc >>> 0;
}

/** True when `buffer` is at least an SCTP common header with a correct CRC32c. */
export function verifySctpChecksum(buffer: Uint8Array): boolean {
  if (buffer.length < 12) return false;
  const b = asBuffer(buffer);
  return b.readUInt32LE(8) === sctpChecksum(b);
}

/** Writes the CRC32c of an encoded SCTP packet into its checksum field. */
export function fillSctpChecksum(buffer: Buffer): Buffer {
  buffer.writeUInt32LE(0, 8);
  buffer.writeUInt32LE(crc32c(buffer) >>> 0, 8);
  return buffer;
}

function packetFromBuffer(this: Loose, buffer: Buffer): void {
  this.chunks = undefined;
  if (!Buffer.isBuffer(buffer) || buffer.length < 12) {
    this.length_error = true;
    sctpRepairStats.malformedPackets++;
    return;
  }
  this.src_port = buffer.readUInt16BE(0);
  this.dst_port = buffer.readUInt16BE(2);
  this.v_tag = buffer.readUInt32BE(4);
  this.checksum = buffer.readUInt32LE(8);
  const expected = sctpChecksum(buffer);
  if (expected !== this.checksum) {
    this.checksum_error = true;
    this.checksum_expected = expected;
    sctpRepairStats.checksumErrors++;
    return;
  }
  const chunks: Buffer[] = [];
  let offset = 12;
  while (offset + 4 <= buffer.length) {
    const length = buffer.readUInt16BE(offset + 2);
    if (length < 4 || offset + length > buffer.length) {
      this.length_error = true;
      sctpRepairStats.malformedPackets++;
      return;
    }
    chunks.push(buffer.subarray(offset, offset + length));
    offset += (length + 3) & ~3;
  }
  this.chunks = chunks;
}

function packetToBuffer(this: Loose): Buffer {
  // Every piece is padded to 4 bytes: a chunk may be given as header and payload.
  const chunks: Buffer[] = Array.isArray(this.chunks) ? this.chunks : [];
  let total = 12;
  for (const c of chunks) total += (c.length + 3) & ~3;
  const out = Buffer.alloc(total);
  out.writeUInt16BE((this.src_port ?? 0) & 0xffff, 0);
  out.writeUInt16BE((this.dst_port ?? 0) & 0xffff, 2);
  out.writeUInt32BE((this.v_tag ?? 0) >>> 0, 4);
  let offset = 12;
  for (const c of chunks) {
    c.copy(out, offset);
    offset += (c.length + 3) & ~3;
  }
  fillSctpChecksum(out);
  this.checksum = out.readUInt32LE(8);
  return out;
}

/** Installs the checksum/framing repair. */
export function installChecksumRepair(): void {
  override(PacketClass.prototype, 'fromBuffer', packetFromBuffer);
  override(PacketClass.prototype, 'toBuffer', packetToBuffer);
  override(PacketClass, 'fromBuffer', function fromBuffer(buffer: Buffer) {
    if (!Buffer.isBuffer(buffer) || buffer.length < 12) {
      sctpRepairStats.malformedPackets++;
      return false;
    }
    return new PacketClass(buffer);
  });
}
