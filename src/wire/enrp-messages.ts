/**
 * ENRP messages (RFC 5353, spec §4), SCTP payload protocol identifier 12:
 * their typed form and their encoding/decoding. Every ENRP message carries
 * the sender's and the receiver's server identifiers after the common header.
 *
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import type { ErrorCause, PoolElementParam, PoolHandle, ServerInfoParam } from './types.js';
import { ErrorCauseCode } from './types.js';
import type { WireLimits } from './limits.js';
import { ParameterType } from './parameter-types.js';
import { checkUint16, checkUint32 } from './integer-fields.js';
import {
  operationErrorParameterSize,
  poolElementParameterSize,
  poolHandleParameterSize,
  readOperationErrorParameter,
  readPeChecksumParameter,
  readPoolElementParameter,
  readPoolHandleParameter,
  readServerInfoParameter,
  serverInfoParameterSize,
  writeOperationErrorParameter,
  writePeChecksumParameter,
  writePoolElementParameter,
  writePoolHandleParameter,
  writeServerInfoParameter,
} from './parameters.js';
import { TlvCursor, invalid, type DecodeContext } from './tlv-reader.js';
import type { TlvWriter } from './tlv-writer.js';
import type { MessageExtras } from './asap-messages.js';

/** ENRP message type codes (spec §4). */
export const EnrpMessageType = {
  PRESENCE: 0x01,
  HANDLE_TABLE_REQUEST: 0x02,
  HANDLE_TABLE_RESPONSE: 0x03,
  HANDLE_UPDATE: 0x04,
  LIST_REQUEST: 0x05,
  LIST_RESPONSE: 0x06,
  INIT_TAKEOVER: 0x07,
  INIT_TAKEOVER_ACK: 0x08,
  TAKEOVER_SERVER: 0x09,
  ERROR: 0x0a,
} as const;

/** Fields of every ENRP message. */
export interface EnrpHeader extends MessageExtras {
  protocol: 'enrp';
  /** Server identifier of the sender. */
  senderServerId: number;
  /** Server identifier of the receiver; 0 when unknown (multicast, first contact). */
  receiverServerId: number;
}

/** ENRP_PRESENCE (0x01). */
export interface EnrpPresence extends EnrpHeader {
  type: 'presence';
  /** R flag: the receiver shall answer with a Presence. */
  replyRequired?: boolean;
  /** PE checksum over the PEs the sender owns (see {@link finishChecksum}). */
  checksum: number;
  /** The sender's ENRP endpoint. Optional in the RFC, required by the reference implementation: always send it. */
  serverInfo?: ServerInfoParam;
}

/** ENRP_HANDLE_TABLE_REQUEST (0x02). */
export interface EnrpHandleTableRequest extends EnrpHeader {
  type: 'handle-table-request';
  /** W flag: only PEs whose home is the responder ("own children only"). */
  ownChildrenOnly?: boolean;
}

/** One pool in a Handle Table Response: a pool handle and its PEs (with ASAP transport). */
export interface HandleTablePool {
  poolHandle: PoolHandle;
  /** At least one PE. */
  poolElements: PoolElementParam[];
}

/** ENRP_HANDLE_TABLE_RESPONSE (0x03). */
export interface EnrpHandleTableResponse extends EnrpHeader {
  type: 'handle-table-response';
  /** R flag: the request was rejected (no pools follow). */
  rejected?: boolean;
  /** M flag: more entries remain; request again. */
  moreToSend?: boolean;
  pools: HandleTablePool[];
}

/** Update action of a Handle Update. */
export type HandleUpdateAction = 'add-pe' | 'del-pe';

/** ENRP_HANDLE_UPDATE (0x04). */
export interface EnrpHandleUpdate extends EnrpHeader {
  type: 'handle-update';
  /** T flag: the sender suggests that the receiver takes the PE over (takeover-suggestion draft). */
  takeoverSuggested?: boolean;
  action: HandleUpdateAction;
  poolHandle: PoolHandle;
  /** The PE, with its ASAP transport (the reference implementation requires it, also for del-pe). */
  poolElement: PoolElementParam;
}

/** ENRP_LIST_REQUEST (0x05). */
export interface EnrpListRequest extends EnrpHeader {
  type: 'list-request';
}

/** ENRP_LIST_RESPONSE (0x06). */
export interface EnrpListResponse extends EnrpHeader {
  type: 'list-response';
  /** R flag: rejected (no list). */
  rejected?: boolean;
  servers: ServerInfoParam[];
}

/** ENRP_INIT_TAKEOVER (0x07). */
export interface EnrpInitTakeover extends EnrpHeader {
  type: 'init-takeover';
  /** The server to be taken over. */
  targetServerId: number;
}

/** ENRP_INIT_TAKEOVER_ACK (0x08). */
export interface EnrpInitTakeoverAck extends EnrpHeader {
  type: 'init-takeover-ack';
  targetServerId: number;
}

/** ENRP_TAKEOVER_SERVER (0x09). */
export interface EnrpTakeoverServer extends EnrpHeader {
  type: 'takeover-server';
  targetServerId: number;
}

/** ENRP_ERROR (0x0a). */
export interface EnrpError extends EnrpHeader {
  type: 'error';
  operationError: ErrorCause[];
}

/** Any ENRP message. */
export type EnrpMessage =
  | EnrpPresence
  | EnrpHandleTableRequest
  | EnrpHandleTableResponse
  | EnrpHandleUpdate
  | EnrpListRequest
  | EnrpListResponse
  | EnrpInitTakeover
  | EnrpInitTakeoverAck
  | EnrpTakeoverServer
  | EnrpError;

/** Wire type code of each ENRP message name. */
export const ENRP_TYPE_CODES: Readonly<Record<EnrpMessage['type'], number>> = {
  presence: EnrpMessageType.PRESENCE,
  'handle-table-request': EnrpMessageType.HANDLE_TABLE_REQUEST,
  'handle-table-response': EnrpMessageType.HANDLE_TABLE_RESPONSE,
  'handle-update': EnrpMessageType.HANDLE_UPDATE,
  'list-request': EnrpMessageType.LIST_REQUEST,
  'list-response': EnrpMessageType.LIST_RESPONSE,
  'init-takeover': EnrpMessageType.INIT_TAKEOVER,
  'init-takeover-ack': EnrpMessageType.INIT_TAKEOVER_ACK,
  'takeover-server': EnrpMessageType.TAKEOVER_SERVER,
  error: EnrpMessageType.ERROR,
};

const ENRP_NAMES: readonly (EnrpMessage['type'] | undefined)[] = (() => {
  const names: (EnrpMessage['type'] | undefined)[] = new Array(256).fill(undefined);
  for (const [name, code] of Object.entries(ENRP_TYPE_CODES)) names[code] = name as EnrpMessage['type'];
  return names;
})();

/** Update action codes of a Handle Update. */
export const HANDLE_UPDATE_ACTION_CODES: Readonly<Record<HandleUpdateAction, number>> = { 'add-pe': 0, 'del-pe': 1 };

// ------------------------------------------------------------------ decoding

/**
 * Decodes the body of an ENRP message whose common header was checked by the
 * caller.
 *
 * @param start - offset of the first byte after the common header
 * @param end - end of the message (its length field)
 */
export function decodeEnrpBody(ctx: DecodeContext, type: number, flags: number, start: number, end: number): EnrpMessage {
  const { view } = ctx;
  const name = ENRP_NAMES[type];
  if (name === undefined) {
    invalid(`unknown ENRP message type 0x${type.toString(16).padStart(2, '0')}`, 0, ErrorCauseCode.UNRECOGNIZED_MESSAGE);
  }
  const fixed =
    type === EnrpMessageType.HANDLE_UPDATE ||
    type === EnrpMessageType.INIT_TAKEOVER ||
    type === EnrpMessageType.INIT_TAKEOVER_ACK ||
    type === EnrpMessageType.TAKEOVER_SERVER
      ? 12
      : 8;
  if (end - start < fixed) invalid(`${name}: truncated fixed fields`, start);
  const senderServerId = view.getUint32(start);
  const receiverServerId = view.getUint32(start + 4);
  const extra = fixed === 12 ? view.getUint32(start + 8) : 0;
  const cur = new TlvCursor(ctx, start + fixed, end, 1);
  let msg: EnrpMessage;
  switch (type) {
    case EnrpMessageType.PRESENCE: {
      cur.expect(ParameterType.PE_CHECKSUM, 'PE checksum', name);
      const checksum = readPeChecksumParameter(cur);
      cur.advance();
      msg = { protocol: 'enrp', type: 'presence', senderServerId, receiverServerId, replyRequired: (flags & 1) !== 0, checksum };
      if (cur.type === ParameterType.SERVER_INFORMATION) {
        msg.serverInfo = readServerInfoParameter(cur);
        cur.advance();
      }
      break;
    }
    case EnrpMessageType.HANDLE_TABLE_REQUEST:
      msg = { protocol: 'enrp', type: 'handle-table-request', senderServerId, receiverServerId, ownChildrenOnly: (flags & 1) !== 0 };
      break;
    case EnrpMessageType.HANDLE_TABLE_RESPONSE: {
      const pools: HandleTablePool[] = [];
      while (cur.type === ParameterType.POOL_HANDLE) {
        const poolHandle = readPoolHandleParameter(cur);
        cur.advance();
        const poolElements: PoolElementParam[] = [];
        while (cur.at(ParameterType.POOL_ELEMENT)) {
          poolElements.push(readPoolElementParameter(cur));
          cur.advance();
        }
        if (poolElements.length === 0) invalid(`${name}: pool handle without pool element`, cur.offset);
        pools.push({ poolHandle, poolElements });
      }
      msg = {
        protocol: 'enrp',
        type: 'handle-table-response',
        senderServerId,
        receiverServerId,
        rejected: (flags & 1) !== 0,
        moreToSend: (flags & 2) !== 0,
        pools,
      };
      break;
    }
    case EnrpMessageType.HANDLE_UPDATE: {
      const code = extra >>> 16; // low 16 bits: reserved, ignored on receipt
      if (code > 1) invalid(`${name}: unknown update action ${code}`, start + 8);
      cur.expect(ParameterType.POOL_HANDLE, 'pool handle', name);
      const poolHandle = readPoolHandleParameter(cur);
      cur.advance();
      cur.expect(ParameterType.POOL_ELEMENT, 'pool element', name);
      const poolElement = readPoolElementParameter(cur);
      cur.advance();
      msg = {
        protocol: 'enrp',
        type: 'handle-update',
        senderServerId,
        receiverServerId,
        takeoverSuggested: (flags & 1) !== 0,
        action: code === 0 ? 'add-pe' : 'del-pe',
        poolHandle,
        poolElement,
      };
      break;
    }
    case EnrpMessageType.LIST_REQUEST:
      msg = { protocol: 'enrp', type: 'list-request', senderServerId, receiverServerId };
      break;
    case EnrpMessageType.LIST_RESPONSE: {
      const servers: ServerInfoParam[] = [];
      while (cur.type === ParameterType.SERVER_INFORMATION) {
        if (servers.length >= ctx.limits.maxServerEntries) invalid(`more than ${ctx.limits.maxServerEntries} servers`, cur.offset);
        servers.push(readServerInfoParameter(cur));
        cur.advance();
      }
      msg = { protocol: 'enrp', type: 'list-response', senderServerId, receiverServerId, rejected: (flags & 1) !== 0, servers };
      break;
    }
    case EnrpMessageType.INIT_TAKEOVER:
    case EnrpMessageType.INIT_TAKEOVER_ACK:
    case EnrpMessageType.TAKEOVER_SERVER:
      msg = { protocol: 'enrp', type: name as 'init-takeover', senderServerId, receiverServerId, targetServerId: extra };
      break;
    default: {
      cur.expect(ParameterType.OPERATION_ERROR, 'operation error', name);
      const operationError = readOperationErrorParameter(cur);
      cur.advance();
      msg = { protocol: 'enrp', type: 'error', senderServerId, receiverServerId, operationError };
      break;
    }
  }
  cur.expectEnd(name);
  return msg;
}

// ------------------------------------------------------------------ encoding

/** Flags byte of an ENRP message. */
export function enrpFlags(m: EnrpMessage): number {
  switch (m.type) {
    case 'presence':
      return m.replyRequired === true ? 1 : 0;
    case 'handle-table-request':
      return m.ownChildrenOnly === true ? 1 : 0;
    case 'handle-table-response':
      return (m.rejected === true ? 1 : 0) | (m.moreToSend === true ? 2 : 0);
    case 'handle-update':
      return m.takeoverSuggested === true ? 1 : 0;
    case 'list-response':
      return m.rejected === true ? 1 : 0;
    default:
      return 0;
  }
}

/** Size of an ENRP message body after the common header; validates every field. */
export function enrpBodySize(m: EnrpMessage, limits: Readonly<WireLimits>): number {
  checkUint32(m.senderServerId, 'sender server identifier');
  checkUint32(m.receiverServerId, 'receiver server identifier');
  switch (m.type) {
    case 'presence':
      checkUint16(m.checksum, 'PE checksum');
      return 16 + (m.serverInfo !== undefined ? serverInfoParameterSize(m.serverInfo, limits) : 0);
    case 'handle-table-request':
    case 'list-request':
      return 8;
    case 'handle-table-response': {
      if (!Array.isArray(m.pools)) throw new InvalidArgumentError('pools must be an array');
      let size = 8;
      let count = 0;
      for (const pool of m.pools) {
        if (typeof pool !== 'object' || pool === null || !Array.isArray(pool.poolElements) || pool.poolElements.length === 0) {
          throw new InvalidArgumentError('every pool of a handle table response needs at least one pool element');
        }
        count += pool.poolElements.length;
        if (count > limits.maxPoolElements) {
          throw new InvalidArgumentError(`more than ${limits.maxPoolElements} pool elements in one message`);
        }
        size += poolHandleParameterSize(pool.poolHandle, limits);
        for (const pe of pool.poolElements) size += poolElementParameterSize(pe, limits);
      }
      return size;
    }
    case 'handle-update':
      if (!Object.hasOwn(HANDLE_UPDATE_ACTION_CODES, m.action)) {
        throw new InvalidArgumentError(`unknown handle update action ${JSON.stringify(m.action)}`);
      }
      return 12 + poolHandleParameterSize(m.poolHandle, limits) + poolElementParameterSize(m.poolElement, limits);
    case 'list-response': {
      if (!Array.isArray(m.servers)) throw new InvalidArgumentError('servers must be an array');
      if (m.servers.length > limits.maxServerEntries) {
        throw new InvalidArgumentError(`${m.servers.length} servers exceed the limit of ${limits.maxServerEntries}`);
      }
      let size = 8;
      for (const s of m.servers) size += serverInfoParameterSize(s, limits);
      return size;
    }
    case 'init-takeover':
    case 'init-takeover-ack':
    case 'takeover-server':
      checkUint32(m.targetServerId, 'target server identifier');
      return 12;
    case 'error':
      return 8 + operationErrorParameterSize(m.operationError, limits);
    default:
      throw new InvalidArgumentError(`unknown ENRP message type ${JSON.stringify((m as { type?: unknown }).type)}`);
  }
}

/** Writes an ENRP message body (validated by {@link enrpBodySize}). */
export function writeEnrpBody(w: TlvWriter, m: EnrpMessage): void {
  w.u32(m.senderServerId);
  w.u32(m.receiverServerId);
  switch (m.type) {
    case 'presence':
      writePeChecksumParameter(w, m.checksum);
      if (m.serverInfo !== undefined) writeServerInfoParameter(w, m.serverInfo);
      return;
    case 'handle-table-request':
    case 'list-request':
      return;
    case 'handle-table-response':
      for (const pool of m.pools) {
        writePoolHandleParameter(w, pool.poolHandle);
        for (const pe of pool.poolElements) writePoolElementParameter(w, pe);
      }
      return;
    case 'handle-update':
      w.u16(HANDLE_UPDATE_ACTION_CODES[m.action]);
      w.u16(0);
      writePoolHandleParameter(w, m.poolHandle);
      writePoolElementParameter(w, m.poolElement);
      return;
    case 'list-response':
      for (const s of m.servers) writeServerInfoParameter(w, s);
      return;
    case 'init-takeover':
    case 'init-takeover-ack':
    case 'takeover-server':
      w.u32(m.targetServerId);
      return;
    case 'error':
      writeOperationErrorParameter(w, m.operationError);
      return;
  }
}
