/**
 * SCTP over UDP encapsulation (RFC 6951): one UDP socket per endpoint
 * serving many associations of the npm `sctp` protocol machine.
 *
 * The endpoint owns the socket and does the demultiplexing itself: every
 * datagram is checked (length, CRC32c, chunk framing) before any SCTP state
 * is touched, then routed by remote UDP address and port plus SCTP source
 * and destination ports, then by verification tag, to exactly one
 * association. Each association gets its own *link*: a view of the shared
 * sctp `Endpoint` (prototype chain, so cookies, tuning and repairs are
 * shared) whose transport sends to that peer's learnt UDP address and port.
 * Packets that match no association get the stateless answers of RFC 4960
 * §8.4; state is only created for a valid COOKIE ECHO to a listening
 * endpoint (the INIT itself is answered statelessly).
 *
 * Convention: the endpoint's UDP port equals its SCTP port, so an RSerPool
 * transport address (IP, SCTP port) is enough to reach it.
 *
 * Outgoing associations use, by default, their own *connected* UDP socket:
 * the kernel then reports ICMP port unreachable (peer process gone) as
 * `ECONNREFUSED` within milliseconds, and a tiny probe datagram every
 * `probeInterval` ms on an otherwise quiet association turns a killed peer
 * process into a close within about that interval. Peers reply to the UDP
 * source port they learn from our packets, as RFC 6951 §5.4 asks.
 *
 * @module
 */
import { checkRemote, positiveInt, tuningFrom } from './endpoint-options.js';
import { needsLookup, resolveTransportAddress } from './resolve-host.js';
// The global `performance` is an accessor property: bound once here, not looked up per packet.
import { performance } from 'node:perf_hooks';
import dgram from 'node:dgram';
import net from 'node:net';
import { crc32c } from '@node-rs/crc32';
import { EventEmitter } from 'eventemitter3';
import { AbortError, ClosedError, InvalidArgumentError, TimeoutError } from '../errors.js';
import {
  DEFAULT_CLOSE_TIMEOUT,
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_MAX_MESSAGE_SIZE,
  SctpTransportAssociation,
} from './association.js';
import { ConnectionRefusedError, TransportError } from './errors.js';
import {
  ChunkType,
  MIN_PACKET_LENGTH,
  buildPacket,
  controlChunk,
  hasChunk,
  scanChunks,
  verifyChecksum,
  type ChunkSummary,
} from './sctp-packet.js';
import {
  SctpEndpointClass,
  type SctpAssociation,
  type SctpEndpoint,
  type SctpPacket,
  type SctpTransportLike,
} from './sctp-lib.js';
import { quietLoggers, slimAssociation } from './sctp-slim.js';
import { fastPathEligible, receiveFast } from './sctp-fastpath.js';
import {
  associate,
  installSctpRepairs,
  packetTooBig,
  setEndpointTuning,
  setPathMtu,
  type SctpTuningOptions,
} from './sctp-repairs/index.js';
import { DOUBLE_ZERO } from './sctp-repairs/state.js';
import { pathMtuTo, sctpPacketSizeForUdp, udpOverhead } from './path-mtu.js';
import { EncapsulationPort, SCTP_UDP_TUNNELING_PORT, checkUdpPort, type EncapsulationReceiver } from './udp-encapsulation-port.js';
import type {
  Association,
  CloseReason,
  ConnectOptions,
  Endpoint,
  EndpointEvents,
  FailureDetectionOptions,
  TransportAddress,
} from './types.js';

/** UDP header length; RFC 6951 §5.6: the SCTP path MTU is this much smaller. */
export const UDP_HEADER_LENGTH = 8;
/** Default link MTU the endpoint sizes packets for (no IP fragmentation at 1500). */
export const DEFAULT_LINK_MTU = 1500;
/** Default connect timeout (ms). */
export const DEFAULT_CONNECT_TIMEOUT = 5000;
/** Default interval of liveness probes on connected sockets (ms). */
export const DEFAULT_PROBE_INTERVAL = 40;
/** Default number of SCTP streams offered in each direction. */
export const DEFAULT_STREAMS = 16;
/** Default UDP socket buffer sizes requested from the kernel (bytes; capped by the kernel). */
export const DEFAULT_SOCKET_BUFFER = 4 * 1024 * 1024;
/** Stateless ABORT / SHUTDOWN COMPLETE replies allowed per second (RFC 4960 §8.4 abuse guard). */
export const DEFAULT_OOTB_REPLIES_PER_SECOND = 1000;

/** Options of {@link createUdpEndpoint}. */
export interface UdpEndpointOptions extends FailureDetectionOptions {
  /** Local IP address to bind; default `127.0.0.1` (`::1` with `ipv6`). Use `0.0.0.0` / `::` for all. */
  address?: string;
  /** UDP port = SCTP port; 0 (default) picks an ephemeral port and uses it for both. */
  port?: number;
  /** Use an IPv6 socket; default: derived from `address`. */
  ipv6?: boolean;
  /** Accept associations (emit `association`); default false (connect only). */
  listen?: boolean;
  /** SCTP streams offered in each direction; default 16. */
  streams?: number;
  /** Largest message accepted by `send()` and expected from peers; default 1 MiB. */
  maxMessageSize?: number;
  /** Write-queue size in bytes at which associations arm `drain`; default 1 MiB. */
  highWaterMark?: number;
  /** Receive window advertised to peers in bytes; default max(4 MiB, 2 × maxMessageSize). */
  receiveWindow?: number;
  /**
   * Link MTU the packets are sized for (IP + UDP + SCTP ≤ mtu), fixed for every
   * destination. Default: per destination — the loopback interface's MTU for
   * this host's own addresses, the interface's MTU for a destination on a local
   * link, otherwise 1,500 raised by path MTU discovery (RFC 8899) up to the
   * outgoing interface's MTU.
   */
  mtu?: number;
  /** Default of {@link UdpConnectOptions.ownSocket}; default true. */
  ownSocket?: boolean;
  /** Default of {@link UdpConnectOptions.probeInterval}; default 40 ms. */
  probeInterval?: number;
  /** Default connect timeout in ms; default 5000. */
  connectTimeout?: number;
  /** Time a graceful `close()` of an association may take before it aborts, ms; default 3000. */
  closeTimeout?: number;
  /** Set SO_REUSEADDR on the endpoint socket (to share the port with a multicast channel bound to the wildcard). */
  reuseAddr?: boolean;
  /** Requested SO_RCVBUF / SO_SNDBUF in bytes (the kernel caps them); default 4 MiB. */
  socketBufferSize?: number;
  /**
   * Verify the CRC32c of DATA/SACK packets that arrive from a loopback
   * address (127.0.0.0/8, `::1`) too. Default false: the kernel's loopback
   * device never corrupts a datagram, so a packet of an established
   * association that holds only DATA and SACK chunks and comes from a loopback
   * address is not checked again. Every other packet (control chunks, out of
   * the blue, any other source address) is always verified, and every packet
   * sent carries a correct CRC32c.
   */
  verifyLoopbackChecksums?: boolean;
  /**
   * Standard RFC 6951 encapsulation as kernel SCTP, usrsctp and sctplib do
   * it: every SCTP endpoint of the process shares one UDP port
   * ({@link UdpEndpointOptions.udpPort}) and `port` is only the SCTP port.
   * Peers are reached at their {@link UdpEndpointOptions.remoteUdpPort}.
   * `ownSocket` then defaults to false. Default false (UDP port = SCTP port).
   */
  standard?: boolean;
  /** With `standard`: the shared local UDP port; default 9899 (0 = ephemeral, shared by all that ask for 0). */
  udpPort?: number;
  /** With `standard`: the UDP port peers listen on; default 9899. */
  remoteUdpPort?: number;
}

/** Options of {@link UdpEndpoint.connect}. */
export interface UdpConnectOptions extends ConnectOptions {
  /**
   * Send and receive this association's packets on its own connected UDP
   * socket (ephemeral local UDP port, same SCTP port) so that ICMP errors
   * reach it: a dead peer process is noticed within milliseconds. Default:
   * the endpoint's `ownSocket` (true). Requires a peer that replies to the
   * UDP source port it sees (RFC 6951 §5.4; this library does).
   */
  ownSocket?: boolean;
  /**
   * With `ownSocket`: interval in ms of a zero-length probe datagram sent
   * while nothing else was sent, which makes the kernel report a closed
   * peer port quickly; 0 disables. Default: the endpoint's (40 ms).
   */
  probeInterval?: number;
}

/** Counters of an endpoint (all sockets of it). */
export interface UdpEndpointStats {
  /** Datagrams received (endpoint and per-association sockets). */
  datagramsReceived: number;
  /** SCTP packets that passed validation and were routed. */
  packetsReceived: number;
  /** SCTP packets sent. */
  packetsSent: number;
  /** Datagrams too short to be SCTP (not counting zero-length probes). */
  nonSctp: number;
  /** Datagrams dropped because their CRC32c did not match. */
  badChecksum: number;
  /** Packets with a valid checksum but broken chunk framing. */
  malformed: number;
  /** Packets that matched no association ("out of the blue"). */
  outOfTheBlue: number;
  /** Stateless ABORTs sent in answer to out-of-the-blue packets or refused INITs. */
  abortsSent: number;
  /** Stateless replies suppressed by the rate limit. */
  repliesSuppressed: number;
  /** INITs answered with an INIT ACK (listening endpoints). */
  initsAnswered: number;
  /** Associations accepted (listening endpoints). */
  associationsAccepted: number;
  /** Exceptions raised by the protocol machine while processing a packet (should stay 0). */
  protocolExceptions: number;
  /** Zero-length liveness probes received. */
  probesReceived: number;
  /** Send errors reported by the sockets. */
  sendErrors: number;
}

const LINK = Symbol('rserpool.udp.link');

/** Bit set (as in `ChunkSummary.types`) of DATA and SACK. */
const DATA_SACK_TYPES = (1 << ChunkType.DATA) | (1 << ChunkType.SACK);

/** True when the packet holds only DATA and SACK chunks. */
function onlyDataAndSack(summary: ChunkSummary): boolean {
  return (summary.types & ~DATA_SACK_TYPES) === 0;
}

/**
 * True for a source address on the loopback network (127.0.0.0/8, `::1`).
 * Linux drops packets with such a source that arrive on any other interface
 * (martians), so these come through the loopback device. A prefix test, per
 * packet: only for the canonical text the socket reports, never for text
 * from the network (the HTTP guard checks `Host` names with `addressScope`).
 */
function isSourceOnLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1';
}
const EMPTY = Buffer.alloc(0);

type LinkView = SctpEndpoint & { [LINK]?: Link };

function linkKey(address: string, udpPort: number, sctpPort: number): string {
  return `${address}|${udpPort}|${sctpPort}`;
}

/**
 * One peer path of one association: where its packets go (socket, remote
 * UDP address and port) and the sctp endpoint view its association uses.
 * It is the sctp transport of that view.
 */
class Link implements SctpTransportLike {
  readonly view: LinkView;
  sctp: SctpAssociation | undefined;
  association: SctpTransportAssociation | undefined;
  /** Liveness-probe interval of this link in ms (0: none). */
  probeInterval = 0;
  /** performance.now() of the last packet sent (a double from the start, see DOUBLE_ZERO). */
  lastSend = DOUBLE_ZERO;
  registered = false;
  disposed = false;

  constructor(
    readonly endpoint: UdpEndpoint,
    readonly socket: dgram.Socket,
    readonly connected: boolean,
    readonly address: string,
    readonly udpPort: number,
    readonly sctpPort: number,
  ) {
    const view = Object.create(endpoint.sctpEndpoint) as LinkView;
    view.transport = this;
    view.associations_lookup = {};
    view.associations = [];
    view[LINK] = this;
    this.view = view;
  }

  get key(): string {
    return linkKey(this.address, this.udpPort, this.sctpPort);
  }

  sendPacket(_src: string | undefined, _dst: string, packet: SctpPacket, callback?: (error?: Error | null) => void): boolean {
    this.lastSend = performance.now();
    this.endpoint.transmit(this.socket, this.connected, packetBuffers(packet), this.udpPort, this.address, callback, this);
    return true;
  }

  /**
   * Sends one encoded SCTP packet (see `sendFramed` of the repairs) as it is:
   * one I/O vector entry, no packet object.
   */
  sendEncoded(packet: Buffer): void {
    this.lastSend = performance.now();
    this.endpoint.transmit(this.socket, this.connected, packet, this.udpPort, this.address, undefined, this);
  }

  unallocate(): void {}

  register(): undefined {
    return undefined;
  }

  onSocketError(error: NodeJS.ErrnoException): void {
    const association = this.association;
    if (!association) return;
    if (error.code === 'EMSGSIZE') {
      // ICMP "fragmentation needed" / "packet too big" on the connected socket.
      if (this.sctp) packetTooBig(this.sctp);
      return;
    }
    if (error.code === 'ECONNREFUSED' || error.code === 'EHOSTUNREACH' || error.code === 'ENETUNREACH') {
      const up = association.established || this.sctp?.state === 'ESTABLISHED';
      const reason: CloseReason = up ? 'unreachable' : 'refused';
      const err =
        reason === 'refused'
          ? new ConnectionRefusedError(`Connection to ${this.address}:${this.udpPort} refused (${error.code})`, { reason, cause: error })
          : new TransportError(`Peer ${this.address}:${this.udpPort} unreachable (${error.code})`, { reason, cause: error });
      association.terminate(reason, err, false);
    } else {
      association.emit('error', new TransportError(`UDP socket error: ${error.message}`, { cause: error }));
    }
  }

  /** Sends a liveness probe unless something was sent within `interval` ms. */
  probe(interval: number, now: number): void {
    if (this.disposed || now - this.lastSend < interval) return;
    this.lastSend = now;
    try {
      this.socket.send(EMPTY, (error) => {
        if (error) this.onSocketError(error as NodeJS.ErrnoException);
      });
    } catch {
      /* socket closing */
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.probeInterval > 0) this.endpoint.stopProbing(this);
    if (this.connected) this.endpoint.closeSocket(this.socket);
  }
}

const familyCache = new Map<string, number>();

/**
 * Address "resolution" for the endpoint's sockets: peers are always IP
 * literals, so answer synchronously instead of paying `dns.lookup`'s
 * deferred callback on every datagram.
 */
function literalLookup(
  address: string,
  _options: unknown,
  callback: (error: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  let family = familyCache.get(address);
  if (family === undefined) {
    family = net.isIP(address);
    if (familyCache.size > 4096) familyCache.clear();
    familyCache.set(address, family);
  }
  if (family === 0) {
    const error = new Error(`Not an IP address: ${address}`) as NodeJS.ErrnoException;
    error.code = 'EINVAL';
    callback(error, address, 0);
    return;
  }
  callback(null, address, family);
}

/** The common header plus the chunks of an sctp packet object, CRC32c filled in. */
function packetBuffers(packet: SctpPacket): Buffer[] {
  const chunks = packet.chunks ?? [];
  let largest = 0;
  for (const chunk of chunks) if (chunk.length > largest) largest = chunk.length;
  // Packets of small pieces (small packets, bundled messages): one buffer (one I/O vector entry,
  // one checksum call). Packets with a large piece keep the payload views of the send path however
  // many pieces they have, so a bulk transfer is never copied here.
  if (largest <= SMALL_PACKET) return [packetBuffer(packet, chunks)];
  const header = Buffer.allocUnsafe(12);
  header.writeUInt16BE(packet.src_port, 0);
  header.writeUInt16BE(packet.dst_port, 2);
  header.writeUInt32BE(packet.v_tag >>> 0, 4);
  header.writeUInt32LE(0, 8);
  const out: Buffer[] = [header];
  let crc = crc32c(header);
  for (const chunk of chunks) {
    out.push(chunk);
    crc = crc32c(chunk, crc);
    const pad = (4 - (chunk.length & 3)) & 3;
    if (pad) {
      const zeros = PADDING[pad]!;
      out.push(zeros);
      crc = crc32c(zeros, crc);
    }
  }
  header.writeUInt32LE(crc >>> 0, 8);
  return out;
}

/**
 * A packet of small or many pieces (bundled messages) as one buffer: one
 * copy is cheaper than a checksum call and an I/O vector entry per piece.
 */
function packetBuffer(packet: SctpPacket, chunks: Buffer[]): Buffer {
  let length = 12;
  for (const chunk of chunks) length += (chunk.length + 3) & ~3;
  const out = Buffer.allocUnsafe(length);
  out.writeUInt16BE(packet.src_port, 0);
  out.writeUInt16BE(packet.dst_port, 2);
  out.writeUInt32BE(packet.v_tag >>> 0, 4);
  out.writeUInt32LE(0, 8);
  let offset = 12;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
    while (offset & 3) out[offset++] = 0;
  }
  out.writeUInt32LE(crc32c(out) >>> 0, 8);
  return out;
}

const SMALL_PACKET = 4096;
const PADDING = [Buffer.alloc(0), Buffer.alloc(1), Buffer.alloc(2), Buffer.alloc(3)];

/** Reply path for stateless answers (INIT ACK) through a throw-away view. */
function replyView(endpoint: UdpEndpoint, socket: dgram.Socket, connected: boolean, address: string, port: number, sctpPort: number): LinkView {
  return new Link(endpoint, socket, connected, address, port, sctpPort).view;
}

function isIPv6(address: string): boolean {
  return net.isIPv6(address);
}

function bindSocket(socket: dgram.Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      socket.removeListener('listening', onListening);
      reject(error);
    };
    const onListening = (): void => {
      socket.removeListener('error', onError);
      resolve();
    };
    socket.once('error', onError);
    socket.once('listening', onListening);
    socket.bind({ port, address, exclusive: true });
  });
}

function connectSocket(socket: dgram.Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.connect(port, address, (error?: Error) => (error ? reject(error) : resolve()));
  });
}



/**
 * An SCTP endpoint on one UDP port (RFC 6951 encapsulation). Create it with
 * {@link createUdpEndpoint}.
 */
export class UdpEndpoint extends EventEmitter<EndpointEvents> implements Endpoint {
  /** Local transport address; `port` is both the UDP and the SCTP port. */
  readonly local: TransportAddress;
  /** Counters; see {@link UdpEndpointStats}. */
  readonly stats: UdpEndpointStats = {
    datagramsReceived: 0,
    packetsReceived: 0,
    packetsSent: 0,
    nonSctp: 0,
    badChecksum: 0,
    malformed: 0,
    outOfTheBlue: 0,
    abortsSent: 0,
    repliesSuppressed: 0,
    initsAnswered: 0,
    associationsAccepted: 0,
    protocolExceptions: 0,
    probesReceived: 0,
    sendErrors: 0,
  };

  /** @internal The shared sctp endpoint (cookie secret, tuning); links are views of it. */
  readonly sctpEndpoint: SctpEndpoint;

  private readonly socket: dgram.Socket;
  private readonly family: 4 | 6;
  private readonly options: Required<
    Pick<
      UdpEndpointOptions,
      'maxMessageSize' | 'highWaterMark' | 'ownSocket' | 'probeInterval' | 'connectTimeout' | 'closeTimeout' | 'socketBufferSize' | 'streams'
    >
  >;
  private readonly tuning: SctpTuningOptions;
  /** The `mtu` option (same link MTU for every destination), if given. */
  private readonly fixedMtu: number | undefined;
  /** Skip the CRC32c check of DATA/SACK packets from loopback addresses (see {@link UdpEndpointOptions.verifyLoopbackChecksums}). */
  private readonly trustLoopback: boolean;
  private readonly links = new Map<string, Link | Link[]>();
  /** The entry of {@link links} found last, by its key's parts; cleared whenever the table changes. */
  private lastLookup: { address: string; udpPort: number; sctpPort: number; entry: Link | Link[] } | undefined = undefined;
  private readonly associations = new Set<SctpTransportAssociation>();
  private readonly sockets = new Set<dgram.Socket>();
  private listening: boolean;
  private closed = false;
  private closing: Promise<void> | undefined;
  private replyBudget = DEFAULT_OOTB_REPLIES_PER_SECOND;
  private replyWindow = 0;
  /** Standard encapsulation: the shared port, our SCTP port on it and the peers' UDP port. */
  private readonly shared: { port: EncapsulationPort; receiver: EncapsulationReceiver; remoteUdpPort: number } | undefined;

  /** @internal Use {@link createUdpEndpoint}. */
  constructor(
    socket: dgram.Socket,
    options: UdpEndpointOptions,
    family: 4 | 6,
    shared?: { port: EncapsulationPort; receiver: EncapsulationReceiver; address: string; sctpPort: number; remoteUdpPort: number },
  ) {
    super();
    this.socket = socket;
    if (!shared) this.sockets.add(socket);
    this.family = family;
    const bound = socket.address();
    this.local = shared ? { address: shared.address, port: shared.sctpPort } : { address: bound.address, port: bound.port };
    this.listening = options.listen ?? false;
    const maxMessageSize = positiveInt(options.maxMessageSize, 'maxMessageSize', DEFAULT_MAX_MESSAGE_SIZE, 1, 64 * 1024 * 1024);
    this.options = {
      maxMessageSize,
      highWaterMark: positiveInt(options.highWaterMark, 'highWaterMark', DEFAULT_HIGH_WATER_MARK, 1),
      ownSocket: options.ownSocket ?? !shared,
      probeInterval: positiveInt(options.probeInterval, 'probeInterval', DEFAULT_PROBE_INTERVAL),
      connectTimeout: positiveInt(options.connectTimeout, 'connectTimeout', DEFAULT_CONNECT_TIMEOUT, 1),
      closeTimeout: positiveInt(options.closeTimeout, 'closeTimeout', DEFAULT_CLOSE_TIMEOUT, 1),
      socketBufferSize: positiveInt(options.socketBufferSize, 'socketBufferSize', DEFAULT_SOCKET_BUFFER, 4096),
      streams: positiveInt(options.streams, 'streams', DEFAULT_STREAMS, 1, 0xffff),
    };
    this.fixedMtu = options.mtu === undefined ? undefined : positiveInt(options.mtu, 'mtu', DEFAULT_LINK_MTU, 576, 65535);
    this.trustLoopback = options.verifyLoopbackChecksums !== true;
    // Until a destination is known (and for the shared tuning): a 1,500-byte link.
    const maxPacketSize = sctpPacketSizeForUdp(this.fixedMtu ?? DEFAULT_LINK_MTU, family);
    const receiveWindow = positiveInt(options.receiveWindow, 'receiveWindow', Math.max(4 * 1024 * 1024, 2 * maxMessageSize), 1500);
    this.tuning = { ...tuningFrom(options), receiveWindow };
    (this.tuning as Record<string, unknown>)['maxPacketSize'] = maxPacketSize;

    const sctpEndpoint = new SctpEndpointClass({
      localPort: this.local.port,
      MIS: this.options.streams,
      OS: this.options.streams,
      a_rwnd: receiveWindow,
    });
    // The shared endpoint never sends itself; its views (links) do.
    sctpEndpoint.transport = { sendPacket: () => false, unallocate: () => {} };
    sctpEndpoint._cookieInterval?.unref?.();
    quietLoggers(sctpEndpoint);
    setEndpointTuning(sctpEndpoint, this.tuning);
    sctpEndpoint.on('association', (sctp: SctpAssociation) => this.adoptPassive(sctp));
    this.sctpEndpoint = sctpEndpoint;

    if (shared) {
      this.shared = { port: shared.port, receiver: shared.receiver, remoteUdpPort: shared.remoteUdpPort };
    } else {
      this.shared = undefined;
      socket.on('message', (data, rinfo) => this.receive(data, rinfo, socket, undefined));
      socket.on('error', (error) => this.emit('error', new TransportError(`UDP socket error: ${error.message}`, { cause: error })));
    }
  }

  /** @internal A datagram for this endpoint's SCTP port from the shared encapsulation port. */
  receiveShared(data: Buffer, rinfo: dgram.RemoteInfo): void {
    if (!this.closed) this.receive(data, rinfo, this.socket, undefined);
  }

  /**
   * The local UDP port: equal to `local.port` by default; with `standard`
   * the process's shared encapsulation port (9899 unless configured).
   */
  get udpPort(): number {
    return this.socket.address().port;
  }

  /** True while the endpoint accepts new associations. */
  get isListening(): boolean {
    return this.listening && !this.closed;
  }

  /** Starts (or stops, with `false`) accepting associations. */
  listen(enable = true): void {
    this.listening = enable;
  }

  /** Number of associations that are open (connecting, established or closing). */
  get associationCount(): number {
    return this.associations.size;
  }

  connect(remote: TransportAddress, options: UdpConnectOptions = {}): Promise<Association> {
    return this.connectAssociation(remote, options);
  }

  /** Like {@link connect}, typed with the concrete association class. */
  async connectAssociation(remote: TransportAddress, options: UdpConnectOptions = {}): Promise<SctpTransportAssociation> {
    if (this.closed) throw new ClosedError('Endpoint is closed');
    // A host name is looked up here, the one place every connection passes (registrars, ENRP peers, hsdump).
    if (needsLookup(remote)) remote = await resolveTransportAddress(remote, this.family === 6 ? 6 : 4);
    const { address, port } = checkRemote(remote);
    if ((net.isIP(address) === 6) !== (this.family === 6)) {
      throw new InvalidArgumentError(`Remote ${address} is not IPv${this.family} like this endpoint`);
    }
    const timeout = positiveInt(options.timeout, 'timeout', this.options.connectTimeout, 1);
    const probeInterval = positiveInt(options.probeInterval, 'probeInterval', this.options.probeInterval);
    const signal = options.signal;
    if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });

    let link: Link;
    if (options.ownSocket ?? this.options.ownSocket) {
      const socket = this.createSocket();
      try {
        await bindSocket(socket, 0, this.local.address === '0.0.0.0' || this.local.address === '::' ? (this.family === 6 ? '::' : '0.0.0.0') : this.local.address);
        await connectSocket(socket, this.shared?.remoteUdpPort ?? port, address);
        this.tuneSocket(socket);
      } catch (error) {
        this.closeSocket(socket);
        throw new TransportError(`Cannot open a UDP socket to ${address}:${port}: ${(error as Error).message}`, { cause: error });
      }
      if (this.closed) {
        this.closeSocket(socket);
        throw new ClosedError('Endpoint is closed');
      }
      if (signal?.aborted) {
        this.closeSocket(socket);
        throw new AbortError(undefined, { cause: signal.reason });
      }
      link = new Link(this, socket, true, address, this.shared?.remoteUdpPort ?? port, port);
      socket.on('message', (data, rinfo) => this.receive(data, rinfo, socket, link));
      socket.on('error', (error) => link.onSocketError(error as NodeJS.ErrnoException));
    } else {
      link = new Link(this, this.socket, false, address, this.shared?.remoteUdpPort ?? port, port);
      // SCTP allows one association per pair of endpoints; a second one from the same
      // address and ports would look like a restart to the peer and replace the first.
      if (this.links.has(link.key)) {
        throw new TransportError(
          `An association between ${this.local.address}:${this.local.port} and ${address}:${port} already exists; use ownSocket for more than one`,
        );
      }
      this.register(link);
    }

    let sctp: SctpAssociation;
    try {
      sctp = associate<SctpAssociation>(
        link.view,
        { remoteAddress: address, remotePort: port, MIS: this.options.streams, OS: this.options.streams },
        { ...this.tuning, ...tuningFrom(options) },
      );
    } catch (error) {
      this.release(link);
      throw new TransportError(`Cannot start association: ${(error as Error).message}`, { cause: error });
    }
    const association = this.wrap(link, sctp, { address, port });
    if (link.connected && probeInterval > 0) this.startProbing(link, probeInterval);

    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(() => {
          association.terminate('timeout', new TimeoutError(`Connection to ${address}:${port} timed out after ${timeout} ms`), true);
        }, timeout);
        if (signal) {
          onAbort = () => association.terminate('local', new AbortError(undefined, { cause: signal.reason }), true);
          signal.addEventListener('abort', onAbort, { once: true });
        }
        association.whenEstablished().then(resolve, reject);
      });
    } finally {
      if (timer) clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
    return association;
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.closing = (async () => {
      for (const association of [...this.associations]) {
        association.terminate('local', undefined, true);
      }
      for (const group of this.probeGroups.values()) clearInterval(group.timer);
      this.probeGroups.clear();
      // Let the ABORTs leave before the sockets close.
      await new Promise((resolve) => setImmediate(resolve));
      try {
        this.sctpEndpoint._destroy();
      } catch {
        /* already destroyed */
      }
      this.sctpEndpoint.removeAllListeners();
      await Promise.all([...this.sockets].map((s) => this.closeSocket(s)));
      if (this.shared) await this.shared.port.detach(this.local.port, this.shared.receiver);
      this.emit('close');
    })();
    return this.closing;
  }

  // --- sending ----------------------------------------------------------------------------

  /**
   * @internal Sends one encoded SCTP packet (a list of buffers, gathered by
   * the kernel). Without a callback the send is fire-and-forget, which
   * saves Node a completion round; errors then surface on the socket.
   */
  transmit(
    socket: dgram.Socket,
    connected: boolean,
    buffers: Buffer | Buffer[],
    port: number,
    address: string,
    callback: ((error?: Error | null) => void) | undefined,
    link: Link | undefined,
  ): void {
    this.stats.packetsSent++;
    const done =
      callback === undefined
        ? undefined
        : (error: Error | null): void => {
            if (error) {
              this.stats.sendErrors++;
              if (link && connected) link.onSocketError(error as NodeJS.ErrnoException);
            }
            callback();
          };
    try {
      if (connected) socket.send(buffers, done);
      else socket.send(buffers, port, address, done);
    } catch (error) {
      this.stats.sendErrors++;
      if (callback) queueMicrotask(() => callback(error as Error));
    }
  }

  private sendStateless(socket: dgram.Socket, connected: boolean, buffer: Buffer, port: number, address: string): boolean {
    const now = Date.now();
    if (now - this.replyWindow >= 1000) {
      this.replyWindow = now;
      this.replyBudget = DEFAULT_OOTB_REPLIES_PER_SECOND;
    }
    if (this.replyBudget <= 0) {
      this.stats.repliesSuppressed++;
      return false;
    }
    this.replyBudget--;
    this.transmit(socket, connected, buffer, port, address, undefined, undefined);
    return true;
  }

  // --- receiving --------------------------------------------------------------------------

  private receive(data: Buffer, rinfo: dgram.RemoteInfo, socket: dgram.Socket, link: Link | undefined): void {
    this.stats.datagramsReceived++;
    if (data.length === 0) {
      this.stats.probesReceived++;
      return;
    }
    if (data.length < MIN_PACKET_LENGTH) {
      this.stats.nonSctp++;
      this.offerDatagram(data, rinfo, link);
      return;
    }
    const summary = scanChunks(data);
    // Loopback DATA/SACK packets skip the CRC32c (see verifyLoopbackChecksums); whether the packet
    // belongs to a live association is checked below, and everything else is verified here.
    const trusted = summary !== undefined && this.trustLoopback && onlyDataAndSack(summary) && isSourceOnLoopback(rinfo.address);
    if (!trusted && !verifyChecksum(data)) {
      this.stats.badChecksum++;
      this.offerDatagram(data, rinfo, link);
      return;
    }
    if (!summary) {
      this.stats.malformed++;
      return;
    }
    const srcPort = data.readUInt16BE(0);
    const dstPort = data.readUInt16BE(2);
    const vTag = data.readUInt32BE(4);
    const connected = link !== undefined;
    const target =
      dstPort !== this.local.port || srcPort === 0
        ? undefined
        : link
          ? this.match(link, vTag, summary)
          : this.lookup(rinfo.address, rinfo.port, srcPort, vTag, summary);
    if (!target) {
      // Out of the blue: never answered on the strength of an unverified packet.
      if (trusted && !verifyChecksum(data)) {
        this.stats.badChecksum++;
        this.offerDatagram(data, rinfo, link);
        return;
      }
      const mayAccept = dstPort === this.local.port && srcPort !== 0 && !connected && this.isListening;
      this.outOfTheBlue(data, summary, rinfo, socket, connected, mayAccept);
      return;
    }
    const sctp = target.sctp;
    const fast = sctp !== undefined && fastPathEligible(data, summary);
    if (trusted && !fast && !verifyChecksum(data)) {
      this.stats.badChecksum++;
      return;
    }
    this.stats.packetsReceived++;
    if (fast) {
      try {
        // Each datagram from a socket is a buffer of its own that nothing else keeps.
        receiveFast(sctp, data, target.address, true);
      } catch (error) {
        this.protocolFailure(target, error);
      }
      return;
    }
    this.deliver(target.view, data, srcPort, dstPort, vTag, target.address);
  }

  private protocolFailure(link: Link | undefined, error: unknown): void {
    this.stats.protocolExceptions++;
    link?.association?.emit('error', new TransportError(`SCTP protocol machine failed on a packet: ${(error as Error).message}`, { cause: error }));
  }

  private offerDatagram(data: Buffer, rinfo: dgram.RemoteInfo, link: Link | undefined): void {
    if (link) return;
    try {
      this.emit('datagram', data, { address: rinfo.address, port: rinfo.port });
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }

  /** Picks the link of an association for a packet by its verification tag (RFC 4960 §8.5, §8.5.1). */
  private match(link: Link, vTag: number, summary: ChunkSummary): Link | undefined {
    const sctp = link.sctp;
    if (!sctp || link.disposed) return undefined;
    if (hasChunk(summary, ChunkType.INIT)) {
      // An INIT (tag 0) goes to the listening path; on a connected socket it is out of the blue.
      return undefined;
    }
    if (hasChunk(summary, ChunkType.ABORT) && summary.abortT) return sctp.peer_tag === vTag ? link : undefined;
    if (hasChunk(summary, ChunkType.SHUTDOWN_COMPLETE) && summary.shutdownCompleteT) return sctp.peer_tag === vTag ? link : undefined;
    return sctp.my_tag === vTag ? link : undefined;
  }

  private lookup(address: string, udpPort: number, sctpPort: number, vTag: number, summary: ChunkSummary): Link | undefined {
    // Consecutive packets mostly come from the same peer: the last entry found is compared
    // field by field before a key string is built for the table.
    const last = this.lastLookup;
    let entry: Link | Link[] | undefined;
    if (last !== undefined && last.udpPort === udpPort && last.sctpPort === sctpPort && last.address === address) entry = last.entry;
    else {
      entry = this.links.get(linkKey(address, udpPort, sctpPort));
      if (entry !== undefined) this.lastLookup = { address, udpPort, sctpPort, entry };
    }
    if (!entry) return undefined;
    if (!Array.isArray(entry)) return this.match(entry, vTag, summary);
    for (const link of entry) {
      const hit = this.match(link, vTag, summary);
      if (hit) return hit;
    }
    return undefined;
  }

  private deliver(view: LinkView, data: Buffer, srcPort: number, dstPort: number, vTag: number, source: string): void {
    const chunks: Buffer[] = [];
    let offset = 12;
    while (offset + 4 <= data.length) {
      const length = data.readUInt16BE(offset + 2);
      chunks.push(data.subarray(offset, offset + length));
      offset += (length + 3) & ~3;
    }
    // Tag and checksum are unsigned 32-bit: their fields start as doubles (see DOUBLE_ZERO).
    const packet: SctpPacket = { src_port: srcPort, dst_port: dstPort, v_tag: DOUBLE_ZERO, checksum: DOUBLE_ZERO, chunks };
    packet.v_tag = vTag;
    packet.checksum = data.readUInt32LE(8);
    try {
      view.onPacket(packet, source, this.local.address);
    } catch (error) {
      this.protocolFailure(view[LINK], error);
    }
  }

  /** RFC 4960 §8.4: packets that belong to no association. */
  private outOfTheBlue(
    data: Buffer,
    summary: ChunkSummary,
    rinfo: dgram.RemoteInfo,
    socket: dgram.Socket,
    connected: boolean,
    mayAccept: boolean,
  ): void {
    this.stats.outOfTheBlue++;
    const srcPort = data.readUInt16BE(0);
    const dstPort = data.readUInt16BE(2);
    const vTag = data.readUInt32BE(4);
    if (hasChunk(summary, ChunkType.ABORT)) return; // (2) never answer an ABORT
    if (hasChunk(summary, ChunkType.INIT)) {
      // (3) only a lone INIT with tag 0 is valid.
      if (summary.first !== ChunkType.INIT || summary.count !== 1 || vTag !== 0 || data.length < 32) return;
      if (mayAccept && dstPort === this.local.port) {
        this.stats.initsAnswered++;
        const view = replyView(this, socket, connected, rinfo.address, rinfo.port, srcPort);
        this.deliver(view, data, srcPort, dstPort, vTag, rinfo.address);
        return;
      }
      const initiateTag = data.readUInt32BE(16);
      if (initiateTag === 0) return;
      if (this.sendStateless(socket, connected, buildPacket(dstPort, srcPort, initiateTag, [controlChunk(ChunkType.ABORT, 0)]), rinfo.port, rinfo.address)) {
        this.stats.abortsSent++;
      }
      return;
    }
    if (summary.first === ChunkType.COOKIE_ECHO && mayAccept && dstPort === this.local.port) {
      // (4) a COOKIE ECHO creates the association if its cookie is valid.
      const link = new Link(this, socket, connected, rinfo.address, rinfo.port, srcPort);
      this.deliver(link.view, data, srcPort, dstPort, vTag, rinfo.address);
      if (!link.sctp) link.dispose();
      return;
    }
    if (hasChunk(summary, ChunkType.SHUTDOWN_ACK)) {
      // (5) answer with SHUTDOWN COMPLETE, tag reflected.
      this.sendStateless(socket, connected, buildPacket(dstPort, srcPort, vTag, [controlChunk(ChunkType.SHUTDOWN_COMPLETE, 1)]), rinfo.port, rinfo.address);
      return;
    }
    // (6), (7): discard SHUTDOWN COMPLETE, COOKIE ACK, ERROR.
    if (
      hasChunk(summary, ChunkType.SHUTDOWN_COMPLETE) ||
      hasChunk(summary, ChunkType.COOKIE_ACK) ||
      hasChunk(summary, ChunkType.ERROR)
    ) {
      return;
    }
    // (8) ABORT with the T bit, tag reflected.
    if (this.sendStateless(socket, connected, buildPacket(dstPort, srcPort, vTag, [controlChunk(ChunkType.ABORT, 1)]), rinfo.port, rinfo.address)) {
      this.stats.abortsSent++;
    }
  }

  // --- associations -----------------------------------------------------------------------

  /** A valid COOKIE ECHO created an association on a link view (sctp `association` event). */
  private adoptPassive(sctp: SctpAssociation): void {
    const view = sctp.endpoint as LinkView | undefined;
    const link = view?.[LINK];
    if (!link || link.sctp) {
      // Not created through one of our views: refuse it.
      try {
        sctp.ABORT();
      } catch {
        /* ignore */
      }
      return;
    }
    if (this.closed || !this.listening) {
      queueMicrotask(() => {
        try {
          sctp.ABORT();
        } catch {
          /* ignore */
        }
      });
      return;
    }
    // A new association from the same peer address and ports means the peer restarted:
    // the old incarnations are gone (RFC 4960 §5.2.4 case A).
    const existing = this.links.get(link.key);
    const olds = existing === undefined ? [] : Array.isArray(existing) ? [...existing] : [existing];
    this.register(link);
    const association = this.wrap(link, sctp, { address: link.address, port: link.sctpPort });
    this.stats.associationsAccepted++;
    for (const old of olds) {
      old.association?.terminate('abort', new TransportError('Peer restarted; association replaced', { reason: 'abort' }), false);
    }
    // The handshake completes synchronously inside this packet (the wrapper's own listener
    // runs first); emit before bundled DATA is delivered so that the listener can attach
    // its `message` handler.
    sctp.once('COMMUNICATION UP', () => {
      if (!this.closed && association.open) this.emit('association', association);
    });
  }

  private wrap(link: Link, sctp: SctpAssociation, remote: TransportAddress): SctpTransportAssociation {
    link.sctp = sctp;
    this.sizePackets(link, sctp);
    slimAssociation(sctp);
    const association = new SctpTransportAssociation(sctp, {
      local: this.local,
      remote,
      maxMessageSize: this.options.maxMessageSize,
      highWaterMark: this.options.highWaterMark,
      closeTimeout: this.options.closeTimeout,
      onRelease: () => {
        this.associations.delete(association);
        this.release(link);
      },
    });
    link.association = association;
    this.associations.add(association);
    return association;
  }

  /** Packet size of a new association: the `mtu` option, or what the host knows of the path, probed upwards where that is unsure. */
  private sizePackets(link: Link, sctp: SctpAssociation): void {
    if (this.fixedMtu !== undefined) {
      setPathMtu(sctp, { packetSize: sctpPacketSizeForUdp(this.fixedMtu, this.family) });
      return;
    }
    let local: string | undefined;
    try {
      local = link.socket.address().address;
    } catch {
      /* not bound */
    }
    const path = pathMtuTo(link.address, local);
    setPathMtu(sctp, {
      packetSize: sctpPacketSizeForUdp(path.mtu, this.family),
      ceiling: sctpPacketSizeForUdp(path.ceiling, this.family),
      overhead: udpOverhead(this.family),
    });
  }

  private register(link: Link): void {
    if (link.registered || link.connected) return;
    link.registered = true;
    this.lastLookup = undefined;
    const key = link.key;
    const entry = this.links.get(key);
    if (!entry) this.links.set(key, link);
    else if (Array.isArray(entry)) entry.push(link);
    else this.links.set(key, [entry, link]);
  }

  private release(link: Link): void {
    if (link.registered) {
      link.registered = false;
      this.lastLookup = undefined;
      const key = link.key;
      const entry = this.links.get(key);
      if (entry === link) this.links.delete(key);
      else if (Array.isArray(entry)) {
        const rest = entry.filter((l) => l !== link);
        if (rest.length === 0) this.links.delete(key);
        else this.links.set(key, rest.length === 1 ? rest[0]! : rest);
      }
    }
    link.dispose();
  }

  // --- liveness probes --------------------------------------------------------------------

  /**
   * One timer per probe interval for all links of the endpoint (not one per link): a
   * single wake-up sends the probes of every quiet link.
   */
  private readonly probeGroups = new Map<number, { timer: NodeJS.Timeout; links: Set<Link> }>();

  private startProbing(link: Link, interval: number): void {
    link.probeInterval = interval;
    let group = this.probeGroups.get(interval);
    if (!group) {
      const links = new Set<Link>();
      const timer = setInterval(() => {
        const now = performance.now();
        for (const l of links) l.probe(interval, now);
      }, interval);
      timer.unref();
      group = { timer, links };
      this.probeGroups.set(interval, group);
    }
    group.links.add(link);
  }

  /** @internal */
  stopProbing(link: Link): void {
    const group = this.probeGroups.get(link.probeInterval);
    if (!group) return;
    group.links.delete(link);
    if (group.links.size === 0) {
      clearInterval(group.timer);
      this.probeGroups.delete(link.probeInterval);
    }
  }

  // --- sockets ----------------------------------------------------------------------------

  private createSocket(): dgram.Socket {
    const socket = dgram.createSocket({ type: this.family === 6 ? 'udp6' : 'udp4', lookup: literalLookup });
    this.sockets.add(socket);
    return socket;
  }

  private tuneSocket(socket: dgram.Socket): void {
    tuneSocketBuffers(socket, this.options.socketBufferSize);
  }

  /** @internal Closes a socket of this endpoint (idempotent). */
  closeSocket(socket: dgram.Socket): Promise<void> {
    if (!this.sockets.has(socket)) return Promise.resolve();
    this.sockets.delete(socket);
    return new Promise((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}

function tuneSocketBuffers(socket: dgram.Socket, size: number): void {
  try {
    socket.setRecvBufferSize(size);
  } catch {
    /* capped or unsupported */
  }
  try {
    socket.setSendBufferSize(size);
  } catch {
    /* capped or unsupported */
  }
}

/**
 * Opens an SCTP-over-UDP endpoint. With `port: 0` the kernel picks the UDP
 * port and the same number becomes the SCTP port.
 *
 * ```ts
 * const server = await createUdpEndpoint({ port: 0, listen: true });
 * server.on('association', (a) => a.on('message', (data, info) => a.send(data, info)));
 * const client = await createUdpEndpoint();
 * const a = await client.connect(server.local);
 * ```
 */
export async function createUdpEndpoint(options: UdpEndpointOptions = {}): Promise<UdpEndpoint> {
  installSctpRepairs();
  const ipv6 = options.ipv6 ?? (options.address !== undefined && isIPv6(options.address));
  const address = options.address ?? (ipv6 ? '::1' : '127.0.0.1');
  if (net.isIP(address) === 0) throw new InvalidArgumentError(`Invalid local address ${address}`);
  if (ipv6 !== isIPv6(address)) throw new InvalidArgumentError(`Address ${address} does not match ipv6=${String(ipv6)}`);
  const port = positiveInt(options.port, 'port', 0, 0, 0xffff);
  if (options.standard) return createStandardEndpoint(options, address, ipv6, port);
  const socket = dgram.createSocket({
    type: ipv6 ? 'udp6' : 'udp4',
    reuseAddr: options.reuseAddr ?? false,
    ipv6Only: ipv6,
    lookup: literalLookup,
  });
  try {
    await bindSocket(socket, port, address);
  } catch (error) {
    try {
      socket.close();
    } catch {
      /* not bound */
    }
    throw new TransportError(`Cannot bind UDP ${address}:${port}: ${(error as Error).message}`, { cause: error });
  }
  tuneSocketBuffers(socket, options.socketBufferSize ?? DEFAULT_SOCKET_BUFFER);
  return new UdpEndpoint(socket, options, ipv6 ? 6 : 4);
}

/** The `standard` flavour of {@link createUdpEndpoint}: an SCTP port on the shared UDP port. */
async function createStandardEndpoint(options: UdpEndpointOptions, address: string, ipv6: boolean, sctpPort: number): Promise<UdpEndpoint> {
  const udpPort = checkUdpPort(options.udpPort ?? SCTP_UDP_TUNNELING_PORT, 'udpPort');
  const remoteUdpPort = checkUdpPort(options.remoteUdpPort ?? SCTP_UDP_TUNNELING_PORT, 'remoteUdpPort');
  if (remoteUdpPort === 0) throw new InvalidArgumentError('Invalid remoteUdpPort: 0');
  const family = ipv6 ? 6 : 4;
  const shared = await EncapsulationPort.open(
    family,
    udpPort,
    async (socket) => {
      await bindSocket(socket, udpPort, ipv6 ? '::' : '0.0.0.0');
      tuneSocketBuffers(socket, options.socketBufferSize ?? DEFAULT_SOCKET_BUFFER);
    },
    { type: ipv6 ? 'udp6' : 'udp4', reuseAddr: options.reuseAddr ?? false, ipv6Only: ipv6, lookup: literalLookup },
  );
  // Claim the SCTP port before the endpoint exists so that a clash fails cleanly; the
  // receiver forwards to the endpoint once it is built.
  let target: UdpEndpoint | undefined;
  const receiver: EncapsulationReceiver = {
    onDatagram: (data, rinfo) => target?.receiveShared(data, rinfo),
    onSocketError: (error) => target?.emit('error', new TransportError(`UDP socket error: ${error.message}`, { cause: error })),
  };
  let claimed: number;
  try {
    claimed = shared.attach(sctpPort, receiver);
  } catch (error) {
    await shared.detach(-1, receiver);
    throw error;
  }
  try {
    target = new UdpEndpoint(shared.socket, options, family, { port: shared, receiver, address, sctpPort: claimed, remoteUdpPort });
    return target;
  } catch (error) {
    await shared.detach(claimed, receiver);
    throw error;
  }
}
