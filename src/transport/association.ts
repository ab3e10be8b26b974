/**
 * The message-oriented {@link Association} over one association of the npm
 * `sctp` protocol machine: a serialised write queue with a message-size cap
 * and backpressure, `message` events with PPID / stream / unordered flag,
 * and exactly one `close` event carrying a {@link CloseReason}.
 *
 * Endpoints (UDP encapsulation, raw IP) create these objects; applications
 * get them from `Endpoint.connect()` or the endpoint's `association` event.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import { AbortError, ClosedError, InvalidArgumentError, TimeoutError } from '../errors.js';
import { ConnectionRefusedError, MessageTooLargeError, TransportError } from './errors.js';
import type { SctpAssociation } from './sctp-lib.js';
import { pathMtuInfo, sctpRepairsInstalled } from './sctp-repairs/index.js';
import { acknowledgedTsn, cancelFlushPromise, flush as flushSctp, flushAtEndOfJob, queueMessage, setReceiver } from './sctp-repairs/send-path.js';
import { OutMessage, st as repairState, type AssocState } from './sctp-repairs/state.js';
import { Ring } from './ring.js';
import { flushAfterPacket } from './packet-job.js';
import { asBuffer, copyForSend, recycleSendCopy } from './slab.js';
import { tsnLe } from './sctp-repairs/serial.js';
import type {
  Association,
  AssociationEvents,
  CloseReason,
  MessageInfo,
  SendOptions,
  TransportAddress,
  UnacknowledgedMessage,
} from './types.js';

/** Default cap on the size of one message (1 MiB). */
export const DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024;
/** Default high-water mark of the write queue (bytes) above which `drain` is armed. */
export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;
/** Default time a graceful close may take before the association is aborted (ms). */
export const DEFAULT_CLOSE_TIMEOUT = 3000;

/** Settings an endpoint passes to each association it creates. */
export interface AssociationSettings {
  local: TransportAddress;
  remote: TransportAddress;
  /** Largest message `send()` accepts, in bytes. */
  maxMessageSize: number;
  /** Write-queue size at which `drain` is armed, in bytes. */
  highWaterMark: number;
  /** Time a graceful close may take before the association is aborted, in ms. */
  closeTimeout: number;
  /** Called once after `close` has been emitted, to release endpoint state. */
  onRelease: (association: SctpTransportAssociation) => void;
}

const NOOP = (): void => {};

/** Settled once: `RESOLVED.then(fn)` runs `fn` as a plain microtask. */
const RESOLVED = Promise.resolve();

/**
 * One message from `send()` until the peer's cumulative TSN ack covers it:
 * the send path's own queue entry ({@link OutMessage}) with the promise's
 * settle functions and the caller's options in the same object, every field
 * set in the constructor. Per message there is this object, the promise and
 * its settle functions, nothing else.
 */
class QueuedSend extends OutMessage {
  resolve: () => void = NOOP;
  reject: (error: Error) => void = NOOP;
  /** Abort listener while the message waits in the association's queue. */
  onAbort: (() => void) | undefined = undefined;
  readonly signal: AbortSignal | undefined;
  readonly tag: unknown;
  /**
   * `data` is the association's own copy ({@link copyForSend}) that no one
   * else has seen: its buffer is recycled once the peer acknowledged it.
   * Cleared when {@link SctpTransportAssociation.unacknowledged} hands the
   * bytes out.
   */
  ownCopy: boolean;

  constructor(data: Buffer, options: SendOptions, stream: number, callback: (error: Error | undefined, lastTsn: number, m: OutMessage) => void, ownCopy: boolean) {
    super(data, stream, options.ppid >>> 0, !!options.unordered, callback);
    this.signal = options.signal;
    this.tag = options.tag;
    this.ownCopy = ownCopy;
  }

  settle(error: Error | undefined): void {
    const { resolve, reject } = this;
    // Drop the promise's functions at once: only the bytes and the tag stay until acknowledged.
    this.resolve = NOOP;
    this.reject = NOOP;
    if (error) reject(error);
    else resolve();
  }
}

type Phase = 'connecting' | 'open' | 'closing' | 'closed';

const STATE_ESTABLISHED = 'ESTABLISHED';

/** Maps the argument of sctp's `COMMUNICATION LOST` event to a close reason. */
function lostReason(event: unknown): CloseReason {
  switch (event) {
    case 'abort':
      return 'abort';
    case 'unreachable':
      return 'unreachable';
    case 'refused':
      return 'refused';
    case 'local':
      return 'local';
    case 'shutdown':
      return 'shutdown';
    case 'restart':
      return 'abort';
    default:
      return 'timeout';
  }
}

/** Rethrows outside of the protocol machine, like an exception in any event listener. */
function rethrowLater(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

/**
 * One SCTP association as seen by the upper layers. See {@link Association}
 * for the contract; this class adds nothing public beyond it except
 * {@link SctpTransportAssociation.established}.
 */
export class SctpTransportAssociation extends EventEmitter<AssociationEvents> implements Association {
  readonly local: TransportAddress;
  readonly remote: TransportAddress;

  private readonly sctp: SctpAssociation;
  private readonly settings: AssociationSettings;
  private phase: Phase = 'connecting';
  /** Messages not yet handed to SCTP, in order. */
  private readonly queue = new Ring<QueuedSend>(4);
  private queuedBytes = 0;
  /** Messages handed to SCTP whose completion callback has not come yet, in order. */
  private readonly handed = new Ring<QueuedSend>(4);
  private inSctpBytes = 0;
  /** Transmitted messages not yet known to be acknowledged, in TSN order. */
  private readonly unacked = new Ring<QueuedSend>(4);
  /** What {@link unacknowledged} returns once the association is closed. */
  private leftover: UnacknowledgedMessage[] | undefined;
  /** Emits one received message. */
  private readonly receive = (data: Buffer, stream: number, ppid: number, unordered: boolean): void => {
    const info: MessageInfo = { ppid: ppid >>> 0, stream, unordered };
    try {
      this.emit('message', data, info);
    } catch (error) {
      rethrowLater(error);
    }
  };
  /** The completion callback of every message (one function per association, not per message). */
  private readonly onSent = (error: Error | undefined, lastTsn: number, m: OutMessage): void => this.sent(m as QueuedSend, error, lastTsn);
  /** False after SCTP said its own queue is above its high-water mark. */
  private sctpAccepting = true;
  private pumping = false;
  private flushQueued = false;
  private readonly flushNow = (): void => {
    this.flushQueued = false;
    if (this.phase === 'closed') {
      cancelFlushPromise(this.sctp);
      return;
    }
    try {
      flushSctp(this.sctp);
    } catch (error) {
      this.emitError(error instanceof Error ? error : new TransportError(String(error)));
    }
  };
  private readonly pipelined = sctpRepairsInstalled('send-path');
  /** The machine's repair state, kept once looked up (the lookup on sctp's objects can be a generic one). */
  private repairState: AssocState | undefined;
  private needDrain = false;
  private lastUnordered = false;
  /** Reason learnt from the protocol machine or set locally, used when it is destroyed. */
  private reason: CloseReason | undefined;
  private reasonError: Error | undefined;
  /** Error reported by the protocol machine with `COMMUNICATION LOST`. */
  private lostError: Error | undefined;
  private closeTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closeWaiters: Array<() => void> = [];
  private upWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private finalised = false;

  /** @internal Endpoints create associations; applications do not. */
  constructor(sctp: SctpAssociation, settings: AssociationSettings) {
    super();
    this.sctp = sctp;
    this.settings = settings;
    this.local = settings.local;
    this.remote = settings.remote;
    this.attach();
  }

  /** True until `close` has been emitted. */
  get open(): boolean {
    return this.phase !== 'closed';
  }

  /** True once the handshake completed and until closing starts. */
  get established(): boolean {
    return this.phase === 'open';
  }

  /** Bytes waiting in the write queue (including the message being handed to SCTP). */
  get bufferedAmount(): number {
    return this.queuedBytes + this.inSctpBytes;
  }

  /** Largest message {@link send} accepts, in bytes. */
  get maxMessageSize(): number {
    return this.settings.maxMessageSize;
  }

  /** Number of outbound streams negotiated with the peer (valid `stream` values are below it). */
  get outboundStreams(): number {
    return this.sctp.OS;
  }

  /**
   * Largest SCTP packet sent to the peer now, in bytes: the path MTU minus IP
   * and encapsulation headers (raised by path MTU discovery where the path is probed).
   */
  get packetSize(): number {
    return pathMtuInfo(this.sctp).packetSize;
  }

  send(data: Uint8Array, options: SendOptions): Promise<void> {
    const problem = this.check(data, options);
    if (problem) return Promise.reject(problem);
    // Copy: SCTP keeps the bytes for retransmission; the caller may reuse its buffer.
    return this.enqueue(copyForSend(data), options, options.stream ?? 0, true, true)!;
  }

  /**
   * {@link send} without the copy: the association keeps `data` itself until
   * the peer acknowledged it (and {@link unacknowledged} returns it), so the
   * caller hands the buffer over and must not modify it afterwards. Same
   * checks, errors and promise as {@link send}.
   */
  sendHandedOver(data: Uint8Array, options: SendOptions): Promise<void> {
    const problem = this.check(data, options);
    if (problem) return Promise.reject(problem);
    return this.enqueue(asBuffer(data), options, options.stream ?? 0, true, false)!;
  }

  /**
   * Queues one message like {@link send}, without a promise: the way
   * `net.Socket.write()` queues bytes. Returns false when the queue has
   * reached the high-water mark (wait for `drain` before writing more), true
   * otherwise. Invalid arguments and writing to a closed association throw
   * (the errors `send()` rejects with); a message the association could not
   * transmit before it closed is listed by {@link unacknowledged}, and the
   * `close` event says why. `options.signal` is not supported (a write
   * cannot be cancelled). Use it for streams of messages where a promise per
   * message would be wasted work.
   */
  write(data: Uint8Array, options: SendOptions): boolean {
    const problem = this.check(data, options);
    if (problem) throw problem;
    if (options.signal !== undefined) throw new InvalidArgumentError('write() takes no AbortSignal; use send()');
    this.enqueue(copyForSend(data), options, options.stream ?? 0, false, true);
    return this.bufferedAmount < this.settings.highWaterMark;
  }

  private enqueue(data: Buffer, options: SendOptions, stream: number, withPromise: boolean, ownCopy: boolean): Promise<void> | undefined {
    const item = new QueuedSend(data, options, stream, this.onSent, ownCopy);
    const promise = withPromise
      ? new Promise<void>((resolve, reject) => {
          item.resolve = resolve;
          item.reject = reject;
        })
      : undefined;
    const signal = options.signal;
    if (signal) {
      item.onAbort = () => {
        const index = this.queue.indexOf(item);
        if (index >= 0) {
          this.queue.removeAt(index);
          this.queuedBytes -= item.data.length;
          item.settle(new AbortError(undefined, { cause: signal.reason }));
          this.checkDrain();
        }
      };
      signal.addEventListener('abort', item.onAbort, { once: true });
    }
    this.queue.push(item);
    this.queuedBytes += data.length;
    if (this.bufferedAmount >= this.settings.highWaterMark) this.needDrain = true;
    this.pump();
    return promise;
  }

  /** Why `send(data, options)` is not acceptable now, or undefined. */
  private check(data: Uint8Array, options: SendOptions): Error | undefined {
    if (this.phase === 'closed' || this.phase === 'closing') return new ClosedError('Association is closed');
    if (!(data instanceof Uint8Array)) return new InvalidArgumentError('data must be a Uint8Array');
    if (data.length === 0) return new InvalidArgumentError('SCTP cannot carry an empty message');
    if (data.length > this.settings.maxMessageSize) return new MessageTooLargeError(data.length, this.settings.maxMessageSize);
    const ppid = options?.ppid;
    if (!Number.isInteger(ppid) || ppid < 0 || ppid > 0xffffffff) return new InvalidArgumentError(`Invalid PPID ${String(ppid)}`);
    const stream = options.stream ?? 0;
    if (!Number.isInteger(stream) || stream < 0 || stream > 0xffff || (this.phase === 'open' && stream >= this.sctp.OS)) {
      return new InvalidArgumentError(`Invalid stream ${String(stream)} (outbound streams: ${this.sctp.OS})`);
    }
    const signal = options.signal;
    if (signal?.aborted) return new AbortError(undefined, { cause: signal.reason });
    return undefined;
  }

  unacknowledged(): UnacknowledgedMessage[] {
    if (this.leftover) return this.leftover.slice();
    this.pruneAcknowledged();
    const out: UnacknowledgedMessage[] = [];
    const add = (item: QueuedSend, transmitted: boolean): void => {
      // The caller keeps these bytes: never recycle them.
      item.ownCopy = false;
      out.push({ data: item.data, ppid: item.ppid, stream: item.streamId, unordered: item.unordered, transmitted, tag: item.tag });
    };
    for (let i = 0; i < this.unacked.length; i++) add(this.unacked.at(i), true);
    for (let i = 0; i < this.handed.length; i++) add(this.handed.at(i), false);
    for (let i = 0; i < this.queue.length; i++) add(this.queue.at(i), false);
    return out;
  }

  close(): Promise<void> {
    if (this.phase === 'closed') return Promise.resolve();
    const done = new Promise<void>((resolve) => this.closeWaiters.push(resolve));
    if (this.phase === 'connecting') {
      this.abortWith('local', undefined);
      return done;
    }
    if (this.phase === 'open') {
      this.phase = 'closing';
      this.closeTimer = setTimeout(() => {
        this.closeTimer = undefined;
        this.abortWith('timeout', new TimeoutError('Graceful shutdown did not complete in time'));
      }, this.settings.closeTimeout);
      this.closeTimer.unref?.();
      this.pump();
    }
    return done;
  }

  abort(reason?: string): void {
    if (this.phase === 'closed') return;
    this.abortWith('abort', undefined, reason);
  }

  /**
   * Resolves when the handshake has completed; rejects with the error of the
   * close when the association ends first.
   */
  whenEstablished(): Promise<void> {
    if (this.phase === 'open' || this.phase === 'closing') return Promise.resolve();
    if (this.phase === 'closed') return Promise.reject(this.closeError() ?? new ClosedError('Association is closed'));
    return new Promise((resolve, reject) => this.upWaiters.push({ resolve, reject }));
  }

  /**
   * @internal Ends the association because the endpoint learnt it is gone
   * (ICMP, endpoint closing, peer restart). Sends an ABORT when `sendAbort`.
   */
  terminate(reason: CloseReason, error: Error | undefined, sendAbort: boolean): void {
    if (this.phase === 'closed') return;
    this.reason = reason;
    this.reasonError = error;
    if (sendAbort) {
      this.safely(() => this.sctp.ABORT());
    } else {
      this.safely(() => this.sctp._destroy());
    }
    this.finalise();
  }

  // --- internals --------------------------------------------------------------------------

  private abortWith(reason: CloseReason, error: Error | undefined, userReason?: string): void {
    this.reason = reason;
    this.reasonError = error;
    this.safely(() => this.sctp.ABORT(userReason));
    this.finalise();
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.emitError(error instanceof Error ? error : new TransportError(String(error)));
    }
  }

  private attach(): void {
    const sctp = this.sctp;
    // A hook on this instance (not the prototype, which the repairs own): whatever path
    // destroys the TCB, the wrapper learns it and emits exactly one `close`.
    const self = this;
    const instanceDestroy = function (this: SctpAssociation, ...args: unknown[]): unknown {
      const proto = Object.getPrototypeOf(this) as { _destroy: (...a: unknown[]) => unknown };
      const result = proto._destroy.apply(this, args);
      queueMicrotask(() => self.finalise());
      return result;
    };
    Object.defineProperty(sctp, '_destroy', { value: instanceDestroy, writable: true, configurable: true, enumerable: false });

    if (this.pipelined) {
      // Repaired machine: complete messages come straight to this association.
      setReceiver(sctp, this.receive);
    } else {
      sctp.prependListener('data', (chunk: { flags?: { U?: number | boolean } }) => {
        this.lastUnordered = !!chunk?.flags?.U;
      });
      sctp.on('DATA ARRIVE', (stream: number) => {
        const buffer = sctp.RECEIVE() as (Buffer & { ppid?: number; unordered?: boolean }) | undefined;
        if (!buffer) return;
        const unordered = typeof buffer.unordered === 'boolean' ? buffer.unordered : this.lastUnordered;
        this.receive(buffer, stream, buffer.ppid ?? 0, unordered);
      });
    }
    sctp.once('COMMUNICATION UP', () => this.onUp());
    sctp.on('COMMUNICATION LOST', (event: unknown, detail: unknown) => {
      if (this.reason === undefined) this.reason = lostReason(event);
      if (detail instanceof Error) this.lostError = detail;
      queueMicrotask(() => this.finalise());
    });
    sctp.on('SHUTDOWN COMPLETE', () => {
      if (this.reason === undefined || this.phase === 'closing') this.reason = 'shutdown';
      queueMicrotask(() => this.finalise());
    });
    sctp.on('COMMUNICATION ERROR', (causes: unknown) => {
      const error = new TransportError(`Peer reported an error: ${JSON.stringify(causes)}`);
      this.emitError(error);
    });
  }

  private emitError(error: Error): void {
    try {
      this.emit('error', error);
    } catch (e) {
      rethrowLater(e);
    }
  }

  private onUp(): void {
    if (this.phase !== 'connecting') return;
    this.phase = 'open';
    const waiters = this.upWaiters;
    this.upWaiters = [];
    for (const w of waiters) w.resolve();
    this.pump();
  }

  private pump(): void {
    if (this.phase === 'connecting' || this.phase === 'closed' || this.pumping) return;
    this.pumping = true;
    try {
      // With the repaired send path every message has its own completion callback, so
      // several messages can be handed to SCTP at once (bundling, full windows); the
      // original machine has one callback slot, so it gets one message at a time.
      const limit = this.pipelined ? Infinity : 1;
      let handed = 0;
      while (this.queue.length > 0 && this.handed.length < limit && (this.sctpAccepting || this.handed.length === 0)) {
        const item = this.queue.shift()!;
        this.queuedBytes -= item.data.length;
        if (item.onAbort) {
          item.signal?.removeEventListener('abort', item.onAbort);
          item.onAbort = undefined;
        }
        this.handToSctp(item);
        handed++;
        if ((this.phase as Phase) === 'closed') return;
      }
      // Transmit at the end of the current job instead of on the next event-loop turn:
      // messages sent in one synchronous run are still bundled, and a request/response
      // exchange does not wait for a loop iteration on each side.
      if (handed > 0 && this.pipelined && !this.flushQueued && !this.refilling) {
        this.flushQueued = true;
        flushAtEndOfJob(this.sctp);
        // Queued while a received packet is processed (a listener answering): flushed when the
        // packet is done. Else a reaction of a settled promise, a plain microtask
        // (queueMicrotask() adds an async resource per call).
        if (!flushAfterPacket(this.flushNow)) void RESOLVED.then(this.flushNow);
      }
    } finally {
      this.pumping = false;
    }
    if (this.queue.length === 0 && this.handed.length === 0 && this.phase === 'closing') this.shutdownWhenAcked();
  }

  /** Looks up the send path's state once and registers {@link refill} with it. */
  private initRepairState(): AssocState {
    const state = repairState(this.sctp);
    state.refill = this.refill;
    this.repairState = state;
    return state;
  }

  /**
   * The send path ran out of messages while building a packet: hand it what
   * the write queue holds (as the next completion would), so it fills the packet.
   */
  private readonly refill = (): void => {
    if (this.queue.length === 0 || this.pumping) return;
    // Its queue is empty, so below its high-water mark; the flush running now sends what is handed.
    this.sctpAccepting = true;
    this.refilling = true;
    try {
      this.pump();
    } finally {
      this.refilling = false;
    }
  };
  /** {@link refill} is handing messages to a flush that is running: no flush to schedule. */
  private refilling = false;

  private handToSctp(item: QueuedSend): void {
    this.handed.push(item);
    this.inSctpBytes += item.data.length;
    try {
      // Repaired send path: the item itself is the send path's queue entry, completed through
      // the association's one callback. The original machine gets a copy of the fields.
      const accepting = this.pipelined
        ? queueMessage(this.sctp, item, false, this.repairState ?? this.initRepairState())
        : this.sctp.SEND(item.data, { stream_id: item.streamId, ppid: item.ppid, unordered: item.unordered }, (error, lastTsn) =>
            this.sent(item, error ?? undefined, lastTsn),
          );
      if (accepting === false) this.sctpAccepting = false;
    } catch (error) {
      this.sent(item, error instanceof Error ? error : new Error(String(error)), undefined);
    }
  }

  /** Completion of a message handed to SCTP: transmitted (`lastTsn`) or failed. */
  private sent(item: QueuedSend, error: Error | undefined, lastTsn: number | undefined): void {
    // Failed because the association is going away: finalise() rejects it and lists it as never
    // transmitted in unacknowledged(), so the caller can send it elsewhere.
    if (error && this.sctp.state === 'CLOSED' && this.pipelined) return;
    if (!this.handed.remove(item)) return; // already settled by finalise()
    this.inSctpBytes -= item.data.length;
    if (!error && lastTsn !== undefined) {
      this.pruneAcknowledged();
      this.unacked.push(item);
    }
    this.sctpAccepting = true;
    if (error && this.phase !== 'closed' && !this.pipelined && /flightsize/.test(error.message)) {
      // Original machine: congestion window full at the moment of the call; retry shortly.
      this.queue.unshift(item);
      this.queuedBytes += item.data.length;
      this.retryTimer ??= setTimeout(() => {
        this.retryTimer = undefined;
        this.pump();
      }, 2);
      return;
    }
    item.settle(error ? new TransportError(`Send failed: ${error.message}`, { cause: error }) : undefined);
    this.checkDrain();
    // (pump() has work only with messages queued, or to start the shutdown once all is handed over.)
    if (!this.pumping && (this.queue.length > 0 || this.phase === 'closing')) this.pump();
  }

  /** Forgets the transmitted messages that the peer's cumulative TSN ack covers (and with them their bytes). */
  private pruneAcknowledged(): void {
    const unacked = this.unacked;
    if (unacked.length === 0) return;
    const cum = acknowledgedTsn(this.sctp);
    // With the repaired send path nothing reads an acknowledged message's bytes again (a packet
    // still queued with them is a duplicate the peer drops): its own copy goes back to the pool.
    const recycle = this.pipelined;
    while (unacked.length > 0 && tsnLe(unacked.peek()!.lastTsn, cum)) {
      const item = unacked.shift()!;
      if (recycle && item.ownCopy) recycleSendCopy(item.data);
    }
  }

  private checkDrain(): void {
    if (this.needDrain && this.bufferedAmount < this.settings.highWaterMark) {
      this.needDrain = false;
      try {
        this.emit('drain');
      } catch (error) {
        rethrowLater(error);
      }
    }
  }

  /** Starts SCTP SHUTDOWN once everything sent has been acknowledged. */
  private shutdownWhenAcked(): void {
    const sctp = this.sctp as SctpAssociation & { sent?: Record<string, unknown> };
    const idle = (): boolean => {
      const sent = sctp.sent;
      return (!sent || Object.keys(sent).length === 0) && (!sctp.queue || sctp.queue.length === 0);
    };
    const go = (): void => {
      if (this.phase !== 'closing') return;
      this.reason = 'shutdown';
      this.safely(() => sctp.SHUTDOWN());
    };
    if (sctp.state !== STATE_ESTABLISHED || idle()) {
      go();
      return;
    }
    // Check after every SACK and, as a fallback, on a short poll.
    const check = (): void => {
      if (this.phase !== 'closing') {
        sctp.removeListener('sack', onSack);
        if (this.retryTimer) clearInterval(this.retryTimer);
        this.retryTimer = undefined;
        return;
      }
      if (idle()) {
        sctp.removeListener('sack', onSack);
        if (this.retryTimer) clearInterval(this.retryTimer);
        this.retryTimer = undefined;
        go();
      }
    };
    // Let the protocol machine finish processing the SACK first.
    const onSack = (): void => queueMicrotask(check);
    sctp.on('sack', onSack);
    this.retryTimer = setInterval(check, 5);
  }

  private closeError(): Error | undefined {
    const reason = this.reason ?? 'local';
    if (this.reasonError) return this.reasonError;
    const cause = this.lostError;
    const peer = `${this.remote.address}:${this.remote.port}`;
    if (!this.wasUp) {
      if (reason === 'abort' || reason === 'refused' || reason === 'unreachable') {
        return new ConnectionRefusedError(`Connection to ${peer} refused`, { reason: 'refused', cause });
      }
      if (reason === 'timeout') return new TimeoutError(`Connection to ${peer} timed out`);
      return new ClosedError('Association closed before it was established');
    }
    if (cause) return new TransportError(`Association with ${peer} lost (${reason}): ${cause.message}`, { reason, cause });
    return undefined;
  }

  private wasUp = false;

  private finalise(): void {
    if (this.finalised) return;
    this.finalised = true;
    const wasConnecting = this.phase === 'connecting';
    this.wasUp = !wasConnecting;
    let reason: CloseReason = this.reason ?? 'abort';
    if (wasConnecting && (reason === 'abort' || reason === 'unreachable')) reason = 'refused';
    this.reason = reason;
    this.phase = 'closed';
    if (this.closeTimer) clearTimeout(this.closeTimer);
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.closeTimer = this.retryTimer = undefined;
    // Make sure no timer of the protocol machine survives.
    if (this.sctp.state !== 'CLOSED' || this.sctp.endpoint) this.safely(() => this.sctp._destroy());
    this.sctp.removeAllListeners();

    const error = this.closeError();
    const pendingError = error ?? new ClosedError(`Association closed (${reason})`);
    for (const w of this.upWaiters) w.reject(pendingError);
    this.upWaiters = [];
    this.leftover = this.unacknowledged();
    this.unacked.clear();
    const pending = [...this.handed.toArray(), ...this.queue.toArray()];
    this.handed.clear();
    this.inSctpBytes = 0;
    this.queue.clear();
    this.queuedBytes = 0;
    for (const item of pending) {
      if (item.onAbort) item.signal?.removeEventListener('abort', item.onAbort);
      item.onAbort = undefined;
      item.settle(new ClosedError(`Association closed (${reason}) before the message was sent`));
    }
    try {
      this.emit('close', reason, error ?? this.reasonError);
    } catch (e) {
      rethrowLater(e);
    }
    for (const w of this.closeWaiters) w();
    this.closeWaiters = [];
    this.settings.onRelease(this);
  }
}
