/**
 * A first-in first-out queue in a growable ring buffer: push at the tail,
 * shift at the head, both O(1) without allocating (the backing array only
 * grows, by doubling, and is reused). Arrays with `shift()` or a moving head
 * index with periodic `slice()` allocate per message or per batch; the
 * association's per-message queues use this instead.
 *
 * @module
 * @internal
 */
export class Ring<T> {
  private items: Array<T | undefined>;
  private head = 0;
  private count = 0;

  constructor(capacity = 16) {
    let c = 1;
    while (c < capacity) c <<= 1;
    this.items = new Array<T | undefined>(c).fill(undefined);
  }

  /** Number of items. */
  get length(): number {
    return this.count;
  }

  /** The `i`-th item from the head (0 ≤ i < length). */
  at(i: number): T {
    return this.items[(this.head + i) & (this.items.length - 1)]!;
  }

  /** The head item, or undefined when empty. */
  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) & (this.items.length - 1)] = item;
    this.count++;
  }

  /** Puts an item back at the head. */
  unshift(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.head = (this.head - 1) & (this.items.length - 1);
    this.items[this.head] = item;
    this.count++;
  }

  /** Removes and returns the head item (undefined when empty); the slot is cleared. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.count--;
    return item;
  }

  /** Removes the item at position `i` from the head (O(length)); rare paths only. */
  removeAt(i: number): void {
    if (i < 0 || i >= this.count) return;
    const mask = this.items.length - 1;
    for (let k = i; k < this.count - 1; k++) this.items[(this.head + k) & mask] = this.items[(this.head + k + 1) & mask];
    this.items[(this.head + this.count - 1) & mask] = undefined;
    this.count--;
  }

  /**
   * Removes `item` (the head at once, else found by a walk); false when it is
   * not queued. For queues whose items nearly always leave in order.
   */
  remove(item: T): boolean {
    if (this.count > 0 && this.items[this.head] === item) {
      this.shift();
      return true;
    }
    const i = this.indexOf(item);
    if (i < 0) return false;
    this.removeAt(i);
    return true;
  }

  /** Position of `item` from the head, or -1. */
  indexOf(item: T): number {
    for (let i = 0; i < this.count; i++) if (this.at(i) === item) return i;
    return -1;
  }

  /** Removes every item (the backing array is kept). */
  clear(): void {
    for (let i = 0; i < this.count; i++) this.items[(this.head + i) & (this.items.length - 1)] = undefined;
    this.head = 0;
    this.count = 0;
  }

  /** The items from the head, as a new array. */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.at(i));
    return out;
  }

  private grow(): void {
    const old = this.items;
    const next = new Array<T | undefined>(old.length * 2).fill(undefined);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & (old.length - 1)];
    this.items = next;
    this.head = 0;
  }
}
