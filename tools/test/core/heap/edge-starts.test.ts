import { describe, expect, it } from "vitest";
import { EdgeStarts } from "../../../src/core/heap/edge-starts.js";
import { bytesSource, readHeap } from "../../../src/core/heap/hprof.js";
import { SyntheticHeap } from "./digest-synthetic-hprof.js";
import { random } from "../../helpers/random.js";

/**
 * Starts as a reader's: mostly a few references an object, now and then a big array (tens of thousands of
 * distinct targets: past a 16-bit offset within its block), or a run of them.
 */
function startsLike(seed: number, length: number): number[] {
  const next = random(seed);
  const values: number[] = [];
  let value = 0;
  for (let i = 0; i < length; i++) {
    values.push(value);
    const roll = next();
    value += roll < 0.01 ? Math.floor(next() * 200_000) : roll < 0.3 ? 0 : Math.floor(next() * 6);
  }
  return values;
}

function readAll(starts: EdgeStarts, length: number): number[] {
  return Array.from({ length }, (_, i) => starts.of(i));
}

describe("EdgeStarts", () => {
  it.each([1, 2, 3, 4])("seed %i: reads back every start, the wide ones (past 16 bits in their block) included", (seed) => {
    const values = startsLike(seed, 5_000);
    const starts = EdgeStarts.from(values);
    expect(readAll(starts, values.length)).toEqual(values);
    expect(starts.length).toBe(values.length);
    for (let i = 0; i + 1 < values.length; i++) expect(starts.hasEdges(i)).toBe(values[i + 1]! > values[i]!);
    // Some were wide (8 bytes each beside the 2 a position and a base per 256).
    expect(starts.byteLength).toBeGreaterThan(2 * values.length + 4 * (Math.floor(values.length / 256) + 1));
  });

  it("holds 2 bytes a position when no block needs more than 16 bits", () => {
    const values = Array.from({ length: 4096 }, (_, i) => 3 * i);
    const starts = EdgeStarts.from(values);
    expect(starts.byteLength).toBe(2 * 4096 + 4 * (4096 / 256 + 1));
    expect(starts.memory()).toMatchObject({ touched: 2048 });
  });

  it("a start of 2^32 − 1 and a block that jumps from 0 to it", () => {
    const values = [0, 0, 0xfffffffe, 0xffffffff];
    expect(readAll(EdgeStarts.from(values), 4)).toEqual(values);
  });

  it.each([1, 2, 3])("seed %i: rewritten in place (each read ahead of its rewrite), as the resolution drops references", (seed) => {
    const next = random(seed);
    const before = startsLike(seed, 3_000);
    const passStarts = EdgeStarts.from(before);
    const rewritten = passStarts.rewrite();
    // Each object keeps some of its references: the new starts never grow faster than the old.
    const after: number[] = [];
    let out = 0;
    for (let i = 0; i < before.length; i++) {
      const end = i + 1 < before.length ? passStarts.of(i + 1) : before[i]!;
      rewritten.set(i, out);
      after.push(out);
      const count = end - before[i]!;
      out += next() < 0.5 ? count : Math.floor(count * next());
    }
    expect(readAll(rewritten, after.length)).toEqual(after);
  });

  it("grows with what it holds, and goes on from where it was", () => {
    const values = startsLike(9, 1_000);
    const small = new EdgeStarts(600);
    for (let i = 0; i < 600; i++) small.set(i, values[i]!);
    const bigger = small.grownTo(1_000);
    for (let i = 600; i < 1_000; i++) bigger.set(i, values[i]!);
    expect(readAll(bigger, 1_000)).toEqual(values);
    expect(bigger.toArray(1_000)).toEqual(Uint32Array.from(values));
  });

  it("refuses a position written twice or out of order, past its room, or a start that decreases", () => {
    const starts = new EdgeStarts(300);
    starts.set(0, 5);
    expect(() => starts.set(0, 5)).toThrow(RangeError);
    starts.set(2, 7);
    expect(() => starts.set(1, 7)).toThrow(RangeError);
    expect(() => starts.set(3, 6)).toThrow(/decreases/);
    expect(() => starts.set(300, 9)).toThrow(RangeError);
  });
});

describe("the reader's starts past 16 bits", () => {
  it("reads each object's references right after an array of 70,000 distinct ones, in the same block of 256 objects and beyond", () => {
    // Objects after the big array start more than 65,534 references past their block's base: their starts are wide.
    const synthetic = new SyntheticHeap(4);
    synthetic.defineClass("Leaf", []);
    synthetic.defineClass("Follower", [{ name: "leaf", type: "ref" }]);
    const leaves = Array.from({ length: 70_000 }, () => synthetic.object("Leaf"));
    const list = synthetic.objectArray(leaves);
    synthetic.global(list);
    const followers = Array.from({ length: 600 }, (_, k) => synthetic.object("Follower", { leaf: leaves[(k * 97) % leaves.length]! }));
    for (const follower of followers) synthetic.global(follower);
    const heap = readHeap(bytesSource(synthetic.toBytes()));
    const targetIds = (id: number): number[] => {
      const index = heap.indexOf(id);
      return [...heap.edgeTargets.subarray(heap.edgeStart.of(index), heap.edgeStart.of(index + 1))].map((target) => heap.idOf(target));
    };
    expect(targetIds(list.id)).toEqual(leaves.map((leaf) => leaf.id));
    followers.forEach((follower, k) => expect(targetIds(follower.id)).toEqual([leaves[(k * 97) % leaves.length]!.id]));
    expect(targetIds(leaves[0]!.id)).toEqual([]);
    expect(heap.edgeStart.of(heap.objectCount)).toBe(heap.edgeTargets.length);
    // Wide starts were kept (8 bytes each, beside 2 a position and 4 a block).
    const positions = heap.edgeStart.length;
    expect(heap.edgeStart.byteLength).toBeGreaterThan(2 * positions + 4 * ((positions >>> 8) + 1));
  });
});
