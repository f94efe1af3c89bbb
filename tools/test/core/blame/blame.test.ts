// blame's signals and verdict on real sweeps (test/fixtures/bazel-*/blame, captured by capture-blame.mjs from real
// Bazel runs: run.json, run-summary.json, heap-digest.json per run), and on deliberate cuts of them.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { blame, blameRun, givesEvidence, SIGNAL_NAMES, type BlameResult, type BlameRun, type SignalName } from "../../../src/core/blame/blame.js";
import { welchTest } from "../../../src/core/blame/blame-statistics.js";
import type { HeapDigest } from "../../../src/core/heap/heap-digest.js";
import type { RunRecord } from "../../../src/core/run/run-record.js";
import type { RunSummary } from "../../../src/core/run/run-summary.js";
import { FIXTURES_DIR } from "../../helpers/fixtures.js";

interface Fixture {
  readonly runs: BlameRun[];
  readonly records: RunRecord[];
  readonly workspace: string;
}

function fixture(version: string, name: string): Fixture {
  const dir = join(FIXTURES_DIR, `bazel-${version}`, "blame", name);
  const manifest = JSON.parse(readFileSync(join(dir, "sweep.json"), "utf8")) as { settings: { workspace: string } };
  const records: RunRecord[] = [];
  const runs: BlameRun[] = [];
  for (const id of readdirSync(join(dir, "runs")).sort()) {
    const runDir = join(dir, "runs", id);
    const record = JSON.parse(readFileSync(join(runDir, "run.json"), "utf8")) as RunRecord;
    const summary = JSON.parse(readFileSync(join(runDir, "run-summary.json"), "utf8")) as RunSummary;
    const digestFile = join(runDir, "heap-digest.json");
    const digest = existsSync(digestFile) ? (JSON.parse(readFileSync(digestFile, "utf8")) as HeapDigest) : undefined;
    records.push(record);
    if (givesEvidence(record)) runs.push(blameRun(record, summary, digest));
  }
  return { runs, records, workspace: manifest.settings.workspace };
}

function run(f: Fixture, options: { without?: SignalName[]; keep?: (run: BlameRun) => boolean } = {}): BlameResult {
  return blame(f.runs.filter(options.keep ?? (() => true)), { workspace: f.workspace, without: new Set(options.without ?? []) });
}

const REPRODUCTION = { function: "traverse_impl", file: "memory/private/traverse.bzl" };
const CPU_RULES = /^impl\d+$/;

/** The same runs as if swept with --no-heap-dumps: every digest dropped. */
function withoutDigests(f: Fixture): Fixture {
  return { ...f, runs: f.runs.map((candidate) => ({ ...candidate, digest: undefined })) };
}

// 4.2.3: a default sweep (light profiles, heap dumps, evidence runs) and a sweep with --no-heap-dumps. 7.7.1: a
// default sweep, and the same runs without their digests (the runs a --no-heap-dumps sweep makes).
// Without their crash runs, what the successful runs alone say: on 4.2.3 traverse_impl's calls saw 2.2x more
// GC per second at 384m than at 1g (indirect evidence, no accusation); on 7.7.1 GC was flat (no evidence).
describe.each([
  { version: "4.2.3", noDumps: () => fixture("4.2.3", "repro-no-dumps"), noCrash: { verdict: "no-single-culprit", reason: { kind: "indirect-only", missing: "heap-dumps" } } },
  { version: "7.7.1", noDumps: () => withoutDigests(fixture("7.7.1", "repro-dumps")), noCrash: { verdict: "no-evidence", reason: { kind: "no-crash" } } },
])("blame on the reproduction (Bazel $version)", ({ version, noDumps: makeNoDumps, noCrash }) => {
  const withDumps = fixture(version, "repro-dumps");
  const noDumps = makeNoDumps();

  it.each<{ name: string; result: () => BlameResult; reason: string }>([
    { name: "all signals, with heap dumps", result: () => run(withDumps), reason: "holds-the-heap" },
    { name: "a sweep without heap dumps", result: () => run(noDumps), reason: "crash-stacks-agree" },
  ])("names traverse_impl: $name", ({ result, reason }) => {
    const blamed = result();
    expect(blamed.verdict).toBe("culprit");
    expect(blamed.reason.kind).toBe(reason);
    expect(blamed.suspects[0]).toMatchObject(REPRODUCTION);
  });

  it("signal by signal: heap share and crash stacks from the dumps, in-flight calls from the crashed profiles", () => {
    const blamed = run(withDumps);
    const top = blamed.suspects[0]!;
    expect(top.heap!.dumps).toBe(blamed.runs.withDigest);
    expect(top.heap!.topIn).toBeGreaterThan(0);
    expect(top.heap!.meanShare).toBeGreaterThan(0.3);
    expect(top.stack!.sources).toContain("heap");
    const alone = run(noDumps).suspects[0]!;
    expect(alone.heap).toBeUndefined();
    expect(alone.stack!.sources).toContain("in-flight");
    expect(alone.stack!.innermostRuns).toBe(alone.stack!.runs);
    expect(run(noDumps).signals.find((signal) => signal.name === "in-flight")!.runs).toBeGreaterThanOrEqual(2);
  });

  it("each signal left out is reported as such, and leaving out all but CPU never accuses", () => {
    for (const name of SIGNAL_NAMES) {
      const blamed = run(withDumps, { without: [name] });
      expect(blamed.signals.find((signal) => signal.name === name)!.excluded).toBe(true);
      if (blamed.verdict === "culprit") expect(blamed.suspects[0]).toMatchObject(REPRODUCTION);
    }
    const cpuOnly = run(withDumps, { without: SIGNAL_NAMES.filter((name) => name !== "cpu") });
    expect(cpuOnly.verdict).not.toBe("culprit");
    for (const suspect of cpuOnly.suspects) expect(suspect.score).toBe(0);
  });

  it("a CPU-bound rule never outranks the function that holds the memory, and the CPU-only view is shown", () => {
    for (const blamed of [run(withDumps), run(noDumps)]) {
      const traverse = blamed.suspects.findIndex((suspect) => suspect.function === "traverse_impl");
      for (const [index, suspect] of blamed.suspects.entries()) {
        if (CPU_RULES.test(suspect.function)) expect(index).toBeGreaterThan(traverse);
      }
      expect(blamed.cpuTop).toBeDefined();
    }
  });

  it("without the crash runs there is no culprit: indirect evidence is named as such, flat GC is no evidence", () => {
    const blamed = run(withDumps, { keep: (candidate) => !candidate.crashed });
    expect(blamed.runs.crashed).toBe(0);
    expect(blamed.verdict).toBe(noCrash.verdict);
    expect(blamed.reason).toEqual(noCrash.reason);
  });

  it("one crash run without a heap dump is a single observation: named at most, never accused unless corroborated", () => {
    const crashes = noDumps.runs.filter((candidate) => candidate.crashed && (candidate.functions?.inFlight.length ?? 0) > 0);
    expect(crashes.length).toBeGreaterThanOrEqual(2);
    const single = run(noDumps, { keep: (candidate) => !candidate.crashed || candidate === crashes[0], without: ["gc"] });
    expect(single.verdict).toBe("no-single-culprit");
    expect(single.reason.kind).toBe("crash-stacks-uncorroborated");
  });

  // The reproduction's crash run with its two threads' in-flight calls edited: a helper its rule implementation
  // calls (_dependencies) was innermost on one thread (as a CI run saw), or on both. The crash stacks alone decide
  // (GC and time left out). Each thread's stack is one observation: the helper one of two threads was in stays
  // behind the caller both were in; a helper both were in leads, but uncorroborated, one crash run is no verdict.
  it.each([
    { name: "one of two threads in the helper", helperOn: [true, false], first: "traverse_impl", reason: { kind: "crash-stacks-disagree", functions: ["traverse_impl", "_dependencies"] } },
    { name: "both threads in the helper", helperOn: [true, true], first: "_dependencies", reason: { kind: "crash-stacks-uncorroborated", function: "_dependencies" } },
  ])("a helper innermost at the crash: $name", ({ helperOn, first, reason }) => {
    const crash = noDumps.runs.find((candidate) => candidate.crashed && candidate.functions?.inFlight.some((call) => call.function === "traverse_impl"))!;
    const call = crash.functions!.inFlight.find((candidate) => candidate.function === "traverse_impl")!;
    const inFlight = helperOn.flatMap((inHelper, index) => {
      const onThread = { ...call, tid: call.tid + index, thread: `skyframe-evaluator-${index}` };
      if (!inHelper) return [onThread];
      const helper = { ...onThread, function: "_dependencies", children: ["dir", "getattr", "type"], sinceMicros: call.sinceMicros + 1000 };
      return [{ ...onThread, children: [] }, helper];
    });
    const edited = { ...crash, functions: { ...crash.functions!, inFlight } };
    const blamed = blame(
      noDumps.runs.filter((candidate) => !candidate.crashed).concat(edited),
      { workspace: noDumps.workspace, without: new Set<SignalName>(["gc", "over-representation", "oom-stack"]) },
    );
    expect(blamed.verdict).toBe("no-single-culprit");
    expect(blamed.reason).toMatchObject(reason);
    expect(blamed.suspects[0]!.function).toBe(first);
  });

  it("no run at all: no evidence", () => {
    const blamed = blame([], { workspace: undefined, without: new Set() });
    expect(blamed).toMatchObject({ verdict: "no-evidence", suspects: [], runs: { used: 0, crashed: 0 } });
  });
});

// Why `--profile light` keeps the Starlark CPU profile: without heap dumps on 4.2.3 (OOM traces with Java frames
// only), it is the one record that names the culprit's file; the trace profile names functions only.
it("without heap dumps on 4.2.3, the culprit's file comes from the CPU profiles: without them, only its name", () => {
  const noDumps = fixture("4.2.3", "repro-no-dumps");
  const withoutPprof = { ...noDumps, runs: noDumps.runs.map((candidate) => ({ ...candidate, pprof: undefined })) };
  expect(run(noDumps).suspects[0]).toMatchObject(REPRODUCTION);
  const nameOnly = run(withoutPprof).suspects[0]!;
  expect(nameOnly.function).toBe("traverse_impl");
  expect(nameOnly.file).toBeUndefined();
});

describe("welchTest (jstat's Student t)", () => {
  it.each([
    // Reference values from the Welch–Satterthwaite formulas by hand (two-sided p).
    { a: [1, 2, 3, 4, 5], b: [2, 4, 6, 8, 10], t: -1.8974, dof: 5.882, p: 0.1075 },
    { a: [10, 11, 12], b: [10, 11, 12], t: 0, dof: 4, p: 1 },
  ])("$a against $b", ({ a, b, t, dof, p }) => {
    const result = welchTest(a, b)!;
    expect(result.t).toBeCloseTo(t, 3);
    expect(result.degreesOfFreedom).toBeCloseTo(dof, 2);
    expect(result.p).toBeCloseTo(p, 3);
  });

  it("needs two values on each side", () => {
    expect(welchTest([1], [1, 2])).toBeUndefined();
  });
});
