/**
 * Where each object's references start among the edges (the offsets of the Heap's CSR arrays), in 2 bytes an
 * object instead of 4: a 32-bit base per block of 256 positions, and per position its 16-bit offset from its
 * block's base. A position whose offset does not fit (its block holds more than 65,534 references before it: a
 * big array among its objects) is marked WIDE and kept whole aside, sorted by position: at most 255 of them per
 * 65,535 references; 117 of the 28.35 M positions of the 1.43 GB string-heavy dump (after its hoarded lists'
 * arrays), none in the checked-in dumps. On that dump: 54 MiB less from the pass to the end of the digest.
 *
 * Positions are written in increasing order, each once, values never decreasing (the pass appends; the
 * resolution rewrites in place: `rewrite`); any position is read at any time.
 */

const BLOCK_SHIFT = 8;
const BLOCK_MASK = (1 << BLOCK_SHIFT) - 1;
/** An offset that does not fit: the value is among the wide ones. */
const WIDE = 0xffff;

export class EdgeStarts {
  /** The most positions this can hold (the offsets' memory; `length` of them are in use). */
  readonly capacity: number;
  private readonly bases: Uint32Array;
  /** The wide positions, in increasing order, and their values. */
  private wideAt: Uint32Array;
  private wideValue: Uint32Array;
  private wideCount = 0;
  /** The last position written (-1: none): the first write into a block sets its base. */
  private lastWritten = -1;
  private lastValue = 0;

  /**
   * Room for `capacity` positions. `offsets` (by default zeros, whose pages the OS maps when first written: a
   * capacity at the file's bound costs only what is written) may be another EdgeStarts' (`rewrite`).
   */
  constructor(
    capacity: number,
    private readonly offsets: Uint16Array = new Uint16Array(capacity),
  ) {
    this.capacity = capacity;
    this.bases = new Uint32Array((capacity >>> BLOCK_SHIFT) + 1);
    this.wideAt = new Uint32Array(16);
    this.wideValue = new Uint32Array(16);
  }

  /** Starts given whole (tests, and the rare path of objects whose class came late). */
  static from(values: ArrayLike<number>): EdgeStarts {
    const starts = new EdgeStarts(values.length);
    for (let i = 0; i < values.length; i++) starts.set(i, values[i]!);
    return starts;
  }

  /** The start at `position`. */
  of(position: number): number {
    const offset = this.offsets[position]!;
    return offset !== WIDE ? this.bases[position >>> BLOCK_SHIFT]! + offset : this.wide(position);
  }

  /** Whether the object at `position` has references. */
  hasEdges(position: number): boolean {
    const offset = this.offsets[position]!;
    const next = this.offsets[position + 1]!;
    // Within one block, two narrow offsets compare as their starts do.
    if (((position + 1) & BLOCK_MASK) !== 0 && offset !== WIDE && next !== WIDE) return next !== offset;
    return this.of(position + 1) !== this.of(position);
  }

  /** Writes `value` at `position`: positions in increasing order, values never decreasing. */
  set(position: number, value: number): void {
    // Kept small: the pass writes one start per object (28 M in a 1.43 GB dump).
    if (position <= this.lastWritten || value < this.lastValue || position >= this.capacity) this.refuse(position, value);
    const block = position >>> BLOCK_SHIFT;
    if (this.lastWritten < 0 || block !== this.lastWritten >>> BLOCK_SHIFT) this.bases[block] = value;
    this.lastWritten = position;
    this.lastValue = value;
    const offset = value - this.bases[block]!;
    if (offset < WIDE) this.offsets[position] = offset;
    else this.setWide(position, value);
  }

  /**
   * New starts over the same offsets' memory, written in place: the caller reads a position from this one before
   * the new one writes it (in increasing order, each read ahead of the writes), and then uses only the new one.
   */
  rewrite(): EdgeStarts {
    return new EdgeStarts(this.capacity, this.offsets);
  }

  /** The same starts with room for `capacity` positions (the pass's, when its first allocation fell short). */
  grownTo(capacity: number): EdgeStarts {
    if (capacity <= this.capacity) return this;
    const bigger = new EdgeStarts(capacity);
    bigger.offsets.set(this.offsets);
    bigger.bases.set(this.bases);
    bigger.wideAt = this.wideAt.slice();
    bigger.wideValue = this.wideValue.slice();
    bigger.wideCount = this.wideCount;
    bigger.lastWritten = this.lastWritten;
    bigger.lastValue = this.lastValue;
    return bigger;
  }

  /** The first `length` starts, whole. */
  toArray(length: number): Uint32Array {
    const values = new Uint32Array(length);
    for (let i = 0; i < length; i++) values[i] = this.of(i);
    return values;
  }

  /** How many positions have been written (the Heap's: objectCount + 1). */
  get length(): number {
    return this.lastWritten + 1;
  }

  /** The bytes the written positions hold. */
  get byteLength(): number {
    return 2 * this.length + 4 * ((this.length >>> BLOCK_SHIFT) + 1) + 8 * this.wideCount;
  }

  /** The offsets' memory as 32-bit words, and how many of them the written positions touched (scratch, once done with). */
  memory(): { readonly words: Uint32Array; readonly touched: number } {
    const buffer = this.offsets.buffer;
    return { words: new Uint32Array(buffer, this.offsets.byteOffset, Math.floor(this.offsets.byteLength / 4)), touched: Math.ceil(this.length / 2) };
  }

  private refuse(position: number, value: number): never {
    if (position >= this.capacity) throw new RangeError(`edge start ${position} is past the room for ${this.capacity}`);
    if (position <= this.lastWritten) throw new RangeError(`edge start ${position} written out of order (after ${this.lastWritten})`);
    throw new RangeError(`edge start ${position} decreases (${value} after ${this.lastValue})`);
  }

  private setWide(position: number, value: number): void {
    this.offsets[position] = WIDE;
    if (this.wideCount === this.wideAt.length) {
      this.wideAt = grown(this.wideAt);
      this.wideValue = grown(this.wideValue);
    }
    this.wideAt[this.wideCount] = position;
    this.wideValue[this.wideCount++] = value;
  }

  private wide(position: number): number {
    let low = 0;
    let high = this.wideCount;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.wideAt[middle]! < position) low = middle + 1;
      else high = middle;
    }
    if (low === this.wideCount || this.wideAt[low] !== position) throw new RangeError(`edge start ${position} is marked wide but was never written`);
    return this.wideValue[low]!;
  }
}

function grown(array: Uint32Array): Uint32Array {
  const bigger = new Uint32Array(2 * array.length);
  bigger.set(array);
  return bigger;
}
