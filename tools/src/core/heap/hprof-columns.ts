/**
 * Typed arrays the reader fills as it goes: per-object arrays allocated once at the most the file's size allows,
 * and growable columns for the smaller tables (names, roots, checkpoints): no JavaScript object per item.
 */

export type PerObjectArray = Uint8Array | Uint16Array | Uint32Array | Float64Array;

/**
 * A typed array of `bound` elements, the most any dump of this size can need, so that the pass writes each value
 * once where it stays: untouched pages of a large zeroed allocation take no memory (the OS maps them on first
 * write), so only what is written counts. Where the system refuses that much address space, a quarter of it
 * and so on: the pass then grows the array when full (grownTo).
 */
export function allocateUpTo<T extends PerObjectArray>(make: (length: number) => T, bound: number): T {
  for (let length = bound; ; length = Math.ceil(length / 4)) {
    try {
      return make(length);
    } catch (error) {
      if (!(error instanceof RangeError) || length <= 1 << 16) throw error;
    }
  }
}

/** A copy of `array` with room for `length` elements (the pass's arrays when their first allocation fell short). */
export function grownTo<T extends PerObjectArray>(array: T, length: number, make: (length: number) => T): T {
  if (array.length >= length) return array;
  const bigger = make(length);
  bigger.set(array as never);
  return bigger;
}

export const makeUint8 = (length: number): Uint8Array => new Uint8Array(length);
export const makeUint16 = (length: number): Uint16Array => new Uint16Array(length);
export const makeUint32 = (length: number): Uint32Array => new Uint32Array(length);
export const makeFloat64 = (length: number): Float64Array => new Float64Array(length);

/** A growable list of numbers in a Float64Array (ids and offsets: any value up to 2^53). */
export class Column {
  values: Float64Array;
  length = 0;

  constructor(initial = 1 << 10) {
    this.values = new Float64Array(initial);
  }

  push(value: number): void {
    if (this.length === this.values.length) this.values = grownTo(this.values, 2 * this.length, makeFloat64);
    this.values[this.length++] = value;
  }

  /** The values pushed so far (a view: later pushes may not show in it). */
  view(): Float64Array {
    return this.values.subarray(0, this.length);
  }
}

/** The index of the last of `starts` (ascending, the first at or below `value`) that is at or below `value`. */
export function lastAtOrBefore(starts: ArrayLike<number>, value: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >>> 1;
    if (starts[middle]! <= value) low = middle;
    else high = middle - 1;
  }
  return low;
}
