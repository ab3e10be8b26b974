/**
 * The ASAP subset of the wire codec as the instance uses it: encode a typed
 * ASAP message, decode bytes received with PPID 11 (or an announce datagram)
 * into an ASAP message.
 *
 * @module
 */
import { ProtocolError } from '../errors.js';
import { PPID_ASAP, decodeMessage, encodeMessage } from '../wire/messages.js';
import type { AsapMessage } from '../wire/asap-messages.js';

/** SCTP payload protocol identifier of ASAP. */
export const ASAP_PPID = PPID_ASAP;

/** Encodes an ASAP message. */
export function encodeAsap(message: AsapMessage): Uint8Array {
  return encodeMessage(message);
}

/**
 * Decodes an ASAP message.
 *
 * @throws ProtocolError for malformed input.
 */
export function decodeAsap(bytes: Uint8Array): AsapMessage {
  const m = decodeMessage(PPID_ASAP, bytes);
  if (m.protocol !== 'asap') throw new ProtocolError('Not an ASAP message');
  return m;
}
