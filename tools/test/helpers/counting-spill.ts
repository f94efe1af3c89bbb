// A spill store in memory that counts the bytes it is given: whether a digest's phase went to the store.
import { MemorySpill, type SpillStore } from "../../src/core/heap/spill.js";

export class CountingSpill implements SpillStore {
  private readonly inner = new MemorySpill();
  written = 0;

  write(bytes: Uint8Array): number {
    this.written += bytes.length;
    return this.inner.write(bytes);
  }

  read(offset: number, into: Uint8Array): void {
    this.inner.read(offset, into);
  }
}
