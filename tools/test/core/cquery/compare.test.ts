// Lining up two targets' reports: which rows are the same, only on one side, or changed.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compareTargets, type Comparison, type Row } from "../../../src/core/cquery/compare.js";
import { parseOutputGroupsText, type TargetReport } from "../../../src/core/cquery/cquery-output.js";

const EMPTY: TargetReport = {
  label: "//empty:x",
  providers: [],
  outputGroups: [],
  filesToBuild: [],
  executable: null,
  runfilesManifest: null,
};

const report = (overrides: Partial<TargetReport>): TargetReport => ({ ...EMPTY, ...overrides });

/** A row as "<kind> <left key> | <right key>", for short expectations. */
const brief = (row: Row) => `${row.kind} ${row.left?.key ?? "-"} | ${row.right?.key ?? "-"}`;

function section(comparison: Comparison, kind: string, outputGroup?: string): string[] {
  const found = comparison.sections.find((each) => each.kind === kind && each.outputGroup === outputGroup);
  if (!found) throw new Error(`no section ${kind} ${outputGroup ?? ""}`);
  return found.rows.map(brief);
}

describe("compareTargets", () => {
  it.each([
    {
      why: "the same built-in provider on both sides",
      left: [{ name: "FileProvider", origin: "" }],
      right: [{ name: "FileProvider", origin: "" }],
      rows: ["same FileProvider | FileProvider"],
    },
    {
      why: "providers only one side has, sorted by name",
      left: [{ name: "ZInfo", origin: "//a:a.bzl" }, { name: "FileProvider", origin: "" }],
      right: [{ name: "AInfo", origin: "//b:b.bzl" }, { name: "FileProvider", origin: "" }],
      rows: ["right - | AInfo", "same FileProvider | FileProvider", "left ZInfo | -"],
    },
    {
      why: "two providers of the same name from different files, which are different providers",
      left: [{ name: "FooInfo", origin: "//a:a.bzl" }],
      right: [{ name: "FooInfo", origin: "//b:b.bzl" }],
      rows: ["left FooInfo | -", "right - | FooInfo"],
    },
  ])("matches providers by name and defining file: $why", ({ left, right, rows }) => {
    const comparison = compareTargets(report({ providers: left }), report({ providers: right }));
    expect(section(comparison, "providers")).toEqual(rows);
  });

  it("marks an output group that both have with other files as changed, and lists its files", () => {
    const comparison = compareTargets(
      report({ outputGroups: [{ name: "g", files: ["bazel-out/x/a", "bazel-out/x/b"] }, { name: "empty", files: [] }] }),
      report({ outputGroups: [{ name: "g", files: ["bazel-out/x/b", "bazel-out/x/c"] }, { name: "empty", files: [] }] }),
    );
    expect(section(comparison, "outputGroups")).toEqual(["same empty | empty", "changed g | g"]);
    expect(section(comparison, "outputGroupFiles", "g")).toEqual([
      "left bazel-out/x/a | -",
      "same bazel-out/x/b | bazel-out/x/b",
      "right - | bazel-out/x/c",
    ]);
    // Groups without files on either side get no section of their own.
    expect(comparison.sections.some((each) => each.outputGroup === "empty")).toBe(false);
    expect(comparison.differences).toBe(3);
  });

  it.each([
    { left: null, right: null, kind: "same" },
    { left: "bazel-out/x/bin/a", right: "bazel-out/x/bin/a", kind: "same" },
    { left: "bazel-out/x/bin/a", right: null, kind: "left" },
    { left: null, right: "bazel-out/x/bin/b", kind: "right" },
    { left: "bazel-out/x/bin/a", right: "bazel-out/x/bin/b", kind: "changed" },
  ])("compares executables $left and $right as $kind", ({ left, right, kind }) => {
    const comparison = compareTargets(report({ executable: left }), report({ executable: right }));
    const [row] = comparison.sections.find((each) => each.kind === "executable")!.rows;
    expect(row).toEqual({
      kind,
      left: left === null ? null : { key: left },
      right: right === null ? null : { key: right },
    });
  });

  it("counts no differences between a target and itself, read from real output", () => {
    const text = readFileSync(new URL("../../fixtures/bazel-7.7.1/cquery/output_groups.three_targets.stdout.txt", import.meta.url), "utf8");
    for (const target of parseOutputGroupsText(text)) {
      const comparison = compareTargets(target, target);
      expect(comparison.differences, target.label).toBe(0);
      expect(comparison.left).toBe(target.label);
    }
  });

  it("lines up a lock's aspect result with an executable as captured from Bazel 4.2.3", () => {
    const text = readFileSync(new URL("../../fixtures/bazel-4.2.3/cquery/output_groups.three_targets.stdout.txt", import.meta.url), "utf8");
    const [, aspectResult, sample] = parseOutputGroupsText(text) as [TargetReport, TargetReport, TargetReport];
    const comparison = compareTargets(aspectResult, sample);
    expect(section(comparison, "providers")).toEqual([
      "same FileProvider | FileProvider",
      "same FilesToRunProvider | FilesToRunProvider",
      "same OutputGroupInfo | OutputGroupInfo",
      "right - | SampleInfo",
      "left TraverseInfo | -",
    ]);
    expect(section(comparison, "outputGroups")).toEqual([
      "changed _hidden_top_level_INTERNAL_ | _hidden_top_level_INTERNAL_",
      "left eat_memory | -",
      "right - | notes",
    ]);
    expect(section(comparison, "runfilesManifest")).toEqual([
      "right - | bazel-out/k8-fastbuild/bin/analysis/goldens/sample.sh.runfiles/MANIFEST",
    ]);
  });
});
