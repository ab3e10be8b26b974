/**
 * Periodic ASAP Server Announces by UDP multicast (spec §12.7): every
 * announce interval (±12.5 % jitter) one datagram built by the caller goes to
 * the announce group. Send failures (no multicast route, interface down) are
 * counted and logged once per kind, never thrown: static registrar lists keep
 * working without multicast.
 *
 * @module
 */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import type { Clock, TimerHandle } from '../clock.js';
import type { TransportAddress } from '../transport/types.js';
import { jitteredDelay } from './keep-alive-scheduler.js';
import type { Logger } from './logger.js';
import type { AnnounceSender, AnnounceSenderFactory } from './options.js';

/**
 * The default {@link AnnounceSenderFactory}: a UDP socket on an ephemeral
 * port that sends to the group with the given TTL and loopback setting.
 * (Announces carry the registrar's SCTP transport address, so receivers do
 * not need the datagram's source port.)
 */
export const createUdpAnnounceSender: AnnounceSenderFactory = async (group, options) => {
  const socket = dgram.createSocket({ type: isIP(group.address) === 6 ? 'udp6' : 'udp4' });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', () => {
    // Asynchronous socket errors (e.g. ICMP) are reported through send callbacks.
  });
  try {
    socket.setMulticastTTL(options.ttl);
    socket.setMulticastLoopback(options.loopback);
    if (options.interface !== undefined) socket.setMulticastInterface(options.interface);
  } catch {
    // Unicast targets reject multicast options; they are not needed there.
  }
  socket.unref();
  return {
    send: (data: Uint8Array) =>
      new Promise<void>((resolve, reject) => {
        socket.send(data, group.port, group.address, (err) => (err ? reject(err) : resolve()));
      }),
    close: () =>
      new Promise<void>((resolve) => {
        try {
          socket.close(() => resolve());
        } catch {
          resolve();
        }
      }),
  };
};

/** Options of {@link Announcer}. */
export interface AnnouncerOptions {
  group: TransportAddress;
  interval: number;
  ttl: number;
  interface?: string;
  loopback: boolean;
  clock: Clock;
  random: () => number;
  logger: Logger;
  createSender?: AnnounceSenderFactory;
  /** Builds the datagram (an encoded ASAP_SERVER_ANNOUNCE) for each send. */
  payload: () => Uint8Array;
  /** Called after every attempt with its outcome (for counters). */
  onSent?: (ok: boolean) => void;
}

/** Sends Server Announces until closed. */
export class Announcer {
  private sender: AnnounceSender | undefined;
  private timer: TimerHandle | undefined;
  private closed = false;
  private lastError = '';

  constructor(private readonly options: AnnouncerOptions) {}

  /** Opens the socket and sends the first announce right away. */
  async start(): Promise<void> {
    const o = this.options;
    this.sender = await (o.createSender ?? createUdpAnnounceSender)(o.group, { ttl: o.ttl, interface: o.interface, loopback: o.loopback });
    if (this.closed) {
      await this.sender.close();
      return;
    }
    this.tick();
  }

  /** Stops announcing and closes the socket. */
  async close(): Promise<void> {
    this.closed = true;
    this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const s = this.sender;
    this.sender = undefined;
    await s?.close();
  }

  private tick(): void {
    if (this.closed || this.sender === undefined) return;
    const o = this.options;
    let data: Uint8Array;
    try {
      data = o.payload();
    } catch (err) {
      o.logger.error('announce-build-failed', { error: err });
      return;
    }
    Promise.resolve()
      .then(() => this.sender?.send(data))
      .then(
        () => {
          this.lastError = '';
          o.onSent?.(true);
        },
        (err: unknown) => {
          const msg = err instanceof Error ? err.message : String(err);
          if (msg !== this.lastError) {
            o.logger.warn('announce-failed', { group: `${o.group.address}:${o.group.port}`, error: msg });
            this.lastError = msg;
          }
          o.onSent?.(false);
        },
      );
    this.timer = o.clock.setTimeout(() => this.tick(), jitteredDelay(o.interval, 0.125, o.random));
  }
}
