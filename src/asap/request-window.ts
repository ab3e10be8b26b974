/**
 * A counting semaphore that bounds the requests outstanding at the
 * registrar; waiters are served first in, first out and may abort.
 *
 * @module
 */
import { toAbortError } from './abortable.js';

/** Bounds concurrent requests. */
export class RequestWindow {
  private active = 0;
  // FIFO with a moving head (shift() would be O(n) with 100,000 PEs waiting).
  private waiting: Array<{ go: () => void } | undefined> = [];
  private head = 0;

  constructor(readonly size: number) {}

  /** Requests in flight. */
  get inFlight(): number {
    return this.active;
  }

  /** Waits for a free slot; rejects with `AbortError` when `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(toAbortError(signal));
    if (this.active < this.size) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const entry = {
        go: () => {
          signal?.removeEventListener('abort', onAbort);
          this.active++;
          resolve();
        },
      };
      const onAbort = (): void => {
        const i = this.waiting.indexOf(entry, this.head);
        if (i >= 0) this.waiting[i] = undefined;
        reject(toAbortError(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  /** Frees a slot taken by {@link RequestWindow.acquire}. */
  release(): void {
    this.active--;
    while (this.head < this.waiting.length) {
      const next = this.waiting[this.head];
      this.waiting[this.head++] = undefined;
      if (next) {
        next.go();
        break;
      }
    }
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
  }
}
