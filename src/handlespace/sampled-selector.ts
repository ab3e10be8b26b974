/**
 * Selection state shared by the random policies (weighted random, the
 * randomized least-used family, weighted random with DPF): each PE has a
 * weight derived from its policy values, and PEs are drawn without
 * replacement with probability proportional to it. Plain random (all weights
 * equal) has its own O(1) selector.
 *
 * @module
 */
import type { PoolSelector } from './policy.js';
import type { PoolElement } from './pool-element.js';
import type { RandomSource } from './random.js';
import { WeightedSampler } from './weighted-sampler.js';

/** How one weighted random policy weighs and advances its PEs. */
export interface SampledPolicyRules {
  /** The PE's current drawing weight: an integer ≥ 0 (0 = never drawn). */
  weight(pe: PoolElement): number;
  /** Advances a PE's state after it was used (e.g. adds degradation). */
  consume?(pe: PoolElement): void;
}

/** A {@link PoolSelector} drawing by weight from a {@link WeightedSampler}. */
export class SampledSelector implements PoolSelector {
  private readonly sampler = new WeightedSampler<PoolElement>();
  private seq = 0;

  constructor(
    private readonly rules: SampledPolicyRules,
    private readonly random: RandomSource,
  ) {}

  add(pe: PoolElement): void {
    pe.seq = ++this.seq;
    this.sampler.add(pe, this.rules.weight(pe));
  }

  remove(pe: PoolElement): void {
    this.sampler.remove(pe);
  }

  update(pe: PoolElement): void {
    this.sampler.setWeight(pe, this.rules.weight(pe));
  }

  select(count: number, maxIncrement: number, out: PoolElement[], offset: number): number {
    const start = offset;
    const n = this.sampler.draw(count, this.random, out, offset);
    const consume = this.rules.consume;
    if (consume === undefined) return n;
    const used = n < maxIncrement ? n : maxIncrement;
    for (let k = 0; k < used; k++) {
      const p = out[start + k]!;
      consume(p);
      p.seq = ++this.seq;
      this.sampler.setWeight(p, this.rules.weight(p));
    }
    return n;
  }

  /** Checks the sampler against a recomputation (for tests). */
  isConsistent(): boolean {
    return this.sampler.isConsistent();
  }
}

/** Largest selection drawn by redrawing repeats. */
const MAX_SMALL_DRAW = 16;

/**
 * Uniform drawing without replacement: O(count) per selection. Few PEs out
 * of many are drawn by rejection of repeats (no writes to the pool); when a
 * selection asks for a large share of the pool, a partial Fisher–Yates
 * shuffle is used instead.
 */
export class UniformSelector implements PoolSelector {
  private readonly nodes: PoolElement[] = [];
  private seq = 0;
  private readonly picked = new Int32Array(MAX_SMALL_DRAW);

  constructor(private readonly random: RandomSource) {}

  add(pe: PoolElement): void {
    pe.seq = ++this.seq;
    pe.slot = this.nodes.length;
    this.nodes.push(pe);
  }

  remove(pe: PoolElement): void {
    const last = this.nodes.pop()!;
    if (last !== pe) {
      this.nodes[pe.slot] = last;
      last.slot = pe.slot;
    }
    pe.slot = -1;
  }

  update(_pe: PoolElement): void {
    // Every PE weighs the same: nothing to do.
  }

  select(count: number, _maxIncrement: number, out: PoolElement[], offset: number): number {
    const nodes = this.nodes;
    const n = nodes.length;
    const k = count < n ? count : n;
    const random = this.random;
    if (k <= MAX_SMALL_DRAW && k * 4 <= n) {
      // Redraw repeated positions; the PEs themselves are never touched.
      const picked = this.picked;
      for (let i = 0; i < k; i++) {
        let j: number;
        let again: boolean;
        do {
          j = Math.floor(random.nextDouble() * n);
          again = false;
          for (let m = 0; m < i; m++) if (picked[m] === j) again = true;
        } while (again);
        picked[i] = j;
        out[offset + i] = nodes[j]!;
      }
      return k;
    }
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(random.nextDouble() * (n - i));
      const a = nodes[i]!;
      const b = nodes[j]!;
      nodes[i] = b;
      b.slot = i;
      nodes[j] = a;
      a.slot = j;
      out[offset + i] = b;
    }
    return k;
  }
}
