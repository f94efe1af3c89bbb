/**
 * A sequential reader over a ByteSource, one window of it at a time: the reader's pass, its second look at the
 * names, and the walks from an object's checkpoint each read through one.
 */
import { int32At, u32, idAt, type ByteSource } from "./hprof-format.js";

/**
 * Bytes read at a time by the pass: large enough that reading costs no more than `cat` does, small because the
 * file source keeps a buffer of the largest read for the dump's lifetime.
 */
export const WINDOW_BYTES = 2 * 1024 * 1024;

const NO_BYTES = new Uint8Array(0);

export class Cursor {
  buf: Uint8Array = NO_BYTES;
  /** File offset of buf[0]. */
  start = 0;
  pos = 0;

  constructor(
    private readonly source: ByteSource,
    readonly idSize: number,
    private readonly window = WINDOW_BYTES,
    /** Told the file offset of each window it reads (the pass's progress). */
    private readonly onWindow?: (offset: number) => void,
  ) {}

  get offset(): number {
    return this.start + this.pos;
  }

  seek(offset: number): void {
    if (offset >= this.start && offset <= this.start + this.buf.length) {
      this.pos = offset - this.start;
    } else {
      this.start = offset;
      this.buf = NO_BYTES;
      this.pos = 0;
    }
  }

  /** Drops the window (its bytes may be gone: a source's view is valid until its next read), keeping the offset. */
  forget(): void {
    this.start = this.offset;
    this.buf = NO_BYTES;
    this.pos = 0;
  }

  /** Makes `n` bytes readable at pos; false when the source ends first. */
  ensure(n: number): boolean {
    if (this.pos + n <= this.buf.length) return true;
    const offset = this.start + this.pos;
    if (offset + n > this.source.size) return false;
    const view = this.source.read(offset, Math.max(n, this.window));
    this.onWindow?.(offset);
    this.buf = view;
    this.start = offset;
    this.pos = 0;
    return view.length >= n;
  }

  u1(): number {
    return this.buf[this.pos++]!;
  }

  u2(): number {
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return (b[p]! << 8) | b[p + 1]!;
  }

  u4(): number {
    const value = u32(this.buf, this.pos);
    this.pos += 4;
    return value;
  }

  /** A 4-byte value as a signed int32 (a small integer to V8, where u4 may be a heap number). */
  i4(): number {
    const value = int32At(this.buf, this.pos);
    this.pos += 4;
    return value;
  }

  id(): number {
    const value = idAt(this.buf, this.pos, this.idSize);
    this.pos += this.idSize;
    return value;
  }

  skip(n: number): void {
    this.pos += n;
  }
}
