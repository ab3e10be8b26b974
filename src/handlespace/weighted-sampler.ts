/**
 * Weighted drawing without replacement in O(log n): a Fenwick (binary indexed)
 * tree of per-node weights over a dense slot array. Removing a node moves the
 * last node into its slot, so slots stay dense. Weights are non-negative
 * integers (up to 2^32 each; sums stay exact in doubles up to 2^53).
 *
 * @module
 */
import type { RandomSource } from './random.js';

/** Fields a {@link WeightedSampler} keeps inside each node. */
export interface WeightedSamplerNode {
  /** Slot in the sampler, −1 when not in one; owned by the sampler. */
  slot: number;
}

/** Rejected draws (already picked) before a draw switches to exact removal. */
const MAX_REJECTIONS = 8;
/** Largest selection that tries rejection first (duplicate checks are linear). */
const MAX_REJECTION_DRAW = 16;

/** Draws nodes with probability proportional to their weight. */
export class WeightedSampler<N extends WeightedSamplerNode> {
  private nodes: N[] = [];
  private tree = new Float64Array(17);
  /** Weight of the node in each slot. */
  private weights = new Float64Array(16);
  private capacity = 16;
  private topBit = 16;
  /** Sum of all weights. */
  total = 0;

  /** Number of nodes. */
  get size(): number {
    return this.nodes.length;
  }

  /** Adds a node with a weight. */
  add(node: N, weight: number): void {
    const i = this.nodes.length;
    if (i === this.capacity) this.grow();
    this.nodes.push(node);
    node.slot = i;
    this.weights[i] = weight;
    this.addAt(i, weight);
  }

  /** Current weight of a node in this sampler. */
  weightOf(node: N): number {
    return this.weights[node.slot]!;
  }

  /** Removes a node. */
  remove(node: N): void {
    const i = node.slot;
    const w = this.weights;
    const last = this.nodes.pop()!;
    const j = this.nodes.length;
    this.addAt(i, -w[i]!);
    if (last !== node) {
      const lw = w[j]!;
      this.addAt(j, -lw);
      this.nodes[i] = last;
      last.slot = i;
      w[i] = lw;
      this.addAt(i, lw);
    }
    w[j] = 0;
    node.slot = -1;
  }

  /** Changes the weight of a node. */
  setWeight(node: N, weight: number): void {
    const i = node.slot;
    const d = weight - this.weights[i]!;
    if (d === 0) return;
    this.weights[i] = weight;
    this.addAt(i, d);
  }

  /**
   * Writes up to `count` distinct nodes into `out` from index `offset`, each
   * drawn with probability proportional to its weight among the nodes not
   * drawn yet, and returns how many. Nodes of weight 0 are never drawn.
   *
   * For small selections a repeated node is redrawn (rejection leaves the
   * distribution exact and costs nothing while the drawn nodes hold little of
   * the total weight); after a few rejections, and for large selections, the
   * drawn nodes' weights are taken out of the tree for the rest of the call
   * and put back at the end.
   */
  draw(count: number, random: RandomSource, out: N[], offset: number): number {
    const start = offset;
    let k = 0;
    if (count <= MAX_REJECTION_DRAW) {
      for (; k < count; k++) {
        if (!(this.total > 0)) return k;
        let tries = 0;
        let node: N;
        let repeated: boolean;
        do {
          node = this.find(Math.floor(random.nextDouble() * this.total));
          repeated = false;
          for (let i = start; i < start + k; i++) if (out[i] === node) repeated = true;
        } while (repeated && ++tries < MAX_REJECTIONS);
        if (repeated) break;
        out[start + k] = node;
      }
    }
    if (k === count) return k;
    // Exact mode: remove the drawn weights, draw from the rest, restore.
    for (let i = start; i < start + k; i++) this.addAt(out[i]!.slot, -this.weights[out[i]!.slot]!);
    for (; k < count && this.total > 0; k++) {
      const node = this.find(Math.floor(random.nextDouble() * this.total));
      out[start + k] = node;
      this.addAt(node.slot, -this.weights[node.slot]!);
    }
    for (let i = start; i < start + k; i++) this.addAt(out[i]!.slot, this.weights[out[i]!.slot]!);
    return k;
  }

  /** Removes every node. */
  clear(): void {
    for (const n of this.nodes) n.slot = -1;
    this.nodes = [];
    this.capacity = 16;
    this.topBit = 16;
    this.tree = new Float64Array(17);
    this.weights = new Float64Array(16);
    this.total = 0;
  }

  /** Checks slots and sums against a recomputation (for tests). */
  isConsistent(): boolean {
    let sum = 0;
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[i]!;
      if (n.slot !== i) return false;
      sum += this.weights[i]!;
      let prefix = 0;
      for (let j = i + 1; j > 0; j -= j & -j) prefix += this.tree[j]!;
      let naive = 0;
      for (let k = 0; k <= i; k++) naive += this.weights[k]!;
      if (prefix !== naive) return false;
    }
    return sum === this.total;
  }

  private addAt(slot: number, delta: number): void {
    this.total += delta;
    const t = this.tree;
    const cap = this.capacity;
    for (let j = slot + 1; j <= cap; j += j & -j) t[j] += delta;
  }

  /** First slot whose prefix sum exceeds `r` (0 ≤ r < total). */
  private find(r: number): N {
    const t = this.tree;
    const cap = this.capacity;
    let pos = 0;
    let rem = r;
    for (let step = this.topBit; step > 0; step >>= 1) {
      const next = pos + step;
      if (next <= cap && t[next]! <= rem) {
        pos = next;
        rem -= t[next]!;
      }
    }
    // Guard against the (theoretical) end-of-range case.
    return this.nodes[pos < this.nodes.length ? pos : this.nodes.length - 1]!;
  }

  private grow(): void {
    const cap = this.capacity * 2;
    const t = new Float64Array(cap + 1);
    for (let i = 0; i < this.nodes.length; i++) {
      const j = i + 1;
      t[j] += this.weights[i]!;
      const parent = j + (j & -j);
      if (parent <= cap) t[parent] += t[j]!;
    }
    const w = new Float64Array(cap);
    w.set(this.weights);
    this.weights = w;
    this.tree = t;
    this.capacity = cap;
    this.topBit = cap;
  }
}
