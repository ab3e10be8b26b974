/**
 * The registration keeper of one pool element (spec §12.2, §12.3, §12.14):
 * keeps a PE registered at its home registrar. It registers once, then
 * re-registers every `reregistrationInterval` (the registration life sent is
 * `registrationLife`, default 3 × the interval); `update()` re-registers at
 * once with new policy values; failures are retried with a growing delay and
 * reported as `error` events; `deregister()` ends it. Re-registrations that
 * are requested while one is in flight are merged into one.
 *
 * The keeper runs on the injectable {@link Clock}; the ASAP instance (its
 * {@link RegistrationHost}) does the messaging, server hunt and registrar
 * failover.
 *
 * @module
 */
import { randomInt } from 'node:crypto';
import { EventEmitter } from 'eventemitter3';
import type { Clock, TimerHandle } from '../clock.js';
import { ClosedError, InvalidArgumentError } from '../errors.js';
import type { PolicyInfo, TransportParam } from '../wire/types.js';
import { toAbortError } from './abortable.js';
import { mergePolicy, type PolicyOptions } from './policy-options.js';

/** Lifecycle state of a {@link Registration}. */
export type RegistrationState = 'registering' | 'registered' | 'deregistering' | 'closed';

/** Information passed with `registered` / `reregistered` events. */
export interface RegistrationEventInfo {
  /** PE identifier. */
  peId: number;
  /** Server id of the registrar that accepted the registration (0 when unknown). */
  homeRegistrarId: number;
  /** The user transport that was registered. */
  userTransport: TransportParam;
}

/** Information passed with `registrarChanged` events. */
export interface RegistrarChangeInfo {
  /** The new home registrar's server id (0 when not known yet). */
  homeRegistrarId: number;
  /** The previous one (0 when not known). */
  previousRegistrarId: number;
  /** `HOST:PORT` of the new registrar association, when known. */
  registrar?: string;
  /** Why: `hunt` after the old association was lost, `keep-alive` after a Keep-Alive with the H bit. */
  reason: 'hunt' | 'keep-alive';
}

/** Events of a {@link Registration}. */
export interface RegistrationEvents {
  /**
   * The PE is registered at a registrar for the first time: the first
   * registration (when `register()` resolves), and again after the PE moved
   * to another registrar (after `registrarChanged`).
   */
  registered: (info: RegistrationEventInfo) => void;
  /** A periodic or update-triggered re-registration succeeded at the same registrar. */
  reregistered: (info: RegistrationEventInfo) => void;
  /** The home registrar changed (new server hunt or takeover). */
  registrarChanged: (info: RegistrarChangeInfo) => void;
  /** A (re-)registration failed; the keeper keeps trying. Always an `RSerPoolError`. */
  error: (error: Error) => void;
  /** The registration ended (deregistered or its instance closed). */
  closed: () => void;
}

/** What a {@link Registration} needs from its ASAP instance. */
export interface RegistrationHost {
  readonly clock: Clock;
  /**
   * Sends one (re-)registration and waits for the response; hunts for a
   * registrar when needed. Resolves with the user transport actually
   * registered; rejects with `RegistrationRefusedError`,
   * `NoRegistrarError`, `TimeoutError`, ….
   */
  sendRegistration(registration: Registration, signal?: AbortSignal): Promise<TransportParam>;
  /** Sends a deregistration (best effort, no server hunt) and waits for the response. */
  sendDeregistration(registration: Registration, signal?: AbortSignal): Promise<void>;
  /** Forgets the registration (it is closed). */
  removeRegistration(registration: Registration): void;
  /** Home registrar id of the instance (0 when unknown). */
  readonly homeRegistrarId: number;
}

/** Options of a {@link Registration}, resolved by the instance. */
export interface RegistrationConfig {
  poolHandle: Uint8Array;
  peId?: number;
  policy: PolicyInfo;
  /** Protocol, port and (optional) addresses of the user transport; empty addresses: chosen at send time. */
  userTransport: TransportParam;
  /** Re-registration interval in ms. */
  reregistrationInterval: number;
  /** Registration life in ms sent to the registrar. */
  registrationLife: number;
  /** First retry delay after a failure in ms (doubles per failure). */
  retryDelay: number;
  /** Upper bound of the retry delay in ms (and never above the interval). Default 5000. */
  maxRetryDelay?: number;
  /**
   * Each re-registration comes after `interval × (1 − jitter × random)`,
   * never later than the interval. Default 0.
   */
  jitter?: number;
  /** Random source in [0, 1) for the jitter; default `Math.random`. */
  random?: () => number;
}

/** Fields accepted by {@link Registration.update}. */
export interface RegistrationUpdate extends Partial<PolicyOptions> {
  /** Replaces the whole policy (fractions); other fields are merged on top. */
  policy?: PolicyOptions;
  /** New user transport addresses. */
  addresses?: string[];
}

/** Picks a random PE identifier in 1..0xfffffffe (spec §12.14). */
export function randomPeId(): number {
  return randomInt(1, 0xffffffff);
}

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

/** A registered (or registering) pool element. Created by `AsapInstance.register()` / `rsp.register()`. */
export class Registration extends EventEmitter<RegistrationEvents> {
  /** PE identifier, kept for the PE's lifetime. */
  readonly peId: number;
  /** Pool handle bytes. */
  readonly poolHandle: Uint8Array;
  /** Current policy information (wire values). */
  policy: PolicyInfo;
  /** The user transport as last registered (addresses filled in once registered). */
  userTransport: TransportParam;
  /** Re-registration interval in ms. */
  readonly reregistrationInterval: number;
  /** Registration life in ms sent with each registration. */
  readonly registrationLife: number;
  private _state: RegistrationState = 'registering';
  private _fixedAddresses: boolean;
  private everRegistered = false;
  private atNewRegistrar = false;
  private timer: TimerHandle | undefined;
  private running = false;
  private wanted = false;
  private waiters: Waiter[] = [];
  private failures = 0;
  private readonly retryDelay: number;
  private readonly maxRetryDelay: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private readonly closeHooks: Array<() => Promise<void>> = [];

  /** @internal */
  constructor(
    private readonly host: RegistrationHost,
    config: RegistrationConfig,
  ) {
    super();
    const peId = config.peId ?? randomPeId();
    if (!Number.isInteger(peId) || peId < 1 || peId > 0xfffffffe) throw new InvalidArgumentError(`PE id must be 1..0xfffffffe, got ${peId}`);
    if (!(config.reregistrationInterval > 0)) throw new InvalidArgumentError('reregistrationInterval must be positive');
    if (!(config.registrationLife > 0) || config.registrationLife > 0x7fffffff) throw new InvalidArgumentError('registrationLife must be 1..2147483647 ms');
    this.peId = peId;
    this.poolHandle = config.poolHandle;
    this.policy = config.policy;
    this.userTransport = config.userTransport;
    this._fixedAddresses = config.userTransport.addresses.length > 0;
    this.reregistrationInterval = config.reregistrationInterval;
    this.registrationLife = config.registrationLife;
    this.retryDelay = config.retryDelay;
    this.maxRetryDelay = config.maxRetryDelay ?? 5000;
    this.jitter = Math.min(1, Math.max(0, config.jitter ?? 0));
    this.random = config.random ?? Math.random;
  }

  /**
   * True when the user transport addresses were given by the application;
   * otherwise the instance chooses them for every registration (they follow
   * the registrar association after a failover).
   */
  get fixedAddresses(): boolean {
    return this._fixedAddresses;
  }

  /** Lifecycle state. */
  get state(): RegistrationState {
    return this._state;
  }

  /** True while the registration is neither closing nor closed. */
  get active(): boolean {
    return this._state === 'registering' || this._state === 'registered';
  }

  /** Pool handle as text (UTF-8). */
  get poolHandleText(): string {
    return Buffer.from(this.poolHandle).toString('utf8');
  }

  /** The user transport port that was registered. */
  get port(): number {
    return this.userTransport.port;
  }

  /** Home registrar identifier as known now (0 when unknown). */
  get homeRegistrarId(): number {
    return this.host.homeRegistrarId;
  }

  /**
   * Sends the first registration. Resolves once the registrar accepted it;
   * rejects (and closes the registration) otherwise.
   * @internal
   */
  async start(signal?: AbortSignal): Promise<void> {
    try {
      await this.registerNow(signal);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /**
   * Changes policy values (fractions, e.g. `{ load: 0.5 }`) or addresses and
   * re-registers immediately. Resolves when the registrar accepted the
   * re-registration.
   */
  update(changes: RegistrationUpdate, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this._state === 'closed' || this._state === 'deregistering') return Promise.reject(new ClosedError('Registration is closed'));
    const { policy, addresses, ...fields } = changes;
    let next = policy ? mergePolicy(this.policy, { ...policy }) : this.policy;
    if (Object.values(fields).some((v) => v !== undefined)) next = mergePolicy(next, fields);
    this.policy = next;
    if (addresses) {
      this.userTransport = { ...this.userTransport, addresses: [...addresses] } as TransportParam;
      this._fixedAddresses = addresses.length > 0;
    }
    return this.registerNow(options.signal);
  }

  /**
   * Re-registers now (also used by the instance after a registrar change).
   * Requests made while one is in flight are merged into the next one.
   */
  registerNow(signal?: AbortSignal): Promise<void> {
    if (this._state === 'closed' || this._state === 'deregistering') return Promise.reject(new ClosedError('Registration is closed'));
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(toAbortError(signal));
        return;
      }
      const waiter: Waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      // Aborting only stops the caller's wait; the keeper goes on.
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(toAbortError(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.wanted = true;
      if (!this.running) void this.loop();
    });
  }

  private async loop(): Promise<void> {
    this.running = true;
    this.host.clock.clearTimeout(this.timer);
    this.timer = undefined;
    try {
      while (this.wanted && this.active) {
        this.wanted = false;
        const waiters = this.waiters;
        this.waiters = [];
        try {
          this.userTransport = await this.host.sendRegistration(this);
          this.failures = 0;
          if (!this.active) {
            waiters.forEach((w) => w.reject(new ClosedError('Registration is closed')));
            // Closed (e.g. the first registration was aborted) while the
            // registrar accepted it: take it back.
            if (this._state === 'closed') this.host.sendDeregistration(this).catch(() => undefined);
            return;
          }
          this._state = 'registered';
          const info: RegistrationEventInfo = { peId: this.peId, homeRegistrarId: this.host.homeRegistrarId, userTransport: this.userTransport };
          const first = !this.everRegistered || this.atNewRegistrar;
          this.everRegistered = true;
          this.atNewRegistrar = false;
          waiters.forEach((w) => w.resolve());
          this.emit(first ? 'registered' : 'reregistered', info);
          if (!this.wanted) this.schedule(this.reregistrationInterval * (1 - this.jitter * this.random()));
        } catch (err) {
          const e = err instanceof Error ? err : new Error(String(err));
          waiters.forEach((w) => w.reject(e));
          if (!this.active) return;
          this.failures++;
          // Only a registration that already succeeded keeps trying by itself;
          // the first one reports the failure to its caller.
          if (this.everRegistered) {
            this.emit('error', e);
            if (!this.wanted) this.schedule(Math.min(this.reregistrationInterval, this.maxRetryDelay, this.retryDelay * 2 ** Math.min(this.failures - 1, 16)));
          }
        }
      }
    } finally {
      this.running = false;
    }
  }

  private schedule(ms: number): void {
    this.host.clock.clearTimeout(this.timer);
    this.timer = this.host.clock.setTimeout(() => {
      this.timer = undefined;
      this.registerNow().catch(() => undefined /* reported as an 'error' event */);
    }, ms);
  }

  /**
   * Deregisters the PE (ASAP Deregistration) and closes the registration.
   * Local state is always released, even when the registrar does not
   * answer; the promise then rejects with the reason.
   */
  async deregister(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this._state === 'closed' || this._state === 'deregistering') return;
    const wasRegistered = this.everRegistered;
    this._state = 'deregistering';
    this.host.clock.clearTimeout(this.timer);
    this.timer = undefined;
    try {
      if (wasRegistered) await this.host.sendDeregistration(this, options.signal);
    } finally {
      this.close(false);
      await this.runCloseHooks();
    }
  }

  /**
   * The instance changed its home registrar: tells listeners, and makes the
   * next successful registration a `registered` event again.
   * @internal
   */
  noteRegistrarChange(info: RegistrarChangeInfo): void {
    this.atNewRegistrar = true;
    this.emit('registrarChanged', info);
  }

  /**
   * Adds work that {@link Registration.deregister} awaits after the
   * registration closed (Basic Mode closes its on-demand instance there).
   * @internal
   */
  addCloseHook(hook: () => Promise<void>): void {
    this.closeHooks.push(hook);
  }

  private async runCloseHooks(): Promise<void> {
    const hooks = this.closeHooks.splice(0);
    await Promise.allSettled(hooks.map((h) => h()));
  }

  /** Releases local state without telling the registrar. @internal */
  close(runHooks = true): void {
    if (this._state === 'closed') return;
    this._state = 'closed';
    this.host.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => w.reject(new ClosedError('Registration is closed')));
    this.host.removeRegistration(this);
    this.emit('closed');
    this.removeAllListeners();
    if (runHooks && this.closeHooks.length > 0) void this.runCloseHooks();
  }
}
