import { describe, expect, it } from "vitest";
import { ScratchPool } from "../../../src/core/heap/scratch.js";

describe("ScratchPool", () => {
  it("hands out touched words first, then untouched room, then new memory, never the same word twice", () => {
    const small = new Uint32Array(10);
    const large = new Uint32Array(100);
    const pool = new ScratchPool([
      { words: small, touched: 10 },
      { words: large, touched: 20 },
    ]);
    const a = pool.take(8); // small's touched words
    const b = pool.take(15); // large's touched words: small has 2 left
    const c = pool.take(50); // untouched room in large
    const d = pool.take(40); // no room anywhere: new
    expect([a.buffer, b.buffer, c.buffer]).toEqual([small.buffer, large.buffer, large.buffer]);
    expect([a.byteOffset, b.byteOffset, c.byteOffset]).toEqual([0, 0, 15 * 4]);
    expect(d.buffer).not.toBe(small.buffer);
    expect(d.buffer).not.toBe(large.buffer);
    expect(d.length).toBe(40);
    const signed = pool.takeInt32(2); // small's last two words
    expect([signed.buffer, signed.byteOffset, signed.length]).toEqual([small.buffer, 8 * 4, 2]);
  });
});

describe("ScratchPool's choice when no region's touched words suffice", () => {
  it("takes the region whose touched words cover the most, not the first with room", () => {
    // As in the digest: the ids' memory (large, its touched words all taken) before the edges' (touched words
    // left, just too few): the second maps fewer new pages.
    const ids = new Uint32Array(1000);
    const edges = new Uint32Array(200);
    const pool = new ScratchPool([
      { words: ids, touched: 100 },
      { words: edges, touched: 150 },
    ]);
    pool.take(100); // ids' touched words
    pool.take(10); // edges' first touched words: 140 left
    const context = pool.take(145);
    expect([context.buffer, context.byteOffset]).toEqual([edges.buffer, 10 * 4]);
    // Then room only in the ids' memory.
    expect(pool.take(500).buffer).toBe(ids.buffer);
  });
});

describe("ScratchPool.give", () => {
  it("takes memory given back after the first regions, as 16-bit values too", () => {
    const pool = new ScratchPool([{ words: new Uint32Array(4), touched: 4 }]);
    pool.take(4);
    const given = new Uint32Array(8);
    pool.give(given);
    const halves = pool.takeInt16(15); // 8 words
    expect([halves.buffer, halves.length]).toEqual([given.buffer, 15]);
    expect(pool.take(1).buffer).not.toBe(given.buffer);
  });
});
