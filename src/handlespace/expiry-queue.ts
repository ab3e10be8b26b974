/**
 * One ordered structure for every lifetime in a handlespace: a 4-ary min-heap
 * of entries keyed by their expiry time. Keys sit in a typed array beside the
 * entries, so sifting compares without touching the entries' memory, and each
 * entry carries its own heap position, so changing or removing it is
 * O(log n) without a search. There is never one timer per entry: the owner
 * asks for {@link ExpiryQueue.nextExpiry} and arms a single timer.
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

/** 4-ary min-heap of {@link ExpiryEntry} objects ordered by `expiresAt`. */
export class ExpiryQueue<T extends ExpiryEntry> {
  private entries: T[] = [];
  private times = new Float64Array(64);
  private n = 0;

  /** Number of queued entries. */
  get size(): number {
    return this.n;
  }

  /** Earliest expiry time, or `Infinity` when the queue is empty. */
  nextExpiry(): number {
    return this.n === 0 ? Infinity : this.times[0]!;
  }

  /** The entry that expires first, if any. */
  peek(): T | undefined {
    return this.n === 0 ? undefined : this.entries[0];
  }

  /**
   * Sets an entry's expiry time and (re)positions it. An infinite time removes
   * the entry from the queue.
   */
  set(entry: T, expiresAt: number): void {
    entry.expiresAt = expiresAt;
    if (expiresAt === Infinity) {
      this.delete(entry);
      return;
    }
    const i = entry.expiryIndex;
    if (i < 0) {
      const n = this.n;
      if (n === this.times.length) this.grow();
      this.n = n + 1;
      this.entries[n] = entry;
      this.times[n] = expiresAt;
      entry.expiryIndex = n;
      this.up(n);
      return;
    }
    const old = this.times[i]!;
    this.times[i] = expiresAt;
    if (expiresAt < old) this.up(i);
    else if (expiresAt > old) this.down(i);
  }

  /** Removes an entry; entries that are not queued are ignored. */
  delete(entry: T): void {
    const i = entry.expiryIndex;
    if (i < 0) return;
    entry.expiryIndex = -1;
    const last = --this.n;
    const moved = this.entries.pop()!;
    if (moved === entry) return;
    const t = this.times[last]!;
    const old = this.times[i]!;
    this.entries[i] = moved;
    this.times[i] = t;
    moved.expiryIndex = i;
    if (t < old) this.up(i);
    else this.down(i);
  }

  /** Removes and returns the earliest entry if it expires at or before `now`. */
  popExpired(now: number): T | undefined {
    if (this.n === 0 || this.times[0]! > now) return undefined;
    const top = this.entries[0]!;
    this.delete(top);
    return top;
  }

  /** Removes every entry. */
  clear(): void {
    for (let i = 0; i < this.n; i++) this.entries[i]!.expiryIndex = -1;
    this.entries = [];
    this.times = new Float64Array(64);
    this.n = 0;
  }

  /** Checks the heap invariant and the stored indexes (for tests). */
  isConsistent(): boolean {
    const e = this.entries;
    if (e.length !== this.n) return false;
    for (let i = 0; i < this.n; i++) {
      if (e[i]!.expiryIndex !== i || e[i]!.expiresAt !== this.times[i]) return false;
      if (i > 0 && this.times[(i - 1) >> 2]! > this.times[i]!) return false;
    }
    return true;
  }

  private grow(): void {
    const t = new Float64Array(this.times.length * 2);
    t.set(this.times);
    this.times = t;
  }

  private up(i: number): void {
    const entries = this.entries;
    const times = this.times;
    const e = entries[i]!;
    const at = times[i]!;
    while (i > 0) {
      const p = (i - 1) >> 2;
      const pt = times[p]!;
      if (pt <= at) break;
      const pe = entries[p]!;
      entries[i] = pe;
      times[i] = pt;
      pe.expiryIndex = i;
      i = p;
    }
    entries[i] = e;
    times[i] = at;
    e.expiryIndex = i;
  }

  private down(i: number): void {
    const entries = this.entries;
    const times = this.times;
    const n = this.n;
    const e = entries[i]!;
    const at = times[i]!;
    for (;;) {
      const c0 = 4 * i + 1;
      if (c0 >= n) break;
      let c = c0;
      let ct = times[c0]!;
      const end = c0 + 4 < n ? c0 + 4 : n;
      for (let j = c0 + 1; j < end; j++) {
        const jt = times[j]!;
        if (jt < ct) {
          c = j;
          ct = jt;
        }
      }
      if (ct >= at) break;
      const ce = entries[c]!;
      entries[i] = ce;
      times[i] = ct;
      ce.expiryIndex = i;
      i = c;
    }
    entries[i] = e;
    times[i] = at;
    e.expiryIndex = i;
  }
}
