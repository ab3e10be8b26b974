/**
 * Writing of TLV parameters into a buffer whose size was computed in
 * advance. Lengths are written when a parameter is closed; padding bytes are
 * already zero because the memory is fresh.
 *
 * Small messages are carved out of shared, never-reused slabs (as Node's
 * `Buffer` pool does): allocating one `ArrayBuffer` per message dominated the
 * encoder's cost. Every region is handed out once, so it starts zeroed.
 *
 * @module
 */

/** Messages up to this size share a slab; larger ones get their own buffer. */
const SLAB_MAX_MESSAGE = 4096;
const SLAB_SIZE = 64 * 1024;
let slab = new ArrayBuffer(SLAB_SIZE);
let slabView = new DataView(slab);
let slabUsed = 0;

/** Rounds `n` up to a multiple of 4 (the TLV padding rule, spec §2.2). */
export function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** A write position in a pre-sized message buffer. */
export class TlvWriter {
  /** The message (a view of exactly its size). */
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly base: number;
  /** Write position relative to the start of the message. */
  pos = 0;

  constructor(size: number) {
    if (size > SLAB_MAX_MESSAGE) {
      this.bytes = new Uint8Array(size);
      this.view = new DataView(this.bytes.buffer);
      this.base = 0;
      return;
    }
    if (slabUsed + size > SLAB_SIZE) {
      slab = new ArrayBuffer(SLAB_SIZE);
      slabView = new DataView(slab);
      slabUsed = 0;
    }
    this.bytes = new Uint8Array(slab, slabUsed, size);
    this.view = slabView;
    this.base = slabUsed;
    slabUsed += (size + 7) & ~7; // keep regions 8-byte aligned
  }

  u8(value: number): void {
    this.bytes[this.pos++] = value;
  }

  u16(value: number): void {
    this.view.setUint16(this.base + this.pos, value);
    this.pos += 2;
  }

  u32(value: number): void {
    this.view.setUint32(this.base + this.pos, value);
    this.pos += 4;
  }

  i32(value: number): void {
    this.view.setInt32(this.base + this.pos, value);
    this.pos += 4;
  }

  raw(data: Uint8Array): void {
    this.bytes.set(data, this.pos);
    this.pos += data.length;
  }

  /** Starts a parameter of `type`; returns its offset for {@link TlvWriter.close}. */
  open(type: number): number {
    const start = this.pos;
    this.view.setUint16(this.base + start, type);
    this.pos += 4;
    return start;
  }

  /** Writes the length of the parameter started at `start` and skips its padding. */
  close(start: number): void {
    this.view.setUint16(this.base + start + 2, this.pos - start);
    this.pos = start + pad4(this.pos - start);
  }
}
