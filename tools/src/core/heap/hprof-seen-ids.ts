/**
 * The ids one object array has referenced lately, so that the pass drops its repeats as it reads them (a list
 * flattened into a provider holds a few thousand strings millions of times: its edges then follow the distinct
 * ones, not the file). A direct-mapped cache of 2^16 ids, emptied per array by a stamp: an id found in its slot
 * is surely a repeat; one that is not is kept, and any repeat that slipped through (its slot taken by another
 * id meanwhile) is dropped when the ids are resolved after the pass (by object stamps). Bounded and cheap:
 * 768 KB, one probe per reference. An exact hash set cost a sixth of a 1.43 GB reproduction dump's digest,
 * growing to millions of slots for Bazel's own big arrays that repeat nothing.
 */

const SLOT_BITS = 16;
const SLOTS = 1 << SLOT_BITS;

export class SeenIds {
  private readonly lows = new Int32Array(SLOTS);
  private readonly highs = new Int32Array(SLOTS);
  private readonly stamps = new Uint32Array(SLOTS);
  private stamp = 0;

  /** Starts a new array: nothing is a repeat yet. */
  begin(): void {
    if (++this.stamp === 0x100000000) {
      this.stamps.fill(0);
      this.stamp = 1;
    }
  }

  /** Whether the id (its signed 32-bit halves) surely came before in this array; else it is remembered. */
  isRepeat(high: number, low: number): boolean {
    // Fibonacci hashing takes the product's top bits: ids are 8-byte aligned addresses, whose low bits are zero.
    const slot = Math.imul(low ^ Math.imul(high, 0x85ebca6b), 0x9e3779b1) >>> (32 - SLOT_BITS);
    if (this.stamps[slot] === this.stamp && this.lows[slot] === low && this.highs[slot] === high) return true;
    this.stamps[slot] = this.stamp;
    this.lows[slot] = low;
    this.highs[slot] = high;
    return false;
  }
}
