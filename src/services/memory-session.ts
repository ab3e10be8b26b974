/**
 * A pair of connected in-memory sessions, for testing services without a
 * network: the pool-element end is a {@link ServiceSession}, the pool-user
 * end sees what the service sent (data and cookies).
 *
 * @module
 */
import { AbortError, ClosedError } from '../errors.js';
import type { ServiceMessage, ServiceSendOptions, ServiceSession } from './service.js';

const encoder = new TextEncoder();
const bytes = (d: string | Uint8Array): Uint8Array => (typeof d === 'string' ? encoder.encode(d) : d);

/** A minimal async FIFO: `shift()` waits for an item, resolves `null` once ended and drained. */
class Channel<T> {
  private readonly items: T[] = [];
  private readonly waiters: Array<(v: T | null) => void> = [];
  private ended = false;

  push(item: T): void {
    if (this.ended) return;
    const w = this.waiters.shift();
    if (w) w(item);
    else this.items.push(item);
  }

  shift(signal?: AbortSignal): Promise<T | null> {
    if (signal?.aborted) return Promise.reject(abortError());
    if (this.items.length > 0) return Promise.resolve(this.items.shift()!);
    if (this.ended) return Promise.resolve(null);
    return new Promise<T | null>((resolve, reject) => {
      const waiter = (v: T | null): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(v);
      };
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(abortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  end(discard = false): void {
    if (this.ended) return;
    this.ended = true;
    if (discard) this.items.length = 0;
    for (const w of this.waiters.splice(0)) w(null);
  }
}

function abortError(): Error {
  return new AbortError('Aborted');
}

/** The pool-user end of an in-memory pair. */
export interface MemoryUserEnd {
  /** Sends a message to the service. */
  send(data: string | Uint8Array, options?: { ppid?: number; stream?: number }): void;
  /** Next message from the service; `null` once the service closed. */
  recv(options?: { signal?: AbortSignal }): Promise<ServiceMessage | null>;
  /** Every cookie the service sent, oldest first. */
  readonly cookies: Uint8Array[];
  /** Closes the session from the user's side (the service's `recv()` returns `null`). */
  close(): void;
  /** True once the service closed its end. */
  readonly closedByService: boolean;
}

/** The pool-element end, with a settable echoed cookie. */
export interface MemoryServiceEnd extends ServiceSession {
  cookie: Uint8Array | undefined;
}

/**
 * Creates a connected pair. `cookie` is what the service's end reports as
 * echoed (as after a failover).
 */
export function createMemorySessionPair(cookie?: Uint8Array): { service: MemoryServiceEnd; user: MemoryUserEnd } {
  const toService = new Channel<ServiceMessage>();
  const toUser = new Channel<ServiceMessage>();
  const cookies: Uint8Array[] = [];
  let serviceClosed = false;
  let userClosed = false;
  const service: MemoryServiceEnd = {
    cookie,
    recv: (o) => toService.shift(o?.signal),
    send(data: string | Uint8Array, o: ServiceSendOptions = {}): Promise<void> {
      if (serviceClosed || userClosed) return Promise.reject(new ClosedError('Session closed'));
      toUser.push({ data: bytes(data), ...(o.ppid !== undefined ? { ppid: o.ppid } : {}), stream: o.stream ?? 0 });
      // Yield like a real transport does, so a peer's close can be observed.
      return new Promise<void>((r) => setImmediate(r));
    },
    sendCookie(c: Uint8Array): Promise<void> {
      if (serviceClosed || userClosed) return Promise.reject(new ClosedError('Session closed'));
      cookies.push(c);
      return Promise.resolve();
    },
    close(): Promise<void> {
      serviceClosed = true;
      toUser.end();
      toService.end(true);
      return Promise.resolve();
    },
  };
  const user: MemoryUserEnd = {
    send(data, o = {}) {
      if (userClosed || serviceClosed) throw new ClosedError('Session closed');
      toService.push({ data: bytes(data), ...(o.ppid !== undefined ? { ppid: o.ppid } : {}), stream: o.stream ?? 0 });
    },
    recv: (o) => toUser.shift(o?.signal),
    cookies,
    close() {
      userClosed = true;
      toService.end();
    },
    get closedByService() {
      return serviceClosed;
    },
  };
  return { service, user };
}
