import { describe, expect, it } from "vitest";
import { ShallowSizes } from "../../../src/core/heap/shallow-sizes.js";
import { CountingSpill } from "../../helpers/counting-spill.js";

describe("ShallowSizes", () => {
  it.each([0, 8, 16, 2_024, 2_032, 2_040, 2_048, 1_000_016, 7, 100, 2 ** 32 + 8, 2 ** 40 + 16])("keeps %d bytes exactly", (bytes) => {
    const sizes = new ShallowSizes(new Uint8Array(4));
    sizes.set(2, bytes);
    expect(sizes.bytesOf(2)).toBe(bytes);
    expect([sizes.bytesOf(0), sizes.bytesOf(1), sizes.bytesOf(3)]).toEqual([0, 0, 0]);
  });

  it("keeps multiples of 8 below 2,040 bytes in the units, everything else in the table", () => {
    const sizes = ShallowSizes.of([8, 2_032, 2_040, 12, 4_096]);
    expect([...sizes.units]).toEqual([1, 254, 255, 255, 255]);
    expect(sizes.largeCount).toBe(3);
  });

  it("takes the last size set, small or large", () => {
    const sizes = new ShallowSizes(new Uint8Array(2));
    for (const bytes of [24, 1_000_000, 40, 3_000_000, 3_000_008]) {
      sizes.set(1, bytes);
      expect(sizes.bytesOf(1)).toBe(bytes);
    }
  });

  it("holds many large sizes through its table's growth, by index", () => {
    const count = 50_000;
    const sizes = new ShallowSizes(new Uint8Array(3 * count));
    // Strided indices: the slot comes from the hash's high bits, so they do not pile up.
    for (let i = 0; i < count; i++) sizes.set(3 * i, 4_096 + 8 * i);
    const wrong = Array.from({ length: count }, (_, i) => i).filter((i) => sizes.bytesOf(3 * i) !== 4_096 + 8 * i);
    expect(wrong).toEqual([]);
    expect(sizes.largeCount).toBe(count);
    expect(sizes.byteLength).toBeLessThan(3 * count + 32 * 2 * count + 1);
  });

  it("moves sizes, large ones too, as copyWithin moves an array (overlapping ranges)", () => {
    const bytes = [8, 5_000, 16, 6_000, 24, 7_000, 0, 0, 0, 0];
    const sizes = ShallowSizes.of(bytes);
    const expected = [...bytes];
    expected.copyWithin(3, 0, 6);
    sizes.copyWithin(3, 0, 6);
    expect([...sizes.toArray()]).toEqual(expected);
  });

  it("grows and trims to a length, keeping what was set", () => {
    const sizes = ShallowSizes.of([8, 9_000]);
    sizes.growTo(5);
    sizes.set(4, 10_000);
    expect([...sizes.toArray()]).toEqual([8, 9_000, 0, 0, 10_000]);
    sizes.trimTo(2);
    expect(sizes.length).toBe(2);
    expect([...sizes.toArray()]).toEqual([8, 9_000]);
  });

  it("is written to the store by its first lend only, until a size changes", () => {
    const bytes = [8, 5_000, 16, 24];
    const sizes = ShallowSizes.of(bytes);
    const store = new CountingSpill();
    const lendAndRestore = (): void => {
      const memory = sizes.lend(store);
      memory.fill(0xff); // the borrower's own use of the memory
      sizes.restore(store, memory);
    };
    lendAndRestore();
    lendAndRestore();
    expect([store.written, [...sizes.toArray()]]).toEqual([4, bytes]);
    sizes.set(0, 32);
    lendAndRestore();
    expect([store.written, [...sizes.toArray()]]).toEqual([8, [32, 5_000, 16, 24]]);
    for (const change of [() => sizes.copyWithin(0, 1, 2), () => sizes.growTo(5), () => sizes.trimTo(4)]) {
      const before = store.written;
      change();
      const expected = [...sizes.toArray()];
      lendAndRestore();
      expect([store.written - before, [...sizes.toArray()]]).toEqual([sizes.length, expected]);
    }
  });
});
