// The side-by-side table: columns line up whatever the lengths, markers follow sdiff, colour only when allowed.
import { describe, expect, it } from "vitest";
import { compareTargets } from "../../src/core/cquery/compare.js";
import type { TargetReport } from "../../src/core/cquery/cquery-output.js";
import { renderComparison } from "../../src/render/compare.js";

const lock: TargetReport = {
  label: "//cpu:lock_1",
  providers: [
    { name: "FileProvider", origin: "" },
    { name: "OutputGroupInfo", origin: "" },
  ],
  outputGroups: [{ name: "_hidden_top_level_INTERNAL_", files: [] }],
  filesToBuild: ["bazel-out/k8-fastbuild/bin/cpu/lock_1.out.txt"],
  executable: null,
  runfilesManifest: null,
};

const aspectResult: TargetReport = {
  label: "//memory/aspect_results:lock_1",
  providers: [
    { name: "FileProvider", origin: "" },
    { name: "OutputGroupInfo", origin: "" },
    { name: "TraverseInfo", origin: "//memory/private:traverse.bzl" },
  ],
  outputGroups: [
    { name: "_hidden_top_level_INTERNAL_", files: [] },
    { name: "eat_memory", files: ["bazel-out/k8-fastbuild/bin/cpu/lock_1.eat_memory.txt"] },
  ],
  filesToBuild: ["bazel-out/k8-fastbuild/bin/cpu/lock_1.eat_memory.txt"],
  executable: "bazel-out/k8-fastbuild/bin/memory/aspect_results/lock_1",
  runfilesManifest: null,
};

describe("renderComparison", () => {
  it("aligns both columns and the markers, and counts the differences by kind", () => {
    expect(renderComparison(compareTargets(lock, aspectResult), { color: false })).toMatchInlineSnapshot(`
      "  //cpu:lock_1                                      //memory/aspect_results:lock_1

      providers
        FileProvider                                      FileProvider
        OutputGroupInfo                                   OutputGroupInfo
                                                       >  TraverseInfo     //memory/private:traverse.bzl

      output groups
        _hidden_top_level_INTERNAL_  0 files              _hidden_top_level_INTERNAL_  0 files
                                                       >  eat_memory                   1 file

      files in output group eat_memory
                                                       >  bazel-out/k8-fastbuild/bin/cpu/lock_1.eat_memory.txt

      files to build (DefaultInfo.files)
                                                       >  bazel-out/k8-fastbuild/bin/cpu/lock_1.eat_memory.txt
        bazel-out/k8-fastbuild/bin/cpu/lock_1.out.txt  <

      executable
        (none)                                         >  bazel-out/k8-fastbuild/bin/memory/aspect_results/lock_1

      runfiles manifest
        (none)                                            (none)

      6 differences: 1 only in //cpu:lock_1 (<), 5 only in //memory/aspect_results:lock_1 (>).
      "
    `);
  });

  it("says so when there is no difference, with (none) for empty sections", () => {
    const bare: TargetReport = { ...lock, filesToBuild: [] };
    expect(renderComparison(compareTargets(bare, bare), { color: false })).toMatchInlineSnapshot(`
      "  //cpu:lock_1                             //cpu:lock_1

      providers
        FileProvider                             FileProvider
        OutputGroupInfo                          OutputGroupInfo

      output groups
        _hidden_top_level_INTERNAL_  0 files     _hidden_top_level_INTERNAL_  0 files

      files to build (DefaultInfo.files)
        (none)                                   (none)

      executable
        (none)                                   (none)

      runfiles manifest
        (none)                                   (none)

      No differences: both return the same providers, output groups and files.
      "
    `);
  });

  it("marks a group with other files as changed (|)", () => {
    const other = { ...lock, label: "//cpu:lock_2", outputGroups: [{ name: "_hidden_top_level_INTERNAL_", files: ["x"] }] };
    const text = renderComparison(compareTargets(lock, other), { color: false });
    expect(text).toContain("  _hidden_top_level_INTERNAL_  0 files           |  _hidden_top_level_INTERNAL_  1 file\n");
    expect(text).toMatch(/in both but different \(\|\)\.\n$/);
  });

  it.each([
    { color: false, escapes: false },
    { color: true, escapes: true },
  ])("uses ANSI escapes only with color=$color", ({ color, escapes }) => {
    const text = renderComparison(compareTargets(lock, aspectResult), { color });
    expect(text.includes("\u001b[")).toBe(escapes);
    // Colour changes the look, not the words.
    expect(text.replace(/\u001b\[\d+m/g, "")).toBe(renderComparison(compareTargets(lock, aspectResult), { color: false }));
  });
});
