/**
 * Small promise helpers on the injectable {@link Clock} that honour an
 * `AbortSignal`: every wait in the ASAP instance goes through them, so no
 * request can hang and fake time drives them in tests.
 *
 * @module
 */
import type { Clock } from '../clock.js';
import { AbortError } from '../errors.js';

/** Throws an {@link AbortError} when `signal` is already aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw toAbortError(signal);
}

/** The error to reject with when `signal` aborts: its reason if that is an `AbortError`, else a new one. */
export function toAbortError(signal: AbortSignal): AbortError {
  const r: unknown = signal.reason;
  return r instanceof AbortError ? r : new AbortError('The operation was aborted', { cause: r });
}

/** Resolves after `ms` on `clock`; rejects with {@link AbortError} when `signal` aborts first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(toAbortError(signal));
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      reject(toAbortError(signal!));
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Combines signals: the result aborts when any input aborts (undefined
 * inputs are ignored). Returns the controller so the caller can abort too,
 * and a `dispose` that removes the listeners.
 */
export function linkSignals(...signals: Array<AbortSignal | undefined>): { controller: AbortController; signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const cleanups: Array<() => void> = [];
  for (const s of signals) {
    if (s === undefined) continue;
    if (s.aborted) {
      controller.abort(s.reason);
      break;
    }
    const f = (): void => controller.abort(s.reason);
    s.addEventListener('abort', f, { once: true });
    cleanups.push(() => s.removeEventListener('abort', f));
  }
  return { controller, signal: controller.signal, dispose: () => cleanups.forEach((c) => c()) };
}

/** Settles like `p`, or rejects with an {@link AbortError} as soon as `signal` aborts. */
export function raceSignal<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      reject(toAbortError(signal));
      return;
    }
    const onAbort = (): void => reject(toAbortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
