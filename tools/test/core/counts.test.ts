// Counts as users type them and as people read them, and the one text order the tools sort by.
import { describe, expect, it } from "vitest";
import { groupDigits, parseCount, parseTop } from "../../src/core/counts.js";
import { byCodeUnits } from "../../src/core/text-order.js";

describe("groupDigits", () => {
  it.each([0, 7, 12, 999, 1000, 1234, 12345, 123456, 1234567, 28353651, 4294967295, Number.MAX_SAFE_INTEGER, -1, -1234, -1234567])(
    "writes %d as en-US does",
    (count) => {
      expect(groupDigits(count)).toBe(count.toLocaleString("en-US"));
    },
  );
});

describe("parseCount and parseTop", () => {
  it.each([
    ["12", 12, 12],
    [" 3 ", 3, 3],
    ["0", 0, undefined],
    ["1001", 1001, undefined],
    ["-1", undefined, undefined],
    ["1.5", undefined, undefined],
    ["ten", undefined, undefined],
    ["99999999999999999999", undefined, undefined],
  ])("%j → %j, --top %j", (text, count, top) => {
    expect(parseCount(text)).toBe(count);
    expect(parseTop(text)).toBe(top);
  });
});

describe("byCodeUnits", () => {
  it("sorts by code units, whatever the machine's locale (capitals, then underscores, then lower case)", () => {
    expect(["b_impl", "a_impl", "B_impl", "_impl", "a", "ab", "a_b"].sort(byCodeUnits)).toEqual(["B_impl", "_impl", "a", "a_b", "a_impl", "ab", "b_impl"]);
    expect(byCodeUnits("same", "same")).toBe(0);
  });
});
