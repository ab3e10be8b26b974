/**
 * The ASAP instance of pool elements and pool users (RFC 5352, Basic Mode).
 *
 * One instance owns one SCTP endpoint, which also listens: a registrar that
 * takes over a PE connects to the local port of the PE's old registrar
 * association and sends a Keep-Alive with the H bit (spec §0.10, §12.5).
 * The instance keeps at most one home registrar association, found by the
 * server hunt over its {@link RegistrarTable}; when it is lost, the next
 * request hunts again and every registered PE re-registers by itself.
 *
 * PE side: {@link AsapInstance.register} returns a {@link Registration}
 * that keeps the PE registered. PU side: {@link AsapInstance.resolve}
 * (handle resolution with a PU-side cache) and
 * {@link AsapInstance.reportFailure} (Endpoint Unreachable).
 *
 * There are no globals: create as many instances as needed and
 * {@link AsapInstance.close} each.
 *
 * @module
 */
import { checkTransportMode, createTransportEndpoint } from '../transport/endpoint-factory.js';
import dgram from 'node:dgram';
import { setMaxListeners } from 'node:events';
import net from 'node:net';
import os from 'node:os';
import { EventEmitter } from 'eventemitter3';
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import { ClosedError, InvalidArgumentError, PoolNotFoundError, RSerPoolError, RegistrationRefusedError, TimeoutError } from '../errors.js';
import type { Association, Endpoint, MessageInfo, TransportAddress } from '../transport/types.js';
import { ErrorCauseCode, type ErrorCause, type TransportParam } from '../wire/types.js';
import type { AsapMessage } from '../wire/asap-messages.js';
import { RSPLIB_MAX_POOL_HANDLE_LENGTH } from '../wire/limits.js';
import { nonNegative, positive } from '../option-checks.js';
import { raceSignal, throwIfAborted, toAbortError } from './abortable.js';
import { toPoolElementInfo } from './pool-element-info.js';
import { ASAP_PPID, decodeAsap, encodeAsap } from './asap-codec.js';
import {
  ASAP_INSTANCE_DEFAULTS,
  DEFAULT_ANNOUNCE_ADDRESS,
  type AnnounceListener,
  type AsapInstanceOptions,
  type EndpointFactory,
  type PoolElementInfo,
  type RegisterOptions,
  type ResolveOptions,
} from './asap-options.js';
import { causeExplanation, causeName } from './cause-names.js';
import { decideKeepAlive } from './keep-alive.js';
import { policyFromOptions } from './policy-options.js';
import { PuCache } from './pu-cache.js';
import { REGISTRARS_ENV, RegistrarTable, formatTransportAddress, parseRegistrarList, parseTransportAddress } from './registrar-table.js';
import { Registration, randomPeId, type RegistrarChangeInfo, type RegistrationHost } from './registration.js';
import { RequestTracker, poolHandleKey, requestKey } from './request-tracker.js';
import { RequestWindow } from './request-window.js';
import { huntRegistrar } from './server-hunt.js';
import { identityMatches, peerIdentityOf, tlsEndpoint, type PeerIdentity } from '../transport/tls.js';
import { sendHandedOver } from '../transport/hand-over.js';

/** Events of an {@link AsapInstance}. */
export interface AsapInstanceEvents {
  /** A new home registrar association is in use. */
  registrarChanged: (info: RegistrarChangeInfo) => void;
  /** A non-fatal problem (undecodable message, failed re-registration round…). */
  error: (error: Error) => void;
  /** The instance closed. */
  closed: () => void;
  /**
   * A keep-alive with the H bit ("adopt me as your home") was ignored: it
   * came from a registrar this instance does not know, or the current home
   * registrar answered a probe (RFC 5355 §3.3).
   */
  adoptionRefused: (info: { registrar: string; serverId: number; reason: 'unknown-registrar' | 'home-alive' }) => void;
}

interface Home {
  association: Association;
  name: string;
  tracker: RequestTracker<AsapMessage>;
  /** Clock time of the last message received from the registrar. */
  lastHeard: number;
  /** Messages received from the registrar. */
  received: number;
}

/** Pool handles may be given as text (UTF-8) or bytes. */
export type PoolHandleInput = string | Uint8Array;

/**
 * Converts a pool handle argument to bytes; rejects empty handles and
 * handles longer than the wire limit (32 bytes, the reference
 * implementation's, spec §0.4).
 */
export function toPoolHandle(handle: PoolHandleInput): Uint8Array {
  const bytes = typeof handle === 'string' ? new TextEncoder().encode(handle) : handle;
  if (!(bytes instanceof Uint8Array) || bytes.byteLength === 0) throw new InvalidArgumentError('Pool handle must be a non-empty string or Uint8Array');
  const max = RSPLIB_MAX_POOL_HANDLE_LENGTH;
  if (bytes.byteLength > max) throw new InvalidArgumentError(`Pool handle of ${bytes.byteLength} bytes exceeds the limit of ${max} bytes`);
  return bytes;
}

/** Pool handle bytes as text for messages. */
export function poolHandleText(handle: Uint8Array): string {
  return Buffer.from(handle).toString('utf8');
}

const MAX_FOREIGN_ASSOCIATIONS = 8;

/**
 * Re-registrations happen after the interval minus up to this fraction of
 * it, at random, so PEs registered together do not re-register in bursts.
 */
const REREGISTRATION_JITTER = 0.1;

/** An ASAP instance: the PE/PU side of RSerPool. */
export class AsapInstance extends EventEmitter<AsapInstanceEvents> implements RegistrationHost {
  /** Time source of every timer of this instance. */
  readonly clock: Clock;
  /** The registrars this instance knows. */
  readonly table: RegistrarTable;
  private readonly options: AsapInstanceOptions;
  private readonly requestTimeout: number;
  private readonly requestMaxTrials: number;
  private readonly staleCacheValue: number;
  private readonly reregistrationInterval: number;
  private readonly localAddress: string;
  private readonly announceGroup: TransportAddress | undefined;
  private readonly lifetime = new AbortController();
  private endpointPromise: Promise<Endpoint> | undefined;
  private endpoint: Endpoint | undefined;
  private announcer: Promise<AnnounceListener | undefined> | undefined;
  private home: Home | undefined;
  private huntPromise: Promise<Home> | undefined;
  /** Stops the running hunt when a registrar adopts this instance meanwhile (takeover). */
  private huntController: AbortController | undefined;
  private readonly foreign = new Set<Association>();
  private readonly registrations = new Map<number, Registration>();
  private readonly byPool = new Map<string, Set<Registration>>();
  private readonly cache: PuCache;
  private _homeRegistrarId = 0;
  private hadHome = false;
  private readonly window: RequestWindow;
  private closing: Promise<void> | undefined;
  private busy = 0;
  /** Foreign associations whose H-bit keep-alive waits for the probe of the home registrar. */
  private readonly adoptionProbes = new Map<Association, TimerHandle>();
  /** H-bit keep-alives ignored (unknown registrar, or the home registrar answered). */
  adoptionsRefused = 0;

  constructor(options: AsapInstanceOptions = {}) {
    super();
    this.options = options;
    setMaxListeners(0, this.lifetime.signal); // one listener per request in flight
    this.clock = options.clock ?? systemClock;
    if (options.transport?.mode !== undefined) checkTransportMode(options.transport.mode);
    this.requestTimeout = positive(options.requestTimeout, ASAP_INSTANCE_DEFAULTS.requestTimeout, 'requestTimeout');
    this.requestMaxTrials = positive(options.requestMaxTrials, ASAP_INSTANCE_DEFAULTS.requestMaxTrials, 'requestMaxTrials');
    this.staleCacheValue = nonNegative(options.staleCacheValue, ASAP_INSTANCE_DEFAULTS.staleCacheValue, 'staleCacheValue');
    this.reregistrationInterval = positive(options.reregistrationInterval, ASAP_INSTANCE_DEFAULTS.reregistrationInterval, 'reregistrationInterval');
    this.table = new RegistrarTable({ clock: this.clock, announceTimeout: nonNegative(options.announceTimeout, ASAP_INSTANCE_DEFAULTS.announceTimeout, 'announceTimeout') });
    const env = options.env ?? process.env;
    const list = options.registrars !== undefined ? parseRegistrarList(options.registrars) : env[REGISTRARS_ENV] ? parseRegistrarList(env[REGISTRARS_ENV]!) : [];
    for (const a of list) this.table.addStatic(a);
    const announce = options.announce !== undefined ? options.announce : list.length === 0 ? DEFAULT_ANNOUNCE_ADDRESS : false;
    this.announceGroup = announce === false ? undefined : parseTransportAddress(announce);
    this.localAddress = options.localAddress ?? defaultLocalAddress(list);
    this.cache = new PuCache(this.clock);
    this.window = new RequestWindow(positive(options.maxOutstandingRequests, ASAP_INSTANCE_DEFAULTS.maxOutstandingRequests, 'maxOutstandingRequests'));
  }

  /** Home registrar identifier (0 until a registrar told it). */
  get homeRegistrarId(): number {
    return this._homeRegistrarId;
  }

  /** `HOST:PORT` of the current home registrar association, if any. */
  get registrar(): string | undefined {
    return this.home?.name;
  }

  /** Local transport address of the instance's endpoint, once it is open. */
  get localEndpoint(): TransportAddress | undefined {
    return this.endpoint?.local;
  }

  /** Registrations of this instance that are not closed. */
  get activeRegistrations(): Registration[] {
    return [...this.registrations.values()];
  }

  /** Number of registrations plus requests in progress. */
  get load(): number {
    return this.registrations.size + this.busy;
  }

  /** True once {@link AsapInstance.close} was called. */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  // ------------------------------------------------------------------ PE side

  /**
   * Registers a pool element under `poolHandle` and keeps it registered.
   * Resolves once the registrar accepted the first registration.
   *
   * @throws NoRegistrarError, RegistrationRefusedError, TimeoutError, AbortError, InvalidArgumentError
   */
  async register(poolHandle: PoolHandleInput, options: RegisterOptions = {}): Promise<Registration> {
    this.assertOpen();
    const ph = toPoolHandle(poolHandle);
    const policy = policyFromOptions(options.policy);
    const interval = positive(options.reregistrationInterval, this.reregistrationInterval, 'reregistrationInterval');
    const life = positive(options.registrationLife, Math.min(0x7fffffff, 3 * interval), 'registrationLife');
    const protocol = options.protocol ?? 'sctp';
    let port = options.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`Invalid port ${String(options.port)}`);
    this.busy++;
    try {
      if (port === 0) port = await pickFreePort(this.localAddress === '0.0.0.0' ? undefined : this.localAddress);
      const userTransport = makeTransport(protocol, port, options.controlChannel === true, options.addresses ?? []);
      let peId = options.peId;
      // A random id that this instance does not use yet (collisions are astronomically rare).
      for (let i = 0; peId === undefined || (options.peId === undefined && this.registrations.has(peId) && i < 8); i++) peId = randomPeId();
      const reg = new Registration(this, {
        poolHandle: ph,
        peId,
        policy,
        userTransport,
        reregistrationInterval: interval,
        registrationLife: life,
        retryDelay: 250,
        jitter: REREGISTRATION_JITTER,
      });
      if (this.registrations.has(reg.peId)) throw new InvalidArgumentError(`PE id ${reg.peId} is already registered by this instance`);
      this.registrations.set(reg.peId, reg);
      const pk = poolHandleKey(ph);
      let set = this.byPool.get(pk);
      if (!set) this.byPool.set(pk, (set = new Set()));
      set.add(reg);
      await reg.start(options.signal);
      return reg;
    } finally {
      this.busy--;
    }
  }

  /** @internal Sends one (re-)registration; see {@link RegistrationHost}. */
  async sendRegistration(reg: Registration, signal?: AbortSignal): Promise<TransportParam> {
    let sent: TransportParam = reg.userTransport;
    const response = await this.request(
      (home) => {
        sent = reg.fixedAddresses ? reg.userTransport : ({ ...reg.userTransport, addresses: this.userAddresses(home.association) } as TransportParam);
        return {
          protocol: 'asap',
          type: 'registration',
          poolHandle: reg.poolHandle,
          poolElement: {
            peId: reg.peId,
            homeRegistrarId: this._homeRegistrarId,
            registrationLife: reg.registrationLife,
            userTransport: sent,
            policy: reg.policy,
          },
        };
      },
      requestKey('registration', reg.poolHandle, reg.peId),
      `registration of PE ${hex(reg.peId)} in pool "${poolHandleText(reg.poolHandle)}"`,
      signal,
    );
    if (response.type !== 'registration-response') throw new RSerPoolError('ERR_RSP_PROTOCOL', 'Unexpected response');
    if (response.rejected) {
      const cause = response.operationError?.[0];
      throw new RegistrationRefusedError(
        cause?.code,
        cause ? causeName(cause.code) : 'no cause given',
        `Registration refused by the registrar: ${cause ? causeExplanation(cause.code) : 'no cause given'}`,
      );
    }
    return sent;
  }

  /** @internal Sends a deregistration, without hunting for a registrar. */
  async sendDeregistration(reg: Registration, signal?: AbortSignal): Promise<void> {
    const home = this.home;
    if (!home || !home.association.open) return; // the registrar drops the PE by itself
    const key = requestKey('deregistration', reg.poolHandle, reg.peId);
    const wait = home.tracker.expectCancelable(key, this.requestTimeout, signal, `deregistration of PE ${hex(reg.peId)}`);
    wait.promise.catch(() => undefined);
    try {
      try {
        await sendHandedOver(home.association, encodeAsap({ protocol: 'asap', type: 'deregistration', poolHandle: reg.poolHandle, peId: reg.peId }), { ppid: ASAP_PPID });
      } catch (err) {
        wait.cancel(err instanceof Error ? err : new Error(String(err)));
        throw err;
      }
      await wait.promise;
    } catch (err) {
      if (signal?.aborted) throw toAbortError(signal);
      if (this.closed || !home.association.open) return;
      throw err;
    }
  }

  /** @internal */
  removeRegistration(reg: Registration): void {
    if (this.registrations.get(reg.peId) === reg) this.registrations.delete(reg.peId);
    const pk = poolHandleKey(reg.poolHandle);
    const set = this.byPool.get(pk);
    if (set?.delete(reg) && set.size === 0) this.byPool.delete(pk);
  }

  // ------------------------------------------------------------------ PU side

  /**
   * Resolves a pool handle to pool elements, best first by the pool's
   * policy, like `getaddrinfo`. Uses the PU-side cache unless
   * `cache: false`.
   *
   * @throws PoolNotFoundError, NoRegistrarError, TimeoutError, AbortError
   */
  async resolve(poolHandle: PoolHandleInput, options: ResolveOptions = {}): Promise<PoolElementInfo[]> {
    this.assertOpen();
    const ph = toPoolHandle(poolHandle);
    const items = options.items;
    if (items !== undefined && !(items === Infinity || (Number.isInteger(items) && items >= 1))) throw new InvalidArgumentError('items must be a positive integer or Infinity');
    const stale = nonNegative(options.staleCacheValue, this.staleCacheValue, 'staleCacheValue');
    const useCache = options.cache !== false && stale > 0;
    const want = items ?? Infinity;
    if (useCache) {
      const hit = this.cache.select(ph, want);
      if (hit.length > 0) return hit.map(toPoolElementInfo);
    }
    this.busy++;
    try {
      // Spec §8: ask for a number of items only when not caching or when asking for all.
      const hropt = items === undefined ? undefined : items === Infinity ? 0xffffffff : useCache ? undefined : items;
      const response = await this.request(
        () => ({ protocol: 'asap', type: 'handle-resolution', poolHandle: ph, ...(hropt !== undefined ? { items: hropt } : {}) }),
        requestKey('handle-resolution', ph),
        `handle resolution of pool "${poolHandleText(ph)}"`,
        options.signal,
      );
      if (response.type !== 'handle-resolution-response') throw new RSerPoolError('ERR_RSP_PROTOCOL', 'Unexpected response');
      const cause = response.operationError?.[0];
      if (cause) {
        if (cause.code === ErrorCauseCode.UNKNOWN_POOL_HANDLE) throw new PoolNotFoundError(poolHandleText(ph));
        throw new RSerPoolError('ERR_RSP_PROTOCOL', `Handle resolution failed: ${causeName(cause.code)}`);
      }
      if (response.poolElements.length === 0) throw new PoolNotFoundError(poolHandleText(ph), `Pool "${poolHandleText(ph)}" has no pool elements`);
      if (useCache) {
        this.cache.insert(ph, response.poolElements, stale);
        const sel = this.cache.select(ph, want);
        if (sel.length > 0) return sel.map(toPoolElementInfo);
      }
      return response.poolElements.slice(0, want === Infinity ? undefined : want).map(toPoolElementInfo);
    } finally {
      this.busy--;
    }
  }

  /**
   * Reports a pool element as unreachable (ASAP Endpoint Unreachable, spec
   * §12.6) and removes it from the PU-side cache. There is no response;
   * resolves once the report was handed to SCTP.
   */
  async reportFailure(poolHandle: PoolHandleInput, peId: number, options: { signal?: AbortSignal } = {}): Promise<void> {
    this.assertOpen();
    const ph = toPoolHandle(poolHandle);
    if (!Number.isInteger(peId) || peId < 1 || peId > 0xfffffffe) throw new InvalidArgumentError(`Invalid PE id ${String(peId)}`);
    this.cache.remove(ph, peId);
    this.busy++;
    try {
      const home = await this.ensureHome(options.signal);
      await sendHandedOver(home.association, encodeAsap({ protocol: 'asap', type: 'endpoint-unreachable', poolHandle: ph, peId }), { ppid: ASAP_PPID });
    } finally {
      this.busy--;
    }
  }

  /** Empties the PU-side cache (all pools, or one). */
  flushCache(poolHandle?: PoolHandleInput): void {
    if (poolHandle === undefined) this.cache.clear();
    else this.cache.clearPool(toPoolHandle(poolHandle));
  }

  // ------------------------------------------------------------ lifecycle

  /**
   * Closes the instance: deregisters every PE (best effort, bounded by the
   * request timeout), closes the registrar association, the endpoint and
   * the announce listener. Pending requests reject with `ClosedError`.
   */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    await Promise.allSettled([...this.registrations.values()].map((r) => r.deregister()));
    this.lifetime.abort(new ClosedError('ASAP instance closed'));
    const home = this.home;
    this.home = undefined;
    if (home) {
      home.tracker.failAll(new ClosedError('ASAP instance closed'));
      home.association.removeAllListeners('message');
    }
    this.cache.clear();
    const listener = await this.announcer?.catch(() => undefined);
    await listener?.close();
    const ep = await this.endpointPromise?.catch(() => undefined);
    if (home?.association.open) await Promise.race([home.association.close().catch(() => undefined), new Promise((r) => setTimeout(r, 500).unref())]);
    for (const t of this.adoptionProbes.values()) this.clock.clearTimeout(t);
    this.adoptionProbes.clear();
    for (const a of this.foreign) a.abort();
    this.foreign.clear();
    await ep?.close().catch(() => undefined);
    this.emit('closed');
    this.removeAllListeners();
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError('ASAP instance is closed');
  }

  // ------------------------------------------------------------ machinery

  private getEndpoint(): Promise<Endpoint> {
    if (!this.endpointPromise) {
      const transport = this.options.transport;
      const factory: EndpointFactory =
        this.options.endpointFactory ?? ((a) => createTransportEndpoint(transport, { address: a.address, port: a.port, listen: true }));
      this.endpointPromise = factory({ address: this.localAddress, port: this.options.localPort ?? 0 }).then((plain) => {
        const ep = this.options.tls !== undefined ? tlsEndpoint(plain, { ...this.options.tls, authorize: (id, role) => this.isRegistrarIdentity(id) && (this.options.tls?.authorize?.(id, role) ?? true) }) : plain;
        this.endpoint = ep;
        ep.on('association', (a) => this.onIncoming(a));
        ep.on('error', (e) => this.emit('error', e));
        if (this.closed) void ep.close();
        return ep;
      });
      this.endpointPromise.catch(() => (this.endpointPromise = undefined));
    }
    return this.endpointPromise;
  }

  private startAnnounceListener(): void {
    if (this.announcer || !this.announceGroup) return;
    const group = this.announceGroup;
    const iface = this.options.announceInterface;
    const factory = this.options.announceListenerFactory ?? ((g, cb) => defaultAnnounceListenerFactory(g, cb, iface));
    this.announcer = factory(group, (data, source) => this.onAnnounce(data, source)).catch((e: unknown) => {
      this.emit('error', e instanceof Error ? e : new Error(String(e)));
      return undefined;
    });
  }

  private onAnnounce(data: Uint8Array, source: TransportAddress): void {
    let msg: AsapMessage;
    try {
      msg = decodeAsap(data);
    } catch {
      return; // not ASAP; the announce port may carry anything
    }
    if (msg.type !== 'server-announce') return;
    const addresses: TransportAddress[] = [];
    for (const t of msg.transports) if (t.protocol === 'sctp') for (const a of t.addresses) addresses.push({ address: a, port: t.port });
    this.table.handleAnnounce(msg.serverId >>> 0, addresses.length > 0 ? addresses : [source]);
  }

  /** Returns the home registrar association, hunting for one when there is none. */
  private async ensureHome(signal?: AbortSignal): Promise<Home> {
    throwIfAborted(signal);
    this.assertOpen();
    if (this.home?.association.open) return this.home;
    this.huntPromise ??= this.hunt().finally(() => (this.huntPromise = undefined));
    try {
      return await raceSignal(this.huntPromise, signal);
    } catch (err) {
      if (this.closed && !signal?.aborted) throw new ClosedError('ASAP instance closed');
      throw err;
    }
  }

  private async hunt(): Promise<Home> {
    this.startAnnounceListener();
    const ep = await this.getEndpoint();
    const fd = this.options.failureDetection ?? {};
    const controller = new AbortController();
    const onClose = (): void => controller.abort(this.lifetime.signal.reason);
    this.lifetime.signal.addEventListener('abort', onClose, { once: true });
    this.huntController = controller;
    let r: Awaited<ReturnType<typeof huntRegistrar>>;
    try {
      r = await huntRegistrar({
        table: this.table,
        connect: (remote, o) => ep.connect(remote, { ...fd, ...o }),
        clock: this.clock,
        options: this.options.hunt ?? {},
        signal: controller.signal,
      });
    } catch (err) {
      // Adopted by a registrar that took over our (dead) home meanwhile: that is the new home,
      // so requests waiting for the hunt go there and nothing is reported as an error.
      if (!this.closed && controller.signal.aborted && this.home?.association.open) return this.home;
      throw err;
    } finally {
      this.lifetime.signal.removeEventListener('abort', onClose);
      if (this.huntController === controller) this.huntController = undefined;
    }
    if (this.closed) {
      r.association.abort();
      throw new ClosedError('ASAP instance closed');
    }
    // A new registrar: its id is known from announces, else from its first keep-alive.
    return this.adopt(r.association, 'hunt', r.entry.serverId);
  }

  /** Makes `association` the home registrar association. */
  private adopt(association: Association, reason: 'hunt' | 'keep-alive', serverId: number): Home {
    const previous = this.home;
    const previousId = this._homeRegistrarId;
    this._homeRegistrarId = serverId >>> 0;
    this.foreign.delete(association);
    const home: Home = { association, name: formatTransportAddress(association.remote), tracker: new RequestTracker<AsapMessage>(this.clock), lastHeard: this.clock.now(), received: 0 };
    this.home = home;
    if (!association.listenerCount('message')) association.on('message', (data, info) => this.onMessage(association, data, info));
    association.on('close', () => this.lose(home, 'association closed'));
    if (previous && previous.association !== association) {
      // Spec §12.5 step 4: drop the old registrar association.
      this.detach(previous, new RSerPoolError('ERR_RSP_TRANSPORT', 'Home registrar changed'));
      void previous.association.close().catch(() => undefined);
    }
    const info: RegistrarChangeInfo = { homeRegistrarId: this._homeRegistrarId, previousRegistrarId: previousId, registrar: home.name, reason };
    this.emit('registrarChanged', info);
    // PEs hear about a change of registrar, not about the first one.
    if (this.hadHome) for (const r of this.registrations.values()) r.noteRegistrarChange(info);
    this.hadHome = true;
    return home;
  }

  private detach(home: Home, error: Error): void {
    home.tracker.failAll(error);
  }

  /** The home association is gone or unusable: forget it; registered PEs re-register (which hunts). */
  private lose(home: Home, why: string): void {
    if (this.home !== home) return;
    this.home = undefined;
    this.detach(home, new RSerPoolError('ERR_RSP_TRANSPORT', `Registrar association lost (${why})`));
    if (home.association.open) home.association.abort('registrar unusable');
    if (this.closed) return;
    for (const r of this.registrations.values()) if (r.state === 'registered') r.registerNow().catch(() => undefined /* reported as 'error' */);
  }

  /**
   * Sends a request on the home association and waits for its response;
   * after a timeout or a lost association it hunts again and retries, up to
   * `requestMaxTrials` attempts.
   */
  private async request(build: (home: Home) => AsapMessage, key: string, what: string, signal?: AbortSignal): Promise<AsapMessage> {
    let last: unknown;
    for (let trial = 0; trial < this.requestMaxTrials; trial++) {
      const home = await this.ensureHome(signal);
      await this.window.acquire(signal);
      // No per-request AbortController: closing the instance fails the
      // tracker's waits (failAll), and only the caller's signal is watched.
      const wait = home.tracker.expectCancelable(key, this.requestTimeout, signal, what);
      wait.promise.catch(() => undefined);
      const sentAt = this.clock.now();
      try {
        if (!home.association.open) throw new RSerPoolError('ERR_RSP_TRANSPORT', 'Registrar association lost');
        try {
          await sendHandedOver(home.association, encodeAsap(build(home)), { ppid: ASAP_PPID });
        } catch (err) {
          wait.cancel(err instanceof Error ? err : new Error(String(err)));
          throw err;
        }
        return await wait.promise;
      } catch (err) {
        if (signal?.aborted) throw toAbortError(signal);
        if (this.closed) throw new ClosedError('ASAP instance closed');
        last = err;
        if (err instanceof TimeoutError) {
          // A busy registrar that still answers other requests is kept; a
          // silent one is dropped and the next attempt hunts again.
          if (home.lastHeard <= sentAt) this.lose(home, 'request timeout');
        } else if (!(err instanceof RSerPoolError && (err.code === 'ERR_RSP_TRANSPORT' || err.code === 'ERR_RSP_CLOSED'))) throw err;
      } finally {
        this.window.release();
      }
    }
    throw last;
  }

  private onIncoming(association: Association): void {
    if (this.closed) {
      association.abort();
      return;
    }
    this.foreign.add(association);
    if (this.foreign.size > MAX_FOREIGN_ASSOCIATIONS) {
      const oldest = this.foreign.values().next().value as Association;
      this.foreign.delete(oldest);
      oldest.abort('too many registrar associations');
    }
    association.on('message', (data, info) => this.onMessage(association, data, info));
    association.on('close', () => this.foreign.delete(association));
    association.on('error', () => undefined);
  }

  private onMessage(association: Association, data: Uint8Array, info: MessageInfo): void {
    if (info.ppid !== ASAP_PPID) return;
    let msg: AsapMessage;
    try {
      msg = decodeAsap(data);
    } catch (err) {
      this.emit('error', err instanceof Error ? err : new Error(String(err)));
      return;
    }
    const home = this.home && this.home.association === association ? this.home : undefined;
    if (home) {
      home.lastHeard = this.clock.now();
      home.received++;
    }
    switch (msg.type) {
      case 'registration-response':
        home?.tracker.resolve(requestKey('registration', msg.poolHandle, msg.peId), msg);
        break;
      case 'deregistration-response':
        home?.tracker.resolve(requestKey('deregistration', msg.poolHandle, msg.peId), msg);
        break;
      case 'handle-resolution-response':
        home?.tracker.resolve(requestKey('handle-resolution', msg.poolHandle), msg);
        break;
      case 'endpoint-keep-alive':
        this.onKeepAlive(association, home !== undefined, msg);
        break;
      case 'error':
        this.emit('error', new RSerPoolError('ERR_RSP_PROTOCOL', `Registrar reported: ${msg.operationError.map((c: ErrorCause) => causeName(c.code)).join(', ')}`));
        break;
      default:
        break;
    }
  }

  private onKeepAlive(association: Association, onHome: boolean, msg: Extract<AsapMessage, { type: 'endpoint-keep-alive' }>): void {
    if (!onHome && msg.home === true && !this.mayAdopt(association, msg)) return;
    this.answerKeepAlive(association, onHome, msg);
  }

  /**
   * The adoption rule for an H-bit keep-alive on an association a registrar
   * opened to us: only a registrar this instance knows (configured or
   * announced; matched by address) may become home, and only when the
   * current home registrar is gone or does not answer a probe within the
   * request timeout. While the probe runs the keep-alive stays unanswered
   * (the registrar retries); returns true to adopt now.
   */
  private mayAdopt(association: Association, msg: Extract<AsapMessage, { type: 'endpoint-keep-alive' }>): boolean {
    const name = formatTransportAddress(association.remote);
    if (!this.knowsRegistrar(association)) {
      this.refuseAdoption(name, msg.serverId, 'unknown-registrar');
      return false;
    }
    const home = this.home;
    if (home === undefined || !home.association.open) return true;
    if (this.adoptionProbes.has(association)) return false;
    const mark = home.received;
    sendHandedOver(home.association, encodeAsap({ protocol: 'asap', type: 'handle-resolution', poolHandle: msg.poolHandle }), { ppid: ASAP_PPID }).catch(() => undefined);
    this.adoptionProbes.set(association, this.clock.setTimeout(() => {
      this.adoptionProbes.delete(association);
      if (this.closed || !association.open) return;
      if (this.home === home && home.association.open && home.received > mark) {
        this.refuseAdoption(name, msg.serverId, 'home-alive');
        return;
      }
      // Adopting drops the silent home association (spec §12.5 step 4).
      this.answerKeepAlive(association, false, msg);
    }, this.requestTimeout));
    return false;
  }

  /** With TLS: may this certificate identity act as a registrar? */
  private isRegistrarIdentity(identity: PeerIdentity): boolean {
    const names = this.options.tls?.registrarNames;
    return names === undefined || identityMatches(identity, names);
  }

  /**
   * True when the registrar at the other end of `association` is known: it
   * authenticated with TLS as a registrar, or its address is that of a
   * registrar in the table (static or announced).
   */
  private knowsRegistrar(association: Association): boolean {
    if (peerIdentityOf(association) !== undefined) return true; // checked by isRegistrarIdentity during the handshake
    const want = normalizeHost(association.remote.address);
    return this.table.list().some((e) => normalizeHost(e.address.address) === want);
  }

  private refuseAdoption(registrar: string, serverId: number, reason: 'unknown-registrar' | 'home-alive'): void {
    this.adoptionsRefused++;
    this.emit('adoptionRefused', { registrar, serverId: serverId >>> 0, reason });
  }

  private answerKeepAlive(association: Association, onHome: boolean, msg: Extract<AsapMessage, { type: 'endpoint-keep-alive' }>): void {
    const d = decideKeepAlive(
      { serverId: msg.serverId, homeFlag: msg.home === true, poolHandle: msg.poolHandle, ...(msg.peId !== undefined ? { peId: msg.peId } : {}) },
      {
        onHomeAssociation: onHome,
        homeRegistrarId: this._homeRegistrarId,
        registrations: { byId: (id) => this.registrations.get(id), byPool: (ph) => this.byPool.get(poolHandleKey(ph)) ?? [] },
      },
    );
    if (d.newHomeId !== undefined) this.table.setServerId(association.remote, d.newHomeId);
    if (d.adopt) {
      this.adopt(association, 'keep-alive', d.newHomeId ?? msg.serverId);
      // A takeover: stop hunting for the registrar that died.
      this.huntController?.abort(new RSerPoolError('ERR_RSP_ABORTED', 'Adopted by a new home registrar'));
    }
    else if (d.newHomeId !== undefined) this._homeRegistrarId = d.newHomeId;
    for (const r of d.ack) {
      sendHandedOver(association, encodeAsap({ protocol: 'asap', type: 'endpoint-keep-alive-ack', poolHandle: r.poolHandle, peId: r.peId }), { ppid: ASAP_PPID }).catch(
        () => undefined,
      );
    }
  }

  /** User transport addresses when none were configured (see {@link RegisterOptions.addresses}). */
  private userAddresses(association: Association): string[] {
    const local = association.local.address;
    if (local && !isUnspecified(local)) return [local];
    if (isLoopback(association.remote.address)) return [net.isIPv6(association.remote.address) ? '::1' : '127.0.0.1'];
    const v6 = net.isIPv6(association.remote.address);
    for (const list of Object.values(os.networkInterfaces())) {
      for (const i of list ?? []) if (!i.internal && (i.family === 'IPv6') === v6) return [i.address];
    }
    return [v6 ? '::1' : '127.0.0.1'];
  }
}

// ---------------------------------------------------------------- helpers



/** Canonical form of an IP address for comparisons (IPv4-mapped IPv6 as IPv4, lower case). */
function normalizeHost(address: string): string {
  const a = address.toLowerCase();
  return a.startsWith('::ffff:') && net.isIPv4(a.slice(7)) ? a.slice(7) : a;
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

/** Loopback when every static registrar is on loopback, else the wildcard; IPv6 when every registrar is IPv6. */
function defaultLocalAddress(registrars: readonly TransportAddress[]): string {
  const v6 = registrars.length > 0 && registrars.every((a) => net.isIPv6(a.address));
  if (registrars.length > 0 && registrars.every((a) => isLoopback(a.address))) return v6 ? '::1' : '127.0.0.1';
  return v6 ? '::' : '0.0.0.0';
}

function isLoopback(a: string): boolean {
  return a.startsWith('127.') || a === '::1' || a === 'localhost';
}

function isUnspecified(a: string): boolean {
  return a === '0.0.0.0' || a === '::';
}

function makeTransport(protocol: TransportParam['protocol'], port: number, control: boolean, addresses: string[]): TransportParam {
  const transportUse = control ? 1 : 0;
  switch (protocol) {
    case 'sctp':
    case 'tcp':
      return { protocol, port, transportUse, addresses: [...addresses] };
    case 'udp':
    case 'udp-lite':
      return { protocol, port, addresses: [...addresses] };
    case 'dccp':
      return { protocol, port, serviceCode: 0, addresses: [...addresses] };
    default:
      throw new InvalidArgumentError(`Unknown transport protocol ${String(protocol)}`);
  }
}

/** Picks a currently free UDP port (the data port convention: UDP port = SCTP port). */
function pickFreePort(address: string | undefined): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const s = dgram.createSocket(address && net.isIPv6(address) ? 'udp6' : 'udp4');
    s.once('error', (e) => {
      s.close();
      reject(new RSerPoolError('ERR_RSP_TRANSPORT', `Cannot pick a free port: ${e.message}`));
    });
    s.bind({ port: 0, ...(address ? { address } : {}), exclusive: true }, () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}




const defaultAnnounceListenerFactory = async (
  group: TransportAddress,
  onDatagram: (data: Uint8Array, source: TransportAddress) => void,
  networkInterface: string | undefined,
): Promise<AnnounceListener> => {
  const { openAnnounceListener } = await import('./announce-listener.js');
  return openAnnounceListener(group, onDatagram, networkInterface);
};
