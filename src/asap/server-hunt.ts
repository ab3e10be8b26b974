/**
 * Server hunt (spec §12.1 steps 3–5): find a home registrar by opening SCTP
 * associations to several registrars of the {@link RegistrarTable} in
 * parallel and keeping the first one that comes up; the others are
 * cancelled. A trial that yields nothing within `connectTimeout` is retried
 * after a growing back-off, up to `maxTrials` trials, then the hunt fails
 * with {@link NoRegistrarError}.
 *
 * @module
 */
import type { Clock } from '../clock.js';
import { NoRegistrarError } from '../errors.js';
import { HostNotFoundError } from '../transport/errors.js';
import type { Association, ConnectOptions, TransportAddress } from '../transport/types.js';
import { linkSignals, sleep, throwIfAborted, toAbortError } from './abortable.js';
import { formatTransportAddress, type RegistrarEntry, type RegistrarTable } from './registrar-table.js';

/** Opens an association to a registrar; the transport's `Endpoint.connect`. */
export type ConnectFunction = (remote: TransportAddress, options: ConnectOptions) => Promise<Association>;

/** Tuning of the server hunt; every field has a default. */
export interface ServerHuntOptions {
  /** Registrars tried at the same time (RSPLIB: 3). Default 3. */
  parallel?: number;
  /**
   * How long one trial waits for an association to come up, in ms; also how
   * long a trial waits for an announce when the table is empty. Default 2000
   * (RSPLIB 7.5 s; loopback and LAN registrars answer in milliseconds).
   */
  connectTimeout?: number;
  /** Trials before the hunt gives up (RFC MAX-NUMBER-SERVER-HUNT 3). Default 3. */
  maxTrials?: number;
  /** Back-off before the second trial in ms; doubles per trial. Default 250. */
  backoff?: number;
  /** Upper bound of the back-off in ms. Default 4000. */
  maxBackoff?: number;
}

/** Resolved defaults of {@link ServerHuntOptions}. */
export const SERVER_HUNT_DEFAULTS: Required<ServerHuntOptions> = {
  parallel: 3,
  connectTimeout: 2000,
  maxTrials: 3,
  backoff: 250,
  maxBackoff: 4000,
};

/** Result of a successful hunt. */
export interface HuntResult {
  /** The association to the new home registrar. */
  association: Association;
  /** The table entry it was opened to. */
  entry: RegistrarEntry;
}

/** Everything {@link huntRegistrar} needs. */
export interface HuntContext {
  table: RegistrarTable;
  connect: ConnectFunction;
  clock: Clock;
  options?: ServerHuntOptions;
  signal?: AbortSignal;
  /** Random source for candidate choice and jitter (tests make it deterministic). */
  random?: () => number;
}

/**
 * Runs one server hunt.
 *
 * @throws NoRegistrarError when no registrar answered within the trials.
 * @throws AbortError when `signal` aborts.
 */
export async function huntRegistrar(ctx: HuntContext): Promise<HuntResult> {
  const o = { ...SERVER_HUNT_DEFAULTS, ...definedOnly(ctx.options ?? {}) };
  const attempts: Array<{ registrar: string; reason: string }> = [];
  const failed = new Set<string>();
  // Registrars whose name does not resolve: not tried again in this hunt.
  const unresolvable = new Map<string, HostNotFoundError>();
  for (let trial = 0; trial < o.maxTrials; trial++) {
    throwIfAborted(ctx.signal);
    if (trial > 0) {
      const base = Math.min(o.maxBackoff, o.backoff * 2 ** (trial - 1));
      const jitter = 1 + ((ctx.random ?? Math.random)() - 0.5) * 0.25;
      await sleep(ctx.clock, base * jitter, ctx.signal);
    }
    let candidates = ctx.table.pick(o.parallel, failed, ctx.random);
    if (candidates.length === 0 && failed.size > 0) {
      failed.clear();
      for (const name of unresolvable.keys()) failed.add(name);
      candidates = ctx.table.pick(o.parallel, failed, ctx.random);
    }
    if (candidates.length === 0) {
      // Announce mode: wait for a registrar to show up.
      const got = await waitForEntry(ctx, o.connectTimeout);
      if (!got) {
        attempts.push({ registrar: '(none known)', reason: `no registrar configured or announced within ${o.connectTimeout} ms` });
        continue;
      }
      candidates = ctx.table.pick(o.parallel, failed, ctx.random);
    }
    const result = await raceConnect(ctx, candidates, o.connectTimeout, attempts, failed, unresolvable);
    if (result) return result;
    failIfAllUnresolvable(ctx, unresolvable, attempts);
  }
  throwIfAborted(ctx.signal);
  const tried = [...new Set(attempts.map((a) => a.registrar))].filter((r) => r !== '(none known)').join(', ');
  if (tried === '') {
    throw new NoRegistrarError(
      `No registrar known: none configured (option registrars, RSP_REGISTRARS) and none announced within ${o.maxTrials} × ${o.connectTimeout} ms`,
      attempts,
    );
  }
  throw new NoRegistrarError(`No registrar reachable after ${o.maxTrials} trial(s) (tried: ${tried})`, attempts);
}

/**
 * Fails the hunt at once when every known registrar is a host name that
 * does not resolve: waiting and retrying would only delay the same answer.
 */
function failIfAllUnresolvable(ctx: HuntContext, unresolvable: ReadonlyMap<string, HostNotFoundError>, attempts: Array<{ registrar: string; reason: string }>): void {
  if (unresolvable.size === 0 || ctx.table.pick(1, new Set(unresolvable.keys())).length > 0) return;
  const reasons = [...unresolvable.values()].map((e) => e.message).join('; ');
  throw new NoRegistrarError(`No registrar reachable: ${reasons}`, attempts, { cause: [...unresolvable.values()][0] });
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Waits until the table has an entry, `ms` passes (false) or the signal aborts. */
function waitForEntry(ctx: HuntContext, ms: number): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    if (ctx.table.size > 0) {
      resolve(true);
      return;
    }
    const done = (v: boolean | Error): void => {
      ctx.clock.clearTimeout(timer);
      ctx.table.off('added', onAdded);
      ctx.signal?.removeEventListener('abort', onAbort);
      if (v instanceof Error) reject(v);
      else resolve(v);
    };
    const onAdded = (): void => done(true);
    const onAbort = (): void => done(toAbortError(ctx.signal!));
    const timer = ctx.clock.setTimeout(() => done(false), ms);
    ctx.table.on('added', onAdded);
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Connects to all candidates at once; the first association that comes up wins. */
function raceConnect(
  ctx: HuntContext,
  candidates: RegistrarEntry[],
  timeout: number,
  attempts: Array<{ registrar: string; reason: string }>,
  failed: Set<string>,
  unresolvable: Map<string, HostNotFoundError>,
): Promise<HuntResult | undefined> {
  return new Promise<HuntResult | undefined>((resolve, reject) => {
    const link = linkSignals(ctx.signal);
    let settled = false;
    const pending = new Set(candidates.map((c) => formatTransportAddress(c.address)));
    const finish = (r: HuntResult | undefined | Error): void => {
      if (settled) return;
      settled = true;
      ctx.clock.clearTimeout(timer);
      link.dispose();
      if (r instanceof Error) reject(r);
      else resolve(r);
      // Cancel the losers (their late successes are closed below).
      link.controller.abort(new Error('server hunt: another registrar answered first'));
    };
    const timer = ctx.clock.setTimeout(() => {
      // Record the candidates that are still pending.
      for (const name of pending) attempts.push({ registrar: name, reason: `timeout after ${timeout} ms` });
      finish(undefined);
    }, timeout);
    link.signal.addEventListener(
      'abort',
      () => {
        if (!settled && ctx.signal?.aborted) finish(toAbortError(ctx.signal));
      },
      { once: true },
    );
    for (const entry of candidates) {
      const name = formatTransportAddress(entry.address);
      ctx.connect(entry.address, { timeout, signal: link.signal }).then(
        (association) => {
          if (settled) {
            association.abort('server hunt: another registrar answered first');
            return;
          }
          finish({ association, entry });
        },
        (err: unknown) => {
          if (settled) return;
          failed.add(name);
          if (err instanceof HostNotFoundError) unresolvable.set(name, err);
          attempts.push({ registrar: name, reason: err instanceof Error ? err.message : String(err) });
          pending.delete(name);
          if (pending.size === 0) finish(undefined);
        },
      );
    }
  });
}
