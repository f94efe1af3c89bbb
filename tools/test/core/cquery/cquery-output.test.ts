// The reader of analysis/output_groups.cquery's text, on real output of both Bazel versions (captured by
// tools/test/fixtures/capture-cquery.mjs, and the checked-in goldens) and on cut or altered copies of it.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CqueryOutputError, parseOutputGroupsText, type TargetReport } from "../../../src/core/cquery/cquery-output.js";
import { InputError } from "../../../src/core/exit-codes.js";
import { GOLDENS_DIR } from "../../helpers/goldens.js";

const fixture = (version: string, name: string) =>
  readFileSync(new URL(`../../fixtures/bazel-${version}/cquery/${name}`, import.meta.url), "utf8");

const threeTargets = (version: string) => parseOutputGroupsText(fixture(version, "output_groups.three_targets.stdout.txt"));

describe("parseOutputGroupsText on real output", () => {
  it.each(["4.2.3", "7.7.1"])("reads every block of Bazel %s's output, in order", (version) => {
    expect(threeTargets(version).map((report) => report.label)).toEqual([
      "//memory:multiplier",
      "//memory/aspect_results:lock_1",
      "//analysis/goldens:sample",
    ]);
  });

  it.each([
    { version: "4.2.3", builtIn: ["FileProvider", "FilesToRunProvider", "OutputGroupInfo"] },
    { version: "7.7.1", builtIn: ["FileProvider", "FilesToRunProvider", "LicenseInfo", "OutputGroupInfo"] },
  ])("tells built-in providers from Starlark ones, with their .bzl file (Bazel $version)", ({ version, builtIn }) => {
    const [multiplier, aspectResult] = threeTargets(version);
    expect(multiplier!.providers.filter((provider) => provider.origin === "").map((provider) => provider.name)).toEqual(builtIn);
    expect(multiplier!.providers).toContainEqual({ name: "MultiplierInfo", origin: "//memory/private:multiplier.bzl" });
    expect(aspectResult!.providers).toContainEqual({ name: "TraverseInfo", origin: "//memory/private:traverse.bzl" });
  });

  it.each(["4.2.3", "7.7.1"])("reads output groups with their files, files to build, executable and manifest (Bazel %s)", (version) => {
    const [multiplier, aspectResult, sample] = threeTargets(version) as [TargetReport, TargetReport, TargetReport];
    expect(multiplier.outputGroups).toEqual([{ name: "_hidden_top_level_INTERNAL_", files: [] }]);
    expect(multiplier.filesToBuild).toEqual([]);
    expect(aspectResult.outputGroups.find((group) => group.name === "eat_memory")?.files).toEqual([
      "bazel-out/k8-fastbuild/bin/cpu/lock_1.eat_memory.txt",
    ]);
    expect(sample).toMatchObject({
      filesToBuild: ["bazel-out/k8-fastbuild/bin/analysis/goldens/sample.sh"],
      executable: "bazel-out/k8-fastbuild/bin/analysis/goldens/sample.sh",
      runfilesManifest: "bazel-out/k8-fastbuild/bin/analysis/goldens/sample.sh.runfiles/MANIFEST",
    });
    expect(aspectResult.executable).toBeNull();
    expect(aspectResult.runfilesManifest).toBeNull();
  });

  // Every golden of output_groups.cquery is one block: the reader must take each, whatever it holds.
  const goldens = readdirSync(GOLDENS_DIR).filter((file) => file.startsWith("output_groups."));
  it.each(goldens)("reads the golden %s as one target", (file) => {
    const reports = parseOutputGroupsText(readFileSync(join(GOLDENS_DIR, file), "utf8"));
    expect(reports).toHaveLength(1);
    expect(reports[0]!.providers.length).toBeGreaterThan(0);
  });

  it("reads empty output as no targets", () => {
    expect(parseOutputGroupsText("")).toEqual([]);
  });
});

describe("parseOutputGroupsText refuses output that output_groups.cquery cannot have printed", () => {
  const real = fixture("4.2.3", "output_groups.three_targets.stdout.txt");
  const lines = real.split("\n");
  // In the 4.2.3 capture, line 13 starts the block of //memory/aspect_results:lock_1 (line numbers are 1-based).
  it("is checked against the capture it was written for", () => {
    expect(lines.slice(12, 14)).toEqual(["//memory/aspect_results:lock_1", "  providers (4)"]);
  });

  it.each([
    {
      why: "cut inside a provider list",
      text: lines.slice(0, 16).join("\n"),
      line: 17,
      problem: 'expected entry 3 of 4 under "providers", found the end of the output',
    },
    {
      why: "cut after an output group announced one file",
      text: lines.slice(0, 21).join("\n") + "\n",
      line: 22,
      problem: "expected file 1 of 1 in output group eat_memory, found an empty line",
    },
    {
      why: "a provider count that does not match the list",
      text: real.replace("  providers (4)\n    FileProvider\n    FilesToRunProvider\n    OutputGroupInfo\n    TraverseInfo", "  providers (5)\n    FileProvider\n    FilesToRunProvider\n    OutputGroupInfo\n    TraverseInfo"),
      line: 19,
      problem: 'expected entry 5 of 5 under "providers", found "  output groups (2)"',
    },
    {
      why: "a missing runfiles manifest line",
      text: real.replace("  runfiles manifest  (none)\n\n//memory/aspect_results", "\n//memory/aspect_results"),
      line: 11,
      problem: "expected the runfiles manifest line, found an empty line",
    },
    {
      why: "Bazel's own progress text",
      text: "INFO: Analyzed target //cpu:lock_1 (0 packages loaded).\n",
      line: 1,
      problem: 'expected a target label at the start of a line, found "INFO: Analyzed target //cpu:lock_1 (0 packages loaded)."',
    },
  ])("$why", ({ text, line, problem }) => {
    let thrown: unknown;
    try {
      parseOutputGroupsText(text);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CqueryOutputError);
    expect(thrown).toBeInstanceOf(InputError);
    expect(thrown).toMatchObject({ line, problem });
  });
});
