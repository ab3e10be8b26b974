/**
 * ASAP messages (RFC 5352, spec §3), SCTP payload protocol identifier 11:
 * their typed form and their encoding/decoding.
 *
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import type { ErrorCause, PolicyInfo, PoolElementParam, PoolHandle, TransportParam } from './types.js';
import { ErrorCauseCode } from './types.js';
import type { WireLimits } from './limits.js';
import { ParameterType } from './parameter-types.js';
import { checkBytes, checkUint32 } from './integer-fields.js';
import { policyParameterSize, readPolicyParameter, writePolicyParameter } from './policy.js';
import {
  atTransportParameter,
  operationErrorParameterSize,
  poolElementParameterSize,
  poolHandleParameterSize,
  readCookieParameter,
  readHandleResolutionOption,
  readOperationErrorParameter,
  readPeIdParameter,
  readPoolElementParameter,
  readPoolHandleParameter,
  readTransportParameter,
  transportParameterSize,
  writeCookieParameter,
  writeHandleResolutionOption,
  writeOperationErrorParameter,
  writePeIdParameter,
  writePoolElementParameter,
  writePoolHandleParameter,
  writeTransportParameter,
} from './parameters.js';
import { TlvCursor, invalid, type DecodeContext, type UnrecognizedParameter } from './tlv-reader.js';
import { pad4, type TlvWriter } from './tlv-writer.js';

/** ASAP message type codes (spec §3). */
export const AsapMessageType = {
  REGISTRATION: 0x01,
  DEREGISTRATION: 0x02,
  REGISTRATION_RESPONSE: 0x03,
  DEREGISTRATION_RESPONSE: 0x04,
  HANDLE_RESOLUTION: 0x05,
  HANDLE_RESOLUTION_RESPONSE: 0x06,
  ENDPOINT_KEEP_ALIVE: 0x07,
  ENDPOINT_KEEP_ALIVE_ACK: 0x08,
  ENDPOINT_UNREACHABLE: 0x09,
  SERVER_ANNOUNCE: 0x0a,
  COOKIE: 0x0b,
  COOKIE_ECHO: 0x0c,
  BUSINESS_CARD: 0x0d,
  ERROR: 0x0e,
} as const;

/** Fields every decoded message may carry. */
export interface MessageExtras {
  /**
   * Unknown parameters the decoder skipped because their action bits allow
   * it (present only when there were any). Ignored by the encoder.
   */
  unrecognizedParameters?: UnrecognizedParameter[];
}

/** ASAP_REGISTRATION (0x01), PE → home PR. */
export interface AsapRegistration extends MessageExtras {
  protocol: 'asap';
  type: 'registration';
  poolHandle: PoolHandle;
  /** The PE; must not carry an ASAP transport in a registration. */
  poolElement: PoolElementParam;
}

/** ASAP_DEREGISTRATION (0x02), PE → home PR. */
export interface AsapDeregistration extends MessageExtras {
  protocol: 'asap';
  type: 'deregistration';
  poolHandle: PoolHandle;
  peId: number;
}

/** ASAP_REGISTRATION_RESPONSE (0x03), PR → PE. */
export interface AsapRegistrationResponse extends MessageExtras {
  protocol: 'asap';
  type: 'registration-response';
  /** R flag: the registration was rejected. */
  rejected?: boolean;
  poolHandle: PoolHandle;
  peId: number;
  /** Why it was rejected (present with `rejected`). */
  operationError?: ErrorCause[];
}

/** ASAP_DEREGISTRATION_RESPONSE (0x04), PR → PE. */
export interface AsapDeregistrationResponse extends MessageExtras {
  protocol: 'asap';
  type: 'deregistration-response';
  poolHandle: PoolHandle;
  peId: number;
  operationError?: ErrorCause[];
}

/** ASAP_HANDLE_RESOLUTION (0x05), PU → PR. */
export interface AsapHandleResolution extends MessageExtras {
  protocol: 'asap';
  type: 'handle-resolution';
  /** S flag: the PU asks to be kept updated (the reference implementation never sets it). */
  subscribe?: boolean;
  poolHandle: PoolHandle;
  /**
   * Handle Resolution Option (parameter 0x803f): number of PEs wanted,
   * 0xffffffff = as many as possible. Absent = registrar's default.
   */
  items?: number;
}

/** ASAP_HANDLE_RESOLUTION_RESPONSE (0x06), PR → PU. */
export interface AsapHandleResolutionResponse extends MessageExtras {
  protocol: 'asap';
  type: 'handle-resolution-response';
  /** A flag: the registrar accepts the S-flag request (the reference implementation sends 0). */
  acceptUpdates?: boolean;
  poolHandle: PoolHandle;
  /**
   * Overall PE Selection Policy. Optional in the RFC, required by the
   * reference implementation: when absent the encoder sends the policy of
   * the first pool element (as the reference implementation does).
   */
  policy?: PolicyInfo;
  poolElements: PoolElementParam[];
  /** Set instead of pool elements when the resolution failed (e.g. 0x0009 unknown pool handle). */
  operationError?: ErrorCause[];
}

/** ASAP_ENDPOINT_KEEP_ALIVE (0x07), PR → PE. */
export interface AsapEndpointKeepAlive extends MessageExtras {
  protocol: 'asap';
  type: 'endpoint-keep-alive';
  /** H flag: the PE shall adopt the sender as its home registrar. */
  home?: boolean;
  /** Server identifier of the sending registrar. */
  serverId: number;
  poolHandle: PoolHandle;
  /** PE identifier (reference-implementation extension, always sent by it). */
  peId?: number;
}

/** ASAP_ENDPOINT_KEEP_ALIVE_ACK (0x08), PE → PR. */
export interface AsapEndpointKeepAliveAck extends MessageExtras {
  protocol: 'asap';
  type: 'endpoint-keep-alive-ack';
  poolHandle: PoolHandle;
  peId: number;
}

/** ASAP_ENDPOINT_UNREACHABLE (0x09), PU → PR. */
export interface AsapEndpointUnreachable extends MessageExtras {
  protocol: 'asap';
  type: 'endpoint-unreachable';
  poolHandle: PoolHandle;
  /** The unreachable PE. */
  peId: number;
}

/** ASAP_SERVER_ANNOUNCE (0x0a), PR → multicast. */
export interface AsapServerAnnounce extends MessageExtras {
  protocol: 'asap';
  type: 'server-announce';
  serverId: number;
  /** Where the registrar can be reached; empty = the announce's UDP source address and port. */
  transports: TransportParam[];
}

/** ASAP_COOKIE (0x0b), PE → PU. */
export interface AsapCookie extends MessageExtras {
  protocol: 'asap';
  type: 'cookie';
  /** Opaque state; pad it to a multiple of 4 bytes for the reference implementation. */
  cookie: Uint8Array;
}

/** ASAP_COOKIE_ECHO (0x0c), PU → new PE after a failover. */
export interface AsapCookieEcho extends MessageExtras {
  protocol: 'asap';
  type: 'cookie-echo';
  cookie: Uint8Array;
}

/** ASAP_BUSINESS_CARD (0x0d), PU ↔ PE. */
export interface AsapBusinessCard extends MessageExtras {
  protocol: 'asap';
  type: 'business-card';
  poolHandle: PoolHandle;
  /** Overall policy; the encoder sends the first PE's policy when absent (reference-implementation layout). */
  policy?: PolicyInfo;
  poolElements: PoolElementParam[];
}

/** ASAP_ERROR (0x0e). */
export interface AsapError extends MessageExtras {
  protocol: 'asap';
  type: 'error';
  operationError: ErrorCause[];
}

/** Any ASAP message. */
export type AsapMessage =
  | AsapRegistration
  | AsapDeregistration
  | AsapRegistrationResponse
  | AsapDeregistrationResponse
  | AsapHandleResolution
  | AsapHandleResolutionResponse
  | AsapEndpointKeepAlive
  | AsapEndpointKeepAliveAck
  | AsapEndpointUnreachable
  | AsapServerAnnounce
  | AsapCookie
  | AsapCookieEcho
  | AsapBusinessCard
  | AsapError;

/** Wire type code of each ASAP message name. */
export const ASAP_TYPE_CODES: Readonly<Record<AsapMessage['type'], number>> = {
  registration: AsapMessageType.REGISTRATION,
  deregistration: AsapMessageType.DEREGISTRATION,
  'registration-response': AsapMessageType.REGISTRATION_RESPONSE,
  'deregistration-response': AsapMessageType.DEREGISTRATION_RESPONSE,
  'handle-resolution': AsapMessageType.HANDLE_RESOLUTION,
  'handle-resolution-response': AsapMessageType.HANDLE_RESOLUTION_RESPONSE,
  'endpoint-keep-alive': AsapMessageType.ENDPOINT_KEEP_ALIVE,
  'endpoint-keep-alive-ack': AsapMessageType.ENDPOINT_KEEP_ALIVE_ACK,
  'endpoint-unreachable': AsapMessageType.ENDPOINT_UNREACHABLE,
  'server-announce': AsapMessageType.SERVER_ANNOUNCE,
  cookie: AsapMessageType.COOKIE,
  'cookie-echo': AsapMessageType.COOKIE_ECHO,
  'business-card': AsapMessageType.BUSINESS_CARD,
  error: AsapMessageType.ERROR,
};

// ------------------------------------------------------------------ decoding

function poolHandleAndPeId(cur: TlvCursor, where: string): { poolHandle: PoolHandle; peId: number } {
  cur.expect(ParameterType.POOL_HANDLE, 'pool handle', where);
  const poolHandle = readPoolHandleParameter(cur);
  cur.advance();
  cur.expect(ParameterType.PE_IDENTIFIER, 'PE identifier', where);
  const peId = readPeIdParameter(cur);
  cur.advance();
  return { poolHandle, peId };
}

function optionalOperationError(cur: TlvCursor): ErrorCause[] | undefined {
  if (cur.type !== ParameterType.OPERATION_ERROR) return undefined;
  const causes = readOperationErrorParameter(cur);
  cur.advance();
  return causes;
}

/** Reads consecutive Pool Element parameters. */
function poolElementList(cur: TlvCursor): PoolElementParam[] {
  const list: PoolElementParam[] = [];
  while (cur.type === ParameterType.POOL_ELEMENT) {
    list.push(readPoolElementParameter(cur));
    cur.advance();
  }
  return list;
}

/**
 * Decodes the body of an ASAP message whose header was checked by the caller.
 *
 * @param start - offset of the first byte after the common header
 * @param end - end of the message (its length field)
 */
export function decodeAsapBody(ctx: DecodeContext, type: number, flags: number, start: number, end: number): AsapMessage {
  const { view } = ctx;
  const name = ASAP_NAMES[type];
  if (name === undefined) {
    invalid(`unknown ASAP message type 0x${type.toString(16).padStart(2, '0')}`, 0, ErrorCauseCode.UNRECOGNIZED_MESSAGE);
  }
  let serverId = 0;
  if (type === AsapMessageType.ENDPOINT_KEEP_ALIVE || type === AsapMessageType.SERVER_ANNOUNCE) {
    if (end - start < 4) invalid(`${name}: truncated server identifier`, start);
    serverId = view.getUint32(start);
    start += 4;
  }
  const cur = new TlvCursor(ctx, start, end, 1);
  let msg: AsapMessage;
  switch (type) {
    case AsapMessageType.REGISTRATION: {
      cur.expect(ParameterType.POOL_HANDLE, 'pool handle', name);
      const poolHandle = readPoolHandleParameter(cur);
      cur.advance();
      cur.expect(ParameterType.POOL_ELEMENT, 'pool element', name);
      const poolElement = readPoolElementParameter(cur);
      cur.advance();
      msg = { protocol: 'asap', type: 'registration', poolHandle, poolElement };
      break;
    }
    case AsapMessageType.DEREGISTRATION:
    case AsapMessageType.ENDPOINT_KEEP_ALIVE_ACK:
    case AsapMessageType.ENDPOINT_UNREACHABLE: {
      const { poolHandle, peId } = poolHandleAndPeId(cur, name);
      msg = { protocol: 'asap', type: name as 'deregistration', poolHandle, peId };
      break;
    }
    case AsapMessageType.REGISTRATION_RESPONSE: {
      const { poolHandle, peId } = poolHandleAndPeId(cur, name);
      const operationError = optionalOperationError(cur);
      msg = { protocol: 'asap', type: 'registration-response', rejected: (flags & 1) !== 0, poolHandle, peId };
      if (operationError !== undefined) msg.operationError = operationError;
      break;
    }
    case AsapMessageType.DEREGISTRATION_RESPONSE: {
      const { poolHandle, peId } = poolHandleAndPeId(cur, name);
      const operationError = optionalOperationError(cur);
      msg = { protocol: 'asap', type: 'deregistration-response', poolHandle, peId };
      if (operationError !== undefined) msg.operationError = operationError;
      break;
    }
    case AsapMessageType.HANDLE_RESOLUTION: {
      cur.expect(ParameterType.POOL_HANDLE, 'pool handle', name);
      const poolHandle = readPoolHandleParameter(cur);
      cur.advance();
      msg = { protocol: 'asap', type: 'handle-resolution', subscribe: (flags & 1) !== 0, poolHandle };
      if (cur.type === ParameterType.HANDLE_RESOLUTION_OPTION) {
        msg.items = readHandleResolutionOption(cur);
        cur.advance();
      }
      break;
    }
    case AsapMessageType.HANDLE_RESOLUTION_RESPONSE:
    case AsapMessageType.BUSINESS_CARD: {
      cur.expect(ParameterType.POOL_HANDLE, 'pool handle', name);
      const poolHandle = readPoolHandleParameter(cur);
      cur.advance();
      let policy: PolicyInfo | undefined;
      if (cur.type === ParameterType.POOL_MEMBER_SELECTION_POLICY) {
        policy = readPolicyParameter(cur);
        cur.advance();
      }
      const poolElements = poolElementList(cur);
      if (type === AsapMessageType.BUSINESS_CARD) {
        if (poolElements.length === 0) invalid(`${name}: missing pool element parameter`, cur.offset);
        msg = { protocol: 'asap', type: 'business-card', poolHandle, poolElements };
        if (policy !== undefined) msg.policy = policy;
      } else {
        const operationError = optionalOperationError(cur);
        msg = { protocol: 'asap', type: 'handle-resolution-response', acceptUpdates: (flags & 1) !== 0, poolHandle, poolElements };
        if (policy !== undefined) msg.policy = policy;
        if (operationError !== undefined) msg.operationError = operationError;
      }
      break;
    }
    case AsapMessageType.ENDPOINT_KEEP_ALIVE: {
      cur.expect(ParameterType.POOL_HANDLE, 'pool handle', name);
      const poolHandle = readPoolHandleParameter(cur);
      cur.advance();
      msg = { protocol: 'asap', type: 'endpoint-keep-alive', home: (flags & 1) !== 0, serverId, poolHandle };
      if (cur.type === ParameterType.PE_IDENTIFIER) {
        msg.peId = readPeIdParameter(cur);
        cur.advance();
      }
      break;
    }
    case AsapMessageType.SERVER_ANNOUNCE: {
      const transports: TransportParam[] = [];
      while (atTransportParameter(cur)) {
        if (transports.length >= ctx.limits.maxServerEntries) {
          invalid(`more than ${ctx.limits.maxServerEntries} transport parameters`, cur.offset);
        }
        transports.push(readTransportParameter(cur));
        cur.advance();
      }
      msg = { protocol: 'asap', type: 'server-announce', serverId, transports };
      break;
    }
    case AsapMessageType.COOKIE:
    case AsapMessageType.COOKIE_ECHO: {
      cur.expect(ParameterType.COOKIE, 'cookie', name);
      const cookie = readCookieParameter(cur);
      cur.advance();
      msg = { protocol: 'asap', type: name as 'cookie', cookie };
      break;
    }
    default: {
      cur.expect(ParameterType.OPERATION_ERROR, 'operation error', name);
      const operationError = readOperationErrorParameter(cur);
      cur.advance();
      msg = { protocol: 'asap', type: 'error', operationError };
      break;
    }
  }
  cur.expectEnd(name);
  return msg;
}

const ASAP_NAMES: readonly (AsapMessage['type'] | undefined)[] = (() => {
  const names: (AsapMessage['type'] | undefined)[] = new Array(256).fill(undefined);
  for (const [name, code] of Object.entries(ASAP_TYPE_CODES)) names[code] = name as AsapMessage['type'];
  return names;
})();

// ------------------------------------------------------------------ encoding

function overallPolicy(m: AsapHandleResolutionResponse | AsapBusinessCard): PolicyInfo | undefined {
  return m.policy ?? m.poolElements[0]?.policy;
}

function checkPoolElements(list: unknown, limits: Readonly<WireLimits>, what: string): PoolElementParam[] {
  if (!Array.isArray(list)) throw new InvalidArgumentError(`${what} must be an array`);
  if (list.length > limits.maxPoolElements) {
    throw new InvalidArgumentError(`${list.length} pool elements exceed the limit of ${limits.maxPoolElements}`);
  }
  return list as PoolElementParam[];
}

/** Flags byte of an ASAP message. */
export function asapFlags(m: AsapMessage): number {
  switch (m.type) {
    case 'registration-response':
      return m.rejected === true ? 1 : 0;
    case 'handle-resolution':
      return m.subscribe === true ? 1 : 0;
    case 'handle-resolution-response':
      return m.acceptUpdates === true ? 1 : 0;
    case 'endpoint-keep-alive':
      return m.home === true ? 1 : 0;
    default:
      return 0;
  }
}

/** Size of an ASAP message body after the common header; validates every field. */
export function asapBodySize(m: AsapMessage, limits: Readonly<WireLimits>): number {
  switch (m.type) {
    case 'registration':
      return poolHandleParameterSize(m.poolHandle, limits) + poolElementParameterSize(m.poolElement, limits);
    case 'deregistration':
    case 'endpoint-keep-alive-ack':
    case 'endpoint-unreachable':
      checkUint32(m.peId, 'PE identifier');
      return poolHandleParameterSize(m.poolHandle, limits) + 8;
    case 'registration-response':
    case 'deregistration-response':
      checkUint32(m.peId, 'PE identifier');
      return (
        poolHandleParameterSize(m.poolHandle, limits) +
        8 +
        (m.operationError !== undefined ? operationErrorParameterSize(m.operationError, limits) : 0)
      );
    case 'handle-resolution': {
      let size = poolHandleParameterSize(m.poolHandle, limits);
      if (m.items !== undefined) {
        checkUint32(m.items, 'handle resolution items');
        size += 8;
      }
      return size;
    }
    case 'handle-resolution-response':
    case 'business-card': {
      const list = checkPoolElements(m.poolElements, limits, 'pool elements');
      if (m.type === 'business-card' && list.length === 0) {
        throw new InvalidArgumentError('a business card needs at least one pool element');
      }
      let size = poolHandleParameterSize(m.poolHandle, limits);
      const policy = overallPolicy(m);
      if (policy !== undefined) size += policyParameterSize(policy);
      for (const pe of list) size += poolElementParameterSize(pe, limits);
      if (m.type === 'handle-resolution-response' && m.operationError !== undefined) {
        size += operationErrorParameterSize(m.operationError, limits);
      }
      return size;
    }
    case 'endpoint-keep-alive':
      checkUint32(m.serverId, 'server identifier');
      if (m.peId !== undefined) checkUint32(m.peId, 'PE identifier');
      return 4 + poolHandleParameterSize(m.poolHandle, limits) + (m.peId !== undefined ? 8 : 0);
    case 'server-announce': {
      checkUint32(m.serverId, 'server identifier');
      if (!Array.isArray(m.transports)) throw new InvalidArgumentError('transports must be an array');
      if (m.transports.length > limits.maxServerEntries) {
        throw new InvalidArgumentError(`${m.transports.length} transports exceed the limit of ${limits.maxServerEntries}`);
      }
      let size = 4;
      for (const t of m.transports) size += transportParameterSize(t, limits);
      return size;
    }
    case 'cookie':
    case 'cookie-echo':
      return pad4(4 + checkBytes(m.cookie, 'cookie').length);
    case 'error':
      return operationErrorParameterSize(m.operationError, limits);
    default:
      throw new InvalidArgumentError(`unknown ASAP message type ${JSON.stringify((m as { type?: unknown }).type)}`);
  }
}

/** Writes an ASAP message body (validated by {@link asapBodySize}). */
export function writeAsapBody(w: TlvWriter, m: AsapMessage): void {
  switch (m.type) {
    case 'registration':
      writePoolHandleParameter(w, m.poolHandle);
      writePoolElementParameter(w, m.poolElement);
      return;
    case 'deregistration':
    case 'endpoint-keep-alive-ack':
    case 'endpoint-unreachable':
      writePoolHandleParameter(w, m.poolHandle);
      writePeIdParameter(w, m.peId);
      return;
    case 'registration-response':
    case 'deregistration-response':
      writePoolHandleParameter(w, m.poolHandle);
      writePeIdParameter(w, m.peId);
      if (m.operationError !== undefined) writeOperationErrorParameter(w, m.operationError);
      return;
    case 'handle-resolution':
      writePoolHandleParameter(w, m.poolHandle);
      if (m.items !== undefined) writeHandleResolutionOption(w, m.items);
      return;
    case 'handle-resolution-response':
    case 'business-card': {
      writePoolHandleParameter(w, m.poolHandle);
      const policy = overallPolicy(m);
      if (policy !== undefined) writePolicyParameter(w, policy);
      for (const pe of m.poolElements) writePoolElementParameter(w, pe);
      if (m.type === 'handle-resolution-response' && m.operationError !== undefined) {
        writeOperationErrorParameter(w, m.operationError);
      }
      return;
    }
    case 'endpoint-keep-alive':
      w.u32(m.serverId);
      writePoolHandleParameter(w, m.poolHandle);
      if (m.peId !== undefined) writePeIdParameter(w, m.peId);
      return;
    case 'server-announce':
      w.u32(m.serverId);
      for (const t of m.transports) writeTransportParameter(w, t);
      return;
    case 'cookie':
    case 'cookie-echo':
      writeCookieParameter(w, m.cookie);
      return;
    case 'error':
      writeOperationErrorParameter(w, m.operationError);
      return;
  }
}
