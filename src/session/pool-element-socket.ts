/**
 * The pool-element socket of Enhanced Mode: listens on an SCTP-over-UDP
 * endpoint (its port is the registered user transport), registers with
 * "data plus control", and hands incoming sessions to an accept loop.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import { toAbortError } from '../asap/abortable.js';
import { AsapInstance, type PoolHandleInput } from '../asap/asap-instance.js';
import type { Registration, RegistrationUpdate } from '../asap/registration.js';
import { ClosedError, InvalidArgumentError } from '../errors.js';
import type { Association, TransportAddress } from '../transport/types.js';
import { createTransportEndpoint, type TransportEndpoint } from '../transport/endpoint-factory.js';
import { AcceptedSession, type AcceptedSessionConfig } from './accepted-session.js';
import { CookieError } from './cookie.js';
import { MessageQueue } from './message-queue.js';
import { PoolSession } from './pool-session.js';
import { registrarsOnLoopback, resolveSessionOptions, type SessionOptions, type SocketOptions, type SocketRegisterOptions, asapTransport } from './session-options.js';

/** Events of a {@link PoolElementSocket}. */
export interface PoolElementSocketEvents {
  /** A PU echoed a cookie that failed verification; the session was aborted and never accepted. */
  cookieRefused: (error: CookieError, remote: TransportAddress) => void;
  /** Errors: refused cookies (also as `cookieRefused`), transport errors. */
  error: (error: Error) => void;
  /** The socket closed. */
  close: () => void;
}

/** Counters of a {@link PoolElementSocket}. */
export interface PoolElementSocketStats {
  /** Sessions handed to `accept()`. */
  sessionsAccepted: number;
  /** Sessions that arrived with a cookie echo that was accepted. */
  cookiesEchoed: number;
  /** Echoed cookies refused (forged, tampered, expired, unknown key). */
  cookiesRefused: number;
  /** Sessions refused because `requireCookie` is set and no cookie was echoed. */
  sessionsWithoutCookie: number;
}

/**
 * A pool element (and, with `connect()`, a pool user): `register()` a pool
 * handle, then `accept()` sessions or iterate with `for await`. `close()`
 * deregisters and closes every session gracefully, so their PUs fail over.
 */
export class PoolElementSocket extends EventEmitter<PoolElementSocketEvents> {
  /** Counters. */
  readonly stats: PoolElementSocketStats = { sessionsAccepted: 0, cookiesEchoed: 0, cookiesRefused: 0, sessionsWithoutCookie: 0 };
  private readonly options: SocketOptions;
  private readonly ppid: number;
  private readonly acceptHold: number;
  private asapInstance: AsapInstance | undefined;
  private readonly ownsAsap: boolean;
  private endpoint: TransportEndpoint | undefined;
  private _registration: Registration | undefined;
  private readonly incoming = new MessageQueue<AcceptedSession>();
  private readonly sessions = new Set<AcceptedSession>();
  private readonly held = new Set<AcceptedSession>();
  private readonly userSessions = new Set<PoolSession>();
  private readonly holdTimers = new Set<NodeJS.Timeout>();
  private registering = false;
  private closing: Promise<void> | undefined;
  private readonly sessionConfig: AcceptedSessionConfig;

  /** @internal Use `rsp.socket()`. */
  constructor(options: SocketOptions = {}) {
    super();
    this.options = options;
    this.ppid = resolveSessionOptions(options).ppid;
    const hold = options.acceptHold ?? 100;
    if (typeof hold !== 'number' || !(hold >= 0) || !Number.isFinite(hold)) throw new InvalidArgumentError('acceptHold must be a non-negative number');
    this.acceptHold = hold;
    this.ownsAsap = options.asap === undefined;
    this.asapInstance = options.asap;
    this.sessionConfig = {
      ppid: this.ppid,
      encryptState: options.encryptState === true,
      ...(options.cookieKey !== undefined ? { cookieKey: options.cookieKey } : {}),
      ...(options.cookieOpenOptions !== undefined ? { cookieOpenOptions: options.cookieOpenOptions } : {}),
      onCookieRefused: (s, e) => {
        this.stats.cookiesRefused++;
        this.emit('cookieRefused', e, s.remote);
        if (this.listenerCount('error') > 0) this.emit('error', e);
      },
      onCookieEcho: () => {
        this.stats.cookiesEchoed++;
      },
      onClose: (s) => {
        this.sessions.delete(s);
        this.held.delete(s);
      },
    };
  }

  /** The ASAP instance used (created on first use unless one was given). */
  get asap(): AsapInstance {
    this.asapInstance ??= new AsapInstance({ ...asapTransport(this.options.transport), ...(this.options.asapOptions ?? {}), ...(this.options.registrars !== undefined ? { registrars: this.options.registrars } : {}) });
    return this.asapInstance;
  }

  /** The registration, once `register()` succeeded. */
  get registration(): Registration | undefined {
    return this._registration;
  }

  /** The PE identifier, once registered. */
  get peId(): number | undefined {
    return this._registration?.peId;
  }

  /** Local transport address the PE listens on, once registered. */
  get local(): TransportAddress | undefined {
    return this.endpoint?.local;
  }

  /** Sessions currently open (accepted or waiting to be accepted). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /**
   * Opens the listening endpoint and registers it under `poolHandle` with
   * "data plus control" transport use. One pool per socket.
   *
   * @throws NoRegistrarError, RegistrationRefusedError, TimeoutError, AbortError, InvalidArgumentError
   */
  async register(poolHandle: PoolHandleInput, options: SocketRegisterOptions = {}): Promise<Registration> {
    if (this.closing) throw new ClosedError('Socket closed');
    if (this.registering || this._registration) throw new InvalidArgumentError('This socket is already registered; use one socket per pool');
    if (options.signal?.aborted) throw toAbortError(options.signal);
    this.registering = true;
    try {
      const transport = this.options.transport ?? {};
      const address = this.options.address ?? transport.address ?? (registrarsOnLoopback(this.options.registrars) ? '127.0.0.1' : '0.0.0.0');
      const endpoint = await createTransportEndpoint(transport, { address, port: options.port ?? 0, listen: true });
      this.endpoint = endpoint;
      endpoint.on('association', (a: Association) => this.onAssociation(a));
      endpoint.on('error', (e: Error) => {
        if (this.listenerCount('error') > 0) this.emit('error', e);
      });
      if (this.closing) throw new ClosedError('Socket closed');
      const wildcard = address === '0.0.0.0' || address === '::';
      // Sealed cookies of this PE open only in this pool (RFC 5355: no cookie replay across pools).
      this.sessionConfig.cookieBind = { pool: poolHandle };
      const reg = await this.asap.register(poolHandle, {
        port: endpoint.local.port,
        controlChannel: true,
        ...(options.policy !== undefined ? { policy: options.policy } : {}),
        ...(options.addresses !== undefined ? { addresses: options.addresses } : wildcard ? {} : { addresses: [address] }),
        ...(options.peId !== undefined ? { peId: options.peId } : {}),
        ...(options.reregistrationInterval !== undefined ? { reregistrationInterval: options.reregistrationInterval } : {}),
        ...(options.registrationLife !== undefined ? { registrationLife: options.registrationLife } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (this.closing) {
        await reg.deregister().catch(() => undefined);
        throw new ClosedError('Socket closed');
      }
      this._registration = reg;
      return reg;
    } catch (err) {
      const ep = this.endpoint;
      this.endpoint = undefined;
      await ep?.close().catch(() => undefined);
      await this.releaseIdleAsap();
      throw err;
    } finally {
      this.registering = false;
    }
  }

  /**
   * After a failed `register()`: closes the ASAP instance this socket
   * created (its UDP endpoint would keep the process alive) unless a pool
   * user session of this socket still runs on it. The next use creates a
   * new one.
   */
  private async releaseIdleAsap(): Promise<void> {
    const asap = this.asapInstance;
    if (!this.ownsAsap || !asap || this.userSessions.size > 0) return;
    this.asapInstance = undefined;
    await asap.close().catch(() => undefined);
  }

  /** Updates the policy information (e.g. `{ load: 0.5 }`) and re-registers. */
  async update(changes: RegistrationUpdate, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (!this._registration) throw new InvalidArgumentError('Not registered');
    await this._registration.update(changes, options);
  }

  /**
   * Waits for the next incoming session. Resolves `null` once the socket
   * is closed. A new session is held back until its first message arrived
   * (or `acceptHold` passed), so `session.cookie` is set for failovers.
   */
  accept(options: { signal?: AbortSignal } = {}): Promise<AcceptedSession | null> {
    return this.incoming.shift(options.signal);
  }

  /** Iterates over incoming sessions until the socket closes (as {@link accept} does, one at a time). */
  [Symbol.asyncIterator](): AsyncIterator<AcceptedSession> {
    return this.incoming.iterate();
  }

  /**
   * Opens a session with a pool as a pool user, with this socket's options
   * (and ASAP instance) as defaults. Closed with the socket.
   */
  async connect(poolHandle: PoolHandleInput, options: SessionOptions = {}): Promise<PoolSession> {
    if (this.closing) throw new ClosedError('Socket closed');
    const { address: _a, cookieKey: _k, cookieOpenOptions: _o, encryptState: _e, requireCookie: _r, acceptHold: _h, ...base } = this.options;
    const session = new PoolSession(poolHandle, { ...base, ...options, asap: options.asap ?? this.asap });
    this.userSessions.add(session);
    session.once('close', () => this.userSessions.delete(session));
    await session.open(options.signal);
    return session;
  }

  /**
   * Closes the socket: deregisters, stops accepting, closes every session
   * gracefully (their PUs fail over), closes the endpoint (and the ASAP
   * instance unless it was given). `accept()` then resolves `null`.
   */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.incoming.end();
    for (const s of this.incoming.drain()) this.held.add(s);
    const reg = this._registration;
    if (reg) await reg.deregister().catch(() => undefined);
    for (const t of this.holdTimers) clearTimeout(t);
    this.holdTimers.clear();
    const endpoint = this.endpoint;
    endpoint?.listen(false);
    await Promise.allSettled([...this.sessions].map((s) => s.close()));
    await Promise.allSettled([...this.userSessions].map((s) => s.close()));
    this.endpoint = undefined;
    await endpoint?.close().catch(() => undefined);
    if (this.ownsAsap && this.asapInstance) await this.asapInstance.close().catch(() => undefined);
    this.emit('close');
  }

  private onAssociation(association: Association): void {
    if (this.closing) {
      association.abort('pool element closing');
      return;
    }
    const session = new AcceptedSession(association, this.sessionConfig);
    this.sessions.add(session);
    this.held.add(session);
    let done = false;
    const release = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.holdTimers.delete(timer);
      this.held.delete(session);
      if (this.closing || session.refused || !session.open) return;
      if (this.options.requireCookie === true && session.cookie === undefined) {
        this.stats.sessionsWithoutCookie++;
        session.abort('a cookie echo is required');
        return;
      }
      this.stats.sessionsAccepted++;
      this.incoming.push(session);
    };
    const timer = setTimeout(release, this.acceptHold);
    this.holdTimers.add(timer);
    void session.firstMessage.then(release);
  }
}
