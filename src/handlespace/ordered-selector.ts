/**
 * Selection state shared by the "sequence" policies (weighted round robin,
 * priority, the least-used family): PEs ordered by a numeric key of the
 * policy, ties by sequence number (oldest first). A used PE gets a new,
 * largest sequence number, i.e. moves behind the PEs with the same key.
 *
 * The order lives in a binary min-heap over (key, sequence) whose entries
 * know their own position, so insertion, removal and a key change are
 * O(log n) without allocation, and the first *k* PEs in order are found by a
 * best-first walk from the root in O(k log k) — independent of the pool size.
 *
 * @module
 */
import type { PoolSelector } from './policy.js';
import type { PoolElement } from './pool-element.js';

/** How one ordered policy keys and advances its PEs. */
export interface OrderedPolicyRules {
  /** The PE's current sort key (smaller is selected first). */
  key(pe: PoolElement): number;
  /** Prepares a new PE before it is keyed; `first` is the PE currently selected first, if any. */
  init?(pe: PoolElement, first: PoolElement | undefined): void;
  /** Advances a PE's state after it was used (e.g. adds degradation). */
  consume?(pe: PoolElement): void;
  /** Adjusts policy state after a re-registration (degradation is already reset). */
  refresh?(pe: PoolElement): void;
}

function before(a: PoolElement, b: PoolElement): boolean {
  return a.key < b.key || (a.key === b.key && a.seq < b.seq);
}

/** A {@link PoolSelector} over a binary heap ordered by (policy key, sequence number). */
export class OrderedSelector implements PoolSelector {
  private readonly heap: PoolElement[] = [];
  /** Scratch min-heap of heap positions for the best-first walk. */
  private readonly cand: number[] = [];
  private seq = 0;

  constructor(private readonly rules: OrderedPolicyRules) {}

  /** Number of PEs. */
  get size(): number {
    return this.heap.length;
  }

  /** The PE that would be selected first. */
  first(): PoolElement | undefined {
    return this.heap[0];
  }

  add(pe: PoolElement): void {
    const rules = this.rules;
    if (rules.init !== undefined) rules.init(pe, this.heap[0]);
    pe.seq = ++this.seq;
    pe.key = rules.key(pe);
    const i = this.heap.length;
    this.heap.push(pe);
    pe.slot = i;
    this.up(i);
  }

  remove(pe: PoolElement): void {
    const i = pe.slot;
    const last = this.heap.pop()!;
    pe.slot = -1;
    if (last === pe) return;
    this.heap[i] = last;
    last.slot = i;
    this.down(i);
    this.up(last.slot);
  }

  update(pe: PoolElement): void {
    const rules = this.rules;
    if (rules.refresh !== undefined) rules.refresh(pe);
    const key = rules.key(pe);
    if (key === pe.key) return;
    pe.key = key;
    pe.seq = ++this.seq;
    this.down(pe.slot);
    this.up(pe.slot);
  }

  select(count: number, maxIncrement: number, out: PoolElement[]): void {
    const heap = this.heap;
    const n = heap.length;
    if (n === 0) return;
    const start = out.length;
    if (count === 1 || n === 1) out.push(heap[0]!);
    else this.walk(count < n ? count : n, out);
    const taken = out.length - start;
    const used = taken < maxIncrement ? taken : maxIncrement;
    if (used === 0) return;
    const rules = this.rules;
    const consume = rules.consume;
    for (let k = 0; k < used; k++) {
      const p = out[start + k]!;
      if (consume !== undefined) {
        consume(p);
        p.key = rules.key(p);
      }
      p.seq = ++this.seq;
      // key and sequence only grow: the PE can only move down
      this.down(p.slot);
    }
  }

  /** Checks the heap order and stored positions (for tests). */
  isConsistent(): boolean {
    const h = this.heap;
    for (let i = 0; i < h.length; i++) {
      if (h[i]!.slot !== i) return false;
      if (h[i]!.key !== this.rules.key(h[i]!)) return false;
      if (i > 0 && before(h[i]!, h[(i - 1) >> 1]!)) return false;
    }
    return true;
  }

  /** Appends the `k` first PEs in (key, sequence) order: best-first search from the root. */
  private walk(k: number, out: PoolElement[]): void {
    const heap = this.heap;
    const n = heap.length;
    const cand = this.cand;
    cand.length = 0;
    cand.push(0);
    while (k > 0) {
      // pop the best candidate (cand is a min-heap of positions by their PEs)
      const best = cand[0]!;
      const lastC = cand.pop()!;
      if (cand.length > 0) {
        cand[0] = lastC;
        this.candDown(0);
      }
      out.push(heap[best]!);
      k--;
      const l = 2 * best + 1;
      if (l < n) {
        this.candPush(l);
        if (l + 1 < n) this.candPush(l + 1);
      }
    }
  }

  private candPush(pos: number): void {
    const cand = this.cand;
    const heap = this.heap;
    let i = cand.length;
    cand.push(pos);
    const pe = heap[pos]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(pe, heap[cand[p]!]!)) break;
      cand[i] = cand[p]!;
      i = p;
    }
    cand[i] = pos;
  }

  private candDown(i: number): void {
    const cand = this.cand;
    const heap = this.heap;
    const n = cand.length;
    const pos = cand[i]!;
    const pe = heap[pos]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && before(heap[cand[c + 1]!]!, heap[cand[c]!]!)) c++;
      if (!before(heap[cand[c]!]!, pe)) break;
      cand[i] = cand[c]!;
      i = c;
    }
    cand[i] = pos;
  }

  private up(i: number): void {
    const h = this.heap;
    const e = h[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = h[p]!;
      if (!before(e, pe)) break;
      h[i] = pe;
      pe.slot = i;
      i = p;
    }
    h[i] = e;
    e.slot = i;
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h.length;
    const e = h[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && before(h[c + 1]!, h[c]!)) c++;
      const ce = h[c]!;
      if (!before(ce, e)) break;
      h[i] = ce;
      ce.slot = i;
      i = c;
    }
    h[i] = e;
    e.slot = i;
  }
}
