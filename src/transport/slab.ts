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
 * message was acknowledged. Larger messages get a buffer of their own.
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
/** Largest message copied into a slab; larger ones get their own buffer. */
const SLAB_MAX = 4096;

let slab: Buffer | undefined;
let used = SLAB_SIZE;

/** A copy of `data` that the caller may keep (and that nothing else writes to). */
export function copyForSend(data: Uint8Array): Buffer {
  const n = data.length;
  if (n > SLAB_MAX) {
    const own = Buffer.allocUnsafeSlow(n);
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
