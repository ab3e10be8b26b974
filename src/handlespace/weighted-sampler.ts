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
  /** Current weight in the sampler; owned by the sampler. */
  weight: number;
}

/** Rejected draws (already picked) before a draw switches to exact removal. */
const MAX_REJECTIONS = 8;
/** Largest selection that tries rejection first (duplicate checks are linear). */
const MAX_REJECTION_DRAW = 16;

/** Draws nodes with probability proportional to their weight. */
export class WeightedSampler<N extends WeightedSamplerNode> {
  private nodes: N[] = [];
  private tree = new Float64Array(17);
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
    node.weight = weight;
    this.addAt(i, weight);
  }

  /** Removes a node. */
  remove(node: N): void {
    const i = node.slot;
    const last = this.nodes.pop()!;
    this.addAt(i, -node.weight);
    if (last !== node) {
      const j = this.nodes.length;
      this.addAt(j, -last.weight);
      this.nodes[i] = last;
      last.slot = i;
      this.addAt(i, last.weight);
    }
    node.slot = -1;
  }

  /** Changes the weight of a node. */
  setWeight(node: N, weight: number): void {
    const d = weight - node.weight;
    if (d === 0) return;
    node.weight = weight;
    this.addAt(node.slot, d);
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
    for (let i = start; i < start + k; i++) this.addAt(out[i]!.slot, -out[i]!.weight);
    for (; k < count && this.total > 0; k++) {
      const node = this.find(Math.floor(random.nextDouble() * this.total));
      out[start + k] = node;
      this.addAt(node.slot, -node.weight);
    }
    for (let i = start; i < start + k; i++) this.addAt(out[i]!.slot, out[i]!.weight);
    return k;
  }

  /** Removes every node. */
  clear(): void {
    for (const n of this.nodes) n.slot = -1;
    this.nodes = [];
    this.capacity = 16;
    this.topBit = 16;
    this.tree = new Float64Array(17);
    this.total = 0;
  }

  /** Checks slots and sums against a recomputation (for tests). */
  isConsistent(): boolean {
    let sum = 0;
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[i]!;
      if (n.slot !== i) return false;
      sum += n.weight;
      let prefix = 0;
      for (let j = i + 1; j > 0; j -= j & -j) prefix += this.tree[j]!;
      let naive = 0;
      for (let k = 0; k <= i; k++) naive += this.nodes[k]!.weight;
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
      t[j] += this.nodes[i]!.weight;
      const parent = j + (j & -j);
      if (parent <= cap) t[parent] += t[j]!;
    }
    this.tree = t;
    this.capacity = cap;
    this.topBit = cap;
  }
}
