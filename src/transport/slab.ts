/**
 * Buffers of the transport: copies of small outgoing messages, carved from
 * shared 64 KiB slabs, and views without a copy.
 *
 * `send()` copies the caller's bytes because SCTP keeps them until the peer
 * acknowledges them. `Buffer.from()` takes such copies from Node's 8 KiB
 * pool, which for 1 KiB messages means a new pool (an `ArrayBuffer`
 * allocation) every eighth message; a slab of 64 KiB cuts that to one in
 * sixty-four. The copies live only until the peer's cumulative ack covers
 * them (or, for messages listed by `unacknowledged()`, as long as whoever
 * re-sends them keeps them), so a slab is released soon after its last
 * message was acknowledged. Larger messages get a buffer of their own, up to
 * 1 MiB from a pool of recycled buffers that the association refills when
 * the peer acknowledged a message ({@link recycleSendCopy}).
 *
 * @module
 * @internal
 */

type ViewConstructor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => Buffer;

/**
 * The class of Node's buffers, as `Buffer[Symbol.species]` gives it: making a
 * view with it directly costs a third of `buffer.subarray()`, which computes
 * and checks its bounds in JavaScript first. The result is an ordinary
 * `Buffer`.
 */
const species = (Buffer as unknown as { [Symbol.species]?: ViewConstructor })[Symbol.species];
// Never `Buffer` itself: its constructor is the deprecated one.
const FastBuffer: ViewConstructor | undefined = species !== undefined && (species as unknown) !== Buffer ? species : undefined;

/**
 * `buffer.subarray(start, end)` for bounds the caller has already checked
 * (0 ≤ start ≤ end ≤ buffer.length).
 */
export function view(buffer: Buffer, start: number, end: number): Buffer {
  if (FastBuffer === undefined) return buffer.subarray(start, end);
  return new FastBuffer(buffer.buffer, buffer.byteOffset + start, end - start);
}

/** `data` as a Buffer over the same memory (no copy; `data` itself when it is one). */
export function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Size of one slab. */
const SLAB_SIZE = 64 * 1024;
/** Largest message copied into a slab; larger ones get a buffer of their own. */
const SLAB_MAX = 4096;
/** Largest message whose buffer comes from (and returns to) the recycled pool. */
const POOL_MAX = 1024 * 1024;
/** Bytes the recycled pool keeps at most, over all sizes. */
const POOL_BYTES = 4 * 1024 * 1024;

let slab: Buffer | undefined;
let used = SLAB_SIZE;

/**
 * Recycled buffers of messages larger than a slab share, by size class
 * (powers of two from 8 KiB to 1 MiB, index = log2 of the size). A fresh
 * 64 KiB buffer costs its allocation, memory the cache has not seen, and a
 * share of the garbage collections that external memory triggers; one that
 * a bulk transfer released a moment ago costs none of that.
 */
const pool: ArrayBuffer[][] = [];
let pooledBytes = 0;

/** The size class (a power of two) of a message of `n` bytes, `SLAB_MAX < n <= POOL_MAX`. */
function sizeClass(n: number): number {
  return 32 - Math.clz32(n - 1);
}

/** A copy of `data` that the caller may keep (and that nothing else writes to). */
export function copyForSend(data: Uint8Array): Buffer {
  const n = data.length;
  if (n > SLAB_MAX) {
    let own: Buffer;
    if (n <= POOL_MAX && FastBuffer !== undefined) {
      const k = sizeClass(n);
      const recycled = pool[k]?.pop();
      if (recycled) pooledBytes -= recycled.byteLength;
      own = new FastBuffer(recycled ?? Buffer.allocUnsafeSlow(1 << k).buffer, 0, n);
    } else {
      own = Buffer.allocUnsafeSlow(n);
    }
    own.set(data);
    return own;
  }
  if (slab === undefined || used + n > SLAB_SIZE) {
    slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
    used = 0;
  }
  const copy = view(slab, used, used + n);
  // Next copy 8-byte aligned (the checksum and copy routines like aligned starts).
  used = (used + n + 7) & ~7;
  copy.set(data);
  return copy;
}

/**
 * Gives the buffer of a {@link copyForSend} copy back for reuse. Only for a
 * copy that nothing can read any more: the peer has acknowledged the message
 * (so any packet still carrying it is a duplicate the peer drops) and it was
 * never handed to anyone else. Copies from a slab, and buffers the pool is
 * full without, are left to the garbage collector.
 */
export function recycleSendCopy(copy: Buffer): void {
  const n = copy.length;
  if (n <= SLAB_MAX || n > POOL_MAX || copy.byteOffset !== 0) return;
  const buffer = copy.buffer;
  const size = buffer.byteLength;
  const k = sizeClass(n);
  if (size !== 1 << k || !(buffer instanceof ArrayBuffer) || pooledBytes + size > POOL_BYTES) return;
  (pool[k] ??= []).push(buffer);
  pooledBytes += size;
}

/** Bytes held by the recycled pool (for tests and diagnostics). */
export function sendPoolBytes(): number {
  return pooledBytes;
}
