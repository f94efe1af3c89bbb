// Reads through a few cached blocks (io/block-cache.ts) answer what reads of the file itself answer, at every
// offset and length (within a block, across blocks, past the end, longer than a block), and read each block of
// a run of nearby reads once.
import { describe, expect, it } from "vitest";
import { BlockCache, type ReadAt } from "../../src/io/block-cache.js";

/** A file of `size` bytes in memory, and how many reads reached it. */
function memoryFile(size: number): { bytes: Uint8Array; readAt: ReadAt; reads: () => number } {
  const bytes = Uint8Array.from({ length: size }, (_, i) => (i * 7 + 3) % 251);
  let reads = 0;
  const readAt: ReadAt = (offset, into) => {
    reads++;
    const part = bytes.subarray(Math.min(offset, size), Math.min(offset + into.length, size));
    into.set(part);
    return part.length;
  };
  return { bytes, readAt, reads: () => reads };
}

describe("BlockCache", () => {
  const size = 100;
  const cases: [string, number, number][] = [
    ["within one block", 9, 5],
    ["a whole block", 8, 8],
    ["across two blocks", 6, 5],
    ["across three blocks", 7, 8],
    ["up to the end", 95, 5],
    ["past the end", 97, 8],
    ["at the end", 100, 4],
    ["longer than a block", 3, 20],
    ["nothing", 40, 0],
  ];
  it.each(cases)("%s: offset %d, %d bytes", (_, offset, length) => {
    const file = memoryFile(size);
    const cache = new BlockCache(file.readAt, 8, 3);
    const expected = [...file.bytes.subarray(Math.min(offset, size), Math.min(offset + length, size))];
    expect([...cache.read(offset, length)]).toEqual(expected);
    // Again, from the cache when it fits in a block or two.
    expect([...cache.read(offset, length)]).toEqual(expected);
  });

  it.each(cases)("%s, into the caller's array: offset %d, %d bytes", (_, offset, length) => {
    const file = memoryFile(size);
    const cache = new BlockCache(file.readAt, 8, 3);
    const into = new Uint8Array(length);
    const got = cache.readInto(offset, into);
    expect([...into.subarray(0, got)]).toEqual([...file.bytes.subarray(Math.min(offset, size), Math.min(offset + length, size))]);
  });

  it("answers every offset and length as the file does, whatever it evicted", () => {
    const file = memoryFile(size);
    const cache = new BlockCache(file.readAt, 8, 3);
    let seed = 7;
    const random = (below: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % below);
    for (let i = 0; i < 2000; i++) {
      const offset = random(size + 5);
      const length = random(12);
      expect([...cache.read(offset, length)], `offset ${offset}, ${length} bytes`).toEqual([...file.bytes.subarray(Math.min(offset, size), Math.min(offset + length, size))]);
    }
  });

  it("reads each block of nearby reads once, and again once it was given up for others", () => {
    const file = memoryFile(size);
    const cache = new BlockCache(file.readAt, 8, 2);
    for (let offset = 0; offset < 16; offset++) cache.read(offset, 1);
    expect(file.reads()).toBe(2);
    cache.read(0, 1);
    expect(file.reads()).toBe(2);
    // A third block takes the slot read longest ago (block 1's), so block 0 stays.
    cache.read(20, 1);
    cache.read(0, 1);
    expect(file.reads()).toBe(3);
    cache.read(8, 1);
    expect(file.reads()).toBe(4);
  });

  it("forgets the blocks at and after a write", () => {
    const file = memoryFile(size);
    const cache = new BlockCache(file.readAt, 8, 3);
    cache.read(0, 4);
    cache.read(16, 4);
    file.bytes[17] = 200;
    cache.forgetFrom(17);
    expect(cache.read(16, 4)[1]).toBe(200);
    expect(file.reads()).toBe(3);
    cache.read(0, 4);
    expect(file.reads()).toBe(3);
  });
});
