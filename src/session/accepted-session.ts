/**
 * The pool-element side of one session: an association accepted by a
 * {@link PoolElementSocket}, with application data and the ASAP control
 * channel (Cookie, Cookie Echo, Business Card) on it.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import { toAbortError } from '../asap/abortable.js';
import { ClosedError, InvalidArgumentError } from '../errors.js';
import type { Association, CloseReason, MessageInfo, TransportAddress } from '../transport/types.js';
import { CookieError, openWithInfo, seal, type CookieBinding, type CookieKey, type OpenOptions } from './cookie.js';
import { decodeControl, encodeBusinessCard, encodeCookie, type BusinessCard, type BusinessCardInput } from './control-channel.js';
import { MessageQueue } from './message-queue.js';
import { toBytes, type SessionMessage, type SessionSendOptions } from './pool-session.js';
import { ASAP_PPID, checkDataPpid } from './session-options.js';
import { sendHandedOver } from '../transport/hand-over.js';

/** Events of an {@link AcceptedSession}. */
export interface AcceptedSessionEvents {
  /** The PU echoed a cookie (normally its first message after a failover); `state` with a cookie key. */
  cookieEcho: (cookie: Uint8Array, state: unknown) => void;
  /** The PU sent a business card. */
  businessCard: (card: BusinessCard) => void;
  /** A refused cookie (`CookieError`, then the session is aborted) or a malformed control message. */
  error: (error: Error) => void;
  /** The association is gone; `reason` as the transport reports it. */
  close: (reason: CloseReason) => void;
}

/** @internal What the socket hands to each session. */
export interface AcceptedSessionConfig {
  ppid: number;
  cookieKey?: CookieKey;
  cookieOpenOptions?: Omit<OpenOptions, 'now'>;
  /** What sealed cookies are bound to (the PE's pool), set when the socket registers. */
  cookieBind?: CookieBinding;
  encryptState: boolean;
  /** Called when an echoed cookie was refused (the session is aborted right after). */
  onCookieRefused: (session: AcceptedSession, error: CookieError) => void;
  /** Called on every cookie echo accepted. */
  onCookieEcho: (session: AcceptedSession) => void;
  /** Called once when the association closed. */
  onClose: (session: AcceptedSession) => void;
}

/**
 * One session accepted by a pool element. `recv()`/`send()` carry
 * application data; `sendCookie()`/`sendState()` checkpoint state at the
 * PU, which echoes the latest cookie to the next PE after a failover.
 */
export class AcceptedSession extends EventEmitter<AcceptedSessionEvents> {
  /** The pool user's transport address. */
  readonly remote: TransportAddress;
  /** Statistics of this session. */
  readonly stats = { messagesSent: 0, messagesReceived: 0, cookiesSent: 0 };
  private readonly association: Association;
  private readonly config: AcceptedSessionConfig;
  private readonly received = new MessageQueue<SessionMessage>();
  private _cookie: Uint8Array | undefined;
  private _state: unknown;
  private _card: BusinessCard | undefined;
  private _refused = false;
  private firstSeen: (() => void) | undefined;
  /** @internal Resolves on the first message or close (for the accept hold). */
  readonly firstMessage: Promise<void>;

  /** @internal Created by {@link PoolElementSocket}. */
  constructor(association: Association, config: AcceptedSessionConfig) {
    super();
    this.association = association;
    this.config = config;
    this.remote = association.remote;
    this.firstMessage = new Promise<void>((resolve) => (this.firstSeen = resolve));
    association.on('message', (data: Uint8Array, info: MessageInfo) => this.onMessage(data, info));
    association.on('close', (reason: CloseReason) => {
      this.firstSeen?.();
      this.received.end();
      this.config.onClose(this);
      this.emit('close', reason);
    });
    association.on('error', () => undefined);
  }

  /**
   * The cookie echoed by the PU: set when the session arrived by failover
   * and the PU echoed its latest cookie (before `accept()` returns it, when
   * the echo came within the socket's `acceptHold`); undefined otherwise.
   */
  get cookie(): Uint8Array | undefined {
    return this._cookie;
  }

  /** The state opened from the echoed cookie (sockets with a `cookieKey`); undefined otherwise. */
  get state(): unknown {
    return this._state;
  }

  /** True when the session arrived by failover (a cookie was echoed). */
  get failedOver(): boolean {
    return this._cookie !== undefined;
  }

  /** The latest business card the PU sent, if any. */
  get businessCard(): BusinessCard | undefined {
    return this._card;
  }

  /** True while the association is open. */
  get open(): boolean {
    return this.association.open;
  }

  /** @internal True when an echoed cookie was refused. */
  get refused(): boolean {
    return this._refused;
  }

  /** Receives the next data message; `null` once the PU closed the session. */
  recv(options: { signal?: AbortSignal } = {}): Promise<SessionMessage | null> {
    return this.received.shift(options.signal);
  }

  /** Iterates over received messages until the session closes (as {@link recv} does, one at a time). */
  [Symbol.asyncIterator](): AsyncIterator<SessionMessage> {
    return this.received.iterate();
  }

  /** Sends a data message to the PU. Resolves once it was transmitted. */
  async send(data: string | Uint8Array, options: SessionSendOptions = {}): Promise<void> {
    if (options.signal?.aborted) throw toAbortError(options.signal);
    const bytes = toBytes(data);
    const ppid = options.ppid === undefined ? this.config.ppid : checkDataPpid(options.ppid);
    if (!this.association.open) throw new ClosedError('Session closed');
    const sendOptions = { ppid, stream: options.stream ?? 0, ...(options.signal ? { signal: options.signal } : {}) };
    // A string was just encoded into bytes of our own; the caller's Uint8Array is copied.
    await (typeof data === 'string' ? sendHandedOver(this.association, bytes, sendOptions) : this.association.send(bytes, sendOptions));
    this.stats.messagesSent++;
  }

  /**
   * Sends an ASAP Cookie: opaque bytes the PU keeps (only the latest) and
   * echoes to the next PE after a failover. Bytes are sent as given; a
   * length that is a multiple of 4 suits the reference implementation
   * (sealed cookies from {@link AcceptedSession.sendState} always are).
   */
  async sendCookie(cookie: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (options.signal?.aborted) throw toAbortError(options.signal);
    const bytes = encodeCookie(cookie);
    if (!this.association.open) throw new ClosedError('Session closed');
    await sendHandedOver(this.association, bytes, { ppid: ASAP_PPID, ...(options.signal ? { signal: options.signal } : {}) });
    this.stats.cookiesSent++;
  }

  /** Seals `state` with the socket's `cookieKey` and sends it as the cookie. */
  async sendState(state: unknown, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.config.cookieKey === undefined) throw new InvalidArgumentError('sendState() needs a cookieKey on the socket');
    await this.sendCookie(seal(state, this.config.cookieKey, { encrypt: this.config.encryptState, ...(this.config.cookieBind ? { bind: this.config.cookieBind } : {}) }), options);
  }

  /** Sends a business card (e.g. this pool's preferred PEs for the PU's next failover). */
  async sendBusinessCard(card: BusinessCardInput, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (options.signal?.aborted) throw toAbortError(options.signal);
    const bytes = encodeBusinessCard(card);
    if (!this.association.open) throw new ClosedError('Session closed');
    await sendHandedOver(this.association, bytes, { ppid: ASAP_PPID, ...(options.signal ? { signal: options.signal } : {}) });
  }

  /** Closes the session gracefully (the PU fails over unless it ends on shutdown). */
  async close(): Promise<void> {
    if (!this.association.open) return;
    await this.association.close().catch(() => undefined);
  }

  /** Aborts the association at once. */
  abort(reason = 'aborted by the pool element'): void {
    if (this.association.open) this.association.abort(reason);
  }

  private onMessage(data: Uint8Array, info: MessageInfo): void {
    if (info.ppid !== ASAP_PPID) {
      this.firstSeen?.();
      this.stats.messagesReceived++;
      this.received.push({ data, ppid: info.ppid, stream: info.stream });
      return;
    }
    let control;
    try {
      control = decodeControl(data);
    } catch (err) {
      this.firstSeen?.();
      this.emit('error', err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (control.type === 'cookie-echo') {
      if (this.config.cookieKey !== undefined) {
        try {
          this._state = openWithInfo(control.cookie, this.config.cookieKey, { ...(this.config.cookieBind ? { bind: this.config.cookieBind } : {}), ...this.config.cookieOpenOptions }).state;
        } catch (err) {
          const e = err instanceof CookieError ? err : new CookieError('malformed', String(err));
          this._refused = true;
          this.config.onCookieRefused(this, e);
          if (this.listenerCount('error') > 0) this.emit('error', e);
          this.abort('cookie refused');
          this.firstSeen?.();
          return;
        }
      }
      this._cookie = control.cookie;
      this.config.onCookieEcho(this);
      this.firstSeen?.();
      this.emit('cookieEcho', control.cookie, this._state);
      return;
    }
    this.firstSeen?.();
    if (control.type === 'business-card') {
      this._card = control.card;
      this.emit('businessCard', control.card);
    }
  }
}
