/**
 * The message-oriented transport contract that the upper layers (ASAP
 * instance, registrar, sessions) build on. `src/transport/` implements it on
 * the npm `sctp` package, over UDP encapsulation (RFC 6951) or raw IP.
 *
 * @module
 */
import type { EventEmitter } from 'eventemitter3';

/** Per-message options of {@link Association.send}. */
export interface SendOptions {
  /** SCTP payload protocol identifier (11 = ASAP, 12 = ENRP, others: application). */
  ppid: number;
  /** Stream number; default 0. */
  stream?: number;
  /** Deliver without ordering; default false. */
  unordered?: boolean;
  /** Cancels a send still waiting in the write queue. */
  signal?: AbortSignal;
  /**
   * Any value of the caller's, handed back with the message by
   * {@link Association.unacknowledged} (e.g. the caller's own record of it).
   */
  tag?: unknown;
}

/**
 * A message the peer's SCTP has not acknowledged (see
 * {@link Association.unacknowledged}).
 */
export interface UnacknowledgedMessage {
  /** The message bytes (the association's copy). */
  data: Uint8Array;
  /** Its PPID. */
  ppid: number;
  /** Its stream. */
  stream: number;
  /** Sent unordered. */
  unordered: boolean;
  /**
   * True when it was transmitted (it may have reached the peer, whose
   * acknowledgement had not arrived yet); false when it never left the
   * local queues.
   */
  transmitted: boolean;
  /** The `tag` given to `send()`. */
  tag: unknown;
}

/** Metadata of a received message. */
export interface MessageInfo {
  /** SCTP payload protocol identifier of the message. */
  ppid: number;
  /** Stream the message arrived on. */
  stream: number;
  /** True when the sender asked for unordered delivery. */
  unordered: boolean;
}

/**
 * Why an association closed:
 * - `shutdown`: graceful SCTP shutdown (either side);
 * - `abort`: the peer or we sent ABORT;
 * - `timeout`: failure detection gave up (heartbeats or retransmissions exhausted);
 * - `unreachable`: ICMP told us the peer is unreachable (e.g. port unreachable);
 * - `refused`: the connection attempt was refused or answered with ABORT;
 * - `local`: closed by the local endpoint closing.
 */
export type CloseReason = 'shutdown' | 'abort' | 'timeout' | 'unreachable' | 'refused' | 'local';

/** A transport address: IP address and SCTP port. */
export interface TransportAddress {
  /** IPv4 or IPv6 address in text form. */
  address: string;
  /** SCTP port (with UDP encapsulation also the UDP port). */
  port: number;
}

/** Events of an {@link Association}. */
export interface AssociationEvents {
  /** One complete SCTP user message. */
  message: (data: Uint8Array, info: MessageInfo) => void;
  /** Emitted once when the association is gone; no event follows. */
  close: (reason: CloseReason, error?: Error) => void;
  /** A non-fatal problem; always an `Error`. */
  error: (error: Error) => void;
  /** The write queue drained below its high-water mark again. */
  drain: () => void;
}

/** Failure-detection and retransmission tuning (milliseconds). */
export interface FailureDetectionOptions {
  /** Heartbeat interval on an idle path. */
  heartbeatInterval?: number;
  /** Initial retransmission timeout (RTO.Initial). */
  rtoInitial?: number;
  /** Lower bound of the retransmission timeout (RTO.Min). */
  rtoMin?: number;
  /** Upper bound of the retransmission timeout (RTO.Max). */
  rtoMax?: number;
  /** Consecutive failed retransmissions/heartbeats before the association is declared dead. */
  maxRetransmissions?: number;
  /** Maximum INIT/COOKIE-ECHO retransmissions before a connect fails. */
  maxInitRetransmissions?: number;
}

/** One SCTP association, message oriented. */
export interface Association extends EventEmitter<AssociationEvents> {
  /** Local transport address. */
  readonly local: TransportAddress;
  /** Primary remote transport address. */
  readonly remote: TransportAddress;
  /** True until `close` has been emitted. */
  readonly open: boolean;
  /** Bytes waiting in the write queue. */
  readonly bufferedAmount: number;
  /**
   * Queues one message. Resolves when the message has been handed to SCTP
   * (not when the peer acknowledged it: see {@link Association.unacknowledged});
   * rejects with an `RSerPoolError`
   * when the association closes first or the message is larger than the cap.
   */
  send(data: Uint8Array, options: SendOptions): Promise<void>;
  /**
   * {@link Association.send} without the copy: the association keeps `data`
   * itself until the peer acknowledged it, so the caller hands the buffer over
   * and must not modify it afterwards. Same checks, errors and promise as
   * `send()`. Optional for other implementations (test doubles).
   */
  sendHandedOver?(data: Uint8Array, options: SendOptions): Promise<void>;
  /**
   * Queues one message like {@link Association.send} but returns no promise,
   * as `net.Socket.write()` does: false once the queue reached its
   * high-water mark (wait for `drain`), else true. Throws what `send()`
   * rejects with for invalid arguments or a closed association; a message
   * not transmitted before the association closed is listed by
   * {@link Association.unacknowledged}. No `signal`. Optional for other
   * implementations (test doubles).
   */
  write?(data: Uint8Array, options: SendOptions): boolean;
  /**
   * The messages given to `send()` that the peer's SCTP has not
   * acknowledged, in the order they were sent: transmitted ones whose last
   * TSN the peer's cumulative TSN ack does not cover yet, then the ones
   * never transmitted. A message the peer acknowledged was received by its
   * SCTP stack (and handed to its application unless the peer process died
   * first); one that is not listed was acknowledged. Still valid after
   * `close` (the list as it was when the association ended), so a caller
   * can re-send it elsewhere. Every association of this package's
   * endpoints has it; optional for other implementations (test doubles).
   */
  unacknowledged?(): UnacknowledgedMessage[];
  /** Graceful shutdown; resolves when the association is closed. */
  close(): Promise<void>;
  /** Immediate ABORT. */
  abort(reason?: string): void;
}

/** Events of an {@link Endpoint}. */
export interface EndpointEvents {
  /** A peer opened an association to this (listening) endpoint. */
  association: (association: Association) => void;
  /** A socket-level problem; always an `Error` (`RSerPoolError` subclass). */
  error: (error: Error) => void;
  /** The endpoint closed; no event follows. */
  close: () => void;
  /**
   * A datagram that arrived on the endpoint's port but is not SCTP (UDP
   * encapsulation only; e.g. a registrar announce sent to the shared port).
   * Never emitted by raw-IP endpoints.
   */
  datagram: (data: Uint8Array, remote: TransportAddress) => void;
}

/** Options of {@link Endpoint.connect}. */
export interface ConnectOptions extends FailureDetectionOptions {
  /** Give up after this many milliseconds (rejects with `TimeoutError`). */
  timeout?: number;
  /** Cancels the attempt (rejects with `AbortError`). */
  signal?: AbortSignal;
}

/**
 * A local SCTP endpoint (one port) that can accept and open many
 * associations.
 */
export interface Endpoint extends EventEmitter<EndpointEvents> {
  /** Local transport address (IP address and SCTP port). */
  readonly local: TransportAddress;
  /** Opens an association to a remote endpoint. */
  connect(remote: TransportAddress, options?: ConnectOptions): Promise<Association>;
  /** Aborts every association and releases the sockets. */
  close(): Promise<void>;
}
