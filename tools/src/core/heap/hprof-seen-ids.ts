/**
 * The ids one object array has referenced so far, so that the pass keeps each target once (a list flattened into
 * a provider holds a few thousand strings millions of times: its edges follow the distinct ones, not the file).
 * An open-addressing hash set of (high, low) id halves, emptied per array by a stamp, not by clearing.
 */

/**
 * The most ids one array keeps distinct (a table of 2^21 slots, 24 MB at most): past it, the rest of that array's
 * references are kept as they come, and the resolution after the pass drops their repeats (by object stamps).
 */
const MAX_DISTINCT = 1 << 20;
const INITIAL_SLOTS = 1 << 10;

export class SeenIds {
  private lows = new Int32Array(INITIAL_SLOTS);
  private highs = new Int32Array(INITIAL_SLOTS);
  private stamps = new Uint32Array(INITIAL_SLOTS);
  private shift = 32 - Math.log2(INITIAL_SLOTS);
  private stamp = 0;
  private count = 0;

  /** Starts a new array: every id is new again. */
  begin(): void {
    this.count = 0;
    if (++this.stamp === 0x100000000) {
      this.stamps.fill(0);
      this.stamp = 1;
    }
  }

  /** Whether the id (its signed 32-bit halves) is the array's first reference to it; records it. */
  isFirst(high: number, low: number): boolean {
    const mask = this.stamps.length - 1;
    const stamp = this.stamp;
    let slot = this.slotOf(high, low);
    while (this.stamps[slot] === stamp) {
      if (this.lows[slot] === low && this.highs[slot] === high) return false;
      slot = (slot + 1) & mask;
    }
    if (this.count >= MAX_DISTINCT) return true;
    this.stamps[slot] = stamp;
    this.lows[slot] = low;
    this.highs[slot] = high;
    if (++this.count * 2 > this.stamps.length) this.grow();
    return true;
  }

  /** Fibonacci hashing takes the product's top bits: ids are 8-byte aligned addresses, whose low bits are zero. */
  private slotOf(high: number, low: number): number {
    return Math.imul(low ^ Math.imul(high, 0x85ebca6b), 0x9e3779b1) >>> this.shift;
  }

  /** Twice the slots, this array's ids placed again (under the same stamp: the new slots are all zero). */
  private grow(): void {
    const { lows, highs, stamps, stamp } = this;
    const slots = stamps.length * 2;
    this.lows = new Int32Array(slots);
    this.highs = new Int32Array(slots);
    this.stamps = new Uint32Array(slots);
    this.shift--;
    const mask = slots - 1;
    for (let old = 0; old < stamps.length; old++) {
      if (stamps[old] !== stamp) continue;
      let slot = this.slotOf(highs[old]!, lows[old]!);
      while (this.stamps[slot] === stamp) slot = (slot + 1) & mask;
      this.stamps[slot] = stamp;
      this.lows[slot] = lows[old]!;
      this.highs[slot] = highs[old]!;
    }
  }
}
