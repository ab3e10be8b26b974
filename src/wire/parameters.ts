/**
 * Encoding and decoding of the RFC 5354 parameters (spec §5, §7, §8): pool
 * handle, PE identifier, PE checksum, cookie, handle resolution option,
 * address and transport parameters, Pool Element, Server Information and
 * Operation Error. Policies live in `policy.ts`.
 *
 * Every `...Size` function validates its input and returns the padded size;
 * the matching `write...` function relies on that validation.
 *
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import type { ErrorCause, PoolElementParam, ServerInfoParam, TransportParam } from './types.js';
import type { WireLimits } from './limits.js';
import { ParameterType } from './parameter-types.js';
import { checkBytes, checkInt32, checkUint16, checkUint32 } from './integer-fields.js';
import { addressToBytes, formatIPv4, formatIPv6 } from './address.js';
import { policyParameterSize, readPolicyParameter, writePolicyParameter } from './policy.js';
import { TlvCursor, invalid } from './tlv-reader.js';
import { pad4, type TlvWriter } from './tlv-writer.js';

// ---------------------------------------------------------------- pool handle

/** Padded size of a Pool Handle parameter; validates the handle against the limits. */
export function poolHandleParameterSize(handle: Uint8Array, limits: Readonly<WireLimits>): number {
  checkBytes(handle, 'pool handle');
  if (handle.length < 1) throw new InvalidArgumentError('pool handle must not be empty');
  if (handle.length > limits.maxPoolHandleLength) {
    throw new InvalidArgumentError(`pool handle of ${handle.length} bytes exceeds the limit of ${limits.maxPoolHandleLength}`);
  }
  return pad4(4 + handle.length);
}

/** Writes a Pool Handle parameter. */
export function writePoolHandleParameter(w: TlvWriter, handle: Uint8Array): void {
  const start = w.open(ParameterType.POOL_HANDLE);
  w.raw(handle);
  w.close(start);
}

/** Reads the Pool Handle parameter at the cursor (a copy of its bytes). */
export function readPoolHandleParameter(cur: TlvCursor): Uint8Array {
  const n = cur.valueLength;
  if (n < 1) invalid('empty pool handle', cur.offset);
  if (n > cur.ctx.limits.maxPoolHandleLength) {
    invalid(`pool handle of ${n} bytes exceeds the limit of ${cur.ctx.limits.maxPoolHandleLength}`, cur.offset);
  }
  return cur.ctx.bytes.slice(cur.valueStart, cur.valueEnd);
}

// ---------------------------------------------------- small fixed parameters

/** Writes a PE Identifier parameter (8 bytes). */
export function writePeIdParameter(w: TlvWriter, peId: number): void {
  const start = w.open(ParameterType.PE_IDENTIFIER);
  w.u32(peId);
  w.close(start);
}

/** Reads the PE Identifier parameter at the cursor. */
export function readPeIdParameter(cur: TlvCursor): number {
  if (cur.valueLength !== 4) invalid(`PE identifier parameter of length ${cur.valueLength + 4}, expected 8`, cur.offset);
  return cur.ctx.view.getUint32(cur.valueStart);
}

/** Writes a PE Checksum parameter: length 6 plus 2 bytes of padding. */
export function writePeChecksumParameter(w: TlvWriter, checksum: number): void {
  const start = w.open(ParameterType.PE_CHECKSUM);
  w.u16(checksum);
  w.close(start);
}

/** Reads the PE Checksum parameter at the cursor (its length must be exactly 6). */
export function readPeChecksumParameter(cur: TlvCursor): number {
  if (cur.valueLength !== 2) invalid(`PE checksum parameter of length ${cur.valueLength + 4}, expected 6`, cur.offset);
  return cur.ctx.view.getUint16(cur.valueStart);
}

/** Writes a Handle Resolution Option parameter (type 0x803f). */
export function writeHandleResolutionOption(w: TlvWriter, items: number): void {
  const start = w.open(ParameterType.HANDLE_RESOLUTION_OPTION);
  w.u32(items);
  w.close(start);
}

/** Reads the Handle Resolution Option at the cursor: the number of PEs wanted. */
export function readHandleResolutionOption(cur: TlvCursor): number {
  if (cur.valueLength !== 4) invalid(`handle resolution option of length ${cur.valueLength + 4}, expected 8`, cur.offset);
  return cur.ctx.view.getUint32(cur.valueStart);
}

/** Writes a Cookie parameter. */
export function writeCookieParameter(w: TlvWriter, cookie: Uint8Array): void {
  const start = w.open(ParameterType.COOKIE);
  w.raw(cookie);
  w.close(start);
}

/** Reads the Cookie parameter at the cursor (a copy of its bytes). */
export function readCookieParameter(cur: TlvCursor): Uint8Array {
  return cur.ctx.bytes.slice(cur.valueStart, cur.valueEnd);
}

// ---------------------------------------------------------------- transports

const TRANSPORT_TYPES: Readonly<Record<TransportParam['protocol'], number>> = {
  sctp: ParameterType.SCTP_TRANSPORT,
  tcp: ParameterType.TCP_TRANSPORT,
  udp: ParameterType.UDP_TRANSPORT,
  'udp-lite': ParameterType.UDP_LITE_TRANSPORT,
  dccp: ParameterType.DCCP_TRANSPORT,
};

/** Padded size of a transport parameter; validates port, fields and addresses. */
export function transportParameterSize(t: TransportParam, limits: Readonly<WireLimits>): number {
  const protocol = typeof t === 'object' && t !== null ? t.protocol : undefined;
  if (typeof protocol !== 'string' || !Object.hasOwn(TRANSPORT_TYPES, protocol)) {
    throw new InvalidArgumentError(`unknown transport protocol ${JSON.stringify(protocol)}`);
  }
  checkUint16(t.port, `${protocol} transport port`);
  let size = 8;
  if (t.protocol === 'sctp' || t.protocol === 'tcp') checkUint16(t.transportUse, `${protocol} transport use`);
  if (t.protocol === 'dccp') {
    checkUint32(t.serviceCode, 'DCCP service code');
    size += 4;
  }
  const addresses = t.addresses;
  if (!Array.isArray(addresses) || addresses.length < 1) {
    throw new InvalidArgumentError(`${protocol} transport needs at least one address`);
  }
  if (addresses.length > limits.maxAddressesPerTransport) {
    throw new InvalidArgumentError(`${addresses.length} addresses exceed the limit of ${limits.maxAddressesPerTransport}`);
  }
  // The family is decided by the text; the bytes are parsed (and validated) when written.
  for (const a of addresses) {
    if (typeof a !== 'string') throw new InvalidArgumentError(`IP address must be a string, got ${typeof a}`);
    size += a.includes(':') ? 20 : 8;
  }
  return size;
}

/** Writes a transport parameter (validated by {@link transportParameterSize}). */
export function writeTransportParameter(w: TlvWriter, t: TransportParam): void {
  const start = w.open(TRANSPORT_TYPES[t.protocol]);
  w.u16(t.port);
  if (t.protocol === 'sctp' || t.protocol === 'tcp') w.u16(t.transportUse);
  else w.u16(0);
  if (t.protocol === 'dccp') w.u32(t.serviceCode);
  for (const a of t.addresses) {
    const b = addressToBytes(a);
    const as = w.open(b.length === 4 ? ParameterType.IPV4_ADDRESS : ParameterType.IPV6_ADDRESS);
    w.raw(b);
    w.close(as);
  }
  w.close(start);
}

/** Reads the transport parameter (types 0x0003–0x0007) at the cursor. */
export function readTransportParameter(cur: TlvCursor): TransportParam {
  const { view, bytes, limits } = cur.ctx;
  const type = cur.type;
  const fixed = type === ParameterType.DCCP_TRANSPORT ? 8 : 4;
  if (cur.valueLength < fixed) invalid('truncated transport parameter', cur.offset);
  const port = view.getUint16(cur.valueStart);
  const use = view.getUint16(cur.valueStart + 2);
  const serviceCode = type === ParameterType.DCCP_TRANSPORT ? view.getUint32(cur.valueStart + 4) : 0;
  const addresses: string[] = [];
  const inner = new TlvCursor(cur.ctx, cur.valueStart + fixed, cur.valueEnd, cur.depth + 1);
  for (; inner.type !== -1; inner.advance()) {
    if (addresses.length >= limits.maxAddressesPerTransport) {
      invalid(`more than ${limits.maxAddressesPerTransport} addresses in a transport parameter`, inner.offset);
    }
    if (inner.type === ParameterType.IPV4_ADDRESS) {
      if (inner.valueLength !== 4) invalid(`IPv4 address parameter of length ${inner.valueLength + 4}`, inner.offset);
      addresses.push(formatIPv4(bytes, inner.valueStart));
    } else if (inner.type === ParameterType.IPV6_ADDRESS) {
      if (inner.valueLength !== 16) invalid(`IPv6 address parameter of length ${inner.valueLength + 4}`, inner.offset);
      addresses.push(formatIPv6(bytes, inner.valueStart));
    } else {
      inner.expectEnd('transport parameter');
    }
  }
  if (addresses.length === 0) invalid('transport parameter without an address', cur.offset);
  switch (type) {
    case ParameterType.SCTP_TRANSPORT:
      return { protocol: 'sctp', port, transportUse: use, addresses };
    case ParameterType.TCP_TRANSPORT:
      return { protocol: 'tcp', port, transportUse: use, addresses };
    case ParameterType.UDP_TRANSPORT:
      return { protocol: 'udp', port, addresses };
    case ParameterType.UDP_LITE_TRANSPORT:
      return { protocol: 'udp-lite', port, addresses };
    default:
      return { protocol: 'dccp', port, serviceCode, addresses };
  }
}

function isTransportType(type: number): boolean {
  return type >= ParameterType.DCCP_TRANSPORT && type <= ParameterType.UDP_LITE_TRANSPORT;
}

/** Reads a transport parameter at the cursor, refusing any other parameter type. */
export function expectTransportParameter(cur: TlvCursor, where: string): TransportParam {
  if (!isTransportType(cur.type)) cur.expect(ParameterType.SCTP_TRANSPORT, 'transport', where);
  return readTransportParameter(cur);
}

/** True when the cursor stands on a transport parameter. */
export function atTransportParameter(cur: TlvCursor): boolean {
  return isTransportType(cur.type);
}

// ------------------------------------------------------------- pool element

/** Padded size of a Pool Element parameter; validates all its fields. */
export function poolElementParameterSize(pe: PoolElementParam, limits: Readonly<WireLimits>): number {
  if (typeof pe !== 'object' || pe === null) throw new InvalidArgumentError('pool element must be an object');
  checkUint32(pe.peId, 'PE identifier');
  checkUint32(pe.homeRegistrarId, 'home registrar identifier');
  checkInt32(pe.registrationLife, 'registration life');
  let size = 16 + transportParameterSize(pe.userTransport, limits) + policyParameterSize(pe.policy);
  if (pe.asapTransport !== undefined) size += transportParameterSize(pe.asapTransport, limits);
  return size;
}

/** Writes a Pool Element parameter (validated by {@link poolElementParameterSize}). */
export function writePoolElementParameter(w: TlvWriter, pe: PoolElementParam): void {
  const start = w.open(ParameterType.POOL_ELEMENT);
  w.u32(pe.peId);
  w.u32(pe.homeRegistrarId);
  w.i32(pe.registrationLife);
  writeTransportParameter(w, pe.userTransport);
  writePolicyParameter(w, pe.policy);
  if (pe.asapTransport !== undefined) writeTransportParameter(w, pe.asapTransport);
  w.close(start);
}

/**
 * Reads the Pool Element parameter at the cursor: fixed fields, user
 * transport, policy and the optional ASAP transport. Counts towards the
 * per-message limit of pool elements.
 */
export function readPoolElementParameter(cur: TlvCursor): PoolElementParam {
  const ctx = cur.ctx;
  if (++ctx.poolElements > ctx.limits.maxPoolElements) {
    invalid(`more than ${ctx.limits.maxPoolElements} pool elements in one message`, cur.offset);
  }
  if (cur.valueLength < 12) invalid('truncated pool element parameter', cur.offset);
  const { view } = ctx;
  const p = cur.valueStart;
  const peId = view.getUint32(p);
  const homeRegistrarId = view.getUint32(p + 4);
  const registrationLife = view.getInt32(p + 8);
  const inner = new TlvCursor(ctx, p + 12, cur.valueEnd, cur.depth + 1);
  const userTransport = expectTransportParameter(inner, 'pool element');
  inner.advance();
  inner.expect(ParameterType.POOL_MEMBER_SELECTION_POLICY, 'selection policy', 'pool element');
  const policy = readPolicyParameter(inner);
  inner.advance();
  if (atTransportParameter(inner)) {
    const asapTransport = readTransportParameter(inner);
    inner.advance();
    inner.expectEnd('pool element');
    return { peId, homeRegistrarId, registrationLife, userTransport, policy, asapTransport };
  }
  inner.expectEnd('pool element');
  return { peId, homeRegistrarId, registrationLife, userTransport, policy };
}

// ------------------------------------------------------- server information

/** Padded size of a Server Information parameter; validates it. */
export function serverInfoParameterSize(info: ServerInfoParam, limits: Readonly<WireLimits>): number {
  if (typeof info !== 'object' || info === null) throw new InvalidArgumentError('server information must be an object');
  checkUint32(info.serverId, 'server identifier');
  return 8 + transportParameterSize(info.transport, limits);
}

/** Writes a Server Information parameter. */
export function writeServerInfoParameter(w: TlvWriter, info: ServerInfoParam): void {
  const start = w.open(ParameterType.SERVER_INFORMATION);
  w.u32(info.serverId);
  writeTransportParameter(w, info.transport);
  w.close(start);
}

/** Reads the Server Information parameter at the cursor. */
export function readServerInfoParameter(cur: TlvCursor): ServerInfoParam {
  if (cur.valueLength < 4) invalid('truncated server information parameter', cur.offset);
  const serverId = cur.ctx.view.getUint32(cur.valueStart);
  const inner = new TlvCursor(cur.ctx, cur.valueStart + 4, cur.valueEnd, cur.depth + 1);
  const transport = expectTransportParameter(inner, 'server information');
  inner.advance();
  inner.expectEnd('server information');
  return { serverId, transport };
}

// ---------------------------------------------------------- operation error

/** Padded size of an Operation Error parameter; validates the causes. */
export function operationErrorParameterSize(causes: readonly ErrorCause[], limits: Readonly<WireLimits>): number {
  if (!Array.isArray(causes)) throw new InvalidArgumentError('operation error causes must be an array');
  if (causes.length > limits.maxErrorCauses) {
    throw new InvalidArgumentError(`${causes.length} error causes exceed the limit of ${limits.maxErrorCauses}`);
  }
  let size = 4;
  for (const c of causes) {
    if (typeof c !== 'object' || c === null) throw new InvalidArgumentError('error cause must be an object');
    checkUint16(c.code, 'error cause code');
    checkBytes(c.info, 'error cause information');
    size += pad4(4 + c.info.length);
  }
  return size;
}

/** Writes an Operation Error parameter. */
export function writeOperationErrorParameter(w: TlvWriter, causes: readonly ErrorCause[]): void {
  const start = w.open(ParameterType.OPERATION_ERROR);
  for (const c of causes) {
    const cs = w.open(c.code);
    w.raw(c.info);
    w.close(cs);
  }
  w.close(start);
}

/** Reads the Operation Error parameter at the cursor; unknown cause codes are kept. */
export function readOperationErrorParameter(cur: TlvCursor): ErrorCause[] {
  const { view, bytes, limits } = cur.ctx;
  const causes: ErrorCause[] = [];
  const end = cur.valueEnd;
  let pos = cur.valueStart;
  while (pos < end) {
    if (causes.length >= limits.maxErrorCauses) invalid(`more than ${limits.maxErrorCauses} error causes`, pos);
    if (end - pos < 4) invalid('truncated error cause', pos);
    const code = view.getUint16(pos);
    const length = view.getUint16(pos + 2);
    if (length < 4) invalid(`error cause length ${length} below 4`, pos);
    if (length > end - pos) invalid(`error cause length ${length} exceeds its parameter`, pos);
    causes.push({ code, info: bytes.slice(pos + 4, pos + length) });
    pos += pad4(length);
  }
  return causes;
}
