// `diff` as users run it (the built bundle), on the reproduction's real crash-dump digests and copies of them
// grown on purpose.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { Profile } from "pprof-format";
import { afterAll, describe, expect, it } from "vitest";
import type { HeapDigest } from "../../src/core/heap/heap-digest.js";
import { runCli } from "../helpers/cli.js";
import { digestSweep, fixtureDigest, grown } from "../helpers/digests.js";

const MIB = 2 ** 20;
const scratch = mkdtempSync(join(tmpdir(), "diff-cli-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// The fixture sweep, copied so that the digests' .bzl paths are named relative to its workspace (sweep.json).
cpSync(digestSweep("4.2.3"), join(scratch, "sweep"), { recursive: true });
const run = (id: string): string => `sweep/runs/${id}/heap-digest.json`;
const e01 = fixtureDigest("4.2.3", "0256m-e01");

/** A digest written as a run of a copy of the sweep (its workspace known), as a build that grew would leave it. */
function grownRun(name: string, digest: HeapDigest): string {
  const folder = join(scratch, name);
  cpSync(join(digestSweep("4.2.3"), "sweep.json"), join(folder, "sweep.json"));
  mkdirSync(join(folder, "runs", "0256m-r01"), { recursive: true });
  writeFileSync(join(folder, "runs", "0256m-r01", "heap-digest.json"), JSON.stringify(digest));
  return `${name}/runs/0256m-r01/heap-digest.json`;
}

function file(name: string, content: unknown): string {
  writeFileSync(join(scratch, name), typeof content === "string" ? content : JSON.stringify(content));
  return name;
}

const diff = (...args: string[]) => runCli(["diff", ...args], { cwd: scratch });
const clean = (text: string): string => text.replaceAll(scratch, "<scratch>");
const culprit = e01.suspects[0]!;
/** traverse_impl's calls' locals 20% bigger (+9.5 MiB), and the largest small function's actions 100 KiB bigger. */
const small = e01.suspects.find((suspect) => suspect.retainedBytes < 100_000)!;
const grownBy20 = grownRun("grown-20", grown(grown(e01, culprit.function, "frame-locals", Math.round(culprit.retainedBytes * 0.2)), small.function, "actions", 100 * 1024));
const grownBy100m = grownRun("grown-100m", grown(e01, culprit.function, "frame-locals", 100 * MIB));

describe("diff of two digests", () => {
  it("lists the functions that changed, largest change first, split into what changed under each", async () => {
    const result = await diff(run("0256m-e01"), run("0256m-e02"));
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(clean(result.stdout)).toMatchInlineSnapshot(`
      "base: <scratch>/sweep/runs/0256m-e01/heap-digest.json: reachable 251.6 MiB, Starlark functions hold 47.5 MiB (42 functions)
      new:  <scratch>/sweep/runs/0256m-e02/heap-digest.json: reachable 251.5 MiB, Starlark functions hold 41.4 MiB (42 functions)

           change        base         new  function
         -6.0 MiB    47.3 MiB    41.2 MiB  traverse_impl (memory/private/traverse.bzl), -12.7%
         -6.0 MiB    41.0 MiB    35.0 MiB      local variables of its calls in flight
            -96 B    13.3 KiB    13.2 KiB      objects its holders share
           +184 B    11.7 KiB    11.9 KiB  _multiplier_impl (memory/tests/eat_test.bzl), +1.5%
           +184 B     4.8 KiB     5.0 KiB      objects its holders share
      … functions: 40 unchanged
      "
    `);
  });

  it("prints every function as JSON with --json, sorted by |deltaBytes|", async () => {
    const result = await diff(run("0256m-e01"), grownBy20, "--json");
    expect(result.exitCode).toBe(0);
    const json = JSON.parse(result.stdout) as { functions: { function: string; file: string | null; baseBytes: number; newBytes: number; deltaBytes: number; breakdown: { kind: string; deltaBytes: number }[] }[] };
    expect(json.functions).toHaveLength(e01.suspects.filter((suspect) => suspect.retainedBytes > 0).length);
    const deltas = json.functions.map((entry) => Math.abs(entry.deltaBytes));
    expect(deltas).toEqual([...deltas].sort((a, b) => b - a));
    expect(json.functions[0]).toEqual({
      function: culprit.function,
      file: "memory/private/traverse.bzl",
      baseBytes: culprit.retainedBytes,
      newBytes: culprit.retainedBytes + Math.round(culprit.retainedBytes * 0.2),
      deltaBytes: Math.round(culprit.retainedBytes * 0.2),
      breakdown: expect.arrayContaining([{ kind: "locals", baseBytes: expect.any(Number), newBytes: expect.any(Number), deltaBytes: Math.round(culprit.retainedBytes * 0.2) }]),
    });
    expect(json.functions[1]).toMatchObject({ function: small.function, deltaBytes: 100 * 1024 });
    expect((await diff(run("0256m-e01"), grownBy20, "--json", "--top", "1")).stdout).toBe(`${JSON.stringify({ ...JSON.parse(result.stdout), functions: json.functions.slice(0, 1) }, null, 2)}\n`);
  });

  it("fails with --fail-over 5% naming the function that grew past it, not the small one below the noise floor", async () => {
    const result = await diff(run("0256m-e01"), grownBy20, "--fail-over", "5%", "--top", "2");
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(1);
    expect(clean(result.stdout)).toMatchInlineSnapshot(`
      "base: <scratch>/sweep/runs/0256m-e01/heap-digest.json: reachable 251.6 MiB, Starlark functions hold 47.5 MiB (42 functions)
      new:  <scratch>/grown-20/runs/0256m-r01/heap-digest.json: reachable 261.1 MiB, Starlark functions hold 57.0 MiB (42 functions)

           change        base         new  function
         +9.5 MiB    47.3 MiB    56.7 MiB  traverse_impl (memory/private/traverse.bzl), +20.0%
         +9.5 MiB    41.0 MiB    50.4 MiB      local variables of its calls in flight
       +100.0 KiB    89.9 KiB   189.9 KiB  _tree_node_impl (cpu/private/tree.bzl), +111.3%
       +100.0 KiB    19.9 KiB   119.9 KiB      actions
      … functions: 40 unchanged

      FAIL fail-over 5%: 1 function grew by more than 5% of its BASE bytes (and at least 1.0 MiB):
        traverse_impl (memory/private/traverse.bzl): +9.5 MiB (+20.0%), 47.3 MiB → 56.7 MiB
      "
    `);
  });

  it("fails with --fail-over 64m only past 64 MiB", async () => {
    const over = await diff(run("0256m-e01"), grownBy100m, "--fail-over", "64m", "--top", "1");
    expect(over.exitCode).toBe(1);
    expect(clean(over.stdout)).toMatchInlineSnapshot(`
      "base: <scratch>/sweep/runs/0256m-e01/heap-digest.json: reachable 251.6 MiB, Starlark functions hold 47.5 MiB (42 functions)
      new:  <scratch>/grown-100m/runs/0256m-r01/heap-digest.json: reachable 351.6 MiB, Starlark functions hold 147.5 MiB (42 functions)

           change        base         new  function
       +100.0 MiB    47.3 MiB   147.3 MiB  traverse_impl (memory/private/traverse.bzl), +211.6%
       +100.0 MiB    41.0 MiB   141.0 MiB      local variables of its calls in flight
      … functions: 41 unchanged

      FAIL fail-over 64m: 1 function grew by more than 64.0 MiB:
        traverse_impl (memory/private/traverse.bzl): +100.0 MiB (+211.6%), 47.3 MiB → 147.3 MiB
      "
    `);
    const under = await diff(run("0256m-e01"), grownBy20, "--fail-over", "64m", "--top", "1");
    expect(under.exitCode).toBe(0);
    expect(under.stdout).toContain("fail-over 64m: no function grew by more than 64.0 MiB");
  });

  it("says on stderr which dump of a file with several it compares, and writes NEW's pprof profile", async () => {
    const heapJson = file("heap.json", { schema: 1, dumps: [{ source: join(scratch, "sweep/runs/0256m-e02/java_pid2.hprof"), ...fixtureDigest("4.2.3", "0256m-e02") }, { source: "other.hprof", ...e01 }] });
    const result = await diff(heapJson, grownBy100m, "--pprof", "new.pb.gz", "--top", "1");
    expect(result.exitCode).toBe(0);
    expect(clean(result.stderr)).toMatchInlineSnapshot(`
      "BASE <scratch>/heap.json holds 2 dumps; using the first (<scratch>/sweep/runs/0256m-e02/java_pid2.hprof)
      wrote the pprof profile of the heap dump to <scratch>/new.pb.gz (go tool pprof -top <scratch>/new.pb.gz)
      "
    `);
    const profile = Profile.decode(gunzipSync(readFileSync(join(scratch, "new.pb.gz"))));
    const total = profile.sample.reduce((sum, sample) => sum + Number(sample.value[0]), 0);
    expect(total).toBe(e01.suspects.reduce((sum, suspect) => sum + suspect.retainedBytes, 0) + 100 * MIB);
  });
});

describe("diff --budget", () => {
  const budget = file("budget.json", {
    heap: "512m",
    functions: [{ function: culprit.function, file: "memory/private/traverse.bzl", max: "64m" }],
    providers: [{ provider: "TraverseInfo", max: "8m" }],
  });

  it("holds for one digest within it", async () => {
    const result = await diff(run("0256m-e01"), "--budget", budget);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(clean(result.stdout)).toMatchInlineSnapshot(`
      "digest: <scratch>/sweep/runs/0256m-e01/heap-digest.json: reachable 251.6 MiB, Starlark functions hold 47.5 MiB (42 functions)

      budget <scratch>/budget.json: every limit holds
        within  the reachable heap: 251.6 MiB, budget 512m
        within  traverse_impl (memory/private/traverse.bzl): 47.3 MiB, budget 64m
        within  provider TraverseInfo: 4.5 MiB, budget 8m
      "
    `);
  });

  it("fails naming each limit NEW exceeds", async () => {
    const result = await diff(run("0256m-e01"), grownBy100m, "--budget", budget, "--top", "1");
    expect(result.exitCode).toBe(1);
    expect(clean(result.stdout)).toMatchInlineSnapshot(`
      "base: <scratch>/sweep/runs/0256m-e01/heap-digest.json: reachable 251.6 MiB, Starlark functions hold 47.5 MiB (42 functions)
      new:  <scratch>/grown-100m/runs/0256m-r01/heap-digest.json: reachable 351.6 MiB, Starlark functions hold 147.5 MiB (42 functions)

           change        base         new  function
       +100.0 MiB    47.3 MiB   147.3 MiB  traverse_impl (memory/private/traverse.bzl), +211.6%
       +100.0 MiB    41.0 MiB   141.0 MiB      local variables of its calls in flight
      … functions: 41 unchanged

      FAIL budget <scratch>/budget.json: 1 limit exceeded:
        over    traverse_impl (memory/private/traverse.bzl): 147.3 MiB, budget 64m (+83.3 MiB)
        within  the reachable heap: 351.6 MiB, budget 512m
        within  provider TraverseInfo: 4.5 MiB, budget 8m
      "
    `);
  });
});

describe("diff refuses, with exit 2 and one line", () => {
  const unrelated = grownRun("unrelated", { ...e01, suspects: e01.suspects.map((suspect) => ({ ...suspect, function: `${suspect.function}_elsewhere` })) });

  it.each([
    ["two digests of unrelated code", [run("0256m-e01"), unrelated]],
    ["a file that is not a digest", [run("0256m-e01"), "sweep/runs/0256m-e01/run.json"]],
    ["a bad budget", [run("0256m-e01"), "--budget", file("bad-budget.json", { functions: [{ function: "a_impl", max: "64MB" }] })]],
    ["a percentage without %", [run("0256m-e01"), run("0256m-e02"), "--fail-over", "5"]],
    ["--fail-over with one digest", [run("0256m-e01"), "--fail-over", "5%"]],
    ["one digest and nothing to do with it", [run("0256m-e01")]],
  ])("%s", async (_why, args) => {
    const result = await diff(...args);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr.split("\n")).toHaveLength(2);
    expect(clean(result.stderr)).toMatchSnapshot();
  });
});
