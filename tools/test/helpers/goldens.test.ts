// The rules that keep one golden per case where Bazel versions agree and one per version where they differ.
import { describe, expect, it } from "vitest";
import { expectedOutput, normalizeCqueryOutput, updatedGoldens, type GoldenSet } from "./goldens.js";

const set = (shared: string | null, byVersion: Record<string, string> = {}): GoldenSet => ({
  shared,
  byVersion: new Map(Object.entries(byVersion)),
});

const plain = (goldens: GoldenSet) => ({ shared: goldens.shared, byVersion: Object.fromEntries(goldens.byVersion) });

describe("updatedGoldens", () => {
  it.each([
    { why: "a new case gets a shared golden", before: set(null), version: "4.2.3", output: "A", after: set("A") },
    { why: "output equal to the shared golden changes nothing", before: set("A"), version: "4.2.3", output: "A", after: set("A") },
    {
      why: "a version that differs from the shared golden gets its own, the others keep the shared one",
      before: set("A"),
      version: "7.7.1",
      output: "B",
      after: set("A", { "7.7.1": "B" }),
    },
    {
      why: "a version with its own golden gets it rewritten",
      before: set("A", { "7.7.1": "B" }),
      version: "7.7.1",
      output: "C",
      after: set("A", { "7.7.1": "C" }),
    },
    {
      why: "an own golden that comes back to the shared one goes",
      before: set("A", { "7.7.1": "B" }),
      version: "7.7.1",
      output: "A",
      after: set("A"),
    },
    {
      why: "two versions whose own goldens agree merge into the shared one (both changed the same way)",
      before: set("A", { "7.7.1": "B" }),
      version: "4.2.3",
      output: "B",
      after: set("B"),
    },
    {
      why: "versions without a shared golden that come to agree merge",
      before: set(null, { "4.2.3": "A", "7.7.1": "B" }),
      version: "4.2.3",
      output: "B",
      after: set("B"),
    },
  ])("$why", ({ before, version, output, after }) => {
    const updated = updatedGoldens(before, version, output);
    expect(plain(updated)).toEqual(plain(after));
    // Whatever the update did, the version that printed `output` now expects exactly that.
    expect(expectedOutput(updated, version)).toBe(output);
  });

  it("converges in either order when both versions change the same way", () => {
    const start = set("A");
    const oneWay = updatedGoldens(updatedGoldens(start, "4.2.3", "B"), "7.7.1", "B");
    const otherWay = updatedGoldens(updatedGoldens(start, "7.7.1", "B"), "4.2.3", "B");
    expect(plain(oneWay)).toEqual(plain(set("B")));
    expect(plain(otherWay)).toEqual(plain(set("B")));
  });
});

describe("normalizeCqueryOutput", () => {
  it.each([
    { raw: "bazel-out/k8-fastbuild/bin/cpu/a.txt", normalized: "bazel-out/<config>/bin/cpu/a.txt" },
    { raw: "bazel-out/k8-fastbuild-ST-26a789e7e4b9/bin/a", normalized: "bazel-out/<config>/bin/a" },
    { raw: "      bazel-out/aarch64-opt/internal/_middlemen/x", normalized: "      bazel-out/<config>/internal/_middlemen/x" },
    { raw: "config k8-fastbuild-ST-0655bc5e25f1 here", normalized: "config k8-fastbuild-ST-<hash> here" },
    { raw: "cpu/bazel-out.txt and //cpu:lock_1", normalized: "cpu/bazel-out.txt and //cpu:lock_1" },
  ])("$raw", ({ raw, normalized }) => {
    expect(normalizeCqueryOutput(raw)).toBe(normalized);
  });
});
