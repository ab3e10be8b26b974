/**
 * Writing of TLV parameters into a buffer whose size was computed in
 * advance. Lengths are written when a parameter is closed; padding bytes are
 * already zero because the buffer is freshly allocated.
 *
 * @module
 */

/** Rounds `n` up to a multiple of 4 (the TLV padding rule, spec §2.2). */
export function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** A write position in a pre-sized message buffer. */
export class TlvWriter {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  pos = 0;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  u8(value: number): void {
    this.bytes[this.pos++] = value;
  }

  u16(value: number): void {
    this.view.setUint16(this.pos, value);
    this.pos += 2;
  }

  u32(value: number): void {
    this.view.setUint32(this.pos, value);
    this.pos += 4;
  }

  i32(value: number): void {
    this.view.setInt32(this.pos, value);
    this.pos += 4;
  }

  raw(data: Uint8Array): void {
    this.bytes.set(data, this.pos);
    this.pos += data.length;
  }

  /** Starts a parameter of `type`; returns its offset for {@link TlvWriter.close}. */
  open(type: number): number {
    const start = this.pos;
    this.view.setUint16(start, type);
    this.pos += 4;
    return start;
  }

  /** Writes the length of the parameter started at `start` and skips its padding. */
  close(start: number): void {
    this.view.setUint16(start + 2, this.pos - start);
    this.pos = start + pad4(this.pos - start);
  }
}
