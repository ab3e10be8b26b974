/**
 * Selection state shared by the "sequence" policies (round robin, weighted
 * round robin, priority, the least-used family): PEs ordered by a numeric key
 * of the policy, ties by sequence number (oldest first). A used PE gets a new,
 * largest sequence number, i.e. moves to the end of its key group.
 *
 * @module
 */
import { OrderedQueue } from './ordered-queue.js';
import type { PoolSelector } from './policy.js';
import type { PoolElement } from './pool-element.js';

/** How one ordered policy keys and advances its PEs. */
export interface OrderedPolicyRules {
  /** The PE's current sort key (smaller is selected first); an integer ≥ 0. */
  key(pe: PoolElement): number;
  /** Prepares a new PE before it is keyed (e.g. joins the current round). */
  init?(pe: PoolElement, queue: OrderedQueue<PoolElement>): void;
  /** Advances a PE's state after it was used (e.g. adds degradation). */
  consume?(pe: PoolElement): void;
  /** Adjusts policy state after a re-registration (degradation is already reset). */
  refresh?(pe: PoolElement): void;
}

/** A {@link PoolSelector} over an {@link OrderedQueue}. */
export class OrderedSelector implements PoolSelector {
  /** The pool's PEs in selection order. */
  readonly queue = new OrderedQueue<PoolElement>();
  private seq = 0;

  constructor(private readonly rules: OrderedPolicyRules) {}

  add(pe: PoolElement): void {
    const rules = this.rules;
    if (rules.init !== undefined) rules.init(pe, this.queue);
    pe.seq = ++this.seq;
    this.queue.push(pe, rules.key(pe));
  }

  remove(pe: PoolElement): void {
    this.queue.remove(pe);
  }

  update(pe: PoolElement): void {
    const rules = this.rules;
    if (rules.refresh !== undefined) rules.refresh(pe);
    const key = rules.key(pe);
    if (key !== pe.qGroup!.key) {
      pe.seq = ++this.seq;
      this.queue.requeue(pe, key);
    }
  }

  select(count: number, maxIncrement: number, out: PoolElement[]): void {
    const start = out.length;
    let pe = this.queue.head;
    let n = 0;
    while (pe !== null && n < count) {
      out.push(pe);
      pe = pe.qNext;
      n++;
    }
    const used = n < maxIncrement ? n : maxIncrement;
    if (used === 0) return;
    const rules = this.rules;
    const consume = rules.consume;
    for (let k = 0; k < used; k++) {
      const p = out[start + k]!;
      if (consume !== undefined) consume(p);
      p.seq = ++this.seq;
      this.queue.requeue(p, rules.key(p));
    }
  }
}
