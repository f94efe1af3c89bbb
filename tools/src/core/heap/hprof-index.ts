/**
 * The two indexes the Heap answers from after the pass: id → object index (IdLookup) and object → file offset
 * (ObjectOffsets, from the offsets the pass keeps and a short walk).
 */
import { readClassDump } from "./hprof-classes.js";
import { Cursor } from "./hprof-cursor.js";
import { allocateUpTo, grownTo, lastAtOrBefore, makeFloat64, makeUint32 } from "./hprof-columns.js";
import { release, releasableArray, type SpillStore } from "./spill.js";
import { CLASS_DUMP, compactId, INSTANCE_DUMP, OBJECT_ARRAY_DUMP, PRIMITIVE_ARRAY_DUMP, PRIMITIVE_ELEMENT_BYTES, rootBodyBytes, type ByteSource } from "./hprof-format.js";

/** Every 2^CHECKPOINT_SHIFT-th object's file offset is kept whole. */
export const CHECKPOINT_SHIFT = 6;
const CHECKPOINT_MASK = (1 << CHECKPOINT_SHIFT) - 1;
/**
 * Every 2^STEP_SHIFT-th object between two checkpoints keeps its offset as a 32-bit step from the checkpoint
 * before it: a walk crosses 7.5 records on average, not 31.5 (a monorepo's owners, labels and providers are a
 * million object reads after the pass: their walks were 1.3 s of its 16).
 */
const STEP_SHIFT = 4;
export const STEP_MASK = (1 << STEP_SHIFT) - 1;
const STEPS_PER_CHECKPOINT = (1 << (CHECKPOINT_SHIFT - STEP_SHIFT)) - 1;
/** A step too long for 32 bits (arrays of gigabytes between): that object is walked to from its checkpoint. */
const FAR = 0xffffffff;
/**
 * Bytes read at a time while walking from a checkpoint: the 15 records at most between two steps average about
 * 1 KB in a Bazel heap (a big array among them is skipped by seeking, not read).
 */
const OFFSET_WALK_WINDOW = 4096;

/**
 * The offsets the pass keeps: every 64th object's (8 bytes) and every 16th's between as a step from it (4 bytes):
 * 20 bytes per 64 objects. The pass notes each 16th object's (the number's low STEP_SHIFT bits zero), in order,
 * into arrays allocated for the most objects the file can hold (as its per-object arrays: only the pages written
 * take memory), kept as they are (a growing array and a trimmed copy held three times what was noted).
 */
export class OffsetCheckpoints {
  private whole: Float64Array;
  private wholeCount = 0;
  private steps: Uint32Array;
  private stepCount = 0;

  constructor(objectBound: number) {
    const checkpoints = (objectBound >>> CHECKPOINT_SHIFT) + 1;
    this.whole = allocateUpTo(makeFloat64, checkpoints);
    this.steps = allocateUpTo(makeUint32, checkpoints * STEPS_PER_CHECKPOINT);
  }

  /** Object `n` (n & STEP_MASK is 0, each n once, in order) is at `offset`. */
  note(n: number, offset: number): void {
    if ((n & CHECKPOINT_MASK) === 0) {
      if (this.wholeCount === this.whole.length) this.whole = grownTo(this.whole, 2 * this.wholeCount, makeFloat64);
      this.whole[this.wholeCount++] = offset;
      return;
    }
    if (this.stepCount === this.steps.length) this.steps = grownTo(this.steps, 2 * this.stepCount, makeUint32);
    const step = offset - this.whole[this.wholeCount - 1]!;
    this.steps[this.stepCount++] = step < FAR ? step : FAR;
  }

  /** The first object's offset (undefined before any). */
  first(): number | undefined {
    return this.wholeCount > 0 ? this.whole[0] : undefined;
  }

  /** What was noted (views: the arrays' untouched rest takes no memory). */
  done(): { readonly whole: Float64Array; readonly steps: Uint32Array } {
    return { whole: this.whole.subarray(0, this.wholeCount), steps: this.steps.subarray(0, this.stepCount) };
  }
}

/** Skips one sub-record whose tag was just read. */
function skipSubRecord(cursor: Cursor, code: number, idSize: number, end: number): void {
  if (code === INSTANCE_DUMP) {
    cursor.ensure(2 * idSize + 8);
    cursor.skip(2 * idSize + 4);
    const bytes = cursor.u4();
    cursor.seek(cursor.offset + bytes);
  } else if (code === OBJECT_ARRAY_DUMP) {
    cursor.ensure(2 * idSize + 8);
    cursor.skip(idSize + 4);
    const length = cursor.u4();
    cursor.seek(cursor.offset + idSize + length * idSize);
  } else if (code === PRIMITIVE_ARRAY_DUMP) {
    cursor.ensure(idSize + 9);
    cursor.skip(idSize + 4);
    const length = cursor.u4();
    cursor.seek(cursor.offset + 1 + length * (PRIMITIVE_ELEMENT_BYTES[cursor.buf[cursor.pos]!] ?? 0));
  } else if (code === CLASS_DUMP) {
    readClassDump(cursor, end, idSize, cursor.offset, undefined);
  } else {
    cursor.seek(cursor.offset + Math.max(0, rootBodyBytes(code, idSize)));
  }
}

/**
 * File offsets of instances and arrays: from the nearest kept one at or before (OffsetCheckpoints), or from the
 * object asked last when it lies between (the next field's object, a label's String after its Label: often the
 * next record), walking sub-records forward with a cursor and a small window of its own (the source's buffer may
 * have been reused since any earlier read). The pass checked every record on the way, so the walk needs no checks.
 */
export class ObjectOffsets {
  private readonly segmentStarts: Float64Array;
  private readonly whole: Float64Array;
  private readonly steps: Uint32Array;
  private readonly cursor: Cursor;
  private lastObject = -1;
  private lastOffset = 0;

  constructor(
    source: ByteSource,
    private readonly idSize: number,
    private readonly segments: readonly { readonly start: number; readonly end: number }[],
    checkpoints: { readonly whole: Float64Array; readonly steps: Uint32Array },
  ) {
    this.segmentStarts = Float64Array.from(segments, (segment) => segment.start);
    this.whole = checkpoints.whole;
    this.steps = checkpoints.steps;
    this.cursor = new Cursor(source, idSize, OFFSET_WALK_WINDOW);
  }

  /** The offset of the n-th instance or array. */
  of(n: number): number {
    if (n === this.lastObject) return this.lastOffset;
    const checkpoint = n >>> CHECKPOINT_SHIFT;
    let from = this.whole[checkpoint]!;
    let remaining = n & CHECKPOINT_MASK;
    const step = remaining >>> STEP_SHIFT;
    if (step > 0) {
      const length = this.steps[checkpoint * STEPS_PER_CHECKPOINT + step - 1]!;
      if (length !== FAR) {
        from += length;
        remaining &= STEP_MASK;
      }
    }
    if (n > this.lastObject && n - this.lastObject < remaining) {
      from = this.lastOffset;
      remaining = n - this.lastObject;
    }
    const offset = remaining === 0 ? from : this.walk(from, remaining);
    this.lastObject = n;
    this.lastOffset = offset;
    return offset;
  }

  /** The offset of the object `remaining` objects after the one at `from`. */
  private walk(from: number, remaining: number): number {
    let segment = lastAtOrBefore(this.segmentStarts, from);
    const cursor = this.cursor;
    // The cursor's window may hold bytes read before the file was last read elsewhere: read afresh.
    cursor.forget();
    cursor.seek(from);
    while (true) {
      if (cursor.offset >= this.segments[segment]!.end) {
        segment++;
        cursor.seek(this.segments[segment]!.start);
        continue;
      }
      const offset = cursor.offset;
      cursor.ensure(1);
      const code = cursor.u1();
      if (code === INSTANCE_DUMP || code === OBJECT_ARRAY_DUMP || code === PRIMITIVE_ARRAY_DUMP) {
        if (remaining === 0) return offset;
        remaining--;
      }
      skipSubRecord(cursor, code, this.idSize, this.segments[segment]!.end);
    }
  }
}

/**
 * The shift of IdLookup's buckets for `count` ids spanning `range` (the largest less the smallest, plus one):
 * about 16 to 32 ids a bucket.
 */
export function bucketShift(count: number, range: number, compact: boolean): number {
  // Compact ids are bucketed with >>>, whose shift counts only to 31 (a shift of 32 would be one of 0).
  const maxShift = compact ? 31 : 64;
  let shift = 0;
  while (shift < maxShift && 2 ** shift * Math.max(1, Math.floor(count / 16)) < range) shift++;
  return shift;
}

/** Bytes a compact id's residue (its offset within its bucket) takes in IdLookup, for the buckets' shift. */
export function residueBytes(shift: number): 1 | 2 | 4 {
  return shift <= 8 ? 1 : shift <= 16 ? 2 : 4;
}

/** The instances' and arrays' ids, compact (id / 8, 4 bytes) or not (8). */
export interface DumpIds {
  readonly compact: boolean;
  readonly values: Uint32Array | Float64Array;
}

/** What one scan of the ids tells: the memory check and IdLookup both need it. */
export interface IdOrder {
  /** Each id larger than the one before (every dump seen: the JVM writes them by address). */
  readonly inOrder: boolean;
  readonly min: number;
  readonly max: number;
}

export function idOrder(values: Uint32Array | Float64Array): IdOrder {
  let min = Infinity;
  let max = -Infinity;
  let inOrder = true;
  for (let i = 0; i < values.length; i++) {
    const id = values[i]!;
    if (id <= max) inOrder = false;
    if (id < min) min = id;
    if (id > max) max = id;
  }
  return { inOrder, min, max };
}

/**
 * What IdLookup will take per id for these ids beyond a byte a residue (lent: hprof.ts) and its bucket table: a
 * residue wider than a byte (its own array), and for ids not in order, the order and a sorted copy.
 */
export function lookupExtraBytes(ids: DumpIds, order: IdOrder): number {
  const unsorted = order.inOrder ? 0 : 4 + ids.values.BYTES_PER_ELEMENT;
  if (!ids.compact || ids.values.length === 0) return unsorted;
  const residue = residueBytes(bucketShift(ids.values.length, order.max - order.min + 1, true));
  return unsorted + (residue === 1 ? 0 : residue);
}

/**
 * Where `wanted` sits in values[low … high) (ascending), or -1: looked for first where it would be were the
 * bucket's ids evenly spread (`fraction`: how far into the bucket's range it lies), then a few steps from there,
 * then by halves. Ids are addresses, and a bucket's objects lie side by side in the heap, so the guess is nearly
 * always right or next to it: resolving many-targets' 36.5 M references took 1.55 s instead of 2.0 by halves
 * alone (a mispredicted branch at each of ~4 steps). A bucket whose ids cluster (a region's edge) is still
 * searched by halves, after the few steps.
 */
function positionInBucket(values: Uint8Array | Uint16Array | Uint32Array | Float64Array, low: number, high: number, wanted: number, fraction: number): number {
  if (low >= high) return -1;
  const guess = Math.min(high - 1, low + Math.floor(fraction * (high - low)));
  const value = values[guess]!;
  if (value === wanted) return guess;
  if (value < wanted) {
    low = guess + 1;
    for (let step = 0; step < GUESS_STEPS && low < high && values[low]! <= wanted; step++, low++) if (values[low] === wanted) return low;
  } else {
    high = guess;
    for (let step = 0; step < GUESS_STEPS && low < high && values[high - 1]! >= wanted; step++, high--) if (values[high - 1] === wanted) return high - 1;
  }
  while (low < high) {
    const middle = (low + high) >>> 1;
    const candidate = values[middle]!;
    if (candidate < wanted) low = middle + 1;
    else if (candidate > wanted) high = middle;
    else return middle;
  }
  return -1;
}

/** Steps taken from positionInBucket's guess before it searches by halves. */
const GUESS_STEPS = 3;

/**
 * id → object index. Instance and array ids are sorted (a sorted copy is made when the dump was not). The id
 * range is cut into buckets 2^shift ids wide, about 16 to 32 objects each: a table of each bucket's first position
 * (4 bytes a bucket: a quarter byte an object; with 4 to 8 a bucket it was a byte, and resolving the 28.75 M
 * references of a 1.43 GB dump took the same 0.94 s) narrows a search to a few steps, and each compact id is kept
 * as its offset within its bucket (1 byte each in a Bazel heap instead of 4: 28 MB less in a 640 MB dump). Class
 * ids, few, are in a Map. Once the references are resolved, spill() moves it to disk (SpilledIdLookup).
 */
export class IdLookup {
  private readonly compact: boolean;
  /** Compact ids: each one's offset within its bucket. */
  private readonly residues: Uint8Array | Uint16Array | Uint32Array;
  /** Ids that are not compact: all of them, sorted. */
  private readonly full: Float64Array;
  /** sorted position → object number, when the dump's order was not sorted. */
  private readonly order: Uint32Array | undefined;
  private readonly bucketStart: Uint32Array;
  private readonly bucketShift: number;
  private readonly bucketWidth: number;
  private readonly min: number;

  /**
   * `byteMemory`: where the residues go when they fit a byte each (as in every Bazel dump), at least a byte an
   * id: memory a phase lends (the shallow sizes', while the references are resolved: hprof.ts); else their own.
   */
  constructor(
    ids: DumpIds,
    order: IdOrder,
    private readonly classIndexById: ReadonlyMap<number, number>,
    private readonly firstObject: number,
    byteMemory?: Uint8Array,
  ) {
    this.compact = ids.compact;
    let values = ids.values;
    if (order.inOrder) {
      this.order = undefined;
    } else {
      const unsorted = values;
      const order = releasableArray(Uint32Array, unsorted.length);
      for (let i = 0; i < order.length; i++) order[i] = i;
      order.sort((a, b) => unsorted[a]! - unsorted[b]!);
      const copy = unsorted instanceof Uint32Array ? new Uint32Array(unsorted.length) : releasableArray(Float64Array, unsorted.length);
      for (let i = 0; i < order.length; i++) copy[i] = unsorted[order[i]!]!;
      values = copy;
      this.order = order;
    }
    const count = values.length;
    const min = count > 0 ? values[0]! : 0;
    const range = count > 0 ? values[count - 1]! - min + 1 : 1;
    const shift = bucketShift(count, range, this.compact);
    this.min = min;
    this.bucketShift = shift;
    this.bucketWidth = 2 ** shift;
    const bucketOf = (value: number): number => (this.compact ? (value - min) >>> shift : Math.floor((value - min) / this.bucketWidth));
    // Up to the largest id's own bucket (the range, a double, may have rounded down past 2^53).
    const buckets = count > 0 ? bucketOf(values[count - 1]!) + 1 : 1;
    this.bucketStart = releasableArray(Uint32Array, buckets + 1);
    const mask = this.bucketWidth - 1;
    if (this.compact) {
      const bytes = byteMemory !== undefined && byteMemory.length >= count ? byteMemory.subarray(0, count) : releasableArray(Uint8Array, count);
      const width = residueBytes(shift);
      const residues = width === 1 ? bytes : width === 2 ? releasableArray(Uint16Array, count) : releasableArray(Uint32Array, count);
      for (let i = 0; i < count; i++) residues[i] = (values[i]! - min) & mask;
      this.residues = residues;
      this.full = new Float64Array(0);
    } else {
      this.residues = new Uint8Array(0);
      this.full = values as Float64Array;
    }
    // Each bucket's first position: where the first id at or past its lowest id sits.
    let bucket = 0;
    for (let i = 0; i < count; i++) {
      const own = bucketOf(values[i]!);
      while (bucket < own) this.bucketStart[++bucket] = i;
    }
    while (bucket < buckets) this.bucketStart[++bucket] = count;
  }

  /** The object index of a full id, or -1. */
  indexOf(id: number): number {
    if (!this.compact) return this.search(id, id);
    const value = compactId(id);
    return value >= 0 ? this.search(value, id) : (this.classIndexById.get(id) ?? -1);
  }

  /** The object index of a compact id (id / 8), or -1. */
  indexOfCompact(value: number): number {
    return this.compact ? this.search(value, value * 8) : this.search(value * 8, value * 8);
  }

  private search(key: number, id: number): number {
    const offset = key - this.min;
    if (offset >= 0) {
      if (this.compact) {
        const bucket = offset >>> this.bucketShift;
        if (bucket < this.bucketStart.length - 1) {
          const residue = offset & (this.bucketWidth - 1);
          const residues = this.residues;
          const low = this.bucketStart[bucket]!;
          const high = this.bucketStart[bucket + 1]!;
          const at = positionInBucket(residues, low, high, residue, residue / this.bucketWidth);
          if (at >= 0) return this.firstObject + (this.order === undefined ? at : this.order[at]!);
        }
      } else {
        const bucket = Math.floor(offset / this.bucketWidth);
        if (bucket < this.bucketStart.length - 1) {
          const low = this.bucketStart[bucket]!;
          const high = this.bucketStart[bucket + 1]!;
          const at = positionInBucket(this.full, low, high, key, (offset - bucket * this.bucketWidth) / this.bucketWidth);
          if (at >= 0) return this.firstObject + (this.order === undefined ? at : this.order[at]!);
        }
      }
    }
    return this.classIndexById.get(id) ?? -1;
  }

  /**
   * The same lookup answered from `store`: its arrays are written there and their own memory given back at once
   * (lent memory goes back to its lender as it is; this lookup answers nothing after). For the phases after the
   * resolution, whose lookups are few: the fields the digest reads.
   */
  spill(store: SpillStore): SpilledIdLookup {
    const keys = this.compact ? this.residues : this.full;
    const spilled = new SpilledIdLookup(
      store,
      { compact: this.compact, min: this.min, bucketShift: this.bucketShift, bucketWidth: this.bucketWidth, buckets: this.bucketStart.length - 1, keyBytes: keys.BYTES_PER_ELEMENT },
      { bucketStart: store.write(bytesOf(this.bucketStart)), keys: store.write(bytesOf(keys)), order: this.order === undefined ? -1 : store.write(bytesOf(this.order)) },
      this.classIndexById,
      this.firstObject,
    );
    for (const array of [this.bucketStart, keys, this.order ?? new Uint8Array(0)]) release(array);
    return spilled;
  }
}

function bytesOf(array: ArrayBufferView): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/** Keys read in one piece once a search has narrowed to this many (one read of at most 32 KiB). */
const SPILLED_WINDOW = 4096;

/** The spilled lookup's answers remembered, by a hash of the id: 2^RECENT_BITS of them (96 KiB). */
const RECENT_BITS = 13;

/**
 * IdLookup's answers from its arrays in a SpillStore: a search reads its bucket's bounds, probes one key at a
 * time while the range is wider than SPILLED_WINDOW keys, then reads the rest in one piece and looks there as
 * IdLookup does (positionInBucket). The last answer per
 * slot of a small table is kept: of many-targets' 1.6 M lookups after the pass, 0.6 M ask an id again (the few
 * provider objects that 200,000 provider instances name, a rule class's name).
 */
export class SpilledIdLookup {
  private readonly recentIds = new Float64Array(1 << RECENT_BITS).fill(-1);
  private readonly recentIndices = new Int32Array(1 << RECENT_BITS);
  private readonly bounds = new Uint32Array(2);
  private readonly boundsBytes = new Uint8Array(this.bounds.buffer);
  private readonly window: Uint8Array;
  private readonly keys: Uint8Array | Uint16Array | Uint32Array | Float64Array;
  private readonly position = new Uint32Array(1);
  private readonly positionBytes = new Uint8Array(this.position.buffer);

  constructor(
    private readonly store: SpillStore,
    private readonly geometry: {
      readonly compact: boolean;
      readonly min: number;
      readonly bucketShift: number;
      readonly bucketWidth: number;
      readonly buckets: number;
      readonly keyBytes: number;
    },
    private readonly at: { readonly bucketStart: number; readonly keys: number; readonly order: number },
    private readonly classIndexById: ReadonlyMap<number, number>,
    private readonly firstObject: number,
  ) {
    const buffer = new ArrayBuffer(SPILLED_WINDOW * 8);
    this.window = new Uint8Array(buffer);
    const keyArray = { 1: Uint8Array, 2: Uint16Array, 4: Uint32Array, 8: Float64Array }[geometry.keyBytes as 1 | 2 | 4 | 8];
    this.keys = new keyArray(buffer);
  }

  /** The object index of a full id, or -1. */
  indexOf(id: number): number {
    const slot = Math.imul((id / 8) >>> 0, 0x9e3779b1) >>> (32 - RECENT_BITS);
    if (this.recentIds[slot] === id) return this.recentIndices[slot]!;
    const index = this.search(id);
    this.recentIds[slot] = id;
    this.recentIndices[slot] = index;
    return index;
  }

  private search(id: number): number {
    const { compact, min, bucketShift, bucketWidth, buckets } = this.geometry;
    const key = compact ? compactId(id) : id;
    const offset = key - min;
    if (key < 0 || offset < 0) return this.classIndexById.get(id) ?? -1;
    const bucket = compact ? offset >>> bucketShift : Math.floor(offset / bucketWidth);
    if (bucket >= buckets) return this.classIndexById.get(id) ?? -1;
    // Compact ids are kept as their offsets within their bucket; the others whole.
    const wanted = compact ? offset & (bucketWidth - 1) : key;
    this.store.read(this.at.bucketStart + 4 * bucket, this.boundsBytes);
    let low = this.bounds[0]!;
    let high = this.bounds[1]!;
    while (high - low > SPILLED_WINDOW) {
      const middle = (low + high) >>> 1;
      this.readKeys(middle, 1);
      const value = this.keys[0]!;
      if (value < wanted) low = middle + 1;
      else if (value > wanted) high = middle;
      else return this.objectAt(middle);
    }
    const base = low;
    this.readKeys(base, high - low);
    const at = positionInBucket(this.keys, 0, high - low, wanted, (offset - bucket * bucketWidth) / bucketWidth);
    return at >= 0 ? this.objectAt(base + at) : (this.classIndexById.get(id) ?? -1);
  }

  private readKeys(from: number, count: number): void {
    const bytes = this.geometry.keyBytes;
    this.store.read(this.at.keys + from * bytes, this.window.subarray(0, count * bytes));
  }

  private objectAt(position: number): number {
    if (this.at.order < 0) return this.firstObject + position;
    this.store.read(this.at.order + 4 * position, this.positionBytes);
    return this.firstObject + this.position[0]!;
  }
}
