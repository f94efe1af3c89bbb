import { describe, expect, it } from "vitest";
import { SeenIds } from "../../../src/core/heap/hprof-seen-ids.js";

/** Ids as HotSpot writes them: 8-byte aligned addresses, as the signed halves the pass reads. */
function halves(id: number): [number, number] {
  return [Math.floor(id / 2 ** 32) | 0, id % 2 ** 32 | 0];
}

describe("SeenIds", () => {
  it("finds a repeat within an array, and forgets it in the next array", () => {
    const seen = new SeenIds();
    seen.begin();
    const ids = [0x7f0000010, 0x7f0000018, 0x7f0000010, 0x800000000, 0x7f0000018, 0x800000000];
    expect(ids.map((id) => seen.isRepeat(...halves(id)))).toEqual([false, false, true, false, true, true]);
    seen.begin();
    expect(seen.isRepeat(...halves(0x7f0000010))).toBe(false);
    expect(seen.isRepeat(...halves(0x7f0000010))).toBe(true);
  });

  it("keeps ids apart that share their low half", () => {
    const seen = new SeenIds();
    seen.begin();
    expect(seen.isRepeat(1, 8)).toBe(false);
    expect(seen.isRepeat(2, 8)).toBe(false);
    expect(seen.isRepeat(2, 8)).toBe(true);
  });

  it("finds nearly every repeat of a few thousand ids repeated many times (a flattened list)", () => {
    const seen = new SeenIds();
    seen.begin();
    const distinct = 7000;
    let kept = 0;
    for (let round = 0; round < 100; round++) for (let i = 0; i < distinct; i++) if (!seen.isRepeat(0, 0x10000000 + i * 24)) kept++;
    // Each id is kept once, plus the few whose slot another id of the 7,000 shares (then both keep coming).
    expect(kept).toBeGreaterThanOrEqual(distinct);
    expect(kept).toBeLessThan(distinct * 100 * 0.1);
  });

  it("never calls an id a repeat that did not come before in this array", () => {
    const seen = new SeenIds();
    seen.begin();
    for (let i = 0; i < 200_000; i++) expect(seen.isRepeat(0, i * 8)).toBe(false);
  });
});
