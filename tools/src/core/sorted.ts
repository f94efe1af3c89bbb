/** Binary search in ascending arrays, for every part that keeps sorted typed columns instead of Maps. */

/** Index of the first element at or after `value` in an ascending array (its length when none is). */
export function firstAtOrAfter(sorted: ArrayLike<number>, value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}
