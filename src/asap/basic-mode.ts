/**
 * Basic Mode on the package root: `rsp.register()`, `rsp.resolve()` and
 * `rsp.reportFailure()` without managing an {@link AsapInstance}.
 *
 * Each call runs on an instance that is created on demand and shared by
 * calls with the same configuration (registrars, announce group, timeouts…)
 * while any of them is in progress or any registration made through it is
 * alive; when the last one ends, the instance is closed. So no state
 * outlives its use and nothing keeps the process alive after the last
 * `deregister()`. (A consequence: the PU-side cache of a shared instance
 * lives only as long as the instance; use {@link createInstance} for a
 * long-lived pool user that benefits from the cache.)
 *
 * Pass `instance` to run a call on an instance of your own instead.
 *
 * @module
 */
import { AsapInstance, type PoolHandleInput } from './asap-instance.js';
import type { AsapInstanceOptions, PoolElementInfo, RegisterOptions, ResolveOptions } from './asap-options.js';
import { REGISTRARS_ENV } from './registrar-table.js';
import type { Registration } from './registration.js';

/** Options every Basic Mode function accepts besides its own. */
export interface BasicModeOptions extends AsapInstanceOptions {
  /** Run on this instance (not closed by Basic Mode) instead of an on-demand one. */
  instance?: AsapInstance;
}

/** Options of {@link register}. */
export type BasicRegisterOptions = RegisterOptions & BasicModeOptions;
/** Options of {@link resolve}. */
export type BasicResolveOptions = ResolveOptions & BasicModeOptions;
/** Options of {@link reportFailure}. */
export type BasicReportOptions = BasicModeOptions & { signal?: AbortSignal };

/**
 * Creates an ASAP instance (the explicit way: the caller closes it with
 * `instance.close()`).
 */
export function createInstance(options: AsapInstanceOptions = {}): AsapInstance {
  return new AsapInstance(options);
}

interface Shared {
  instance: AsapInstance;
  refs: number;
}

// Instances in use by Basic Mode calls, by configuration. Entries exist only
// while a call or a registration uses them.
const shared = new Map<string, Shared>();
let unshared = 0;

const INSTANCE_KEYS: ReadonlyArray<keyof AsapInstanceOptions> = [
  'registrars',
  'announce',
  'announceInterface',
  'localAddress',
  'localPort',
  'requestTimeout',
  'requestMaxTrials',
  'hunt',
  'announceTimeout',
  'staleCacheValue',
  'reregistrationInterval',
  'failureDetection',
  'transport',
];

function instanceOptions(o: BasicModeOptions): AsapInstanceOptions {
  const out: Record<string, unknown> = {};
  for (const k of [...INSTANCE_KEYS, 'env', 'clock', 'endpointFactory', 'announceListenerFactory'] as const) if (o[k] !== undefined) out[k] = o[k];
  return out as AsapInstanceOptions;
}

function configKey(o: AsapInstanceOptions): string {
  if (o.clock || o.endpointFactory || o.announceListenerFactory || o.env) return `unshared:${++unshared}`;
  const plain: Record<string, unknown> = { env: process.env[REGISTRARS_ENV] ?? '' };
  for (const k of INSTANCE_KEYS) if (o[k] !== undefined) plain[k] = o[k];
  return JSON.stringify(plain);
}

function acquire(o: BasicModeOptions): { instance: AsapInstance; release: () => Promise<void> } {
  if (o.instance) return { instance: o.instance, release: async () => undefined };
  const opts = instanceOptions(o);
  const key = configKey(opts);
  let s = shared.get(key);
  if (!s || s.instance.closed) {
    s = { instance: new AsapInstance(opts), refs: 0 };
    shared.set(key, s);
  }
  const entry = s;
  entry.refs++;
  let released = false;
  return {
    instance: entry.instance,
    release: async () => {
      if (released) return;
      released = true;
      if (--entry.refs > 0) return;
      if (shared.get(key) === entry) shared.delete(key);
      await entry.instance.close();
    },
  };
}

/**
 * Registers a pool element under `poolHandle` and keeps it registered
 * (periodic re-registration, registrar failover) until `deregister()`.
 *
 * ```ts
 * const reg = await rsp.register('EchoPool', { registrars: ['127.0.0.1:3863'], port: 7000, policy: { type: 'least-used', load: 0.25 } });
 * await reg.update({ load: 0.5 });
 * await reg.deregister();
 * ```
 *
 * @throws NoRegistrarError, RegistrationRefusedError, TimeoutError, AbortError, InvalidArgumentError
 */
export async function register(poolHandle: PoolHandleInput, options: BasicRegisterOptions = {}): Promise<Registration> {
  const { instance, release } = acquire(options);
  let reg: Registration;
  try {
    reg = await instance.register(poolHandle, options);
  } catch (err) {
    await release();
    throw err;
  }
  if (reg.state === 'closed') await release();
  else reg.addCloseHook(release);
  return reg;
}

/**
 * Resolves `poolHandle` to pool elements, best first, like `getaddrinfo`.
 *
 * ```ts
 * const [pe] = await rsp.resolve('EchoPool', { registrars: ['127.0.0.1:3863'], cache: false });
 * ```
 *
 * @throws PoolNotFoundError, NoRegistrarError, TimeoutError, AbortError
 */
export async function resolve(poolHandle: PoolHandleInput, options: BasicResolveOptions = {}): Promise<PoolElementInfo[]> {
  const { instance, release } = acquire(options);
  try {
    return await instance.resolve(poolHandle, options);
  } finally {
    await release();
  }
}

/**
 * Reports pool element `peId` of `poolHandle` as unreachable to the home
 * registrar (ASAP Endpoint Unreachable) and drops it from the PU-side cache.
 *
 * @throws NoRegistrarError, AbortError, InvalidArgumentError
 */
export async function reportFailure(poolHandle: PoolHandleInput, peId: number, options: BasicReportOptions = {}): Promise<void> {
  const { instance, release } = acquire(options);
  try {
    await instance.reportFailure(poolHandle, peId, options);
  } finally {
    await release();
  }
}
