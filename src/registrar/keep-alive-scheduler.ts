/**
 * One timer for many deadlines: the registrar's keep-alive (and keep-alive
 * timeout) schedule for every pool element it owns.
 *
 * A naive registrar arms one timer per pool element; with a fixed interval
 * those timers stay in lock-step and, at tens of thousands of PEs, all fire in
 * one burst. This scheduler instead keeps the deadlines in an indexed binary
 * min-heap (O(log n) insert, reschedule and removal, no garbage left behind)
 * and drives it with a single timer on the injectable {@link Clock}. When it
 * fires it processes at most {@link KeepAliveSchedulerOptions.batchSize} due
 * entries and yields to I/O before the next batch, so even a backlog never
 * stalls the event loop. {@link jitteredDelay} spreads deadlines so that
 * entries registered together drift apart.
 *
 * Entries are intrusive: the caller's own objects carry the two fields the
 * heap needs ({@link Schedulable}), so no per-entry wrapper or map is
 * allocated.
 *
 * @module
 */
import type { Clock, TimerHandle } from '../clock.js';

/** The fields an object needs to live in a {@link KeepAliveScheduler}. */
export interface Schedulable {
  /** Clock time (ms) at which the entry is due; managed by the scheduler. */
  dueAt: number;
  /** Position in the heap, -1 when not scheduled; managed by the scheduler. */
  heapIndex: number;
}

/** Options of {@link KeepAliveScheduler}. */
export interface KeepAliveSchedulerOptions {
  /** Time source; all deadlines are on this clock. */
  clock: Clock;
  /** Maximum entries handled per timer callback before yielding (default 1000). */
  batchSize?: number;
  /**
   * Timer granularity in ms (default 10): entries due within this much of the
   * first due entry are handled in the same callback, so nearby deadlines
   * share one timer wake-up.
   */
  resolution?: number;
  /**
   * Most entries handled per second (0 = unlimited, the default). When due
   * entries exceed it they wait in deadline order, so a registrar with more
   * PEs than it can check per interval stretches the interval instead of
   * overloading itself or its peers.
   */
  maxRate?: number;
}

/**
 * Returns `interval` spread uniformly by ±`jitter` (a fraction, e.g. 0.125 for
 * ±12.5 %), never below 1 ms.
 *
 * @param interval - nominal delay in ms
 * @param jitter - relative spread in [0, 1)
 * @param random - uniform source in [0, 1)
 */
export function jitteredDelay(interval: number, jitter: number, random: () => number = Math.random): number {
  const spread = interval * jitter;
  return Math.max(1, interval - spread + 2 * spread * random());
}

/**
 * A deadline queue of {@link Schedulable} objects driven by one timer.
 *
 * @typeParam T - the caller's entry type
 */
export class KeepAliveScheduler<T extends Schedulable> {
  private readonly heap: T[] = [];
  private readonly clock: Clock;
  private readonly batchSize: number;
  private readonly resolution: number;
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;
  private closed = false;
  private readonly maxRate: number;
  private tokens: number;
  private tokensAt: number;

  /**
   * @param onDue - called for each entry whose deadline passed; the entry is
   *   already out of the queue and may be rescheduled from inside the call
   * @param options - clock and batching
   */
  constructor(
    private readonly onDue: (entry: T) => void,
    options: KeepAliveSchedulerOptions,
  ) {
    this.clock = options.clock;
    this.batchSize = Math.max(1, options.batchSize ?? 1000);
    this.resolution = Math.max(0, options.resolution ?? 10);
    this.maxRate = options.maxRate !== undefined && options.maxRate > 0 && options.maxRate !== Infinity ? options.maxRate : 0;
    this.tokens = Math.max(1, this.maxRate / 10);
    this.tokensAt = this.clock.now();
  }

  /** Entries the rate limit allows now (the batch size when unlimited). */
  private budget(): number {
    if (this.maxRate === 0) return this.batchSize;
    const now = this.clock.now();
    const cap = Math.max(1, this.maxRate / 10); // at most 100 ms worth at once
    if (now > this.tokensAt) {
      this.tokens = Math.min(cap, this.tokens + ((now - this.tokensAt) * this.maxRate) / 1000);
      this.tokensAt = now;
    }
    return Math.min(this.batchSize, Math.floor(this.tokens));
  }

  /** Number of scheduled entries. */
  get size(): number {
    return this.heap.length;
  }

  /** True when `entry` is currently scheduled here. */
  has(entry: T): boolean {
    return entry.heapIndex >= 0 && this.heap[entry.heapIndex] === entry;
  }

  /** The earliest deadline, or `Infinity` when empty. */
  get nextDueAt(): number {
    return this.heap.length > 0 ? this.heap[0]!.dueAt : Infinity;
  }

  /**
   * Schedules (or reschedules) `entry` to be due `delay` ms from now.
   */
  schedule(entry: T, delay: number): void {
    this.scheduleAt(entry, this.clock.now() + Math.max(0, delay));
  }

  /** Schedules (or reschedules) `entry` to be due at clock time `at`. */
  scheduleAt(entry: T, at: number): void {
    if (this.closed) return;
    if (this.has(entry)) {
      const old = entry.dueAt;
      entry.dueAt = at;
      if (at < old) this.up(entry.heapIndex);
      else this.down(entry.heapIndex);
    } else {
      entry.dueAt = at;
      entry.heapIndex = this.heap.length;
      this.heap.push(entry);
      this.up(entry.heapIndex);
    }
    this.arm();
  }

  /** Removes `entry` if it is scheduled; harmless otherwise. */
  cancel(entry: T): void {
    if (!this.has(entry)) {
      entry.heapIndex = -1;
      return;
    }
    const i = entry.heapIndex;
    const last = this.heap.pop()!;
    entry.heapIndex = -1;
    if (last !== entry) {
      this.heap[i] = last;
      last.heapIndex = i;
      this.up(i);
      this.down(last.heapIndex);
    }
    // The timer stays armed; a spurious wake-up just re-arms.
  }

  /**
   * Handles every entry due at or before `now` (at most `limit`), as the timer
   * does. Exposed for tests and for callers that drive time themselves.
   *
   * @returns the number of entries handled
   */
  runDue(limit = this.batchSize): number {
    const horizon = this.clock.now() + this.resolution;
    let n = 0;
    while (n < limit && this.heap.length > 0 && this.heap[0]!.dueAt <= horizon) {
      const entry = this.pop();
      n++;
      this.onDue(entry);
      if (this.closed) break;
    }
    return n;
  }

  /** Drops every entry and the timer; later calls to `schedule` are ignored. */
  close(): void {
    this.closed = true;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    for (const e of this.heap) e.heapIndex = -1;
    this.heap.length = 0;
  }

  private pop(): T {
    const top = this.heap[0]!;
    const last = this.heap.pop()!;
    if (last !== top) {
      this.heap[0] = last;
      last.heapIndex = 0;
      this.down(0);
    }
    top.heapIndex = -1;
    return top;
  }

  private arm(): void {
    if (this.closed || this.heap.length === 0) return;
    const at = this.heap[0]!.dueAt;
    // An armed timer that fires no later than needed (within resolution) is kept.
    if (this.timer !== undefined && this.timerAt <= at + this.resolution) return;
    this.clock.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => this.fire(), at - this.clock.now());
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    if (this.closed) return;
    const budget = this.budget();
    const n = budget > 0 ? this.runDue(budget) : 0;
    if (this.maxRate > 0) this.tokens -= n;
    if (this.closed || this.heap.length === 0) return;
    if (n >= budget && this.heap[0]!.dueAt <= this.clock.now() + this.resolution) {
      // Backlog: yield to I/O (or wait for the rate limit), then continue.
      this.clock.clearTimeout(this.timer);
      const wait = budget < this.batchSize && this.maxRate > 0 ? Math.max(this.resolution, 1000 / this.maxRate) : 0;
      this.timerAt = this.clock.now() + wait;
      this.timer = this.clock.setTimeout(() => this.fire(), wait);
    } else {
      this.arm();
    }
  }

  private up(i: number): void {
    const heap = this.heap;
    const e = heap[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = heap[p]!;
      if (pe.dueAt <= e.dueAt) break;
      heap[i] = pe;
      pe.heapIndex = i;
      i = p;
    }
    heap[i] = e;
    e.heapIndex = i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const e = heap[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && heap[r]!.dueAt < heap[l]!.dueAt) c = r;
      const ce = heap[c]!;
      if (ce.dueAt >= e.dueAt) break;
      heap[i] = ce;
      ce.heapIndex = i;
      i = c;
    }
    heap[i] = e;
    e.heapIndex = i;
  }
}
