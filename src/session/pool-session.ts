/**
 * A pool user's Enhanced Mode session: one SCTP association to one pool
 * element at a time, carrying application data (the session's PPID) and the
 * ASAP control channel (PPID 11), with automatic failover to another PE of
 * the pool.
 *
 * @module
 */
import { isNewerCookie } from './cookie.js';
import { FailureReportPolicy } from './failure-reports.js';
import net from 'node:net';
import { EventEmitter } from 'eventemitter3';
import { raceSignal, toAbortError } from '../asap/abortable.js';
import { AsapInstance, poolHandleText, toPoolHandle, type PoolHandleInput } from '../asap/asap-instance.js';
import type { PoolElementInfo } from '../asap/asap-options.js';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import { AbortError, ClosedError, InvalidArgumentError, NoRegistrarError, PoolNotFoundError, RSerPoolError, TimeoutError } from '../errors.js';
import type { Association, CloseReason, MessageInfo, TransportAddress } from '../transport/types.js';
import { createTransportEndpoint, type TransportEndpoint } from '../transport/endpoint-factory.js';
import { decodeControl, encodeBusinessCard, encodeCookieEcho, type BusinessCard, type BusinessCardInput } from './control-channel.js';
import { choosePoolElements, FailedPeSet, NoPoolElementError, type FailoverEvent, type FailoverReason } from './failover.js';
import { MessageQueue } from './message-queue.js';
import { Ring } from '../transport/ring.js';
import { ASAP_PPID, checkDataPpid, resolveSessionOptions, type ResolvedSessionOptions, type SessionOptions, asapTransport } from './session-options.js';
import { sendHandedOver } from '../transport/hand-over.js';

const NOOP = (): void => undefined;

/** A message received on a session. */
export interface SessionMessage {
  /** The message bytes. */
  data: Uint8Array;
  /** Its SCTP payload protocol identifier. */
  ppid: number;
  /** Its SCTP stream. */
  stream: number;
}

/** Options of `send()`. */
export interface SessionSendOptions {
  /** PPID of this message; default the session's data PPID. Never 11 or 12. */
  ppid?: number;
  /** SCTP stream; default 0. */
  stream?: number;
  /** Rejects the returned promise with `AbortError`; a message not yet handed to SCTP is dropped. */
  signal?: AbortSignal;
}

/** Options of `request()`. */
export interface SessionRequestOptions extends SessionSendOptions {
  /**
   * Rejects with `TimeoutError` (`ERR_RSP_TIMEOUT`) when no reply arrived
   * within this many ms (failovers included). The session stays usable;
   * the late reply, should it still come, is discarded. Default: no limit.
   */
  timeout?: number;
}

/** Options of `recv()`. */
export interface SessionRecvOptions {
  /** Rejects with `AbortError` when aborted. */
  signal?: AbortSignal;
  /** Rejects with `TimeoutError` (`ERR_RSP_TIMEOUT`) when nothing arrived within this many ms. */
  timeout?: number;
}

/** Events of a {@link PoolSession}. */
export interface PoolSessionEvents {
  /** The session moved to another PE. */
  failover: (event: FailoverEvent) => void;
  /** The PE sent a cookie (the session keeps only the latest). */
  cookie: (cookie: Uint8Array) => void;
  /** The PE sent a business card (its preferred PEs are tried first at the next failover). */
  businessCard: (card: BusinessCard) => void;
  /** A failure: no PE reachable (`ERR_RSP_NO_POOL_ELEMENT`), a malformed control message… */
  error: (error: Error) => void;
  /** The session is closed (by `close()`, by the PE with `endOnShutdown`, or after a failure). */
  close: () => void;
}

/** State of a {@link PoolSession}. */
export type PoolSessionState = 'connecting' | 'open' | 'failover' | 'closed';

/** One data message handed to `send()` or `request()`, kept while it may have to be sent again. */
interface Outgoing {
  /** Position in the session's send order. */
  seq: number;
  data: Uint8Array;
  ppid: number;
  stream: number;
  resolve: () => void;
  reject: (e: Error) => void;
  settled: boolean;
  /** Transmitted at least once (its `send()` resolved). */
  transmitted: boolean;
  /** Identifies the current send attempt; callbacks of older attempts are ignored. */
  token: object | undefined;
  cleanup: () => void;
  /** Messages (data or cookie) received from PEs when it was last transmitted. */
  stamp: number;
  /** Set when it was sent by `request()`. */
  request: PendingRequest | undefined;
}

/** A request waiting for its reply (or a placeholder that swallows a repeated reply). */
interface PendingRequest {
  message: Outgoing | undefined;
  resolve: (m: SessionMessage) => void;
  reject: (e: Error) => void;
  /** Answered, timed out or aborted: a reply to it is discarded. */
  done: boolean;
}

interface Link {
  association: Association;
  pe: PoolElementInfo;
  address: TransportAddress;
}

const encoder = new TextEncoder();

/** Converts what `send()` accepts into bytes. */
export function toBytes(data: string | Uint8Array): Uint8Array {
  if (typeof data === 'string') return encoder.encode(data);
  if (data instanceof Uint8Array) return data;
  throw new InvalidArgumentError('data must be a string or a Uint8Array');
}

/**
 * A session with a pool (pool-user side). Create it with `rsp.connect()`
 * or `rsp.socket().connect()`. Written like a TCP socket: `send()`,
 * `recv()`, async iteration, `close()`; a failure of the serving PE makes
 * the session fail over to another PE of the pool transparently (see the
 * README for the delivery guarantee).
 */
/**
 * Resolutions asked again at once during one connect or failover when every
 * PE of the registrar's answer had failed in this session or failed when
 * tried (after that, the retry delay applies between rounds).
 */
const QUICK_RESOLVES = 8;

export class PoolSession extends EventEmitter<PoolSessionEvents> {
  /** The pool handle (bytes). */
  readonly poolHandle: Uint8Array;
  /** Session statistics. */
  readonly stats = {
    failovers: 0,
    cookiesReceived: 0,
    cookiesEchoed: 0,
    messagesSent: 0,
    messagesReceived: 0,
    /** Messages sent again to a new PE (never transmitted, unacknowledged, or unanswered requests). */
    resent: 0,
    /** Messages sent again because of `replay: 'since-cookie'` only. */
    replayed: 0,
    /** Messages that may have been lost at failovers (see {@link FailoverEvent.possiblyLost}). */
    possiblyLost: 0,
    /** Replay-log entries dropped at the `replayLimit`. */
    replayDropped: 0,
    /** Replies discarded: to timed-out or aborted requests, or repeated by a new PE after a replay. */
    repliesDiscarded: 0,
  };
  private readonly options: ResolvedSessionOptions;
  private readonly raw: SessionOptions;
  private readonly clock: Clock;
  private readonly asap: AsapInstance;
  private readonly ownsAsap: boolean;
  private readonly endpoints = new Map<string, Promise<TransportEndpoint>>();
  private readonly failed: FailedPeSet;
  private readonly received = new MessageQueue<SessionMessage>();
  private readonly lifetime = new AbortController();
  private unsent: Outgoing[] = [];
  /** Handed to the association, completion not yet known; nearly always completed in order. */
  private readonly inFlight = new Ring<Outgoing>(8);
  /** `replay: 'since-cookie'`: transmitted messages no cookie covers yet, in send order. */
  private replayLog: Outgoing[] = [];
  /** Leading replay-log entries the PE answered (one data message each) since the log's start. */
  private replayAnswered = 0;
  /** Requests in send order, waiting for their replies. */
  private requests: PendingRequest[] = [];
  /** Data and cookie messages received from PEs so far (stamps of transmitted messages). */
  private rxCount = 0;
  /** Data messages transmitted on the current association since the PE's last message arrived. */
  private sentSinceHeard = 0;
  private nextSeq = 0;
  private replayDroppedSinceFailover = 0;
  private link: Link | undefined;
  private _state: PoolSessionState = 'connecting';
  private latestCookie: Uint8Array | undefined;
  /** Which PEs this session reports unreachable (never all of a pool). */
  private readonly reports = new FailureReportPolicy();
  private preferred: PoolElementInfo[] = [];
  private failure: Error | undefined;
  private failoverRun: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private readonly timers = new Set<TimerHandle>();
  private responseTimer: TimerHandle | undefined;

  /** @internal Use `rsp.connect()`. */
  constructor(poolHandle: PoolHandleInput, options: SessionOptions = {}, clock: Clock = systemClock) {
    super();
    this.poolHandle = toPoolHandle(poolHandle);
    this.options = resolveSessionOptions(options);
    this.raw = options;
    this.clock = clock;
    this.failed = new FailedPeSet(clock, this.options.failedPeHold);
    if (options.asap) {
      this.asap = options.asap;
      this.ownsAsap = false;
    } else {
      this.asap = new AsapInstance({ ...asapTransport(options.transport), ...(options.asapOptions ?? {}), ...(options.registrars !== undefined ? { registrars: options.registrars } : {}) });
      this.ownsAsap = true;
    }
  }

  /** The pool handle as text. */
  get poolHandleText(): string {
    return poolHandleText(this.poolHandle);
  }

  /** Current state. */
  get state(): PoolSessionState {
    return this._state;
  }

  /** True when the PE sent a cookie (it will be echoed at the next failover). */
  get hasCookie(): boolean {
    return this.latestCookie !== undefined;
  }

  /** The latest cookie received from the PE, if any. */
  get cookie(): Uint8Array | undefined {
    return this.latestCookie;
  }

  /** The PE currently serving the session (undefined while connecting or failing over). */
  get poolElement(): PoolElementInfo | undefined {
    return this.link?.pe;
  }

  /** The latest business card received from the PE, if any. */
  get businessCard(): BusinessCard | undefined {
    return this.card;
  }
  private card: BusinessCard | undefined;

  /** The session's data PPID. */
  get ppid(): number {
    return this.options.ppid;
  }

  /** Messages handed to `send()` and not yet transmitted (queued during a failover, or in the association's queue). */
  get pendingCount(): number {
    return this.unsent.length + this.inFlight.length;
  }

  /** Messages kept for replay (`replay: 'since-cookie'`). */
  get replayCount(): number {
    return this.replayLog.length;
  }

  /**
   * @internal Connects to the first reachable PE. Rejects with
   * `NoPoolElementError` after `failoverTimeout`, or `AbortError`.
   */
  async open(signal?: AbortSignal): Promise<this> {
    const t0 = this.clock.now();
    try {
      const { link } = await this.connectLoop(t0 + this.options.failoverTimeout, t0, signal, true);
      if (this.closing) throw new ClosedError('Session closed');
      this.link = link;
      this._state = 'open';
      this.flush();
      return this;
    } catch (err) {
      await this.terminate(err instanceof Error ? err : new Error(String(err)), false, false);
      throw err;
    }
  }

  /**
   * Sends one message to the serving PE. Resolves once it was handed to
   * SCTP and transmitted (after a failover: to the new PE). During a
   * failover messages are queued and sent after the cookie echo.
   *
   * @throws NoPoolElementError when the failover timed out, ClosedError after close, AbortError, InvalidArgumentError
   */
  send(data: string | Uint8Array, options: SessionSendOptions = {}): Promise<void> {
    return this.enqueue(data, options, undefined);
  }

  /**
   * Sends a request and resolves with its reply: the next data message
   * from the PE once every earlier request was answered (replies are
   * matched in order, so requests may be pipelined). Until it is answered
   * the request is kept; after a failover it is sent again to the new PE,
   * after the cookie echo (at least once: the PE can tell a repetition from
   * the cookie it got). While requests wait, data messages go to them, not
   * to `recv()`; do not mix `request()` with `send()` of messages the PE
   * answers.
   *
   * @throws TimeoutError (`ERR_RSP_TIMEOUT`) after `timeout` ms; AbortError; NoPoolElementError; ClosedError; InvalidArgumentError
   */
  request(data: string | Uint8Array, options: SessionRequestOptions = {}): Promise<SessionMessage> {
    const timeout = options.timeout;
    if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0)) {
      return Promise.reject(new InvalidArgumentError(`timeout must be a positive number of ms, got ${String(timeout)}`));
    }
    return new Promise<SessionMessage>((resolve, reject) => {
      let timer: TimerHandle | undefined;
      const signal = options.signal;
      const finish = (): void => {
        req.done = true;
        if (timer !== undefined) {
          this.clock.clearTimeout(timer);
          this.timers.delete(timer);
        }
        signal?.removeEventListener('abort', onAbort);
      };
      const req: PendingRequest = {
        message: undefined,
        done: false,
        resolve: (m) => {
          finish();
          resolve(m);
        },
        reject: (e) => {
          if (req.done) return;
          finish();
          this.forgetUntransmitted(req);
          reject(e);
        },
      };
      const onAbort = (): void => req.reject(toAbortError(signal!));
      const sent = this.enqueue(data, { ...options, signal: undefined }, req);
      sent.catch((e: unknown) => req.reject(e instanceof Error ? e : new Error(String(e))));
      if (req.message === undefined) return; // rejected at once (bad input, closed)
      if (signal) {
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
      }
      if (timeout !== undefined) {
        timer = this.clock.setTimeout(() => {
          this.timers.delete(timer!);
          timer = undefined;
          req.reject(new TimeoutError(`No reply to the request within ${timeout} ms`));
        }, timeout);
        this.timers.add(timer);
      }
    });
  }

  private enqueue(data: string | Uint8Array, options: SessionSendOptions, request: PendingRequest | undefined): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing || this._state === 'closed') return Promise.reject(new ClosedError('Session closed'));
    let bytes: Uint8Array;
    let ppid: number;
    let stream: number;
    try {
      bytes = toBytes(data);
      if (bytes.byteLength === 0) throw new InvalidArgumentError('cannot send an empty message');
      ppid = options.ppid === undefined ? this.options.ppid : checkDataPpid(options.ppid);
      stream = options.stream ?? 0;
      if (!Number.isInteger(stream) || stream < 0 || stream > 0xffff) throw new InvalidArgumentError(`Invalid stream ${String(stream)}`);
    } catch (err) {
      return Promise.reject(err);
    }
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(toAbortError(signal));
    // Our own copy: it may have to be sent again to another PE. An encoded string is one already;
    // bytes are copied with Buffer.from() (Node's pool for small ones: Uint8Array.from() walks
    // the array element by element and cost about 0.8 µs for 100 bytes).
    const copy = typeof data === 'string' ? bytes : Buffer.from(bytes);
    return new Promise<void>((resolve, reject) => {
      const m: Outgoing = {
        seq: this.nextSeq++,
        data: copy,
        ppid,
        stream,
        resolve,
        reject,
        settled: false,
        transmitted: false,
        token: undefined,
        cleanup: NOOP,
        stamp: 0,
        request,
      };
      if (request) {
        request.message = m;
        this.requests.push(request);
      }
      if (signal) {
        const onAbort = (): void => {
          const i = this.unsent.indexOf(m);
          if (i >= 0) this.unsent.splice(i, 1);
          this.settle(m, toAbortError(signal));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        m.cleanup = () => signal.removeEventListener('abort', onAbort);
      }
      this.unsent.push(m);
      this.flush();
    });
  }

  /** A request that ended before it left: it is not sent, and no reply is expected. */
  private forgetUntransmitted(req: PendingRequest): void {
    const m = req.message;
    if (!m || m.transmitted) return;
    const i = this.unsent.indexOf(m);
    if (i >= 0) {
      this.unsent.splice(i, 1);
      const j = this.requests.indexOf(req);
      if (j >= 0) this.requests.splice(j, 1);
      this.settle(m, new AbortError('Request ended before it was sent'));
    }
  }

  /**
   * Receives the next data message. Resolves `null` once the session is
   * closed and every received message was taken; rejects with the failure
   * (e.g. `ERR_RSP_NO_POOL_ELEMENT`) when the session failed, or
   * `AbortError`.
   */
  recv(options: SessionRecvOptions = {}): Promise<SessionMessage | null> {
    const timeout = options.timeout;
    if (timeout === undefined) return this.received.shift(options.signal);
    if (!(Number.isFinite(timeout) && timeout > 0)) {
      return Promise.reject(new InvalidArgumentError(`timeout must be a positive number of ms, got ${String(timeout)}`));
    }
    const timed = this.timedSignal(options.signal ?? new AbortController().signal, timeout, () => new TimeoutError(`Nothing received within ${timeout} ms`));
    return this.received.shift(timed.signal).then(
      (m) => {
        timed.dispose();
        return m;
      },
      (err: unknown) => {
        timed.dispose();
        const reason: unknown = timed.signal.reason;
        throw reason instanceof TimeoutError && !options.signal?.aborted ? reason : err;
      },
    );
  }

  /**
   * Iterates over received messages until the session closes (as {@link recv}
   * does, one at a time); throws the failure as `recv()` rejects with it.
   */
  [Symbol.asyncIterator](): AsyncIterator<SessionMessage> {
    return this.received.iterate();
  }

  /** Sends a business card to the PE (e.g. this PU's own pool and PEs, for reverse failover). */
  async sendBusinessCard(card: BusinessCardInput, options: { signal?: AbortSignal } = {}): Promise<void> {
    const bytes = encodeBusinessCard(card);
    if (!this.link) throw new ClosedError('No association to a pool element at the moment');
    await sendHandedOver(this.link.association, bytes, { ppid: ASAP_PPID, ...(options.signal ? { signal: options.signal } : {}) });
  }

  /**
   * Leaves the serving PE and fails over to another one now (the PE is
   * skipped for `failedPeHold`, not reported to the registrar). Resolves
   * when the failover completed.
   */
  async forceFailover(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.closing || this._state === 'closed') throw new ClosedError('Session closed');
    const link = this.link;
    if (link) {
      this.link = undefined;
      this.clearResponseTimer();
      this.failed.add(link.pe.id);
      link.association.abort('failover requested by the pool user');
      this.startFailover(link.pe, 'forced', false, link.association);
    }
    const run = this.failoverRun;
    if (!run) return;
    await raceSignal(run, options.signal);
    if (this.failure) throw this.failure;
  }

  /**
   * Closes the session: messages already handed to the association are
   * flushed by a graceful SCTP shutdown; messages still queued (during a
   * failover) reject with `ClosedError`. `recv()` then returns the
   * messages already received, then `null`.
   */
  close(): Promise<void> {
    return this.terminate(undefined, true, false);
  }

  // ------------------------------------------------------------------ internals

  private settle(m: Outgoing, error?: Error): void {
    if (m.settled) return;
    m.settled = true;
    m.cleanup();
    if (error) m.reject(error);
    else m.resolve();
  }

  private flush(): void {
    const link = this.link;
    if (this._state !== 'open' || !link) return;
    while (this.unsent.length > 0) {
      const m = this.unsent.shift()!;
      if (m.settled && !m.transmitted) continue; // aborted by the caller before it left
      this.dispatch(link, m);
    }
  }

  private dispatch(link: Link, m: Outgoing): void {
    const token = {};
    m.token = token;
    this.inFlight.push(m);
    // The record is the tag: after a failure the association lists the ones its peer never acknowledged.
    // `m.data` is the session's own copy, only ever read: no second copy in the association.
    sendHandedOver(link.association, m.data, { ppid: m.ppid, stream: m.stream, tag: m }).then(
      () => {
        if (m.token !== token) return;
        this.inFlight.remove(m);
        m.stamp = this.rxCount;
        if (this.link === link) this.sentSinceHeard++;
        if (!m.transmitted) {
          m.transmitted = true;
          this.stats.messagesSent++;
          if (this.options.replay === 'since-cookie') this.logForReplay(m);
        }
        if (this.options.responseTimeout > 0 && this.responseTimer === undefined && this.link === link) this.armResponseTimer(link);
        this.settle(m);
      },
      (err: unknown) => {
        if (m.token !== token) return;
        const e = err instanceof Error ? err : new Error(String(err));
        const code = (e as { code?: string }).code;
        if (code === 'ERR_RSP_INVALID_ARGUMENT' || code === 'ERR_RSP_LIMIT') {
          // The message itself is at fault: no failover.
          this.inFlight.remove(m);
          this.settle(m, e);
          m.request?.reject(e);
          return;
        }
        // Stays in flight, untransmitted: the failover re-sends it.
        if (this.link === link) this.onLinkLost(link, 'send-failure');
      },
    );
  }

  /** Adds a transmitted message to the replay log, dropping the oldest entry at `replayLimit`. */
  private logForReplay(m: Outgoing): void {
    this.replayLog.push(m);
    if (this.replayLog.length > this.options.replayLimit) {
      this.replayLog.shift();
      if (this.replayAnswered > 0) this.replayAnswered--;
      this.stats.replayDropped++;
      this.replayDroppedSinceFailover++;
    }
  }

  private attach(association: Association, pe: PoolElementInfo, address: TransportAddress): Link {
    const link: Link = { association, pe, address };
    this.reports.see([pe.id]);
    association.on('message', (data: Uint8Array, info: MessageInfo) => this.onMessage(link, data, info));
    association.on('close', (reason: CloseReason) => {
      if (this.link !== link) return;
      this.onLinkLost(link, mapReason(reason));
    });
    association.on('error', () => undefined);
    return link;
  }

  private armResponseTimer(link: Link): void {
    const t = this.clock.setTimeout(() => {
      this.timers.delete(t);
      if (this.responseTimer === t) this.responseTimer = undefined;
      if (this.link === link) this.onLinkLost(link, 'response-timeout');
    }, this.options.responseTimeout);
    this.responseTimer = t;
    this.timers.add(t);
  }

  private clearResponseTimer(): void {
    const t = this.responseTimer;
    if (t === undefined) return;
    this.responseTimer = undefined;
    this.clock.clearTimeout(t);
    this.timers.delete(t);
  }

  private onMessage(link: Link, data: Uint8Array, info: MessageInfo): void {
    if (this.link === link) {
      this.clearResponseTimer();
      this.sentSinceHeard = 0;
    }
    if (info.ppid !== ASAP_PPID) {
      this.rxCount++;
      this.stats.messagesReceived++;
      if (this.replayAnswered < this.replayLog.length) this.replayAnswered++;
      const message: SessionMessage = { data, ppid: info.ppid, stream: info.stream };
      const head = this.requests[0];
      if (head && head.message?.transmitted) {
        this.requests.shift();
        if (head.done) this.stats.repliesDiscarded++;
        else head.resolve(message);
        return;
      }
      this.received.push(message);
      return;
    }
    let control;
    try {
      control = decodeControl(data);
    } catch (err) {
      this.emit('error', err instanceof Error ? err : new Error(String(err)));
      return;
    }
    switch (control.type) {
      case 'cookie': {
        // The cookie covers what was transmitted before the PE's previous message arrived
        // (see "Delivery guarantee" in the README).
        if (!isNewerCookie(this.latestCookie, control.cookie)) return; // an older sealed cookie: no rollback
        const k = ++this.rxCount;
        this.latestCookie = control.cookie;
        this.coverByCookie(k);
        this.stats.cookiesReceived++;
        this.emit('cookie', control.cookie);
        return;
      }
      case 'business-card':
        this.card = control.card;
        this.preferred = control.card.poolElements.filter((pe) => pe.id !== link.pe.id);
        this.emit('businessCard', control.card);
        return;
      default:
        return; // cookie echoes and other ASAP messages mean nothing to a PU
    }
  }

  /**
   * A cookie, the `k`-th message received, checkpoints the PE's state. It
   * covers the leading replay-log entries that (a) were transmitted before
   * the PE's previous message arrived and (b) were answered by a data
   * message from the PE (one reply per message, the reply sent before the
   * cookie). (b) keeps pipelined requests that the PE had received but not
   * yet processed; see "Delivery guarantee" in the README.
   */
  private coverByCookie(k: number): void {
    let n = 0;
    while (n < this.replayAnswered && n < this.replayLog.length && this.replayLog[n]!.stamp <= k - 2) n++;
    if (n === 0) return;
    this.replayLog.splice(0, n);
    this.replayAnswered -= n;
  }

  private onLinkLost(link: Link, reason: FailoverReason): void {
    if (this.link !== link) return;
    this.link = undefined;
    this.clearResponseTimer();
    if (this.closing || this._state === 'closed') return;
    if (link.association.open) link.association.abort('failover');
    if (reason === 'shutdown' && this.options.endOnShutdown) {
      void this.close();
      return;
    }
    this.failed.add(link.pe.id);
    this.startFailover(link.pe, reason, reason !== 'forced' && reason !== 'response-timeout', link.association);
  }

  private startFailover(from: PoolElementInfo, reason: FailoverReason, report: boolean, lost: Association | undefined): void {
    if (this.failoverRun) return;
    this._state = 'failover';
    const t0 = this.clock.now();
    if (report && this.reports.shouldReport(from.id)) {
      // Endpoint Unreachable; never waited for.
      this.asap.reportFailure(this.poolHandle, from.id, { signal: this.lifetime.signal }).catch(() => undefined);
    }
    this.failoverRun = this.runFailover(from, reason, t0, lost).finally(() => {
      this.failoverRun = undefined;
    });
  }

  private async runFailover(from: PoolElementInfo, reason: FailoverReason, t0: number, lost: Association | undefined): Promise<void> {
    // Let the callbacks of sends that completed before the loss run first.
    await new Promise<void>((r) => setImmediate(r));
    const plan = this.planResend(lost);
    const deadline = t0 + this.options.failoverTimeout;
    let attempts = 0;
    for (let round = 0; round < 1000; round++) {
      let result: { link: Link; attempts: number };
      try {
        result = await this.connectLoop(deadline, t0, this.lifetime.signal);
      } catch (err) {
        if (this.closing) return;
        void this.terminate(err instanceof Error ? err : new Error(String(err)), false, true);
        return;
      }
      attempts += result.attempts;
      const link = result.link;
      if (this.closing) {
        link.association.abort('session closed');
        return;
      }
      let cookieEchoed = false;
      try {
        if (this.latestCookie) {
          await sendHandedOver(link.association, encodeCookieEcho(this.latestCookie), { ppid: ASAP_PPID });
          cookieEchoed = true;
          this.stats.cookiesEchoed++;
        }
      } catch {
        // The new PE is gone already: try the next one.
        this.failed.add(link.pe.id);
        if (link.association.open) link.association.abort('failover');
        continue;
      }
      if (this.closing) {
        link.association.abort('session closed');
        return;
      }
      if (!link.association.open) {
        this.failed.add(link.pe.id);
        continue;
      }
      // Everything to send again, in send order, goes first; then what was queued meanwhile.
      const again = new Set(plan.again);
      const queued = this.unsent.filter((m) => !again.has(m) && !(m.settled && !m.transmitted)).length;
      const resent = plan.again.length - plan.replayed + queued;
      this.unsent = [...plan.again, ...this.unsent.filter((m) => !again.has(m))].sort((a, b) => a.seq - b.seq);
      this.requests = plan.requests.concat(this.requests.filter((r) => !r.done && !r.message?.transmitted && !plan.requests.includes(r)));
      this.requests.sort((a, b) => (a.message?.seq ?? 0) - (b.message?.seq ?? 0));
      this.replayAnswered = 0;
      this.sentSinceHeard = 0;
      this.link = link;
      this._state = 'open';
      this.flush();
      const replayDropped = this.replayDroppedSinceFailover;
      this.replayDroppedSinceFailover = 0;
      this.stats.failovers++;
      this.stats.resent += resent;
      this.stats.replayed += plan.replayed;
      this.stats.possiblyLost += plan.possiblyLost;
      this.emit('failover', {
        from: from.id,
        to: link.pe.id,
        toAddress: link.address,
        cookieEchoed,
        durationMs: this.clock.now() - t0,
        reason,
        resent,
        replayed: plan.replayed,
        possiblyLost: plan.possiblyLost,
        replayDropped,
        attempts,
      });
      return;
    }
  }

  /**
   * What the next PE gets again, decided once when the loss was noticed:
   * never-transmitted messages; unless `replay: 'none'`, the transmitted
   * ones the old PE's SCTP never acknowledged; unanswered requests; with
   * `'since-cookie'` the replay log. Requests that were answered (or gave
   * up) but are sent again get a placeholder that swallows the repeated
   * reply. Counts the messages that may have been lost: transmitted since
   * the PE's last message arrived and not sent again.
   */
  private planResend(lost: Association | undefined): { again: Outgoing[]; requests: PendingRequest[]; replayed: number; possiblyLost: number } {
    const pick = new Map<Outgoing, 'resend' | 'replay'>();
    for (let i = 0; i < this.inFlight.length; i++) {
      const m = this.inFlight.at(i);
      if (!m.transmitted) pick.set(m, 'resend');
    }
    const leftover = lost?.unacknowledged?.() ?? [];
    const notAcked = new Set<Outgoing>();
    for (const u of leftover) {
      const m = u.tag as Outgoing | undefined;
      if (!m || typeof m !== 'object' || !('seq' in m)) continue;
      if (!m.transmitted) pick.set(m, 'resend');
      else {
        notAcked.add(m);
        if (this.options.replay !== 'none') pick.set(m, 'resend');
      }
    }
    for (const r of this.requests) {
      const m = r.message;
      if (m && m.transmitted && !r.done) pick.set(m, 'resend');
    }
    if (this.options.replay === 'since-cookie') for (const m of this.replayLog) if (!pick.has(m)) pick.set(m, 'replay');
    // Acknowledged by the old PE after it was last heard from, or never acknowledged by it, and not sent again.
    let coveredSinceHeard = 0;
    for (const m of new Set([...pick.keys(), ...notAcked])) if (m.transmitted && m.stamp === this.rxCount) coveredSinceHeard++;
    let possiblyLost = Math.max(0, this.sentSinceHeard - coveredSinceHeard);
    for (const m of notAcked) if (!pick.has(m)) possiblyLost++;
    this.inFlight.clear();
    const again = [...pick.keys()].sort((a, b) => a.seq - b.seq);
    for (const m of again) m.token = undefined;
    const requests: PendingRequest[] = [];
    for (const m of again) {
      if (!m.request) continue;
      if (!m.request.done) requests.push(m.request);
      // A repeated reply is expected: swallow it.
      else requests.push({ message: m, done: true, resolve: () => undefined, reject: () => undefined });
    }
    // Requests that gave up and are not sent again expect no reply any more.
    let replayed = 0;
    for (const v of pick.values()) if (v === 'replay') replayed++;
    return { again, requests, replayed, possiblyLost };
  }

  /**
   * Tries PEs until one accepts an association or the deadline passes.
   * With `failFast` (the initial connect), an answer no retry can change —
   * the pool does not exist (`PoolNotFoundError`) or no registrar answers
   * (`NoRegistrarError`, after the ASAP instance's own server hunt) — ends
   * the loop at once with that error; during a failover the pool may be
   * empty for a moment (its PEs restarting), so the loop keeps trying.
   */
  private async connectLoop(deadline: number, t0: number, signal?: AbortSignal, failFast = false): Promise<{ link: Link; attempts: number }> {
    let delay = this.options.retryDelay;
    let lastError: unknown;
    let attempts = 0;
    // Answers that held only PEs this session saw fail, asked again without waiting (see below).
    let quickResolves = 0;
    const linked = linkAbort(this.lifetime.signal, signal);
    try {
      for (let round = 0; round < 10_000; round++) {
        if (linked.signal.aborted) throw this.closing ? new ClosedError('Session closed') : toAbortError(linked.signal);
        const remaining = deadline - this.clock.now();
        if (remaining <= 0) break;
        let candidates: PoolElementInfo[] = [];
        let answered = false;
        const timed = this.timedSignal(linked.signal, remaining);
        try {
          candidates = await choosePoolElements(this.asap, this.poolHandle, this.preferred, this.failed, round > 0, timed.signal);
          answered = true;
        } catch (err) {
          if (signal?.aborted || this.lifetime.signal.aborted) throw this.closing ? new ClosedError('Session closed') : toAbortError(linked.signal);
          if (failFast && (err instanceof PoolNotFoundError || err instanceof NoRegistrarError)) {
            // Nothing was tried: the registrar's answer is the reason. PEs were tried and failed: they are.
            throw attempts === 0 ? err : new NoPoolElementError(this.poolHandleText, this.clock.now() - t0, lastError ?? err);
          }
          lastError = err;
        } finally {
          timed.dispose();
        }
        this.reports.see(candidates.map((c) => c.id));
        for (const pe of candidates.slice(0, 16)) {
          const left = deadline - this.clock.now();
          if (left <= 0) break;
          attempts++;
          try {
            const link = await this.connectTo(pe, Math.min(this.options.connectTimeout, left), linked.signal);
            return { link, attempts };
          } catch (err) {
            if (linked.signal.aborted) throw this.closing ? new ClosedError('Session closed') : toAbortError(linked.signal);
            lastError = err;
            this.failed.add(pe.id);
            if (this.reports.shouldReport(pe.id)) this.asap.reportFailure(this.poolHandle, pe.id, { signal: this.lifetime.signal }).catch(() => undefined);
          }
        }
        if (answered && quickResolves < QUICK_RESOLVES) {
          // The registrar answered, but only with PEs that failed here, before or just now (a PE
          // killed moments ago stays registered until the registrar's probe of it times out).
          // Its selection moves on between resolutions (round robin, random, ...): ask again at
          // once, a few times, before waiting.
          quickResolves++;
          continue;
        }
        const wait = Math.min(delay, deadline - this.clock.now());
        if (wait > 0) await this.sleep(wait, linked.signal).catch(() => undefined);
        delay = Math.min(Math.max(delay * 2, 1), this.options.retryDelayMax);
      }
      throw new NoPoolElementError(this.poolHandleText, this.clock.now() - t0, lastError);
    } finally {
      linked.dispose();
    }
  }

  private async connectTo(pe: PoolElementInfo, timeout: number, signal: AbortSignal): Promise<Link> {
    let lastError: unknown;
    for (const address of pe.addresses.slice(0, 8)) {
      const endpoint = await this.endpointFor(address.address);
      try {
        const association = await endpoint.connect(address, { timeout, signal });
        return this.attach(association, pe, address);
      } catch (err) {
        if (signal.aborted) throw err;
        lastError = err;
      }
    }
    throw lastError instanceof Error ? lastError : new RSerPoolError('ERR_RSP_TRANSPORT', `PE ${pe.id} has no usable address`);
  }

  private endpointFor(peAddress: string): Promise<TransportEndpoint> {
    const v6 = net.isIPv6(peAddress);
    const loop = v6 ? peAddress === '::1' : peAddress.startsWith('127.');
    const transport = this.raw.transport ?? {};
    const address = transport.address ?? (loop ? (v6 ? '::1' : '127.0.0.1') : v6 ? '::' : '0.0.0.0');
    let p = this.endpoints.get(address);
    if (!p) {
      p = createTransportEndpoint(transport, { address, port: 0, listen: false });
      this.endpoints.set(address, p);
      p.catch(() => this.endpoints.delete(address));
    }
    return p;
  }

  private timedSignal(parent: AbortSignal, ms: number, reason: () => Error = () => new AbortError('Timed out')): { signal: AbortSignal; dispose: () => void } {
    const linked = linkAbort(parent);
    const t = this.clock.setTimeout(() => linked.abort(reason()), ms);
    this.timers.add(t);
    return {
      signal: linked.signal,
      dispose: () => {
        this.clock.clearTimeout(t);
        this.timers.delete(t);
        linked.dispose();
      },
    };
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(toAbortError(signal));
      const onAbort = (): void => {
        this.clock.clearTimeout(t);
        this.timers.delete(t);
        reject(toAbortError(signal));
      };
      const t = this.clock.setTimeout(() => {
        this.timers.delete(t);
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      this.timers.add(t);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Ends the session once; with `error` every pending and future call rejects with it. */
  private terminate(error: Error | undefined, graceful: boolean, fromFailover: boolean): Promise<void> {
    this.closing ??= this.shutdown(error, graceful, fromFailover);
    return this.closing;
  }

  private async shutdown(error: Error | undefined, graceful: boolean, fromFailover: boolean): Promise<void> {
    if (error) this.failure = error;
    this._state = 'closed';
    if (error) {
      this.received.end(error);
      if (this.listenerCount('error') > 0) this.emit('error', error);
    }
    const rejection = error ?? new ClosedError('Session closed');
    for (const m of this.unsent.splice(0)) this.settle(m, rejection);
    for (const r of this.requests.splice(0)) r.reject(rejection);
    this.lifetime.abort(new ClosedError('Session closed'));
    const link = this.link;
    this.link = undefined;
    if (link && link.association.open) {
      if (graceful) await link.association.close().catch(() => undefined);
      else link.association.abort('session closed');
    }
    const inFlight = this.inFlight.toArray();
    this.inFlight.clear();
    for (const m of inFlight) this.settle(m, rejection);
    for (const r of this.requests.splice(0)) r.reject(rejection);
    if (this.failoverRun && !fromFailover) await this.failoverRun.catch(() => undefined);
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
    this.received.end(error);
    const endpoints = [...this.endpoints.values()];
    this.endpoints.clear();
    await Promise.all(endpoints.map((p) => p.then((e) => e.close()).catch(() => undefined)));
    if (this.ownsAsap) await this.asap.close().catch(() => undefined);
    this.emit('close');
  }
}

function mapReason(reason: CloseReason): FailoverReason {
  switch (reason) {
    case 'abort':
    case 'shutdown':
    case 'timeout':
    case 'unreachable':
      return reason;
    default:
      return 'closed';
  }
}

function linkAbort(...signals: Array<AbortSignal | undefined>): { signal: AbortSignal; abort: (reason: unknown) => void; dispose: () => void } {
  const c = new AbortController();
  const cleanups: Array<() => void> = [];
  for (const s of signals) {
    if (!s) continue;
    if (s.aborted) {
      c.abort(s.reason);
      break;
    }
    const f = (): void => c.abort(s.reason);
    s.addEventListener('abort', f, { once: true });
    cleanups.push(() => s.removeEventListener('abort', f));
  }
  return { signal: c.signal, abort: (r) => c.abort(r), dispose: () => cleanups.forEach((f) => f()) };
}

