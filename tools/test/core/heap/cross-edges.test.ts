// The search's cross edges (core/heap/cross-edges.ts): sorted in place, and the same pairs read back whether they
// stay in memory or go to the spill store in sorted runs merged into blocks — read forwards by block, backwards
// by block, a target at a time (forEachSource) and by the forward cursor, against a plain sort of the pairs.
import { describe, expect, it } from "vitest";
import { CrossEdgeCursor, CrossEdgeWriter, sortPairs, type CrossEdges } from "../../../src/core/heap/cross-edges.js";
import { CountingSpill } from "../../helpers/counting-spill.js";
import { random } from "../../helpers/random.js";

describe("sortPairs", () => {
  it.each([
    { name: "empty", count: 0, range: 1 },
    { name: "one", count: 1, range: 10 },
    { name: "short (by insertion)", count: 30, range: 1000 },
    { name: "all one key", count: 5000, range: 1 },
    { name: "few keys, many of each", count: 100_000, range: 300 },
    { name: "as many keys as pairs", count: 200_000, range: 200_000 },
    { name: "keys over the whole 32 bits", count: 100_000, range: 2 ** 32 },
  ])("$name: sorts by key, every pair kept", ({ count, range }) => {
    const next = random(count + range);
    const keys = Uint32Array.from({ length: count }, () => Math.floor(next() * range));
    const values = keys.map((key, i) => (key * 7 + i) >>> 0);
    const pairs = Array.from(keys, (key, i) => `${key}:${values[i]}`).sort();
    sortPairs(keys, values);
    for (let i = 1; i < count; i++) if (keys[i - 1]! > keys[i]!) expect.fail(`keys ${i - 1} and ${i} out of order: ${keys[i - 1]} > ${keys[i]}`);
    expect(Array.from(keys, (key, i) => `${key}:${values[i]}`).sort()).toEqual(pairs);
  });
});

interface Case {
  readonly name: string;
  readonly count: number;
  /** Targets drawn from 1 … range (a vertex number; the super-root 0 is never a target). */
  readonly range: number;
  readonly spill?: { readonly memoryPairs: number; readonly runPairs: number; readonly blockPairs: number };
  /** Whether the pairs end up in memory. */
  readonly inMemory: boolean;
}

const CASES: readonly Case[] = [
  { name: "none, no store", count: 0, range: 10, inMemory: true },
  { name: "many, no store", count: 5000, range: 700, inMemory: true },
  { name: "as many as memory takes", count: 300, range: 50, spill: { memoryPairs: 300, runPairs: 7, blockPairs: 3 }, inMemory: true },
  { name: "one more than memory takes: one run", count: 301, range: 50, spill: { memoryPairs: 300, runPairs: 7, blockPairs: 3 }, inMemory: false },
  { name: "none in memory, runs of 7, blocks of 3", count: 1000, range: 40, spill: { memoryPairs: 0, runPairs: 7, blockPairs: 3 }, inMemory: false },
  { name: "a run and a bit, blocks of 1", count: 12, range: 5, spill: { memoryPairs: 0, runPairs: 10, blockPairs: 1 }, inMemory: false },
  { name: "one hot target over many blocks", count: 2000, range: 1, spill: { memoryPairs: 0, runPairs: 64, blockPairs: 5 }, inMemory: false },
  { name: "many targets, each in a few pairs", count: 20_000, range: 15_000, spill: { memoryPairs: 0, runPairs: 1000, blockPairs: 512 }, inMemory: false },
];

function pairsOf(testCase: Case): { targets: number[]; sources: number[] } {
  const next = random(testCase.count * 31 + testCase.range);
  const targets = Array.from({ length: testCase.count }, () => 1 + Math.floor(next() * testCase.range));
  // Sources with the ADOPTED flag now and then: the full 32 bits survive the store.
  const sources = targets.map((_, i) => (next() < 0.1 ? (0x80000000 | i) >>> 0 : i));
  return { targets, sources };
}

function written(testCase: Case): { edges: CrossEdges; store: CountingSpill } {
  const { targets, sources } = pairsOf(testCase);
  const store = new CountingSpill();
  const writer = new CrossEdgeWriter(testCase.count, testCase.spill === undefined ? undefined : { store, ...testCase.spill });
  targets.forEach((target, i) => writer.push(target, sources[i]!));
  return { edges: writer.finish(), store };
}

/** Per target, its sources sorted: what every reader must give, whatever order a target's sources come in. */
function expected(testCase: Case): Map<number, number[]> {
  const { targets, sources } = pairsOf(testCase);
  const byTarget = new Map<number, number[]>();
  targets.forEach((target, i) => byTarget.set(target, [...(byTarget.get(target) ?? []), sources[i]!]));
  for (const list of byTarget.values()) list.sort((a, b) => a - b);
  return new Map([...byTarget].sort((a, b) => a[0] - b[0]));
}

function grouped(targets: number[], sources: number[]): Map<number, number[]> {
  const byTarget = new Map<number, number[]>();
  targets.forEach((target, i) => byTarget.set(target, [...(byTarget.get(target) ?? []), sources[i]!]));
  for (const list of byTarget.values()) list.sort((a, b) => a - b);
  return byTarget;
}

describe.each(CASES)("cross edges: $name", (testCase) => {
  it("are where the limit puts them, the store holding each pair twice (runs, then their merge) or once (one run)", () => {
    const { edges, store } = written(testCase);
    expect(edges.count).toBe(testCase.count);
    expect(edges.inMemory).toBe(testCase.inMemory);
    if (testCase.inMemory) expect(store.written).toBe(0);
    else expect([8 * testCase.count, 16 * testCase.count]).toContain(store.written);
  });

  it("read block by block, forwards and backwards, come in target order with every pair", () => {
    const { edges } = written(testCase);
    const forward = { targets: [] as number[], sources: [] as number[] };
    for (let b = 0; b < edges.blockCount; b++) {
      const { targets, sources } = edges.block(b);
      forward.targets.push(...targets);
      forward.sources.push(...sources);
    }
    for (let i = 1; i < forward.targets.length; i++) if (forward.targets[i - 1]! > forward.targets[i]!) expect.fail(`pairs ${i - 1} and ${i} out of order`);
    expect(grouped(forward.targets, forward.sources)).toEqual(expected(testCase));
    const backward: number[] = [];
    for (let b = edges.blockCount - 1; b >= 0; b--) backward.unshift(...edges.block(b).targets);
    expect(backward).toEqual(forward.targets);
  });

  it("give each target's sources, a target at a time and by the forward cursor", () => {
    const { edges } = written(testCase);
    const want = expected(testCase);
    const cursor = new CrossEdgeCursor(edges);
    // Every target in the range and one past it: those with no pair give none.
    for (let v = 0; v <= testCase.range + 1; v++) {
      const found: number[] = [];
      edges.forEachSource(v, (source) => found.push(source));
      const byCursor: number[] = [];
      for (let source = cursor.nextSourceInto(v); source >= 0; source = cursor.nextSourceInto(v)) byCursor.push(source);
      expect(found.sort((a, b) => a - b), `target ${v}`).toEqual(want.get(v) ?? []);
      expect(byCursor.sort((a, b) => a - b), `target ${v} by the cursor`).toEqual(want.get(v) ?? []);
    }
  });
});
