/**
 * Standard SCTP-over-UDP encapsulation (RFC 6951 as implemented by kernel
 * SCTP, FreeBSD, usrsctp and sctplib): one UDP port (9899 by default) per
 * host or process carries the packets of every SCTP endpoint, which are told
 * apart by the SCTP destination port in the common header.
 *
 * An {@link EncapsulationPort} is that shared UDP socket. It is opened on
 * first use by a `udp-standard` endpoint and reference counted: every SCTP
 * endpoint of the process with the same address family and UDP port
 * attaches to the same socket and claims its SCTP port there. The socket is
 * bound to the wildcard address of the family (one UDP port per host, as
 * the kernel stacks do), so endpoints of one process on different local
 * addresses share it; an endpoint's local address is then not a filter. Packets
 * for SCTP ports nobody claimed are answered as RFC 4960 §8.4 asks a host
 * without such an endpoint to answer (ABORT, never to an ABORT), rate
 * limited.
 *
 * @module
 */
import dgram from 'node:dgram';
import { InvalidArgumentError } from '../errors.js';
import { TransportError } from './errors.js';
import { ChunkType, MIN_PACKET_LENGTH, buildPacket, controlChunk, hasChunk, scanChunks, verifyChecksum } from './sctp-packet.js';

/** The IANA-assigned UDP port of SCTP-over-UDP encapsulation (RFC 6951 §5.1). */
export const SCTP_UDP_TUNNELING_PORT = 9899;

/** Lowest and highest SCTP port picked for `port: 0` on a shared encapsulation port. */
const EPHEMERAL_LOW = 49152;
const EPHEMERAL_HIGH = 65535;
/** Stateless answers to packets for unclaimed SCTP ports, per second. */
const REPLIES_PER_SECOND = 1000;

/** What an attached endpoint receives from the shared socket. */
export interface EncapsulationReceiver {
  /** One datagram for this endpoint's SCTP port (not yet validated). */
  onDatagram(data: Buffer, rinfo: dgram.RemoteInfo): void;
  /** A socket-level error of the shared socket. */
  onSocketError(error: Error): void;
}

const ports = new Map<string, Promise<EncapsulationPort>>();

function portKey(family: 4 | 6, udpPort: number): string {
  return `${family}|${udpPort}`;
}

/** The shared UDP socket of the `udp-standard` mode; see the module comment. */
export class EncapsulationPort {
  /** Counters of packets no attached endpoint claimed. */
  readonly stats = { unclaimed: 0, abortsSent: 0 };
  private readonly receivers = new Map<number, EncapsulationReceiver>();
  private replyWindow = 0;
  private replyBudget = REPLIES_PER_SECOND;
  private closed = false;

  private constructor(
    /** The bound socket, shared by every attached endpoint. */
    readonly socket: dgram.Socket,
    private readonly key: string,
  ) {
    socket.on('message', (data, rinfo) => this.receive(data, rinfo));
    socket.on('error', (error) => {
      for (const r of this.receivers.values()) r.onSocketError(error);
    });
  }

  /** The bound UDP port (the process's encapsulation port). */
  get udpPort(): number {
    return this.socket.address().port;
  }

  /**
   * The shared port of this family and UDP port, opened on first use on the
   * family's wildcard address. `udpPort` 0 binds an ephemeral port (tests);
   * the port is then shared by every later caller asking for 0 as well.
   */
  static async open(family: 4 | 6, udpPort: number, bindSocket: (socket: dgram.Socket) => Promise<void>, socketType: dgram.SocketOptions): Promise<EncapsulationPort> {
    const key = portKey(family, udpPort);
    const address = family === 6 ? '::' : '0.0.0.0';
    let p = ports.get(key);
    if (!p) {
      p = (async () => {
        const socket = dgram.createSocket(socketType);
        try {
          await bindSocket(socket);
        } catch (error) {
          try {
            socket.close();
          } catch {
            /* not bound */
          }
          throw new TransportError(`Cannot bind the SCTP-over-UDP port ${address}:${udpPort}: ${(error as Error).message}`, { cause: error });
        }
        return new EncapsulationPort(socket, key);
      })();
      ports.set(key, p);
      p.catch(() => ports.delete(key));
    }
    return p;
  }

  /** Claims an SCTP port (0 = a free one in 49152–65535) for `receiver`; returns the port. */
  attach(sctpPort: number, receiver: EncapsulationReceiver): number {
    if (this.closed) throw new TransportError('The SCTP-over-UDP port is closed');
    let port = sctpPort;
    if (port === 0) {
      const span = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1;
      const start = Math.floor(Math.random() * span);
      for (let i = 0; i < span; i++) {
        const candidate = EPHEMERAL_LOW + ((start + i) % span);
        if (!this.receivers.has(candidate)) {
          port = candidate;
          break;
        }
      }
      if (port === 0) throw new TransportError('EADDRINUSE: no free SCTP port on the SCTP-over-UDP port');
    } else if (this.receivers.has(port)) {
      throw new TransportError(`EADDRINUSE: SCTP port ${port} is already in use on UDP port ${this.udpPort}`);
    }
    this.receivers.set(port, receiver);
    return port;
  }

  /** Releases an SCTP port; the socket closes with the last one. */
  async detach(sctpPort: number, receiver: EncapsulationReceiver): Promise<void> {
    if (this.receivers.get(sctpPort) === receiver) this.receivers.delete(sctpPort);
    if (this.receivers.size > 0 || this.closed) return;
    this.closed = true;
    ports.delete(this.key);
    await new Promise<void>((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }

  private receive(data: Buffer, rinfo: dgram.RemoteInfo): void {
    if (data.length >= 4) {
      const receiver = this.receivers.get(data.readUInt16BE(2));
      if (receiver) {
        receiver.onDatagram(data, rinfo);
        return;
      }
    }
    this.stats.unclaimed++;
    if (data.length < MIN_PACKET_LENGTH || !verifyChecksum(data)) return;
    const summary = scanChunks(data);
    if (!summary || hasChunk(summary, ChunkType.ABORT) || hasChunk(summary, ChunkType.SHUTDOWN_COMPLETE)) return;
    const srcPort = data.readUInt16BE(0);
    const dstPort = data.readUInt16BE(2);
    let reply: Buffer | undefined;
    if (hasChunk(summary, ChunkType.INIT)) {
      const initiateTag = data.length >= 20 ? data.readUInt32BE(16) : 0;
      if (initiateTag !== 0) reply = buildPacket(dstPort, srcPort, initiateTag, [controlChunk(ChunkType.ABORT, 0)]);
    } else if (hasChunk(summary, ChunkType.SHUTDOWN_ACK)) {
      reply = buildPacket(dstPort, srcPort, data.readUInt32BE(4), [controlChunk(ChunkType.SHUTDOWN_COMPLETE, 1)]);
    } else if (!hasChunk(summary, ChunkType.COOKIE_ACK) && !hasChunk(summary, ChunkType.ERROR)) {
      reply = buildPacket(dstPort, srcPort, data.readUInt32BE(4), [controlChunk(ChunkType.ABORT, 1)]);
    }
    if (!reply) return;
    const now = Date.now();
    if (now - this.replyWindow >= 1000) {
      this.replyWindow = now;
      this.replyBudget = REPLIES_PER_SECOND;
    }
    if (this.replyBudget <= 0) return;
    this.replyBudget--;
    this.stats.abortsSent++;
    try {
      this.socket.send(reply, rinfo.port, rinfo.address);
    } catch {
      /* closing */
    }
  }
}

/** Checks a UDP port option (0–65535). */
export function checkUdpPort(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new InvalidArgumentError(`Invalid ${name}: ${String(value)}`);
  }
  return value;
}
