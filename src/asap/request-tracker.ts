/**
 * Request/response matching on one registrar association. ASAP responses
 * carry no transaction id, so a response is matched to the oldest waiting
 * request with the same key — message kind, pool handle and (where the
 * message has one) PE identifier — first in, first out. Every request has a
 * timeout on the injectable clock and honours an `AbortSignal`.
 *
 * @module
 */
import type { Clock, TimerHandle } from '../clock.js';
import { TimeoutError } from '../errors.js';
import { toAbortError } from './abortable.js';

/** Kinds of responses an ASAP client waits for. */
export type ResponseKind = 'registration' | 'deregistration' | 'handle-resolution';

/** Hex string of a pool handle, used inside request keys. */
export function poolHandleKey(poolHandle: Uint8Array): string {
  return Buffer.from(poolHandle.buffer, poolHandle.byteOffset, poolHandle.byteLength).toString('hex');
}

/** Builds the matching key of a request or response. */
export function requestKey(kind: ResponseKind, poolHandle: Uint8Array, peId?: number): string {
  return peId === undefined ? `${kind}/${poolHandleKey(poolHandle)}` : `${kind}/${poolHandleKey(poolHandle)}/${peId >>> 0}`;
}

interface Pending<M> {
  resolve: (m: M) => void;
  reject: (e: Error) => void;
  timer: TimerHandle;
  cleanup: () => void;
}

/** FIFO queues of pending requests keyed by {@link requestKey}. */
export class RequestTracker<M> {
  private readonly queues = new Map<string, Array<Pending<M>>>();
  private count = 0;

  constructor(private readonly clock: Clock) {}

  /** Number of requests waiting for a response. */
  get size(): number {
    return this.count;
  }

  /**
   * Registers a wait for the response with `key`. Call it before sending the
   * request. Rejects with {@link TimeoutError} after `timeout` ms and with
   * `AbortError` when `signal` aborts.
   */
  expect(key: string, timeout: number, signal?: AbortSignal, what = key): Promise<M> {
    return this.expectCancelable(key, timeout, signal, what).promise;
  }

  /**
   * Like {@link RequestTracker.expect}, also returning `cancel(error)`, which
   * rejects the wait with `error` and forgets it (e.g. when sending the
   * request failed).
   */
  expectCancelable(key: string, timeout: number, signal?: AbortSignal, what = key): { promise: Promise<M>; cancel: (error: Error) => void } {
    let cancel: (error: Error) => void = () => undefined;
    const promise = new Promise<M>((resolve, reject) => {
      if (signal?.aborted) {
        reject(toAbortError(signal));
        return;
      }
      const entry: Pending<M> = {
        resolve,
        reject,
        timer: undefined as unknown as TimerHandle,
        cleanup: () => undefined,
      };
      const onAbort = (): void => {
        if (this.remove(key, entry)) reject(toAbortError(signal!));
      };
      entry.timer = this.clock.setTimeout(() => {
        if (this.remove(key, entry)) reject(new TimeoutError(`No response to ${what} within ${timeout} ms`));
      }, timeout);
      entry.cleanup = () => signal?.removeEventListener('abort', onAbort);
      signal?.addEventListener('abort', onAbort, { once: true });
      let q = this.queues.get(key);
      if (!q) this.queues.set(key, (q = []));
      q.push(entry);
      this.count++;
      cancel = (error) => {
        if (this.remove(key, entry)) reject(error);
      };
    });
    return { promise, cancel };
  }

  /** Hands `message` to the oldest request waiting for `key`; false when none waits. */
  resolve(key: string, message: M): boolean {
    const q = this.queues.get(key);
    const entry = q?.[0];
    if (!entry) return false;
    this.remove(key, entry);
    entry.resolve(message);
    return true;
  }

  /** Rejects every pending request with `error` (e.g. the association closed). */
  failAll(error: Error): void {
    const all = [...this.queues.entries()];
    for (const [key, q] of all) for (const entry of [...q]) if (this.remove(key, entry)) entry.reject(error);
  }

  private remove(key: string, entry: Pending<M>): boolean {
    const q = this.queues.get(key);
    if (!q) return false;
    const i = q.indexOf(entry);
    if (i < 0) return false;
    q.splice(i, 1);
    if (q.length === 0) this.queues.delete(key);
    this.count--;
    this.clock.clearTimeout(entry.timer);
    entry.cleanup();
    return true;
  }
}
