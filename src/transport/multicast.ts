/**
 * UDP multicast channel for registrar announces (ASAP Server Announce to
 * 239.0.0.50:3863, ENRP Presence to 239.0.0.51:9901 by default in RSPLIB).
 *
 * The channel binds to the *group address* and the port, with SO_REUSEADDR,
 * so that it coexists with an SCTP-over-UDP endpoint bound to a unicast
 * address on the same port: unicast datagrams (encapsulated SCTP) keep going
 * to the endpoint's socket, multicast datagrams to every channel of the
 * group on the host. An endpoint bound to the wildcard address also receives
 * the multicast datagrams that reach its port; it hands them to its
 * `datagram` listeners since they are not SCTP.
 *
 * @module
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { EventEmitter } from 'eventemitter3';
import { ClosedError, InvalidArgumentError } from '../errors.js';
import { TransportError } from './errors.js';
import type { TransportAddress } from './types.js';

/** Options of {@link createMulticastChannel}. */
export interface MulticastChannelOptions {
  /** Multicast group address (IPv4 224.0.0.0/4 or IPv6 ff00::/8). */
  group: string;
  /** UDP port of the group; 0 binds an ephemeral port (tests). */
  port: number;
  /**
   * Local interface address used to join the group and to send (IPv4
   * address of the interface, or for IPv6 a scope such as `::%lo`).
   * Default: chosen by the kernel.
   */
  interface?: string;
  /** Multicast TTL / hop limit of sent datagrams; default 1 (link local). */
  ttl?: number;
  /** Deliver our own datagrams to listeners on this host; default true. */
  loopback?: boolean;
  /** Join the group and receive; default true. With false the channel only sends. */
  receive?: boolean;
  /**
   * Address to bind when receiving; default the group address (so unicast
   * traffic to the same port is not taken away from other sockets). Use the
   * wildcard (`0.0.0.0` / `::`) on systems that cannot bind a group address.
   */
  bindAddress?: string;
  /** SO_REUSEADDR, so several processes on a host can listen to one group; default true. */
  reuseAddr?: boolean;
}

/** Events of a {@link MulticastChannel}. */
export interface MulticastChannelEvents {
  /** One datagram received on the group. */
  message: (data: Buffer, remote: TransportAddress) => void;
  /** A socket error; always an `Error`. */
  error: (error: Error) => void;
  /** The channel closed. */
  close: () => void;
}

function isMulticast(address: string): boolean {
  const v = net.isIP(address);
  if (v === 4) {
    const first = Number(address.split('.')[0]);
    return first >= 224 && first <= 239;
  }
  if (v === 6) return /^ff/i.test(address);
  return false;
}

/** A joined (or send-only) UDP multicast group. Create with {@link createMulticastChannel}. */
export class MulticastChannel extends EventEmitter<MulticastChannelEvents> {
  /** Group address. */
  readonly group: string;
  /** Group port (the bound port when receiving). */
  readonly port: number;
  private readonly socket: dgram.Socket;
  private readonly membershipInterface: string | undefined;
  private readonly joined: boolean;
  private closed = false;

  /** @internal Use {@link createMulticastChannel}. */
  constructor(socket: dgram.Socket, group: string, port: number, membershipInterface: string | undefined, joined: boolean) {
    super();
    this.socket = socket;
    this.group = group;
    this.port = port;
    this.membershipInterface = membershipInterface;
    this.joined = joined;
    socket.on('message', (data, rinfo) => {
      try {
        this.emit('message', data, { address: rinfo.address, port: rinfo.port });
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    });
    socket.on('error', (error) => this.emit('error', new TransportError(`Multicast socket error: ${error.message}`, { cause: error })));
  }

  /** Local address and port of the socket. */
  get local(): TransportAddress {
    const a = this.socket.address();
    return { address: a.address, port: a.port };
  }

  /** Sends one datagram to the group (or to `to`, e.g. a unicast announce). */
  send(data: Uint8Array, to?: TransportAddress): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError('Multicast channel is closed'));
    const port = to?.port ?? this.port;
    const address = to?.address ?? this.group;
    return new Promise((resolve, reject) => {
      try {
        this.socket.send(data, port, address, (error) =>
          error ? reject(new TransportError(`Multicast send failed: ${error.message}`, { cause: error })) : resolve(),
        );
      } catch (error) {
        reject(new TransportError(`Multicast send failed: ${(error as Error).message}`, { cause: error }));
      }
    });
  }

  /** Leaves the group and closes the socket. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    if (this.joined) {
      try {
        this.socket.dropMembership(this.group, this.membershipInterface);
      } catch {
        /* already gone */
      }
    }
    return new Promise((resolve) => {
      this.socket.close(() => {
        this.emit('close');
        resolve();
      });
    });
  }
}

/**
 * Opens a multicast channel: binds, joins the group on the interface and
 * sets TTL and loopback.
 *
 * ```ts
 * const announces = await createMulticastChannel({ group: '239.0.0.50', port: 3863, interface: '127.0.0.1' });
 * announces.on('message', (data, from) => ...);
 * await announces.send(bytes);
 * ```
 */
export async function createMulticastChannel(options: MulticastChannelOptions): Promise<MulticastChannel> {
  const { group } = options;
  if (typeof group !== 'string' || !isMulticast(group)) throw new InvalidArgumentError(`Not a multicast group address: ${String(group)}`);
  const port = options.port;
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw new InvalidArgumentError(`Invalid port ${String(port)}`);
  const ttl = options.ttl ?? 1;
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 255) throw new InvalidArgumentError(`Invalid TTL ${String(ttl)}`);
  const v6 = net.isIPv6(group);
  const receive = options.receive ?? true;
  const socket = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', reuseAddr: options.reuseAddr ?? true });
  const bindAddress = receive ? (options.bindAddress ?? group) : v6 ? '::' : '0.0.0.0';
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(receive ? port : 0, bindAddress, () => {
        socket.removeListener('error', reject);
        resolve();
      });
    });
    if (receive) socket.addMembership(group, options.interface);
    if (options.interface) socket.setMulticastInterface(options.interface);
    socket.setMulticastTTL(ttl);
    socket.setMulticastLoopback(options.loopback ?? true);
  } catch (error) {
    try {
      socket.close();
    } catch {
      /* not bound */
    }
    throw new TransportError(`Cannot open multicast channel ${group}:${port}: ${(error as Error).message}`, { cause: error });
  }
  const boundPort = receive ? socket.address().port : port;
  return new MulticastChannel(socket, group, boundPort, options.interface, receive);
}
