/**
 * The ordering behind the "sequence" policies (round robin, weighted round
 * robin, priority and the least-used family): pool elements in one intrusive
 * doubly-linked list sorted by (key, insertion order). Elements with equal keys
 * form a group; a group's position is found in a B+ tree of distinct keys only
 * when a new key appears, so
 *
 * - walking the first *n* elements is O(n),
 * - moving an element to the end of its own group (round robin among ties) is O(1),
 * - inserting at a new key or removing the last element of a key is O(log k),
 *   k = number of distinct keys.
 *
 * @module
 */
import BTreeModule from 'sorted-btree';

// sorted-btree is CommonJS with `exports.default`: Node's ESM loader hands out
// the exports object, bundlers and test runners may hand out the class itself.
type BTreeClass = typeof BTreeModule.default;
const btreeExports = BTreeModule as unknown as BTreeClass | { default: BTreeClass };
const BTree: BTreeClass = typeof btreeExports === 'function' ? btreeExports : btreeExports.default;

/** A group of queue nodes that share one key. */
export class QueueGroup<N> {
  /** First node of the group. */
  head: N | null = null;
  /** Last node of the group. */
  tail: N | null = null;
  /** Number of nodes in the group. */
  count = 0;
  constructor(
    /** The key shared by the group's nodes. */
    readonly key: number,
  ) {}
}

/** Links an {@link OrderedQueue} keeps inside each of its nodes. */
export interface OrderedQueueNode<N> {
  /** Previous node in queue order; owned by the queue. */
  qPrev: N | null;
  /** Next node in queue order; owned by the queue. */
  qNext: N | null;
  /** The node's group while queued; owned by the queue. */
  qGroup: QueueGroup<N> | null;
}

const compareNumbers = (a: number, b: number): number => a - b;

/** Nodes ordered by ascending key, ties in insertion order. */
export class OrderedQueue<N extends OrderedQueueNode<N>> {
  /** First node (smallest key, oldest among ties). */
  head: N | null = null;
  /** Last node. */
  tail: N | null = null;
  /** Number of queued nodes. */
  size = 0;
  private readonly groups = new Map<number, QueueGroup<N>>();
  private readonly keys = new BTree<number, QueueGroup<N>>(undefined, compareNumbers);
  private readonly pair: [number, QueueGroup<N>] = [0, new QueueGroup<N>(0)];

  /** Number of distinct keys. */
  get groupCount(): number {
    return this.groups.size;
  }

  /** Appends `node` at the end of the group of `key`. */
  push(node: N, key: number): void {
    let g = this.groups.get(key);
    if (g !== undefined) {
      this.linkAfter(g.tail!, node);
      g.tail = node;
    } else {
      g = new QueueGroup<N>(key);
      let prev: N | null;
      const tail = this.tail;
      if (tail === null || tail.qGroup!.key < key) prev = tail;
      else if (this.head!.qGroup!.key > key) prev = null;
      else {
        const p = this.keys.nextLowerPair(key, this.pair);
        prev = p === undefined ? null : p[1].tail;
      }
      this.linkAfter(prev, node);
      g.head = node;
      g.tail = node;
      this.groups.set(key, g);
      this.keys.set(key, g);
    }
    node.qGroup = g;
    g.count++;
    this.size++;
  }

  /** Removes a queued node. */
  remove(node: N): void {
    const g = node.qGroup!;
    if (g.count === 1) {
      this.groups.delete(g.key);
      this.keys.delete(g.key);
    } else {
      if (g.head === node) g.head = node.qNext;
      if (g.tail === node) g.tail = node.qPrev;
    }
    g.count--;
    this.unlink(node);
    node.qGroup = null;
    this.size--;
  }

  /**
   * Moves a queued node to the end of the group of `key` (its own group when
   * the key is unchanged): the "new, largest sequence number" step.
   */
  requeue(node: N, key: number): void {
    const g = node.qGroup!;
    if (g.key === key) {
      if (g.tail === node) return;
      if (g.head === node) g.head = node.qNext;
      this.unlink(node);
      this.linkAfter(g.tail!, node);
      g.tail = node;
      return;
    }
    this.remove(node);
    this.push(node, key);
  }

  /** Removes every node. */
  clear(): void {
    let n = this.head;
    while (n !== null) {
      const next = n.qNext;
      n.qPrev = n.qNext = null;
      n.qGroup = null;
      n = next;
    }
    this.head = this.tail = null;
    this.size = 0;
    this.groups.clear();
    this.keys.clear();
  }

  /** Checks list order, group bounds and counts (for tests). */
  isConsistent(): boolean {
    let count = 0;
    let prev: N | null = null;
    let n = this.head;
    const seen = new Map<QueueGroup<N>, number>();
    while (n !== null) {
      if (n.qPrev !== prev) return false;
      const g = n.qGroup;
      if (g === null || this.groups.get(g.key) !== g) return false;
      if (prev !== null) {
        const pk = prev.qGroup!.key;
        if (pk > g.key) return false;
        if (pk !== g.key && g.head !== n) return false;
        if (pk !== g.key && prev.qGroup!.tail !== prev) return false;
      } else if (g.head !== n) return false;
      seen.set(g, (seen.get(g) ?? 0) + 1);
      count++;
      prev = n;
      n = n.qNext;
    }
    if (prev !== this.tail || count !== this.size) return false;
    if (seen.size !== this.groups.size || this.keys.size !== this.groups.size) return false;
    for (const [g, c] of seen) if (g.count !== c) return false;
    return true;
  }

  private linkAfter(prev: N | null, node: N): void {
    const next = prev === null ? this.head : prev.qNext;
    node.qPrev = prev;
    node.qNext = next;
    if (prev === null) this.head = node;
    else prev.qNext = node;
    if (next === null) this.tail = node;
    else next.qPrev = node;
  }

  private unlink(node: N): void {
    const prev = node.qPrev;
    const next = node.qNext;
    if (prev === null) this.head = next;
    else prev.qNext = next;
    if (next === null) this.tail = prev;
    else next.qPrev = prev;
    node.qPrev = node.qNext = null;
  }
}
