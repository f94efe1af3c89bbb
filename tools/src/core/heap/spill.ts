import { lastAtOrBefore } from "./hprof-columns.js";

/**
 * Where the heap digest keeps what it needs only now and then once a phase is over (the id lookup, once the
 * references are resolved: millions of lookups before, about 20,000 after, in a 1.43 GB dump), out of the
 * process's memory, read back a few bytes at a time. io/ hands the digest of a file a file of its own
 * (io/spill-file.ts); a digest of bytes already in memory keeps them there (MemorySpill).
 */
export interface SpillStore {
  /** Keeps a copy of `bytes`; returns the offset read() finds them at. */
  write(bytes: Uint8Array): number;
  /** Fills `into` with the bytes kept from `offset` on (within what one write kept). */
  read(offset: number, into: Uint8Array): void;
  /**
   * At most how many bytes the digest will write from now on (replacing what it said before), so that a store
   * whose disk fills can name the whole need.
   */
  expect?(moreBytes: number): void;
}

/** A SpillStore in memory: for a digest whose dump is itself in memory. */
export class MemorySpill implements SpillStore {
  private readonly blocks: Uint8Array[] = [];
  private readonly starts: number[] = [];
  private size = 0;

  write(bytes: Uint8Array): number {
    const offset = this.size;
    this.blocks.push(bytes.slice());
    this.starts.push(offset);
    this.size += bytes.length;
    return offset;
  }

  read(offset: number, into: Uint8Array): void {
    const index = lastAtOrBefore(this.starts, offset);
    const block = this.blocks[index];
    const from = offset - (this.starts[index] ?? 0);
    if (block === undefined || from < 0 || from + into.length > block.length) {
      throw new RangeError(`no ${into.length} bytes kept at ${offset} (${this.size} kept)`);
    }
    into.set(block.subarray(from, from + into.length));
  }
}

/**
 * A typed array whose memory release() gives back to the system at once (a resizable ArrayBuffer shrunk to
 * nothing), where a dropped one waits for V8's next full collection, which a phase allocating no new JS objects
 * may not see for seconds.
 */
export function releasableArray<T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(
  of: { new (buffer: ArrayBuffer, byteOffset: number, length: number): T; readonly BYTES_PER_ELEMENT: number },
  length: number,
): T {
  const bytes = length * of.BYTES_PER_ELEMENT;
  return new of(new ArrayBuffer(bytes, { maxByteLength: bytes }), 0, length);
}

/** Gives a releasableArray's memory back (the array reads as empty after); any other array is left to the GC. */
export function release(array: ArrayBufferView): void {
  const buffer = array.buffer;
  if (buffer instanceof ArrayBuffer && buffer.resizable) buffer.resize(0);
}

/** Values a SpilledColumn reads back at once: 4 KiB of 32-bit values. */
export const COLUMN_WINDOW = 1024;

/**
 * A per-vertex column of the dominator tree (its DFS parents, immediate dominators…): in memory, or, once spill()
 * has written it to the spill store, read back COLUMN_WINDOW values at a time (the attribute phase reads most of
 * its columns in vertex order, the rest for a few hundred thousand holders through the store's own cache). One
 * class for both, so that the in-memory reads stay one bounds check on one array.
 */
export class SpillableColumn {
  readonly length: number;
  /** The values in memory: all of them, or the window read last. */
  private window: Uint32Array | Float64Array;
  private windowStart = 0;
  private windowLength: number;
  private spilled: { readonly store: SpillStore; readonly offset: number; readonly buffer: Uint32Array } | undefined;

  constructor(values: Uint32Array | Float64Array) {
    this.window = values;
    this.length = values.length;
    this.windowLength = values.length;
  }

  get inMemory(): boolean {
    return this.spilled === undefined;
  }

  /** The memory it holds: its values, or once spilled, its window. */
  get byteLength(): number {
    return this.window.byteLength;
  }

  /** The value at `index` (RangeError outside the column). */
  at(index: number): number {
    const within = index - this.windowStart;
    if (within >= 0 && within < this.windowLength) return this.window[within]!;
    return this.load(index);
  }

  /**
   * Writes the column to `store` and hands back the array that held it, for the caller's later arrays; undefined
   * (the column stays in memory) for a column of doubles or one spilled already.
   */
  spill(store: SpillStore): Uint32Array | undefined {
    const values = this.window;
    if (this.spilled !== undefined || !(values instanceof Uint32Array)) return undefined;
    const offset = store.write(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    this.spilled = { store, offset, buffer: new Uint32Array(COLUMN_WINDOW) };
    this.window = this.spilled.buffer;
    this.windowLength = 0;
    return values;
  }

  private load(index: number): number {
    if (!(index >= 0 && index < this.length) || this.spilled === undefined) throw new RangeError(`no value ${index} in a column of ${this.length}`);
    const { store, offset, buffer } = this.spilled;
    const start = index - (index % COLUMN_WINDOW);
    const count = Math.min(COLUMN_WINDOW, this.length - start);
    store.read(offset + 4 * start, new Uint8Array(buffer.buffer, 0, 4 * count));
    this.windowStart = start;
    this.windowLength = count;
    return buffer[index - start]!;
  }
}
