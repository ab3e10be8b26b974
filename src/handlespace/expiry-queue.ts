/**
 * One ordered structure for every lifetime in a handlespace: a binary min-heap
 * of entries keyed by their expiry time. Entries carry their own heap index,
 * so changing or removing an entry is O(log n) without a search. There is
 * never one timer per entry: the owner asks for {@link ExpiryQueue.nextExpiry}
 * and arms a single timer.
 *
 * @module
 */

/** An entry that can live in an {@link ExpiryQueue}. */
export interface ExpiryEntry {
  /** Absolute expiry time (same scale as the caller's clock); `Infinity` = never. */
  expiresAt: number;
  /** Position in the queue's heap, −1 when not queued. Owned by the queue. */
  expiryIndex: number;
}

/** Binary min-heap of {@link ExpiryEntry} objects ordered by `expiresAt`. */
export class ExpiryQueue<T extends ExpiryEntry> {
  private readonly heap: T[] = [];

  /** Number of queued entries. */
  get size(): number {
    return this.heap.length;
  }

  /** Earliest expiry time, or `Infinity` when the queue is empty. */
  nextExpiry(): number {
    return this.heap.length === 0 ? Infinity : this.heap[0]!.expiresAt;
  }

  /** The entry that expires first, if any. */
  peek(): T | undefined {
    return this.heap[0];
  }

  /**
   * Sets an entry's expiry time and (re)positions it. An infinite time removes
   * the entry from the queue.
   */
  set(entry: T, expiresAt: number): void {
    const old = entry.expiresAt;
    entry.expiresAt = expiresAt;
    if (expiresAt === Infinity) {
      this.delete(entry);
      return;
    }
    const i = entry.expiryIndex;
    if (i < 0) {
      const n = this.heap.length;
      this.heap.push(entry);
      entry.expiryIndex = n;
      this.up(n);
    } else if (expiresAt < old) this.up(i);
    else if (expiresAt > old) this.down(i);
  }

  /** Removes an entry; entries that are not queued are ignored. */
  delete(entry: T): void {
    const i = entry.expiryIndex;
    if (i < 0) return;
    entry.expiryIndex = -1;
    const last = this.heap.pop()!;
    if (last === entry) return;
    this.heap[i] = last;
    last.expiryIndex = i;
    this.down(i);
    this.up(last.expiryIndex);
  }

  /** Removes and returns the earliest entry if it expires at or before `now`. */
  popExpired(now: number): T | undefined {
    const top = this.heap[0];
    if (top === undefined || top.expiresAt > now) return undefined;
    this.delete(top);
    return top;
  }

  /** Removes every entry. */
  clear(): void {
    for (const e of this.heap) e.expiryIndex = -1;
    this.heap.length = 0;
  }

  /** Checks the heap invariant and the stored indexes (for tests). */
  isConsistent(): boolean {
    const h = this.heap;
    for (let i = 0; i < h.length; i++) {
      if (h[i]!.expiryIndex !== i) return false;
      if (i > 0 && h[(i - 1) >> 1]!.expiresAt > h[i]!.expiresAt) return false;
    }
    return true;
  }

  private up(i: number): void {
    const h = this.heap;
    const e = h[i]!;
    const at = e.expiresAt;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = h[p]!;
      if (pe.expiresAt <= at) break;
      h[i] = pe;
      pe.expiryIndex = i;
      i = p;
    }
    h[i] = e;
    e.expiryIndex = i;
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h.length;
    const e = h[i]!;
    const at = e.expiresAt;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && h[c + 1]!.expiresAt < h[c]!.expiresAt) c++;
      const ce = h[c]!;
      if (ce.expiresAt >= at) break;
      h[i] = ce;
      ce.expiryIndex = i;
      i = c;
    }
    h[i] = e;
    e.expiryIndex = i;
  }
}
