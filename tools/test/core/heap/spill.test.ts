// The id lookup moved out of memory once the references are resolved (IdLookup.spill): it must answer every id
// as the lookup in memory did — sorted and unsorted dumps, compact and full ids, buckets small and wider than
// one read — and give its memory back at once. The dominator tree's columns likewise (SpillableColumn): read back
// a window at a time, they must answer as in memory, in any order of reads.
import { describe, expect, it } from "vitest";
import { IdLookup, idOrder } from "../../../src/core/heap/hprof-index.js";
import { COLUMN_WINDOW, MemorySpill, release, releasableArray, SpillableColumn } from "../../../src/core/heap/spill.js";
import { random } from "../../helpers/random.js";

const CLASS_IDS = new Map([
  [0x7000_0001, 0],
  [0x7000_0003, 1],
]);
const FIRST_OBJECT = CLASS_IDS.size;

/** Distinct ids, 8-byte aligned (compact) or not, clustered or spread, in sorted or shuffled order. */
function idsOf(seed: number, count: number, shape: { compact: boolean; clustered: boolean; sorted: boolean }): number[] {
  const next = random(seed);
  const ids = new Set<number>();
  let id = 0x1_0000;
  while (ids.size < count) {
    // A cluster puts thousands of ids in one bucket; else gaps of up to 64 ids.
    const gap = shape.clustered && ids.size % 5000 !== 0 ? 1 : 1 + Math.floor(next() * (shape.clustered ? 2 ** 24 : 64));
    id += gap;
    ids.add(shape.compact ? id * 8 : id * 8 + (next() < 0.5 ? 3 : 0) + 2 ** 36);
  }
  const list = [...ids];
  if (!shape.sorted) {
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [list[i], list[j]] = [list[j]!, list[i]!];
    }
  }
  return list;
}

function lookupOf(ids: readonly number[], compact: boolean): IdLookup {
  const values = compact ? Uint32Array.from(ids, (id) => id / 8) : Float64Array.from(ids);
  return new IdLookup({ compact, values }, idOrder(values), CLASS_IDS, FIRST_OBJECT);
}

describe("IdLookup.spill", () => {
  const shapes = [
    { compact: true, clustered: false, sorted: true },
    { compact: true, clustered: true, sorted: true },
    { compact: true, clustered: false, sorted: false },
    { compact: true, clustered: true, sorted: false },
    { compact: false, clustered: false, sorted: true },
    { compact: false, clustered: true, sorted: false },
  ];
  it.each(shapes)("answers as the lookup in memory: %o", (shape) => {
    const ids = idsOf(11, 20_000, shape);
    const expected = lookupOf(ids, shape.compact);
    const spilled = lookupOf(ids, shape.compact).spill(new MemorySpill());
    ids.forEach((id, n) => {
      expect(spilled.indexOf(id)).toBe(FIRST_OBJECT + n);
      expect(expected.indexOf(id)).toBe(FIRST_OBJECT + n);
    });
    // Ids that are no object's: between two, past the last, before the first, not 8-aligned; class ids.
    const present = new Set(ids);
    const next = random(12);
    for (let k = 0; k < 2000; k++) {
      const probe = ids[Math.floor(next() * ids.length)]! + 8 * (1 + Math.floor(next() * 3));
      if (!present.has(probe)) expect([spilled.indexOf(probe), probe]).toEqual([expected.indexOf(probe), probe]);
    }
    for (const probe of [8, 2 ** 40, Math.max(...ids) + 8, 0x7000_0001, 0x7000_0003, 0x7000_0005]) expect(spilled.indexOf(probe)).toBe(expected.indexOf(probe));
    expect(spilled.indexOf(0x7000_0003)).toBe(1);
  });

  it("gives the lookup's memory back when it spills", () => {
    const ids = idsOf(13, 1000, { compact: true, clustered: false, sorted: false });
    const lookup = lookupOf(ids, true);
    const arrays = Object.values(lookup).filter((value): value is Uint32Array => ArrayBuffer.isView(value) && value.byteLength > 0);
    expect(arrays.length).toBeGreaterThanOrEqual(3); // its keys, their buckets' bounds, the sorted order
    lookup.spill(new MemorySpill());
    for (const array of arrays) expect(array.buffer.byteLength).toBe(0);
  });
});

describe("MemorySpill", () => {
  it("reads back what each write kept, and refuses to read past it", () => {
    const store = new MemorySpill();
    const first = store.write(Uint8Array.of(1, 2, 3));
    const second = store.write(Uint8Array.of(4, 5));
    const into = new Uint8Array(2);
    store.read(first + 1, into);
    expect([...into]).toEqual([2, 3]);
    store.read(second, into);
    expect([...into]).toEqual([4, 5]);
    expect(() => store.read(first + 2, into)).toThrow(RangeError);
    expect(() => store.read(second + 1, into)).toThrow(RangeError);
  });
});

describe("releasableArray", () => {
  it("is a plain typed array until released, then empty", () => {
    const array = releasableArray(Uint16Array, 10);
    array[9] = 7;
    expect([array.length, array[9]]).toEqual([10, 7]);
    release(array);
    expect([array.length, array.buffer.byteLength]).toEqual([0, 0]);
    const plain = new Uint8Array(4);
    release(plain);
    expect(plain.length).toBe(4);
  });
});

describe("SpillableColumn", () => {
  /** Indices read in order, backwards, at random, and across each window's edges in turn. */
  function readOrders(length: number, seed: number): Record<string, number[]> {
    const next = random(seed);
    const edges = Array.from({ length: Math.ceil(length / COLUMN_WINDOW) }, (_, w) => [w * COLUMN_WINDOW - 1, w * COLUMN_WINDOW]).flat().filter((i) => i >= 0 && i < length);
    return {
      forwards: Array.from({ length }, (_, i) => i),
      backwards: Array.from({ length }, (_, i) => length - 1 - i),
      random: Array.from({ length: 5000 }, () => Math.floor(next() * length)),
      "window edges": [...edges, ...edges.reverse()],
    };
  }

  it.each([1, COLUMN_WINDOW - 1, COLUMN_WINDOW, 3 * COLUMN_WINDOW + 17])("a column of %i values answers as in memory once spilled, in any order", (length) => {
    const next = random(length);
    const values = Uint32Array.from({ length }, () => Math.floor(next() * 2 ** 32));
    const store = new MemorySpill();
    store.write(Uint8Array.of(9, 9, 9)); // not at the store's start
    const column = new SpillableColumn(values.slice());
    const kept = new SpillableColumn(values.slice());
    expect(column.spill(store)).toEqual(values);
    expect([column.inMemory, kept.inMemory, column.length]).toEqual([false, true, length]);
    expect(column.byteLength).toBe(4 * COLUMN_WINDOW);
    for (const [order, indices] of Object.entries(readOrders(length, length))) {
      const wrong = indices.filter((i) => column.at(i) !== values[i] || kept.at(i) !== values[i]);
      expect(wrong.slice(0, 5), `${order}: values read wrong`).toEqual([]);
    }
  });

  it("refuses an index outside it, in memory and spilled; spills once, and keeps doubles in memory", () => {
    const store = new MemorySpill();
    const column = new SpillableColumn(Uint32Array.of(1, 2, 3));
    expect(() => column.at(3)).toThrow(RangeError);
    expect(column.spill(store)).toBeDefined();
    expect(column.spill(store)).toBeUndefined();
    for (const index of [-1, 3]) expect(() => column.at(index)).toThrow(RangeError);
    const doubles = new SpillableColumn(Float64Array.of(0.5, 2 ** 40));
    expect(doubles.spill(store)).toBeUndefined();
    expect([doubles.inMemory, doubles.at(1)]).toEqual([true, 2 ** 40]);
  });
});
