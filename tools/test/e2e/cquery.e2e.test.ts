// Golden tests of analysis/output_groups.cquery, analysis/providers.cquery and `compare`, with real cquery
// on the Bazel named by $BAZEL (tools/test.sh runs them on 4.2.3 and on 7.7.1). They cannot be Bazel tests:
// cquery does not run inside `bazel test`. The goldens are in analysis/goldens/ (see helpers/goldens.ts);
// with UPDATE_CQUERY_GOLDENS=1 (set by tools/scripts/update-cquery-goldens.mjs) they are rewritten instead.
import { mkdtempSync, readdirSync, rmSync, existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BAZEL, BazelServer, WORKSPACE_ROOT } from "../helpers/bazel.js";
import { runCli } from "../helpers/cli.js";
import {
  bazelVersion,
  expectedOutput,
  goldenPathFor,
  normalizeCqueryOutput,
  readGoldens,
  regenerateCommand,
  updatedGoldens,
  writeGoldens,
} from "../helpers/goldens.js";

const UPDATE = process.env["UPDATE_CQUERY_GOLDENS"] === "1";
const version = bazelVersion(BAZEL);
const bazel = new BazelServer("cquery");
afterAll(() => bazel.shutdown());

/** Checks `output` against the golden of `caseName` for this Bazel version, or rewrites the goldens. */
function expectGolden(caseName: string, command: string, output: string): void {
  const normalized = normalizeCqueryOutput(output);
  const goldens = readGoldens(caseName);
  if (UPDATE) {
    writeGoldens(caseName, updatedGoldens(goldens, version, normalized));
    return;
  }
  const expected = expectedOutput(goldens, version);
  const message =
    `${expected === null ? "no golden" : goldenPathFor(caseName, goldens, version) + " is stale"} for ` +
    `\`${command}\` on Bazel ${version}; regenerate with: ${regenerateCommand(process.env["BAZEL"])}`;
  expect(normalized, message).toBe(expected);
}

// Targets with something to show: a lock (plain Starlark rule), a tree node, the eat aspect's result
// (TraverseInfo, an output group of its own) and a sample binary (executable, runfiles, a provider with
// fields of every kind and no printer of its own).
const CQUERY_CASES = [
  { caseName: "output_groups.lock_1", file: "analysis/output_groups.cquery", target: "//cpu:lock_1" },
  { caseName: "output_groups.tree_node", file: "analysis/output_groups.cquery", target: "//cpu/tree/roots:n1_1" },
  { caseName: "output_groups.aspect_result", file: "analysis/output_groups.cquery", target: "//memory/aspect_results:lock_1" },
  { caseName: "output_groups.sample", file: "analysis/output_groups.cquery", target: "//analysis/goldens:sample" },
  { caseName: "providers.lock_1", file: "analysis/providers.cquery", target: "//cpu:lock_1" },
  { caseName: "providers.aspect_result", file: "analysis/providers.cquery", target: "//memory/aspect_results:n1_1" },
  { caseName: "providers.sample", file: "analysis/providers.cquery", target: "//analysis/goldens:sample" },
] as const;

describe(`cquery --output=starlark on Bazel ${version}`, () => {
  it.each(CQUERY_CASES)("$file prints the golden $caseName for $target", async ({ caseName, file, target }) => {
    const args = ["cquery", "--output=starlark", `--starlark:file=${file}`, target];
    const result = await bazel.run(args);
    expect(result.exitCode, result.stderr).toBe(0);
    expectGolden(caseName, `bazel ${args.join(" ")}`, result.stdout);
  });
});

describe(`compare on Bazel ${version}`, () => {
  // compare keeps its output base under $XDG_CACHE_HOME/memory-adventure/compare/: a temporary one here.
  const cacheHome = mkdtempSync(join(tmpdir(), "memory-adventure-e2e-compare-"));
  afterAll(() => {
    spawnSync("chmod", ["-R", "u+w", cacheHome]);
    rmSync(cacheHome, { recursive: true, force: true });
  });
  const compare = (...labels: string[]) =>
    runCli(["compare", ...labels, "--bazel", BAZEL], { cwd: WORKSPACE_ROOT, env: { XDG_CACHE_HOME: cacheHome } });

  /** Bazel deletes server.pid.txt when its server ends: none may be left in compare's output bases. */
  function runningCompareServers(): string[] {
    const bases = join(cacheHome, "memory-adventure/compare");
    if (!existsSync(bases)) return [];
    return readdirSync(bases).filter((base) => existsSync(join(bases, base, "server/server.pid.txt")));
  }

  // The left target has no files: normalising bazel-out/<config>/ shortens paths, which would shift the
  // markers after left-hand paths in the golden (the alignment itself is unit-tested in render/).
  it("prints the golden table for two targets that differ in every way, exits 1, and stops its server", async () => {
    const result = await compare("//memory:multiplier", "//analysis/goldens:sample");
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(1);
    expectGolden("compare.multiplier.sample", "memory-adventure compare //memory:multiplier //analysis/goldens:sample", result.stdout);
    expect(runningCompareServers()).toEqual([]);
  });

  it("exits 0 when both sides are the same target", async () => {
    const result = await compare("//cpu:lock_1", "//cpu:lock_1");
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.trimEnd().split("\n").at(-1)).toBe("No differences: both return the same providers, output groups and files.");
  });

  // The analysis test sets --//memory:multiplier=3 on n1_1: cquery of n1_1 in the same server then also
  // prints that configured target, so compare must ask a fresh server for the second label.
  it("compares a target the first one used in another configuration, in its own configuration", async () => {
    const result = await compare("//memory/tests:multiplier_3_test", "//cpu/tree/roots:n1_1");
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(1);
    const n1Files = result.stdout.match(/>  bazel-out\/[^/]+\/bin\/cpu\/tree\/roots\/n1_1\.node\.txt$/gm);
    expect(n1Files).toHaveLength(1);
    expect(n1Files![0]).not.toContain("-ST-");
    expect(runningCompareServers()).toEqual([]);
  });

  it("says in one line, in Bazel's words, that a label does not exist, and exits 2", async () => {
    const result = await compare("//cpu:lock_1", "//cpu:no_such_target");
    expect(result.stdout).toBe("");
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(
      /^memory-adventure: bazel cquery \/\/cpu:no_such_target failed \(exit \d+\): no such target '\/\/cpu:no_such_target': target 'no_such_target' not declared in package 'cpu'[^\n]*\n$/,
    );
    expect(runningCompareServers()).toEqual([]);
  });
});
