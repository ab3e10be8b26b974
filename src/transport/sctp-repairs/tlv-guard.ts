/**
 * Repair: decoding of chunks and parameters never loops, throws or reads
 * out of bounds.
 *
 * Replaces `Chunk.prototype.fromBuffer` and the static `Chunk.fromBuffer` of
 * `sctp/lib/chunk.js`, the `decode` functions of the `error_causes`, `chunks`
 * and `ip` filters in `sctp/lib/defs.js`, and wraps
 * `Endpoint.prototype.onPacket` of `sctp/lib/endpoint.js`.
 *
 * - Original: a parameter (TLV) with length 0 never advanced the offset (an
 *   infinite loop from one unauthenticated INIT); now a TLV shorter than 4
 *   bytes or running past the chunk marks the chunk as malformed.
 * - Original: fixed fields were read without checking that the chunk is long
 *   enough (RangeError for short FORWARD-TSN, AUTH, SHUTDOWN-COMPLETE...);
 *   now the minimum length is derived from the chunk definition, and
 *   fixed-size parameters shorter than their type are skipped.
 * - Original: `error_causes` decoding threw on short bodies and returned
 *   `undefined` for unknown causes (later `chunk.error_causes.some` threw);
 *   `chunks` decoding threw on unknown chunk ids; `ip` decoding accepted any
 *   length. The replacements bound every read and always return a value.
 * - Any exception left in a filter marks the chunk as malformed.
 * - `Endpoint.onPacket` runs inside a last-resort guard: a packet that still
 *   makes a handler throw is dropped and counted
 *   (`sctpRepairStats.handlerExceptions`, expected to stay 0).
 *
 * @module
 */
import * as net from 'node:net';
import { ChunkClass, EndpointClass, defs, override, sctpRepairStats, type Loose } from './internals.js';

const types = defs.types;
const chunkdefs = defs.chunkdefs;
const tlvs = defs.tlvs;
const filters = defs.filters;
const CAUSE_CODES = defs.CAUSE_CODES;

function fixedSize(type: Loose): number | undefined {
  if (type === types.int8) return 1;
  if (type === types.int16) return 2;
  if (type === types.int32) return 4;
  if (type === types.empty) return 0;
  return undefined;
}

const minLengthCache = new Map<number, number>();

function minLength(id: number, def: Loose): number {
  let min = minLengthCache.get(id);
  if (min === undefined) {
    min = 4;
    const params = def.params || {};
    for (const key of Object.keys(params)) {
      const size = fixedSize(params[key].type);
      if (size !== undefined) min += size;
    }
    min = Math.max(min, def.size || 4);
    minLengthCache.set(id, min);
  }
  return min;
}

function own(table: Loose, key: PropertyKey): Loose {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

function chunkFromBuffer(this: Loose, buffer: Buffer): void {
  if (!Buffer.isBuffer(buffer) || buffer.length < 4) {
    this.error = true;
    return;
  }
  const id = buffer[0]!;
  this.chunkId = id;
  const flagsByte = buffer[1]!;
  const length = buffer.readUInt16BE(2);
  this.length = length;
  if (length < 4 || length > buffer.length || length < buffer.length - 3) {
    this.error = true;
    return;
  }
  const def = own(chunkdefs, id);
  if (!def || typeof def !== 'object' || def.id !== id) {
    this.action = id >> 6;
    return;
  }
  this.chunkType = def.chunkType;
  if (length < minLength(id, def)) {
    this.error = true;
    return;
  }
  try {
    this.flags = def.flags_filter ? def.flags_filter.decode.call(this, flagsByte) : {};
    const params = def.params || {};
    let offset = 4;
    for (const key of Object.keys(params)) {
      const type = params[key].type;
      const size = fixedSize(type);
      if (size !== undefined) {
        this[key] = size === 0 ? true : type.read(buffer, offset);
        offset += size;
      } else {
        // Variable-length field: the rest of the chunk.
        this[key] = buffer.subarray(offset, length);
        offset = length;
      }
    }
    while (offset + 4 <= length) {
      const tlvId = buffer.readUInt16BE(offset);
      const tlvLength = buffer.readUInt16BE(offset + 2);
      if (tlvLength < 4 || offset + tlvLength > length) {
        this.error = true;
        return;
      }
      const padded = (tlvLength + 3) & ~3;
      const tlv = own(tlvs, tlvId);
      if (!tlv || typeof tlv !== 'object' || tlv.id !== tlvId) {
        if (tlvId & 0x4000) {
          if (!this.errors) this.errors = [];
          const param = Buffer.alloc(padded);
          buffer.copy(param, 0, offset, Math.min(offset + padded, length));
          this.errors.push(param);
        }
        if (!(tlvId & 0x8000)) break;
      } else {
        const bodyLength = tlvLength - 4;
        const size = fixedSize(tlv.type);
        let value: unknown;
        if (size === undefined) value = buffer.subarray(offset + 4, offset + 4 + bodyLength);
        else if (size === 0) value = true;
        else if (bodyLength >= size) value = tlv.type.read(buffer, offset + 4);
        if (value !== undefined) {
          if (tlv.multiple) {
            if (!Array.isArray(this[tlv.tag])) this[tlv.tag] = [];
            this[tlv.tag].push(value);
          } else {
            this[tlv.tag] = value;
          }
        }
      }
      offset += padded;
    }
    this._filter('decode');
  } catch {
    this.error = true;
    return;
  }
  delete this.length;
}

function safeErrorCausesDecode(buffer: Buffer): Loose[] {
  const result: Loose[] = [];
  if (!Buffer.isBuffer(buffer)) return result;
  let offset = 0;
  while (offset + 4 <= buffer.length) {
    const causeCode = buffer.readUInt16BE(offset);
    const causeLength = buffer.readUInt16BE(offset + 2);
    if (causeLength < 4 || offset + causeLength > buffer.length) break;
    const body = buffer.subarray(offset + 4, offset + causeLength);
    const error: Loose = { cause_code: causeCode, cause: own(CAUSE_CODES, causeCode) };
    switch (causeCode) {
      case CAUSE_CODES.INVALID_STREAM_IDENTIFIER:
        if (body.length >= 2) error.stream_id = body.readUInt16BE(0);
        break;
      case CAUSE_CODES.STALE_COOKIE_ERROR:
        if (body.length >= 4) error.measure_of_staleness = body.readUInt32BE(0);
        break;
      case CAUSE_CODES.UNRESOLVABLE_ADDRESS:
        if (body.length >= 4) error.hostname = body.subarray(4, 4 + Math.min(body.readUInt16BE(2), body.length - 4)).toString();
        break;
      case CAUSE_CODES.UNRECONGNIZED_CHUNK_TYPE:
        error.unrecognized_chunk = body;
        break;
      case CAUSE_CODES.UNRECONGNIZED_PARAMETERS:
        error.unrecognized_parameters = body;
        break;
      case CAUSE_CODES.NO_USER_DATA:
        if (body.length >= 4) error.tsn = body.readUInt32BE(0);
        break;
      case CAUSE_CODES.USER_INITIATED_ABORT:
        error.abort_reason = body.toString();
        break;
      case CAUSE_CODES.PROTOCOL_VIOLATION:
        error.additional_information = body.toString();
        break;
      default:
        error.body = body;
    }
    result.push(error);
    offset += (causeLength + 3) & ~3;
  }
  return result;
}

function safeChunksDecode(buffer: Buffer): Array<string | number> {
  if (!Buffer.isBuffer(buffer)) return [];
  return [...buffer].map((byte) => {
    const def = own(chunkdefs, byte);
    return def && typeof def === 'object' && def.id === byte ? def.chunkType : byte;
  });
}

function safeIpDecode(value: unknown): unknown {
  if (!Buffer.isBuffer(value)) return typeof value === 'string' && net.isIP(value) ? value : undefined;
  if (value.length === 4) return `${value[0]}.${value[1]}.${value[2]}.${value[3]}`;
  if (value.length === 16) {
    const parts: string[] = [];
    for (let i = 0; i < 16; i += 2) parts.push(value.readUInt16BE(i).toString(16));
    return parts.join(':');
  }
  return undefined;
}

/** Installs the chunk/parameter decoding repair and the packet-processing guard. */
export function installTlvGuardRepair(): void {
  override(ChunkClass.prototype, 'fromBuffer', chunkFromBuffer);
  override(ChunkClass, 'fromBuffer', function fromBuffer(buffer: Buffer) {
    if (!Buffer.isBuffer(buffer) || buffer.length < 4) return false;
    try {
      const chunk = new ChunkClass(buffer);
      if (chunk.error) sctpRepairStats.malformedChunks++;
      return chunk;
    } catch {
      sctpRepairStats.malformedChunks++;
      return false;
    }
  });
  override(filters.error_causes, 'decode', safeErrorCausesDecode);
  override(filters.chunks, 'decode', safeChunksDecode);
  override(filters.ip, 'decode', safeIpDecode);

  const originalOnPacket = EndpointClass.prototype.onPacket;
  override(EndpointClass.prototype, 'onPacket', function onPacket(this: Loose, packet: Loose, src: string, dst: string) {
    try {
      if (!packet || !Array.isArray(packet.chunks)) return;
      originalOnPacket.call(this, packet, src, dst);
    } catch (error) {
      sctpRepairStats.handlerExceptions++;
      this.debugger?.warn?.('dropped packet after exception %O', error);
    }
  });
}
