/**
 * Converts between the ENRP server's message objects ({@link PeerMessage})
 * and the wire codec's typed messages, and to and from bytes.
 *
 * @module
 */
import { ProtocolError } from '../../errors.js';
import { decodeMessage, encodeMessage, PPID_ENRP } from '../../wire/messages.js';
import type { EnrpMessage as WireEnrpMessage } from '../../wire/enrp-messages.js';
import type { WireLimits } from '../../wire/limits.js';
import type { PeerMessage } from './messages.js';

/** Converts a server message to the codec's form. */
export function toWire(m: PeerMessage): WireEnrpMessage {
  const h = { protocol: 'enrp' as const, senderServerId: m.senderId >>> 0, receiverServerId: m.receiverId >>> 0 };
  switch (m.type) {
    case 'presence':
      return { ...h, type: 'presence', replyRequired: m.replyRequired, checksum: m.checksum, serverInfo: m.serverInfo };
    case 'handle-table-request':
      return { ...h, type: 'handle-table-request', ownChildrenOnly: m.ownChildrenOnly };
    case 'handle-table-response':
      return {
        ...h,
        type: 'handle-table-response',
        rejected: m.rejected,
        moreToSend: m.more,
        pools: m.groups.map((g) => ({ poolHandle: g.poolHandle, poolElements: g.elements })),
      };
    case 'handle-update':
      return {
        ...h,
        type: 'handle-update',
        action: m.action === 'add' ? 'add-pe' : 'del-pe',
        takeoverSuggested: m.takeoverSuggested,
        poolHandle: m.poolHandle,
        poolElement: m.element,
      };
    case 'list-request':
      return { ...h, type: 'list-request' };
    case 'list-response':
      return { ...h, type: 'list-response', rejected: m.rejected, servers: m.servers };
    case 'init-takeover':
    case 'init-takeover-ack':
    case 'takeover-server':
      return { ...h, type: m.type, targetServerId: m.targetId >>> 0 };
    case 'error':
      return { ...h, type: 'error', operationError: m.causes };
  }
}

/**
 * Converts a decoded codec message to the server's form.
 *
 * @throws ProtocolError for a Presence without Server Information (required,
 *   as by the reference implementation).
 */
export function fromWire(w: WireEnrpMessage): PeerMessage {
  const h = { senderId: w.senderServerId, receiverId: w.receiverServerId };
  switch (w.type) {
    case 'presence':
      if (w.serverInfo === undefined) throw new ProtocolError('ENRP Presence without Server Information');
      return { ...h, type: 'presence', replyRequired: w.replyRequired === true, checksum: w.checksum, serverInfo: w.serverInfo };
    case 'handle-table-request':
      return { ...h, type: 'handle-table-request', ownChildrenOnly: w.ownChildrenOnly === true };
    case 'handle-table-response':
      return {
        ...h,
        type: 'handle-table-response',
        rejected: w.rejected === true,
        more: w.moreToSend === true,
        groups: w.pools.map((p) => ({ poolHandle: p.poolHandle, elements: p.poolElements })),
      };
    case 'handle-update':
      return {
        ...h,
        type: 'handle-update',
        action: w.action === 'add-pe' ? 'add' : 'del',
        takeoverSuggested: w.takeoverSuggested === true,
        poolHandle: w.poolHandle,
        element: w.poolElement,
      };
    case 'list-request':
      return { ...h, type: 'list-request' };
    case 'list-response':
      return { ...h, type: 'list-response', rejected: w.rejected === true, servers: w.servers };
    case 'init-takeover':
    case 'init-takeover-ack':
    case 'takeover-server':
      return { ...h, type: w.type, targetId: w.targetServerId };
    case 'error':
      return { ...h, type: 'error', causes: w.operationError };
  }
}

/** Encodes a server message (PPID 12). */
export function encodeEnrp(m: PeerMessage, limits?: Partial<WireLimits>): Uint8Array {
  return encodeMessage(toWire(m), limits);
}

/**
 * Decodes an ENRP message.
 *
 * @throws ProtocolError for malformed input or an ASAP message.
 */
export function decodeEnrp(bytes: Uint8Array, limits?: Partial<WireLimits>): PeerMessage {
  const w = decodeMessage(PPID_ENRP, bytes, limits);
  if (w.protocol !== 'enrp') throw new ProtocolError('not an ENRP message');
  return fromWire(w);
}
