// The plan: order, ids, shards, fingerprint, resume.
import { describe, expect, it } from "vitest";
import { parseLimits, type HeapLimit } from "../../../src/core/sweep/heap-limit.js";
import {
  evidencePlan,
  gridPlan,
  parseShard,
  planFingerprint,
  runId,
  runsToDo,
  settingsDifferences,
  shardSlice,
  ShardSyntaxError,
  type SweepSettings,
} from "../../../src/core/sweep/sweep-plan.js";

const MiB = 1024 * 1024;

describe("gridPlan", () => {
  it("runs warm-ups first, then rounds that alternate direction", () => {
    const plan = gridPlan(parseLimits("256m,300m,1g"), 3, 1);
    expect(plan.map((run) => run.id)).toEqual([
      "0256m-w01", "0300m-w01", "1024m-w01",
      "1024m-r01", "0300m-r01", "0256m-r01",
      "0256m-r02", "0300m-r02", "1024m-r02",
      "1024m-r03", "0300m-r03", "0256m-r03",
    ]);
    expect(plan.filter((run) => run.warmup).map((run) => run.iteration)).toEqual([1, 1, 1]);
    expect(plan.find((run) => run.id === "1024m-r02")).toMatchObject({ limit: { spelling: "1g", bytes: 1024 * MiB }, iteration: 2, warmup: false });
  });

  it.each([
    { limits: "256m", runs: 1, warmup: 0, count: 1 },
    { limits: "155m..180m:5m,1g", runs: 5, warmup: 1, count: 42 },
    { limits: "300m", runs: 0, warmup: 2, count: 2 },
  ])("$limits × ($warmup + $runs) = $count runs, ids unique", ({ limits, runs, warmup, count }) => {
    const plan = gridPlan(parseLimits(limits), runs, warmup);
    expect(plan).toHaveLength(count);
    expect(new Set(plan.map((run) => run.id)).size).toBe(count);
  });

  it("ids are sortable folder names", () => {
    expect([runId(1024 * MiB, false, 2), runId(256 * MiB, true, 1), runId(256 * MiB, false, 10)].sort()).toEqual([
      "0256m-r10",
      "0256m-w01",
      "1024m-r02",
    ]);
  });
});

describe("shards", () => {
  it.each([
    { text: "1/1", shard: { index: 1, count: 1 } },
    { text: "2/3", shard: { index: 2, count: 3 } },
    { text: " 3 / 3 ", shard: { index: 3, count: 3 } },
  ])("parses $text", ({ text, shard }) => {
    expect(parseShard(text)).toEqual(shard);
  });

  it.each([
    { text: "0/3", kind: "shard-range" },
    { text: "4/3", kind: "shard-range" },
    { text: "1/0", kind: "shard-range" },
    { text: "1", kind: "shard-syntax" },
    { text: "a/b", kind: "shard-syntax" },
    { text: "-1/3", kind: "shard-syntax" },
  ])("refuses $text", ({ text, kind }) => {
    expect(() => parseShard(text)).toThrow(ShardSyntaxError);
    try {
      parseShard(text);
    } catch (error) {
      expect((error as ShardSyntaxError).problem.kind).toBe(kind);
    }
  });

  it.each([1, 2, 3, 4, 7])("%i shards are disjoint, together the plan, and about equal", (count) => {
    const plan = gridPlan(parseLimits("200m..300m:20m,1g"), 3, 1);
    const slices = Array.from({ length: count }, (_, i) => shardSlice(plan, { index: i + 1, count }));
    const ids = slices.flatMap((slice) => slice.map((run) => run.id));
    expect(ids.sort()).toEqual(plan.map((run) => run.id).sort());
    const sizes = slices.map((slice) => slice.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it("is deterministic", () => {
    const plan = gridPlan(parseLimits("200m..300m:20m"), 2, 0);
    expect(shardSlice(plan, { index: 2, count: 3 })).toEqual(shardSlice(gridPlan(parseLimits("200m..300m:20m"), 2, 0), { index: 2, count: 3 }));
  });
});

const settings: SweepSettings = {
  workspace: "/work/main",
  bazel: "bazel",
  targets: ["//..."],
  limits: ["256m", "1g"],
  runs: 1,
  warmup: 0,
  mode: "regular",
  configs: ["eat"],
  buildFlags: [],
  startupFlags: [],
  timeoutSeconds: 600,
  search: null,
  profile: "light",
  evidenceRuns: 0,
};

describe("planFingerprint", () => {
  it("is stable and ignores key order", () => {
    const reordered = Object.fromEntries(Object.entries(settings).reverse()) as unknown as SweepSettings;
    expect(planFingerprint(reordered)).toBe(planFingerprint(settings));
    expect(planFingerprint(settings)).toMatch(/^[0-9a-f]{16}$/);
  });

  it.each([
    { change: { runs: 2 }, differs: ["runs"] },
    { change: { limits: ["256m", "2g"] }, differs: ["limits"] },
    { change: { buildFlags: ["--jobs=1"], mode: "nobuild" }, differs: ["mode", "buildFlags"] },
    { change: { search: { resolution: "5m", repeats: 3 } }, differs: ["search"] },
  ] as const)("changes with $differs", ({ change, differs }) => {
    const other = { ...settings, ...change } as SweepSettings;
    expect(planFingerprint(other)).not.toBe(planFingerprint(settings));
    expect(settingsDifferences(settings as unknown as Record<string, unknown>, other)).toEqual(differs);
  });

  it("leaves out the evidence runs, which add runs after the plan's: a shard and the sweep that adds them share a folder", () => {
    const withEvidence = { ...settings, evidenceRuns: 2 };
    expect(planFingerprint(withEvidence)).toBe(planFingerprint(settings));
    expect(settingsDifferences(settings as unknown as Record<string, unknown>, withEvidence)).toEqual([]);
  });
});

describe("runsToDo", () => {
  const plan = gridPlan(parseLimits("256m,1g"), 2, 0);
  it.each([
    { why: "a fresh folder: everything", onDisk: [], force: false, todo: ["0256m-r01", "1024m-r01", "1024m-r02", "0256m-r02"] },
    {
      why: "finished runs are skipped whatever their status",
      onDisk: [
        { id: "0256m-r01", status: "oom" },
        { id: "1024m-r01", status: "ok" },
        { id: "1024m-r02", status: "timeout" },
      ],
      force: false,
      todo: ["0256m-r02"],
    },
    {
      why: "interrupted runs are redone",
      onDisk: [
        { id: "0256m-r01", status: "ok" },
        { id: "1024m-r01", status: "interrupted" },
      ],
      force: false,
      todo: ["1024m-r01", "1024m-r02", "0256m-r02"],
    },
    { why: "--force redoes all", onDisk: [{ id: "0256m-r01", status: "ok" }], force: true, todo: ["0256m-r01", "1024m-r01", "1024m-r02", "0256m-r02"] },
  ] as const)("$why", ({ onDisk, force, todo }) => {
    expect(runsToDo(plan, onDisk, force).map((run) => run.id)).toEqual(todo);
  });
});

describe("evidencePlan", () => {
  const [below, at] = parseLimits("256m,384m") as [HeapLimit, HeapLimit];
  it.each([
    { count: 0, ids: [] },
    { count: 1, ids: ["0256m-e01"] },
    { count: 2, ids: ["0256m-e01", "0256m-e02"] },
    { count: 3, ids: ["0256m-e01", "0256m-e02", "0384m-e01"] },
    { count: 6, ids: ["0256m-e01", "0256m-e02", "0384m-e01", "0256m-e03", "0256m-e04", "0384m-e02"] },
  ])("$count runs: crashes below first, then one at the threshold", ({ count, ids }) => {
    const plan = evidencePlan(below, at, count);
    expect(plan.map((run) => run.id)).toEqual(ids);
    expect(plan.every((run) => run.evidence === true && !run.warmup)).toBe(true);
  });

  it("with one side known, all on that side; with none, nothing", () => {
    expect(evidencePlan(undefined, at, 2).map((run) => run.id)).toEqual(["0384m-e01", "0384m-e02"]);
    expect(evidencePlan(below, undefined, 3).map((run) => run.id)).toEqual(["0256m-e01", "0256m-e02", "0256m-e03"]);
    expect(evidencePlan(undefined, undefined, 2)).toEqual([]);
  });
});
