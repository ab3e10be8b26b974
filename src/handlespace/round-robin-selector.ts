/**
 * Selection state of plain round robin: the pool's PEs in one intrusive
 * doubly-linked ring in sequence order. Walking the first *k* PEs is O(k),
 * and moving a used PE to the end, adding and removing are O(1).
 *
 * @module
 */
import type { PoolSelector } from './policy.js';
import type { PoolElement } from './pool-element.js';

/** A {@link PoolSelector} for round robin over an intrusive list. */
export class RoundRobinSelector implements PoolSelector {
  private head: PoolElement | null = null;
  private tail: PoolElement | null = null;
  private count = 0;
  private seq = 0;

  /** Number of PEs. */
  get size(): number {
    return this.count;
  }

  add(pe: PoolElement): void {
    pe.seq = ++this.seq;
    this.append(pe);
    this.count++;
  }

  remove(pe: PoolElement): void {
    this.unlink(pe);
    this.count--;
  }

  update(_pe: PoolElement): void {
    // Round robin has no per-PE values: the position stays.
  }

  select(count: number, maxIncrement: number, out: PoolElement[], offset: number): number {
    const start = offset;
    let pe = this.head;
    let n = 0;
    while (pe !== null && n < count) {
      out[start + n] = pe;
      pe = pe.next;
      n++;
    }
    const used = n < maxIncrement ? n : maxIncrement;
    for (let k = 0; k < used; k++) {
      const p = out[start + k]!;
      p.seq = ++this.seq;
      if (p !== this.tail) {
        this.unlink(p);
        this.append(p);
      }
    }
    return n;
  }

  /** Checks links and order (for tests). */
  isConsistent(): boolean {
    let n = 0;
    let prev: PoolElement | null = null;
    for (let p = this.head; p !== null; p = p.next) {
      if (p.prev !== prev || (prev !== null && prev.seq >= p.seq)) return false;
      prev = p;
      n++;
    }
    return prev === this.tail && n === this.count;
  }

  private append(pe: PoolElement): void {
    pe.prev = this.tail;
    pe.next = null;
    if (this.tail === null) this.head = pe;
    else this.tail.next = pe;
    this.tail = pe;
  }

  private unlink(pe: PoolElement): void {
    const prev = pe.prev;
    const next = pe.next;
    if (prev === null) this.head = next;
    else prev.next = next;
    if (next === null) this.tail = prev;
    else next.prev = prev;
    pe.prev = pe.next = null;
  }
}
