import { describe, expect, it } from "vitest";
import { SeenIds } from "../../../src/core/heap/hprof-seen-ids.js";

/** Ids as HotSpot writes them: 8-byte aligned addresses, as the signed halves the pass reads. */
function halves(id: number): [number, number] {
  return [Math.floor(id / 2 ** 32) | 0, id % 2 ** 32 | 0];
}

describe("SeenIds", () => {
  it("says first once per id within an array, and again in the next array", () => {
    const seen = new SeenIds();
    seen.begin();
    const ids = [0x7f0000010, 0x7f0000018, 0x7f0000010, 0x800000000, 0x7f0000018, 0x800000000];
    expect(ids.map((id) => seen.isFirst(...halves(id)))).toEqual([true, true, false, true, false, false]);
    seen.begin();
    expect(seen.isFirst(...halves(0x7f0000010))).toBe(true);
    expect(seen.isFirst(...halves(0x7f0000010))).toBe(false);
  });

  it("keeps ids apart that share their low half", () => {
    const seen = new SeenIds();
    seen.begin();
    expect(seen.isFirst(1, 8)).toBe(true);
    expect(seen.isFirst(2, 8)).toBe(true);
    expect(seen.isFirst(1, 8)).toBe(false);
    expect(seen.isFirst(2, 8)).toBe(false);
  });

  it("grows past its first table without forgetting an id", () => {
    const seen = new SeenIds();
    seen.begin();
    const count = 50_000;
    for (let i = 0; i < count; i++) expect(seen.isFirst(0, i * 8)).toBe(true);
    let repeats = 0;
    for (let i = 0; i < count; i++) if (!seen.isFirst(0, i * 8)) repeats++;
    expect(repeats).toBe(count);
    // A new array after the growth starts empty.
    seen.begin();
    expect(seen.isFirst(0, 8)).toBe(true);
  });

  it("stops recording past its cap (2^20 ids), calling every later new id first", () => {
    const seen = new SeenIds();
    seen.begin();
    const cap = 1 << 20;
    for (let i = 0; i < cap; i++) seen.isFirst(0, i * 8);
    // Recorded ones are still known; ids beyond the cap are not recorded, so they are first every time.
    expect(seen.isFirst(0, 8)).toBe(false);
    expect(seen.isFirst(0, cap * 8 + 8)).toBe(true);
    expect(seen.isFirst(0, cap * 8 + 8)).toBe(true);
  });
});
