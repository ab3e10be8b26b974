/**
 * Raw-IP SCTP stack: SCTP packets directly over IP (protocol 132) through the
 * optional native dependency `raw-socket`, for peers that run kernel SCTP.
 *
 * This replaces `sctp@1.0.0`'s own raw transport (never used: it is a
 * process-wide singleton that also starts a discard service on port 9). A
 * {@link RawStack} is an object you create; it implements the small transport
 * contract that the package's `Endpoint` calls (`sendPacket`, `unallocate`)
 * and feeds received packets to endpoints with `endpoint.emit('packet', ...)`.
 * What it does differently from the package's transport:
 *
 * - **Copies every received packet** out of `raw-socket`'s receive buffer,
 *   which the addon reuses for the next packet while `sctp` keeps slices of
 *   the old one (messages larger than one packet arrived corrupted).
 * - **Claims its ports** per network namespace (see `raw-port-claim.ts`) and
 *   picks ephemeral ports at random, so two processes on one host never share
 *   a port; packets for ports it does not own are ignored, never answered.
 * - **Verifies the CRC32c** and the IP length before any SCTP code sees a
 *   packet, and counts what it drops.
 * - **Configurable buffers**: kernel receive/send buffer (default 4 MiB,
 *   forced past `net.core.rmem_max` when running as root) and the largest
 *   packet read (default 64 KiB, loopback's MTU).
 * - **IPv4 and IPv6**: one raw socket per family, both opened at start. IPv6
 *   raw sockets deliver no IP header, so the local address of an IPv6 packet
 *   is unknown and the kernel picks the source address of sent packets.
 * - **The UDP endpoint's per-packet paths**: packets of only DATA and SACK
 *   chunks for a known association (matching verification tag) go through
 *   the receive fast path (sctp-fastpath.ts) instead of the package's packet
 *   decoder and `'packet'` event, and small packets the send path built in
 *   one buffer are sent as they are (`sendEncoded`) instead of through the
 *   package's encoder.
 *
 * One stack per process is enough for any number of endpoints; several
 * stacks (processes) can share a host or namespace thanks to the port claims.
 *
 * @module
 */
import { createRequire } from 'node:module';
import { isIPv4, isIPv6 } from 'node:net';
import { crc32c } from '@node-rs/crc32';
import { RSerPoolError } from '../errors.js';
import { claimPort, type PortClaim } from './raw-port-claim.js';
import { pathMtuTo, sctpPacketSizeForIp } from './path-mtu.js';
import { repairsComplete, type PathMtuSetting } from './sctp-repairs/index.js';
import { scanChunks } from './sctp-packet.js';
import { fastPathEligible, receiveFast } from './sctp-fastpath.js';
import type { SctpAssociation } from './sctp-lib.js';
import { loadRawSocket, rawModeUnavailableReason, type RawSocketHandle, type RawSocketModule } from './raw-socket-loader.js';

/** IP protocol number of SCTP. */
export const SCTP_PROTOCOL = 132;
/** Linux `SO_RCVBUFFORCE` / `SO_SNDBUFFORCE` (root may exceed `rmem_max`/`wmem_max`). */
const SO_SNDBUFFORCE = 32;
const SO_RCVBUFFORCE = 33;
const IPV4_HEADER = 20;
const IPV6_HEADER = 40;
const SCTP_COMMON_HEADER = 12;

/** Options of {@link RawStack.open}. */
export interface RawStackOptions {
  /** Kernel receive buffer of each raw socket in bytes; default 4 MiB. */
  receiveBufferSize?: number;
  /** Kernel send buffer of each raw socket in bytes; default 4 MiB. */
  sendBufferSize?: number;
  /** Largest IP packet read in one piece; default 65,575 (64 KiB SCTP packet plus IPv6 header). */
  maxPacketSize?: number;
  /**
   * Link MTU used to size SCTP packets, the same for every destination.
   * Default: per destination, as over UDP — the loopback interface's MTU
   * for this host's addresses, the interface's MTU on a local link, else
   * 1,500 raised by path MTU discovery up to the outgoing interface's MTU.
   */
  mtu?: number;
  /** IP TTL / IPv6 hop limit; default 64. */
  ttl?: number;
  /** Also listen for IPv6 packets from the start; default true (skipped silently where IPv6 is disabled). */
  ipv6?: boolean;
  /** Inclusive range of ephemeral SCTP ports; default 49152–65535. */
  ephemeralRange?: readonly [number, number];
  /** Prefix of the per-namespace port claims (tests isolate themselves with it). */
  claimPrefix?: string;
  /**
   * @internal Only for the regression test that shows the defect of the
   * original transport: hand packets to SCTP as slices of the reused receive
   * buffer instead of copies.
   */
  unsafeNoCopy?: boolean;
}

/** Counters of a {@link RawStack}. */
export interface RawStackStats {
  packetsReceived: number;
  packetsSent: number;
  sendErrors: number;
  /** Shorter than IP + SCTP common header, or IP length mismatch. */
  droppedMalformed: number;
  droppedBadChecksum: number;
  /** For a port this stack does not own (another stack's or nobody's); ignored silently. */
  ignoredForeignPort: number;
}

/** The shape of `sctp@1.0.0`'s `Packet` that the stack uses. */
interface SctpPacket {
  src_port: number;
  dst_port: number;
  chunks?: Buffer[];
  toBuffer(): Buffer;
}
interface SctpPacketClass {
  fromBuffer(buffer: Buffer): SctpPacket | false;
}

/** The shape of `sctp@1.0.0`'s `Endpoint` that the stack uses. */
export interface SctpEndpointLike {
  localPort: number;
  localAddress?: string[];
  /** Source address sctp gives its transport for every packet (undefined: any). */
  localActiveAddress?: string;
  /** sctp's table of this endpoint's associations, by `${remote address}:${remote port}`. */
  associations_lookup?: Record<string, SctpAssociation | undefined>;
  transport?: unknown;
  emit(event: 'packet', packet: SctpPacket, source: string, destination: string): boolean;
}

interface Binding {
  endpoint: SctpEndpointLike;
  claim: PortClaim;
  /** Local addresses the endpoint is bound to; empty: any. */
  addresses: Set<string>;
}

const require = createRequire(import.meta.url);
const Packet = require('sctp/lib/packet') as SctpPacketClass;

/** The transport object handed to one sctp `Endpoint` as `endpoint.transport`. */
export interface RawEndpointTransport {
  sendPacket(source: string | undefined, destination: string, packet: SctpPacket, callback?: (error?: Error | null) => void): boolean;
  /** An encoded packet of the send path (see `sendFramed` of the repairs), sent as it is to the association's peer. */
  sendEncoded(packet: Buffer, association: { remoteAddress: string }): void;
  unallocate(port: number): void;
}

/**
 * A raw-IP SCTP stack. Create it with {@link RawStack.open}, bind sctp
 * endpoints with `bind()`, and {@link RawStack.close} it when done.
 */
export class RawStack {
  readonly stats: RawStackStats = {
    packetsReceived: 0,
    packetsSent: 0,
    sendErrors: 0,
    droppedMalformed: 0,
    droppedBadChecksum: 0,
    ignoredForeignPort: 0,
  };
  /** Largest SCTP packet (common header and chunks) for an IPv4 peer. */
  readonly sctpMtu4: number;
  /** Largest SCTP packet for an IPv6 peer. */
  readonly sctpMtu6: number;

  private readonly bindings = new Map<number, Binding>();
  private socket4: RawSocketHandle | undefined;
  private socket6: RawSocketHandle | undefined;
  private hdrincl4 = false;
  private closed = false;
  private pendingSends = 0;
  private readonly flushWaiters: Array<() => void> = [];
  private readonly options: Required<Omit<RawStackOptions, 'claimPrefix' | 'unsafeNoCopy' | 'ipv6'>> &
    Pick<RawStackOptions, 'claimPrefix' | 'unsafeNoCopy'>;

  private constructor(
    private readonly raw: RawSocketModule,
    options: RawStackOptions,
  ) {
    this.options = {
      receiveBufferSize: options.receiveBufferSize ?? 4 * 1024 * 1024,
      sendBufferSize: options.sendBufferSize ?? 4 * 1024 * 1024,
      maxPacketSize: options.maxPacketSize ?? 65535 + IPV6_HEADER,
      mtu: options.mtu ?? 1500,
      ttl: options.ttl ?? 64,
      ephemeralRange: options.ephemeralRange ?? [49152, 65535],
      claimPrefix: options.claimPrefix,
      unsafeNoCopy: options.unsafeNoCopy,
    };
    this.sctpMtu4 = this.options.mtu - IPV4_HEADER;
    this.sctpMtu6 = this.options.mtu - IPV6_HEADER;
    this.fixedMtu = options.mtu !== undefined;
  }

  /** True when `stackOptions.mtu` fixed the link MTU for every destination. */
  private readonly fixedMtu: boolean;

  /**
   * @internal Packet size of a new association towards `remote` and the range
   * path MTU discovery may probe (raw IP: only the IP header precedes the SCTP packet).
   */
  pathSetting(remote: string): PathMtuSetting {
    const family = isIPv6(remote) ? 6 : 4;
    if (this.fixedMtu) return { packetSize: this.sctpMtuFor(remote) };
    const path = pathMtuTo(remote);
    return {
      packetSize: sctpPacketSizeForIp(path.mtu, family),
      ceiling: sctpPacketSizeForIp(path.ceiling, family),
      overhead: family === 6 ? IPV6_HEADER : IPV4_HEADER,
    };
  }

  /**
   * Opens a stack (raw sockets for IPv4 and, where enabled, IPv6). Rejects
   * with code `ERR_RSP_TRANSPORT` when raw-IP mode is unavailable (see
   * {@link rawModeUnavailableReason}).
   */
  static async open(options: RawStackOptions = {}): Promise<RawStack> {
    const reason = rawModeUnavailableReason();
    const raw = loadRawSocket();
    if (reason !== undefined || !raw) {
      throw new RSerPoolError('ERR_RSP_TRANSPORT', `raw-IP mode unavailable: ${reason ?? 'raw-socket missing'}`);
    }
    const stack = new RawStack(raw, options);
    stack.socketFor('IPv4');
    if (options.ipv6 !== false) {
      try {
        stack.socketFor('IPv6');
      } catch {
        // IPv6 disabled on this host: IPv4 only (opened again on first IPv6 use).
      }
    }
    return stack;
  }

  /** Ports currently bound. */
  get ports(): number[] {
    return [...this.bindings.keys()];
  }

  /** Largest SCTP packet towards `address` (IP header already subtracted). */
  sctpMtuFor(address: string): number {
    return isIPv6(address) ? this.sctpMtu6 : this.sctpMtu4;
  }

  /**
   * Claims a port (`0`/missing: a random free ephemeral port) for a future
   * sctp `Endpoint`. Bind the endpoint with `bind()` afterwards;
   * call `release()` on the claim if the endpoint is never bound.
   * @internal
   */
  async claim(port?: number): Promise<PortClaim> {
    if (this.closed) throw new RSerPoolError('ERR_RSP_CLOSED', 'raw stack is closed');
    return claimPort(port, {
      ephemeralRange: this.options.ephemeralRange,
      inUse: new Set(this.bindings.keys()),
      prefix: this.options.claimPrefix,
    });
  }

  /**
   * Attaches an sctp `Endpoint` whose `localPort` equals `claim.port`: sets
   * its `transport` and starts delivering the port's packets to it. The
   * claim is released when sctp calls `unallocate` (endpoint closed) or the
   * stack closes.
   * @internal
   */
  bind(endpoint: SctpEndpointLike, claim: PortClaim): void {
    if (this.closed) throw new RSerPoolError('ERR_RSP_CLOSED', 'raw stack is closed');
    if (endpoint.localPort !== claim.port) {
      throw new RSerPoolError('ERR_RSP_INVALID_ARGUMENT', `endpoint port ${endpoint.localPort} differs from claimed port ${claim.port}`);
    }
    if (this.bindings.has(claim.port)) {
      throw new RSerPoolError('ERR_RSP_TRANSPORT', `EADDRINUSE: SCTP port ${claim.port} already bound in this stack`);
    }
    const addresses = new Set(endpoint.localAddress ?? []);
    for (const address of addresses) if (isIPv6(address)) this.socketFor('IPv6');
    this.bindings.set(claim.port, { endpoint, claim, addresses });
    const transport: RawEndpointTransport = {
      sendPacket: (source, destination, packet, callback) => this.sendPacket(source, destination, packet, callback),
      sendEncoded: (packet, association) => void this.sendBuffer(endpoint.localActiveAddress, association.remoteAddress, packet, undefined),
      unallocate: (port) => this.unbind(port, endpoint),
    };
    endpoint.transport = transport;
  }

  /**
   * Stops delivering to the endpoint on `port` and releases the claim.
   * @internal
   */
  unbind(port: number, endpoint?: SctpEndpointLike): void {
    const binding = this.bindings.get(port);
    if (!binding || (endpoint && binding.endpoint !== endpoint)) return;
    this.bindings.delete(port);
    binding.claim.release();
  }

  /**
   * Resolves once every packet handed to the raw sockets so far has been
   * sent (`raw-socket` queues sends until the socket is writable), or after
   * `timeoutMs`. Endpoints wait for it on close so their ABORTs leave.
   */
  flush(timeoutMs = 1000): Promise<void> {
    if (this.pendingSends === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      timer.unref?.();
      const waiters = this.flushWaiters;
      function done(): void {
        clearTimeout(timer);
        const i = waiters.indexOf(done);
        if (i >= 0) waiters.splice(i, 1);
        resolve();
      }
      waiters.push(done);
    });
  }

  /**
   * Releases every claim and closes the raw sockets once queued packets are
   * sent (at most one second later). Endpoints are not closed.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const port of [...this.bindings.keys()]) this.unbind(port);
    void this.flush().then(() => {
      this.socket4?.close();
      this.socket6?.close();
      this.socket4 = undefined;
      this.socket6 = undefined;
    });
  }

  private sent(): void {
    this.pendingSends--;
    if (this.pendingSends === 0) for (const waiter of this.flushWaiters.splice(0)) waiter();
  }

  private socketFor(family: 'IPv4' | 'IPv6'): RawSocketHandle {
    const existing = family === 'IPv4' ? this.socket4 : this.socket6;
    if (existing) return existing;
    const raw = this.raw;
    let socket: RawSocketHandle;
    try {
      socket = raw.createSocket({
        addressFamily: family === 'IPv4' ? raw.AddressFamily.IPv4 : raw.AddressFamily.IPv6,
        protocol: SCTP_PROTOCOL,
        bufferSize: this.options.maxPacketSize,
      });
    } catch (error) {
      throw new RSerPoolError('ERR_RSP_TRANSPORT', `cannot open raw ${family} socket: ${(error as Error).message}`, { cause: error });
    }
    const { SOL_SOCKET, IPPROTO_IP, IPPROTO_IPV6 } = raw.SocketLevel;
    const { SO_RCVBUF, SO_SNDBUF, IP_TTL, IPV6_UNICAST_HOPS } = raw.SocketOption;
    setBuffer(socket, SOL_SOCKET, SO_RCVBUFFORCE, SO_RCVBUF, this.options.receiveBufferSize);
    setBuffer(socket, SOL_SOCKET, SO_SNDBUFFORCE, SO_SNDBUF, this.options.sendBufferSize);
    if (family === 'IPv4') {
      socket.setOption(IPPROTO_IP, IP_TTL, this.options.ttl);
      socket.on('message', (buffer, source) => this.onMessage4(buffer, source));
      this.socket4 = socket;
    } else {
      socket.setOption(IPPROTO_IPV6, IPV6_UNICAST_HOPS, this.options.ttl);
      socket.on('message', (buffer, source) => this.onMessage6(buffer, source));
      this.socket6 = socket;
    }
    // raw-socket closes the socket after emitting 'error'; count it, never throw.
    socket.on('error', () => {
      this.stats.sendErrors++;
    });
    return socket;
  }

  private onMessage4(buffer: Buffer, source: string): void {
    this.stats.packetsReceived++;
    if (buffer.length < IPV4_HEADER + SCTP_COMMON_HEADER) {
      this.stats.droppedMalformed++;
      return;
    }
    const headerLength = (buffer[0]! & 0x0f) << 2;
    const totalLength = buffer.readUInt16BE(2);
    if (buffer[9] !== SCTP_PROTOCOL || headerLength < IPV4_HEADER || totalLength !== buffer.length || totalLength < headerLength + SCTP_COMMON_HEADER) {
      this.stats.droppedMalformed++;
      return;
    }
    const destination = `${buffer[16]}.${buffer[17]}.${buffer[18]}.${buffer[19]}`;
    this.deliver(buffer, headerLength, source, destination);
  }

  private onMessage6(buffer: Buffer, source: string): void {
    // Linux IPv6 raw sockets deliver the payload only: the SCTP packet.
    this.stats.packetsReceived++;
    if (buffer.length < SCTP_COMMON_HEADER) {
      this.stats.droppedMalformed++;
      return;
    }
    this.deliver(buffer, 0, source, '::');
  }

  private deliver(buffer: Buffer, offset: number, source: string, destination: string): void {
    const dstPort = buffer.readUInt16BE(offset + 2);
    const binding = this.bindings.get(dstPort);
    if (!binding || (binding.addresses.size > 0 && destination !== '::' && !binding.addresses.has(destination))) {
      // Another stack's (or nobody's) port: never answer, the owner may be
      // another process that sees the same packet.
      this.stats.ignoredForeignPort++;
      return;
    }
    // raw-socket reuses its receive buffer for the next packet, and sctp
    // keeps slices of this one (reassembly), so hand it a private copy.
    let sctp: Buffer;
    if (this.options.unsafeNoCopy) {
      sctp = buffer.subarray(offset);
    } else {
      sctp = Buffer.allocUnsafe(buffer.length - offset);
      buffer.copy(sctp, 0, offset);
    }
    const received = sctp.readUInt32LE(8);
    sctp.writeUInt32LE(0, 8);
    const computed = crc32c(sctp) >>> 0;
    sctp.writeUInt32LE(received, 8);
    if (computed !== received) {
      this.stats.droppedBadChecksum++;
      return;
    }
    // DATA and SACK of a known association take the fast path, as over UDP (sctp-fastpath.ts),
    // when the repaired handlers it calls run (the stack also serves the original package).
    const summary = repairsComplete ? scanChunks(sctp) : undefined;
    if (summary !== undefined && fastPathEligible(sctp, summary)) {
      const association = binding.endpoint.associations_lookup?.[`${source}:${sctp.readUInt16BE(0)}`];
      if (association !== undefined && (association as unknown as { my_tag?: number }).my_tag === sctp.readUInt32BE(4)) {
        try {
          // The private copy above is this packet's alone: messages may be views of it.
          receiveFast(association, sctp, source, !this.options.unsafeNoCopy);
        } catch {
          this.stats.droppedMalformed++;
        }
        return;
      }
    }
    const packet = Packet.fromBuffer(sctp);
    if (!packet || !Array.isArray(packet.chunks)) {
      this.stats.droppedMalformed++;
      return;
    }
    binding.endpoint.emit('packet', packet, source, destination);
  }

  private sendPacket(
    source: string | undefined,
    destination: string,
    packet: SctpPacket,
    callback?: (error?: Error | null) => void,
  ): boolean {
    // (A closed stack is refused by sendBuffer().)
    return this.sendBuffer(source, destination, packet.toBuffer(), callback);
  }

  /** Sends one encoded SCTP packet (checksum included) to `destination`. */
  private sendBuffer(source: string | undefined, destination: string, payload: Buffer, callback: ((error?: Error | null) => void) | undefined): boolean {
    if (this.closed) {
      callback?.(new RSerPoolError('ERR_RSP_CLOSED', 'raw stack is closed'));
      return false;
    }
    this.pendingSends++;
    let finished = false;
    const done = (error: Error | null): void => {
      if (finished) return;
      finished = true;
      this.sent();
      if (error) this.stats.sendErrors++;
      else this.stats.packetsSent++;
      if (typeof callback === 'function') callback(error);
    };
    try {
      if (isIPv4(destination)) {
        const socket = this.socketFor('IPv4');
        const withHeader = source !== undefined && isIPv4(source);
        const buffer = withHeader ? Buffer.concat([ipv4Header(source, destination, payload.length, this.options.ttl), payload]) : payload;
        const { IPPROTO_IP } = this.raw.SocketLevel;
        const { IP_HDRINCL } = this.raw.SocketOption;
        socket.send(
          buffer,
          0,
          buffer.length,
          destination,
          () => {
            if (this.hdrincl4 !== withHeader) {
              socket.setOption(IPPROTO_IP, IP_HDRINCL, withHeader ? 1 : 0);
              this.hdrincl4 = withHeader;
            }
          },
          (error) => done(error),
        );
      } else if (isIPv6(destination)) {
        this.socketFor('IPv6').send(payload, 0, payload.length, destination, null, (error) => done(error));
      } else {
        done(new RSerPoolError('ERR_RSP_INVALID_ARGUMENT', `not an IP address: ${String(destination)}`));
        return false;
      }
    } catch (error) {
      done(error instanceof Error ? error : new Error(String(error)));
      return false;
    }
    return true;
  }
}

function setBuffer(socket: RawSocketHandle, level: number, force: number, plain: number, size: number): void {
  try {
    socket.setOption(level, force, size);
  } catch {
    socket.setOption(level, plain, size);
  }
}

/** An IPv4 header for IP_HDRINCL; the kernel fills in the checksum and the ID. */
function ipv4Header(source: string, destination: string, payloadLength: number, ttl: number): Buffer {
  const header = Buffer.alloc(IPV4_HEADER);
  header[0] = 0x45;
  header.writeUInt16BE(IPV4_HEADER + payloadLength, 2);
  header[8] = ttl;
  header[9] = SCTP_PROTOCOL;
  const s = source.split('.');
  const d = destination.split('.');
  for (let i = 0; i < 4; i++) {
    header[12 + i] = Number(s[i]);
    header[16 + i] = Number(d[i]);
  }
  return header;
}

export { rawModeUnavailableReason };
