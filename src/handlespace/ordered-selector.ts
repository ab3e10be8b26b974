/**
 * Selection state shared by the "sequence" policies (weighted round robin,
 * priority, the least-used family): PEs ordered by a numeric key of the
 * policy, ties by sequence number (oldest first). A used PE gets a new,
 * largest sequence number, i.e. moves behind the PEs with the same key.
 *
 * The order lives in a 4-ary min-heap over (key, sequence). Keys and sequence
 * numbers sit in typed arrays beside the PEs, so sifting compares without
 * touching PE memory, and every PE knows its heap position: insertion,
 * removal and a key change are O(log n) without allocation, and the first
 * *k* PEs in order are found by a best-first walk from the root in
 * O(k log k), independent of the pool size.
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

/** A {@link PoolSelector} over a heap ordered by (policy key, sequence number). */
export class OrderedSelector implements PoolSelector {
  private nodes: PoolElement[] = [];
  private keys = new Float64Array(16);
  private seqs = new Float64Array(16);
  private n = 0;
  /** Scratch min-heap of heap positions for the best-first walk. */
  private readonly cand: number[] = [];
  /** Scratch candidates of the small walk. */
  private readonly small = new Int32Array(16);
  private seq = 0;

  constructor(private readonly rules: OrderedPolicyRules) {}

  /** Number of PEs. */
  get size(): number {
    return this.n;
  }

  /** The PE that would be selected first. */
  first(): PoolElement | undefined {
    return this.n === 0 ? undefined : this.nodes[0];
  }

  add(pe: PoolElement): void {
    const rules = this.rules;
    if (rules.init !== undefined) rules.init(pe, this.first());
    const seq = ++this.seq;
    const key = rules.key(pe);
    pe.seq = seq;
    const i = this.n;
    if (i === this.keys.length) this.grow();
    this.n = i + 1;
    this.nodes[i] = pe;
    this.keys[i] = key;
    this.seqs[i] = seq;
    pe.slot = i;
    this.up(i);
  }

  remove(pe: PoolElement): void {
    const i = pe.slot;
    pe.slot = -1;
    const last = --this.n;
    const moved = this.nodes.pop()!;
    if (moved === pe) return;
    this.nodes[i] = moved;
    this.keys[i] = this.keys[last]!;
    this.seqs[i] = this.seqs[last]!;
    moved.slot = i;
    this.down(i);
    if (moved.slot === i) this.up(i);
  }

  update(pe: PoolElement): void {
    const rules = this.rules;
    if (rules.refresh !== undefined) rules.refresh(pe);
    const i = pe.slot;
    const key = rules.key(pe);
    if (key === this.keys[i]) return;
    const seq = ++this.seq;
    pe.seq = seq;
    this.keys[i] = key;
    this.seqs[i] = seq;
    this.down(i);
    if (pe.slot === i) this.up(i);
  }

  select(count: number, maxIncrement: number, out: PoolElement[], offset: number): number {
    const n = this.n;
    if (n === 0 || count <= 0) return 0;
    const start = offset;
    const taken = count < n ? count : n;
    if (taken === 1) out[start] = this.nodes[0]!;
    else this.walk(taken, out, start);
    const used = taken < maxIncrement ? taken : maxIncrement;
    const rules = this.rules;
    const consume = rules.consume;
    for (let k = 0; k < used; k++) {
      const p = out[start + k]!;
      const i = p.slot;
      if (consume !== undefined) {
        consume(p);
        this.keys[i] = rules.key(p);
      }
      this.seqs[i] = p.seq = ++this.seq;
      // key and sequence only grow: the PE can only move down
      this.down(i);
    }
    return taken;
  }

  /** Checks the heap order and stored positions and keys (for tests). */
  isConsistent(): boolean {
    if (this.nodes.length !== this.n) return false;
    for (let i = 0; i < this.n; i++) {
      const pe = this.nodes[i]!;
      if (pe.slot !== i || pe.seq !== this.seqs[i] || this.keys[i] !== this.rules.key(pe)) return false;
      if (i > 0 && this.before(i, (i - 1) >> 2)) return false;
    }
    return true;
  }

  private before(a: number, b: number): boolean {
    const ka = this.keys[a]!;
    const kb = this.keys[b]!;
    return ka < kb || (ka === kb && this.seqs[a]! < this.seqs[b]!);
  }

  /** Appends the `k` first PEs in (key, sequence) order: best-first search from the root. */
  private walk(k: number, out: PoolElement[], at: number): void {
    if (k <= 4) {
      this.walkSmall(k, out, at);
      return;
    }
    const n = this.n;
    const cand = this.cand;
    cand.length = 0;
    cand.push(0);
    while (k > 0) {
      const best = cand[0]!;
      const lastC = cand.pop()!;
      if (cand.length > 0) {
        cand[0] = lastC;
        this.candDown();
      }
      out[at++] = this.nodes[best]!;
      k--;
      const c0 = 4 * best + 1;
      const end = c0 + 4 < n ? c0 + 4 : n;
      for (let c = c0; c < end; c++) this.candPush(c);
    }
  }

  /** {@link OrderedSelector.walk} for a few PEs: linear scans over at most 13 candidates, no scratch heap. */
  private walkSmall(k: number, out: PoolElement[], at: number): void {
    const n = this.n;
    const cand = this.small;
    let len = 0;
    let best = 0;
    for (;;) {
      out[at++] = this.nodes[best]!;
      if (--k === 0) return;
      const c0 = 4 * best + 1;
      const end = c0 + 4 < n ? c0 + 4 : n;
      for (let c = c0; c < end; c++) cand[len++] = c;
      let bi = 0;
      for (let j = 1; j < len; j++) if (this.before(cand[j]!, cand[bi]!)) bi = j;
      best = cand[bi]!;
      cand[bi] = cand[--len]!;
    }
  }

  private candPush(pos: number): void {
    const cand = this.cand;
    let i = cand.length;
    cand.push(pos);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(pos, cand[p]!)) break;
      cand[i] = cand[p]!;
      i = p;
    }
    cand[i] = pos;
  }

  private candDown(): void {
    const cand = this.cand;
    const n = cand.length;
    const pos = cand[0]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && this.before(cand[c + 1]!, cand[c]!)) c++;
      if (!this.before(cand[c]!, pos)) break;
      cand[i] = cand[c]!;
      i = c;
    }
    cand[i] = pos;
  }

  private grow(): void {
    const keys = new Float64Array(this.keys.length * 2);
    keys.set(this.keys);
    this.keys = keys;
    const seqs = new Float64Array(this.seqs.length * 2);
    seqs.set(this.seqs);
    this.seqs = seqs;
  }

  private up(i: number): void {
    const nodes = this.nodes;
    const keys = this.keys;
    const seqs = this.seqs;
    const e = nodes[i]!;
    const k = keys[i]!;
    const s = seqs[i]!;
    while (i > 0) {
      const p = (i - 1) >> 2;
      const pk = keys[p]!;
      if (pk < k || (pk === k && seqs[p]! < s)) break;
      const pe = nodes[p]!;
      nodes[i] = pe;
      keys[i] = pk;
      seqs[i] = seqs[p]!;
      pe.slot = i;
      i = p;
    }
    nodes[i] = e;
    keys[i] = k;
    seqs[i] = s;
    e.slot = i;
  }

  private down(i: number): void {
    const nodes = this.nodes;
    const keys = this.keys;
    const seqs = this.seqs;
    const n = this.n;
    const e = nodes[i]!;
    const k = keys[i]!;
    const s = seqs[i]!;
    for (;;) {
      const c0 = 4 * i + 1;
      if (c0 >= n) break;
      let c = c0;
      let ck = keys[c0]!;
      let cs = seqs[c0]!;
      const end = c0 + 4 < n ? c0 + 4 : n;
      for (let j = c0 + 1; j < end; j++) {
        const jk = keys[j]!;
        if (jk < ck || (jk === ck && seqs[j]! < cs)) {
          c = j;
          ck = jk;
          cs = seqs[j]!;
        }
      }
      if (k < ck || (k === ck && s < cs)) break;
      const ce = nodes[c]!;
      nodes[i] = ce;
      keys[i] = ck;
      seqs[i] = cs;
      ce.slot = i;
      i = c;
    }
    nodes[i] = e;
    keys[i] = k;
    seqs[i] = s;
    e.slot = i;
  }
}
