/**
 * Typed access to the CommonJS classes of the npm `sctp@1.0.0` package that
 * the UDP endpoint drives directly (`Endpoint`, `Association`, `Chunk`,
 * `Packet`). Only the members used by this layer are typed; everything else
 * stays opaque. The run-time repairs in `./sctp-repairs/` patch the same
 * module instances (Node's require cache), so they apply here too.
 *
 * @module
 * @internal
 */
import { createRequire } from 'node:module';
import type { EventEmitter as NodeEventEmitter } from 'node:events';

const require = createRequire(import.meta.url);

/** The transport object an sctp `Endpoint` sends through. */
export interface SctpTransportLike {
  sendPacket(src: string | undefined, dst: string, packet: SctpPacket, callback?: (error?: Error | null) => void): boolean | void;
  unallocate(port: number): void;
  register?(endpoint: SctpEndpoint): SctpEndpoint | undefined;
}

/** sctp's decoded packet: header fields plus raw chunk buffers. */
export interface SctpPacket {
  src_port: number;
  dst_port: number;
  v_tag: number;
  checksum?: number;
  chunks?: Buffer[];
  checksum_error?: boolean;
  length_error?: boolean;
}

/** sctp's `Endpoint` (one SCTP port); the endpoint of this layer uses it for cookies and dispatch. */
export interface SctpEndpoint extends NodeEventEmitter {
  localPort: number;
  localAddress?: string[];
  localActiveAddress?: string;
  a_rwnd: number;
  MIS: number;
  OS: number;
  transport: SctpTransportLike;
  associations_lookup: Record<string, SctpAssociation>;
  associations: SctpAssociation[];
  _cookieInterval?: ReturnType<typeof setInterval>;
  onPacket(packet: SctpPacket, src: string, dst: string | undefined): void;
  ASSOCIATE(options: Record<string, unknown>): SctpAssociation;
  _destroy(): void;
}

/** sctp's `Association` (RFC 4960 TCB plus ULP primitives). */
export interface SctpAssociation extends NodeEventEmitter {
  state: string;
  endpoint?: SctpEndpoint;
  localPort: number;
  remoteAddress?: string;
  remotePort: number;
  my_tag: number;
  peer_tag?: number;
  OS: number;
  MIS: number;
  PMTU: number;
  cwnd: number;
  flightsize: number;
  peer_rwnd: number;
  mute: boolean;
  queue: unknown[];
  readBuffer: Buffer[];
  SEND(buffer: Buffer, options: { stream_id?: number; ppid?: number; unordered?: boolean }, callback: (error?: Error, lastTsn?: number) => void): boolean;
  SHUTDOWN(callback?: () => void): void;
  ABORT(reason?: string): void;
  RECEIVE(): (Buffer & { ppid?: number }) | undefined;
  _destroy(): void;
}

interface SctpEndpointConstructor {
  new (options: Record<string, unknown>): SctpEndpoint;
}

/** `require('sctp/lib/endpoint')`. */
export const SctpEndpointClass = require('sctp/lib/endpoint.js') as SctpEndpointConstructor;
/** `require('sctp/lib/association')`, for prototype checks. */
export const SctpAssociationClass = require('sctp/lib/association.js') as { prototype: SctpAssociation };
/** `require('sctp/lib/packet')`. */
export const SctpPacketClass = require('sctp/lib/packet.js') as { fromBuffer(buffer: Buffer): SctpPacket | false };
