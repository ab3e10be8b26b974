/**
 * The registrar's view of the ASAP codec: decodes what a registrar can
 * receive into a small request union and builds the messages it sends.
 * Keeping this in one module means the registrar logic never touches wire
 * layouts.
 *
 * @module
 */
import { decodeMessage, encodeMessage, PPID_ASAP } from '../wire/messages.js';
import { resolveWireLimits, type WireLimits } from '../wire/limits.js';
import { poolHandleParameterSize, transportParameterSize, writePeIdParameter, writePoolHandleParameter, writeTransportParameter } from '../wire/parameters.js';
import { TlvWriter } from '../wire/tlv-writer.js';
import type { ErrorCause, PoolElementParam, PoolHandle, TransportParam } from '../wire/types.js';

/** A decoded message the registrar acts on. */
export type AsapRequest =
  | { kind: 'registration'; poolHandle: PoolHandle; pe: PoolElementParam }
  | { kind: 'deregistration'; poolHandle: PoolHandle; peId: number }
  | { kind: 'handle-resolution'; poolHandle: PoolHandle; items: number | undefined }
  | { kind: 'keep-alive-ack'; poolHandle: PoolHandle; peId: number }
  | { kind: 'endpoint-unreachable'; poolHandle: PoolHandle; peId: number }
  | { kind: 'error'; causes: ErrorCause[] }
  | { kind: 'other'; name: string };

/** Encoder/decoder bound to one set of wire limits. */
export class RegistrarCodec {
  private readonly limits: Readonly<WireLimits>;

  constructor(limits: Partial<WireLimits>) {
    this.limits = resolveWireLimits(limits);
  }

  /**
   * Decodes one ASAP message.
   *
   * @throws ProtocolError for malformed input
   */
  decode(bytes: Uint8Array): AsapRequest {
    const m = decodeMessage(PPID_ASAP, bytes, this.limits);
    if (m.protocol !== 'asap') return { kind: 'other', name: `${m.protocol}:${m.type}` };
    switch (m.type) {
      case 'registration':
        return { kind: 'registration', poolHandle: m.poolHandle, pe: m.poolElement };
      case 'deregistration':
        return { kind: 'deregistration', poolHandle: m.poolHandle, peId: m.peId };
      case 'handle-resolution':
        return { kind: 'handle-resolution', poolHandle: m.poolHandle, items: m.items };
      case 'endpoint-keep-alive-ack':
        return { kind: 'keep-alive-ack', poolHandle: m.poolHandle, peId: m.peId };
      case 'endpoint-unreachable':
        return { kind: 'endpoint-unreachable', poolHandle: m.poolHandle, peId: m.peId };
      case 'error':
        return { kind: 'error', causes: m.operationError };
      default:
        return { kind: 'other', name: m.type };
    }
  }

  /** ASAP_REGISTRATION_RESPONSE; with `cause` the R flag is set. */
  registrationResponse(poolHandle: PoolHandle, peId: number, cause?: ErrorCause): Uint8Array {
    if (cause === undefined) return handleAndPeId(0x03, 0, poolHandle, peId);
    return encodeMessage(
      cause
        ? { protocol: 'asap', type: 'registration-response', rejected: true, poolHandle, peId, operationError: [cause] }
        : { protocol: 'asap', type: 'registration-response', poolHandle, peId },
      this.limits,
    );
  }

  /** ASAP_DEREGISTRATION_RESPONSE, optionally with an Operation Error. */
  deregistrationResponse(poolHandle: PoolHandle, peId: number, cause?: ErrorCause): Uint8Array {
    if (cause === undefined) return handleAndPeId(0x04, 0, poolHandle, peId);
    return encodeMessage(
      cause
        ? { protocol: 'asap', type: 'deregistration-response', poolHandle, peId, operationError: [cause] }
        : { protocol: 'asap', type: 'deregistration-response', poolHandle, peId },
      this.limits,
    );
  }

  /**
   * ASAP_HANDLE_RESOLUTION_RESPONSE with the selected PEs; the Overall
   * Selection Policy is the first PE's (spec §11, §0.5). PEs are sent without
   * their ASAP transport, as the reference implementation does.
   */
  handleResolutionResponse(poolHandle: PoolHandle, pes: readonly PoolElementParam[]): Uint8Array {
    const poolElements = pes.map((p) => (p.asapTransport === undefined ? p : { peId: p.peId, homeRegistrarId: p.homeRegistrarId, registrationLife: p.registrationLife, userTransport: p.userTransport, policy: p.policy }));
    return encodeMessage({ protocol: 'asap', type: 'handle-resolution-response', poolHandle, policy: pes[0]!.policy, poolElements }, this.limits);
  }

  /** ASAP_HANDLE_RESOLUTION_RESPONSE carrying only an Operation Error. */
  handleResolutionError(poolHandle: PoolHandle, cause: ErrorCause): Uint8Array {
    return encodeMessage({ protocol: 'asap', type: 'handle-resolution-response', poolHandle, poolElements: [], operationError: [cause] }, this.limits);
  }

  /** ASAP_ENDPOINT_KEEP_ALIVE with the PE identifier (spec §0.6). */
  keepAlive(serverId: number, poolHandle: PoolHandle, peId: number, home: boolean): Uint8Array {
    return handleAndPeId(0x07, home ? 1 : 0, poolHandle, peId, serverId);
  }

  /** ASAP_SERVER_ANNOUNCE with our SCTP transports. */
  serverAnnounce(serverId: number, transports: TransportParam[]): Uint8Array {
    return encodeMessage({ protocol: 'asap', type: 'server-announce', serverId, transports }, this.limits);
  }

  /** ASAP_ERROR with one cause. */
  error(cause: ErrorCause): Uint8Array {
    return encodeMessage({ protocol: 'asap', type: 'error', operationError: [cause] }, this.limits);
  }

  /** A Pool Handle parameter (cause information for "invalid values"). */
  poolHandleParameter(poolHandle: PoolHandle): Uint8Array {
    const w = new TlvWriter(poolHandleParameterSize(poolHandle, { ...this.limits, maxPoolHandleLength: 65000 }));
    writePoolHandleParameter(w, poolHandle);
    return w.bytes;
  }

  /** A PE Identifier parameter (cause information). */
  peIdParameter(peId: number): Uint8Array {
    const w = new TlvWriter(8);
    writePeIdParameter(w, peId);
    return w.bytes;
  }

  /** A transport parameter (cause information); empty if it cannot be encoded. */
  transportParameter(t: TransportParam): Uint8Array {
    try {
      const w = new TlvWriter(transportParameterSize(t, this.limits));
      writeTransportParameter(w, t);
      return w.bytes;
    } catch {
      return new Uint8Array(0);
    }
  }
}

/**
 * Hot-path encoder for the registrar's most frequent messages, byte-identical
 * to `encodeMessage` (checked by the unit tests): header, optional 32-bit
 * server identifier, Pool Handle parameter, PE Identifier parameter.
 */
function handleAndPeId(type: number, flags: number, poolHandle: Uint8Array, peId: number, serverId?: number): Uint8Array {
  const hl = poolHandle.length;
  const hpad = (hl + 3) & ~3;
  const fixed = serverId === undefined ? 0 : 4;
  const size = 4 + fixed + 4 + hpad + 8;
  const b = new Uint8Array(size);
  b[0] = type;
  b[1] = flags;
  b[2] = size >>> 8;
  b[3] = size & 0xff;
  let o = 4;
  if (serverId !== undefined) {
    b[4] = serverId >>> 24;
    b[5] = (serverId >>> 16) & 0xff;
    b[6] = (serverId >>> 8) & 0xff;
    b[7] = serverId & 0xff;
    o = 8;
  }
  const plen = 4 + hl;
  b[o] = 0x00;
  b[o + 1] = 0x09;
  b[o + 2] = plen >>> 8;
  b[o + 3] = plen & 0xff;
  b.set(poolHandle, o + 4);
  o += 4 + hpad;
  b[o + 1] = 0x0e;
  b[o + 3] = 8;
  b[o + 4] = peId >>> 24;
  b[o + 5] = (peId >>> 16) & 0xff;
  b[o + 6] = (peId >>> 8) & 0xff;
  b[o + 7] = peId & 0xff;
  return b;
}
