/**
 * An unbounded FIFO with promise-based consumers: producers `push()`,
 * consumers `shift()` (waits when empty). Ending the queue resolves waiting
 * and future consumers with `null` once the queued items are drained, or
 * rejects them with the error it was ended with. Used for received
 * messages of sessions and for incoming sessions of a pool-element socket.
 *
 * @module
 */
import { toAbortError } from '../asap/abortable.js';

interface Waiter<T> {
  resolve: (value: T | null) => void;
  reject: (error: Error) => void;
  cleanup: () => void;
}

/** Async FIFO queue; see the module comment. */
export class MessageQueue<T> {
  private readonly items: T[] = [];
  private head = 0;
  private readonly waiters: Waiter<T>[] = [];
  private ended = false;
  private error: Error | undefined;

  /** Items queued and not yet taken. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** True once {@link MessageQueue.end} was called. */
  get isEnded(): boolean {
    return this.ended;
  }

  /** Adds an item, or hands it to the oldest waiting consumer. Ignored after `end()`. */
  push(item: T): void {
    if (this.ended) return;
    const w = this.waiters.shift();
    if (w) {
      w.cleanup();
      w.resolve(item);
      return;
    }
    this.items.push(item);
  }

  /**
   * Takes the oldest item; waits for one when empty. Resolves `null` once
   * the queue ended cleanly and is drained; rejects with the end error
   * (after draining) or an `AbortError` when `signal` aborts.
   */
  shift(signal?: AbortSignal): Promise<T | null> {
    if (signal?.aborted) return Promise.reject(toAbortError(signal));
    if (this.length > 0) return Promise.resolve(this.take());
    if (this.ended) return this.error ? Promise.reject(this.error) : Promise.resolve(null);
    return new Promise<T | null>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(toAbortError(signal!));
      };
      const waiter: Waiter<T> = { resolve, reject, cleanup: () => signal?.removeEventListener('abort', onAbort) };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Takes every queued item at once (the queue stays usable). */
  drain(): T[] {
    const out = this.items.slice(this.head);
    this.items.length = 0;
    this.head = 0;
    return out;
  }

  /**
   * Ends the queue: no more items are accepted. Waiting consumers get
   * `null` (or `error`); queued items can still be taken unless
   * `discard` is set.
   */
  end(error?: Error, discard = false): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    if (discard) this.drain();
    for (const w of this.waiters.splice(0)) {
      w.cleanup();
      if (error) w.reject(error);
      else w.resolve(null);
    }
  }

  private take(): T {
    const item = this.items[this.head]!;
    this.items[this.head] = undefined as unknown as T;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    }
    return item;
  }
}
