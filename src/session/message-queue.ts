/**
 * An unbounded FIFO with promise-based consumers: producers `push()`,
 * consumers `shift()` (waits when empty) or iterate with `for await`
 * ({@link MessageQueue.iterate}). Ending the queue resolves waiting and
 * future consumers with `null` (iterators: done) once the queued items are
 * drained, or rejects them with the error it was ended with. Used for
 * received messages of sessions and for incoming sessions of a pool-element
 * socket.
 *
 * Per item taken there is one promise and nothing else: no closure per
 * waiting consumer, and the iterator is not an async generator (which
 * awaits each `shift()` and then settles a promise of its own per item).
 *
 * @module
 */
import { toAbortError } from '../asap/abortable.js';
import { Ring } from '../transport/ring.js';

/** One consumer waiting for an item. */
class Waiter<T> {
  /** The listener removed from `signal` once the waiter is settled. */
  onAbort: (() => void) | undefined = undefined;

  constructor(
    readonly resolve: (value: T | null | IteratorResult<T, undefined>) => void,
    readonly reject: (error: Error) => void,
    /** Resolves with an iterator result (`{ value, done }`) instead of the item or `null`. */
    readonly asResult: boolean,
    readonly signal: AbortSignal | undefined,
  ) {}

  /** Hands over `item` (`null`: the queue ended). */
  give(item: T | null): void {
    this.detach();
    if (!this.asResult) this.resolve(item);
    else this.resolve(item === null ? DONE : { value: item, done: false });
  }

  fail(error: Error): void {
    this.detach();
    this.reject(error);
  }

  private detach(): void {
    if (this.onAbort !== undefined) {
      this.signal?.removeEventListener('abort', this.onAbort);
      this.onAbort = undefined;
    }
  }
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/**
 * An async iterator over a {@link MessageQueue}: each `next()` takes the
 * oldest item; done once the queue ended cleanly and is drained (rejects
 * with the end error instead); `return()` (a `for await` left early) ends
 * this iterator only, not the queue.
 */
export class QueueIterator<T> implements AsyncIterableIterator<T> {
  private finished = false;

  /** @internal Made by {@link MessageQueue.iterate}. */
  constructor(private readonly queue: MessageQueue<T>) {}

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.finished) return Promise.resolve(DONE);
    return this.queue.nextResult();
  }

  return(): Promise<IteratorResult<T, undefined>> {
    this.finished = true;
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** Async FIFO queue; see the module comment. */
export class MessageQueue<T> {
  private readonly items = new Ring<T>(4);
  private readonly waiters = new Ring<Waiter<T>>(4);
  private ended = false;
  private error: Error | undefined;

  /** Items queued and not yet taken. */
  get length(): number {
    return this.items.length;
  }

  /** True once {@link MessageQueue.end} was called. */
  get isEnded(): boolean {
    return this.ended;
  }

  /** Adds an item, or hands it to the oldest waiting consumer. Ignored after `end()`. */
  push(item: T): void {
    if (this.ended) return;
    const w = this.waiters.shift();
    if (w) w.give(item);
    else this.items.push(item);
  }

  /**
   * Takes the oldest item; waits for one when empty. Resolves `null` once
   * the queue ended cleanly and is drained; rejects with the end error
   * (after draining) or an `AbortError` when `signal` aborts.
   */
  shift(signal?: AbortSignal): Promise<T | null> {
    if (signal?.aborted) return Promise.reject(toAbortError(signal));
    if (this.items.length > 0) return Promise.resolve(this.items.shift()!);
    if (this.ended) return this.error ? Promise.reject(this.error) : Promise.resolve(null);
    return this.wait(false, signal) as Promise<T | null>;
  }

  /** An async iterator over the items (see {@link QueueIterator}). */
  iterate(): QueueIterator<T> {
    return new QueueIterator(this);
  }

  /** @internal {@link shift} as an iterator result (for {@link QueueIterator}). */
  nextResult(): Promise<IteratorResult<T, undefined>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
    if (this.ended) return this.error ? Promise.reject(this.error) : Promise.resolve(DONE);
    return this.wait(true, undefined) as Promise<IteratorResult<T, undefined>>;
  }

  /** Takes every queued item at once (the queue stays usable). */
  drain(): T[] {
    const out = this.items.toArray();
    this.items.clear();
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
    for (let w = this.waiters.shift(); w !== undefined; w = this.waiters.shift()) {
      if (error) w.fail(error);
      else w.give(null);
    }
  }

  private wait(asResult: boolean, signal: AbortSignal | undefined): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const waiter = new Waiter<T>(resolve, reject, asResult, signal);
      if (signal) {
        waiter.onAbort = () => {
          this.waiters.remove(waiter);
          waiter.fail(toAbortError(signal));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
    });
  }
}
