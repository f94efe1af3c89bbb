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
