/**
 * The "peer link": how the ENRP server reaches other ENRP servers. The
 * server logic only sends typed {@link PeerMessage}s to transport addresses
 * (or to the presence multicast group) and receives them with the address
 * they came from; the real implementation (`sctp-peer-link.ts`) carries them
 * over SCTP with PPID 12 and UDP multicast, tests use in-memory links.
 *
 * @module
 */
import type { TransportAddress } from '../../transport/types.js';
import type { PeerMessage } from './messages.js';

/** Where a received message came from. */
export interface PeerLinkOrigin {
  /**
   * The ENRP transport address of the sender: the remote address of the
   * association it arrived on, or the UDP source of a multicast datagram.
   */
  from: TransportAddress;
  /** True when it arrived by UDP multicast rather than over SCTP. */
  multicast: boolean;
}

/** Receives what a {@link PeerLink} delivers. */
export interface PeerLinkHandler {
  /** One decoded ENRP message. */
  message(message: PeerMessage, origin: PeerLinkOrigin): void;
  /**
   * The association to `peer` is gone for a reason other than a local close
   * (abort, timeout, unreachable, refused). A hint only: liveness is decided
   * by the presence timers. `error` is the connect failure or the close
   * reason, when known.
   */
  down?(peer: TransportAddress, error?: unknown): void;
}

/** A bidirectional channel to the other ENRP servers. */
export interface PeerLink {
  /** This server's ENRP transport address, as advertised in Server Information. */
  readonly local: TransportAddress;
  /** Installs the receiver (called once by the ENRP server). */
  setHandler(handler: PeerLinkHandler): void;
  /**
   * Sends one message to the ENRP endpoint at `to`, opening an association
   * when there is none. Never throws: failures are reported through
   * {@link PeerLinkHandler.down} and otherwise dropped (ENRP recovers by its
   * timers and audits).
   */
  send(to: TransportAddress, message: PeerMessage): void;
  /** Sends one message to the presence multicast group; a no-op when multicast is off. */
  multicast(message: PeerMessage): void;
  /** Closes every association and socket. */
  close(): Promise<void>;
}

/** `'addr:port'` key of a transport address (IPv6 in brackets). */
export function addressKey(a: TransportAddress): string {
  return a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}
