/**
 * The entry points of the wire codec: {@link decodeMessage} turns the payload
 * of one SCTP message (PPID 11 = ASAP, 12 = ENRP) into a typed
 * {@link RSerPoolMessage}; {@link encodeMessage} does the reverse, byte for
 * byte as the reference implementation (RSPLIB) encodes.
 *
 * @module
 */
import { InvalidArgumentError, ProtocolError } from '../errors.js';
import { resolveWireLimits, type WireLimits } from './limits.js';
import { ASAP_TYPE_CODES, asapBodySize, asapFlags, decodeAsapBody, writeAsapBody, type AsapMessage } from './asap-messages.js';
import { ENRP_TYPE_CODES, decodeEnrpBody, enrpBodySize, enrpFlags, writeEnrpBody, type EnrpMessage } from './enrp-messages.js';
import { invalid, type DecodeContext } from './tlv-reader.js';
import { TlvWriter } from './tlv-writer.js';

/** SCTP payload protocol identifier of ASAP. */
export const PPID_ASAP = 11;
/** SCTP payload protocol identifier of ENRP. */
export const PPID_ENRP = 12;

/** Any ASAP or ENRP message; discriminate on `protocol`, then on `type`. */
export type RSerPoolMessage = AsapMessage | EnrpMessage;

/** Largest value of the 16-bit message length field that is a multiple of 4. */
const MAX_ENCODED_LENGTH = 0xfffc;

/**
 * Decodes one ASAP (PPID 11) or ENRP (PPID 12) message.
 *
 * The input must hold exactly one message: its length field may count the
 * final padding or not, but the buffer may not extend beyond the padded
 * length. Unknown parameters are skipped or refused according to their
 * action bits; skipped ones are listed in `unrecognizedParameters`. Byte
 * strings in the result (pool handles, cookies, cause information) are
 * copies, so the input buffer may be reused.
 *
 * @param ppid - SCTP payload protocol identifier: 11 for ASAP, 12 for ENRP
 *   (over UDP, use 11 for server announces and 12 for ENRP multicast)
 * @param bytes - the message
 * @param limits - resource limits (defaults: {@link DEFAULT_WIRE_LIMITS})
 * @throws ProtocolError for malformed or over-limit input, and only that
 *   (an {@link UnrecognizedParameterError} when an unknown parameter says "stop").
 */
export function decodeMessage(ppid: number, bytes: Uint8Array, limits?: Partial<WireLimits>): RSerPoolMessage {
  const lim = resolveWireLimits(limits);
  if (ppid !== PPID_ASAP && ppid !== PPID_ENRP) {
    throw new ProtocolError(`payload protocol identifier ${String(ppid)} is neither ASAP (11) nor ENRP (12)`);
  }
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('message bytes must be a Uint8Array');
  // A Node Buffer's slice() is a view, not a copy: read through a plain Uint8Array view.
  if (bytes.constructor !== Uint8Array) bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = bytes.length;
  if (size < 4) invalid(`message of ${size} bytes is shorter than its header`, 0);
  if (size > lim.maxMessageSize) invalid(`message of ${size} bytes exceeds the limit of ${lim.maxMessageSize}`, 0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, size);
  const type = bytes[0]!;
  const flags = bytes[1]!;
  const length = view.getUint16(2);
  if (length < 4) invalid(`message length ${length} below 4`, 2);
  if (length > size) invalid(`message length ${length} exceeds the ${size} bytes received`, 2);
  if (((length + 3) & ~3) < size) invalid(`${size - length} bytes after the end of the message`, length);
  const ctx: DecodeContext = { bytes, view, limits: lim, unrecognized: undefined, poolElements: 0 };
  let msg: RSerPoolMessage;
  try {
    msg = ppid === PPID_ASAP ? decodeAsapBody(ctx, type, flags, 4, length) : decodeEnrpBody(ctx, type, flags, 4, length);
  } catch (err) {
    if (err instanceof ProtocolError) throw err;
    // Defence in depth: a decoder bug must still surface as a protocol error.
    throw new ProtocolError(`internal decoder error: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
  if (ctx.unrecognized !== undefined) msg.unrecognizedParameters = ctx.unrecognized;
  return msg;
}

/**
 * Encodes a message exactly as the reference implementation does: every
 * parameter padded to 4 bytes, the message length including the final
 * padding. The size is computed (and every field validated) first, then the
 * message is written into a single allocation.
 *
 * Messages up to 4 KiB are views into a shared slab (like Node's `Buffer`
 * pool): use `byteOffset`/`byteLength` when wrapping the result, and do not
 * transfer its `buffer`.
 *
 * @param limits - the encoder refuses what the decoder would refuse under these limits
 * @throws InvalidArgumentError for values that do not fit their fields
 *   (ports, identifiers, unknown policy or message types, invalid addresses,
 *   limits exceeded).
 */
export function encodeMessage(message: RSerPoolMessage, limits?: Partial<WireLimits>): Uint8Array {
  const lim = resolveWireLimits(limits);
  if (typeof message !== 'object' || message === null) throw new InvalidArgumentError('message must be an object');
  let code: number | undefined;
  let body: number;
  if (message.protocol === 'asap') {
    code = Object.hasOwn(ASAP_TYPE_CODES, message.type) ? ASAP_TYPE_CODES[message.type] : undefined;
    if (code === undefined) throw new InvalidArgumentError(`unknown ASAP message type ${JSON.stringify(message.type)}`);
    body = asapBodySize(message, lim);
  } else if (message.protocol === 'enrp') {
    code = Object.hasOwn(ENRP_TYPE_CODES, message.type) ? ENRP_TYPE_CODES[message.type] : undefined;
    if (code === undefined) throw new InvalidArgumentError(`unknown ENRP message type ${JSON.stringify(message.type)}`);
    body = enrpBodySize(message, lim);
  } else {
    throw new InvalidArgumentError(`unknown protocol ${JSON.stringify((message as { protocol?: unknown }).protocol)}`);
  }
  const size = 4 + body;
  if (size > MAX_ENCODED_LENGTH || size > lim.maxMessageSize) {
    throw new InvalidArgumentError(`message of ${size} bytes exceeds the limit of ${Math.min(MAX_ENCODED_LENGTH, lim.maxMessageSize)}`);
  }
  const w = new TlvWriter(size);
  w.u8(code);
  w.u8(message.protocol === 'asap' ? asapFlags(message) : enrpFlags(message));
  w.u16(size);
  if (message.protocol === 'asap') writeAsapBody(w, message);
  else writeEnrpBody(w, message);
  if (w.pos !== size) throw new Error(`encoder size mismatch: computed ${size}, wrote ${w.pos}`);
  return w.bytes;
}

/** The SCTP payload protocol identifier to send a message with (11 or 12). */
export function ppidOf(message: RSerPoolMessage): number {
  return message.protocol === 'asap' ? PPID_ASAP : PPID_ENRP;
}
