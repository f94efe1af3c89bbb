/**
 * Every object's shallow size in one byte: its size in 8-byte units when that is below 255 (up to 2,032 bytes:
 * all but 389 of the 28 M objects of a 1.4 GB Bazel dump, 3 bytes an object less than a Uint32Array, 85 MB
 * there), else the mark LARGE and the exact size in a hash table of typed arrays (any size up to 2^53, and
 * sizes that are not multiples of 8, which only hand-made graphs have). A large object of a real heap takes at
 * least 2 KB of the dump, so the table holds about one entry per 2 KB of the file at most: 12 bytes a slot, 2 to
 * 4 slots an entry (LARGE_OBJECT_BYTES in memory-budget.ts, which the memory check counts).
 */

import { grownTo } from "./hprof-columns.js";
import type { SpillStore } from "./spill.js";

/** The unit that marks a size kept in the table. */
const LARGE = 0xff;
/** A free slot of the table (no object has this index: per-object arrays hold fewer elements). */
const FREE = 0xffffffff;

export class ShallowSizes {
  private keys = new Uint32Array(16).fill(FREE);
  private values = new Float64Array(16);
  private mask = 15;
  /** 32 minus log2 of the table's slots: the hash's high bits pick the slot. */
  private shift = 28;
  /** Objects whose size is in the table. */
  largeCount = 0;
  /** While lent: where the units wait in the store, and how many. */
  private lentAt = -1;
  private lentLength = 0;
  /** Where a lend wrote the units, while no set() or move has changed them since: a lend again writes nothing. */
  private saved: { readonly store: SpillStore; readonly at: number } | undefined;

  /** `units` of a new dump's objects (zeros: every size 0 until set). */
  constructor(public units: Uint8Array) {}

  /** Sizes of hand-made graphs (tests, examples), each any number of bytes. */
  static of(bytes: ArrayLike<number>): ShallowSizes {
    const sizes = new ShallowSizes(new Uint8Array(bytes.length));
    for (let i = 0; i < bytes.length; i++) sizes.set(i, bytes[i]!);
    return sizes;
  }

  get length(): number {
    return this.units.length;
  }

  bytesOf(index: number): number {
    const units = this.units[index]!;
    return units !== LARGE ? units * 8 : this.largeBytesOf(index);
  }

  set(index: number, bytes: number): void {
    this.saved = undefined;
    if (bytes % 8 === 0 && bytes < LARGE * 8) {
      this.units[index] = bytes / 8;
      return;
    }
    this.units[index] = LARGE;
    this.put(index, bytes);
  }

  /** Only the first `length` objects (the rest was room the pass did not need). */
  trimTo(length: number): void {
    this.saved = undefined;
    this.units = this.units.subarray(0, length);
  }

  /** Room for `length` objects (the pass's arrays when their first allocation fell short). */
  growTo(length: number): void {
    this.saved = undefined;
    this.units = grownTo(this.units, length, (size) => new Uint8Array(size));
  }

  /** The sizes of objects start … end-1 moved to `target` … (as Uint8Array.copyWithin moves the units). */
  copyWithin(target: number, start: number, end: number): void {
    const moved: number[] = [];
    for (let slot = 0; slot <= this.mask; slot++) {
      const key = this.keys[slot]!;
      if (key !== FREE && key >= start && key < end && this.units[key] === LARGE) moved.push(key, this.values[slot]!);
    }
    this.saved = undefined;
    this.units.copyWithin(target, start, end);
    for (let i = 0; i < moved.length; i += 2) this.put(moved[i]! - start + target, moved[i + 1]!);
  }

  /**
   * The units go to `store`, their memory (a byte an object, contents undefined) to the caller for a phase
   * that does not ask for sizes: the ids' residues while the references are resolved, the search's referrer
   * counts, who owns each object during the stacks' flood (where new arrays would add 7 to 28 MB each to the peak
   * of a 1.43 GB dump). bytesOf answers nothing until restore().
   */
  lend(store: SpillStore): Uint8Array {
    const units = this.units;
    this.lentAt = this.saved?.store === store ? this.saved.at : store.write(units);
    this.saved = { store, at: this.lentAt };
    this.lentLength = units.length;
    this.units = new Uint8Array(0);
    return units;
  }

  get lent(): boolean {
    return this.lentAt >= 0;
  }

  /** The units back from `store`, into `memory` (a byte an object or more: memory a phase is done with). */
  restore(store: SpillStore, memory: Uint8Array): void {
    if (!this.lent) throw new Error("the shallow sizes were not lent");
    const units = memory.subarray(0, this.lentLength);
    store.read(this.lentAt, units);
    this.units = units;
    this.lentAt = -1;
  }

  /** Every object's size. */
  toArray(): Float64Array {
    return Float64Array.from({ length: this.units.length }, (_, index) => this.bytesOf(index));
  }

  /** The memory it holds. */
  get byteLength(): number {
    return this.units.byteLength + this.keys.byteLength + this.values.byteLength;
  }

  private largeBytesOf(index: number): number {
    for (let slot = this.slotOf(index); ; slot = (slot + 1) & this.mask) {
      const key = this.keys[slot]!;
      if (key === index) return this.values[slot]!;
      if (key === FREE) throw new RangeError(`object ${index} is marked large but has no size`);
    }
  }

  private put(index: number, bytes: number): void {
    for (let slot = this.slotOf(index); ; slot = (slot + 1) & this.mask) {
      const key = this.keys[slot]!;
      if (key === index) {
        this.values[slot] = bytes;
        return;
      }
      if (key === FREE) {
        this.keys[slot] = index;
        this.values[slot] = bytes;
        if (++this.largeCount * 2 > this.mask) this.rehash();
        return;
      }
    }
  }

  private slotOf(index: number): number {
    return Math.imul(index, 0x9e3779b1) >>> this.shift;
  }

  private rehash(): void {
    const keys = this.keys;
    const values = this.values;
    this.mask = 2 * this.mask + 1;
    this.shift--;
    this.keys = new Uint32Array(this.mask + 1).fill(FREE);
    this.values = new Float64Array(this.mask + 1);
    this.largeCount = 0;
    for (let slot = 0; slot < keys.length; slot++) if (keys[slot] !== FREE) this.put(keys[slot]!, values[slot]!);
  }
}
