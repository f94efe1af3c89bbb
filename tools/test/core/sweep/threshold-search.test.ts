// The adaptive search as a pure planner: step by step, and driven to the end against simulated builds.
import { describe, expect, it } from "vitest";
import { nextSearchStep, type SearchConfig, type SearchRun, type SearchStep } from "../../../src/core/sweep/threshold-search.js";
import type { RunStatus } from "../../../src/core/vocabulary.js";

const MiB = 1024 * 1024;
const config: SearchConfig = { low: 128 * MiB, high: 1024 * MiB, resolution: 5 * MiB, repeats: 3, warmup: 0, floor: 16 * MiB, ceiling: 1024 * 1024 * MiB };
const ok = (mib: number): SearchRun => ({ limitBytes: mib * MiB, warmup: false, status: "ok" });
const oom = (mib: number): SearchRun => ({ limitBytes: mib * MiB, warmup: false, status: "oom" });
const runAt = (mib: number): SearchStep => ({ kind: "run", limitBytes: mib * MiB, warmup: false });
const other = (mib: number, status: RunStatus, gcPressure?: boolean): SearchRun => ({ limitBytes: mib * MiB, warmup: false, status, gcPressure });

describe("nextSearchStep", () => {
  it.each<{ why: string; config?: Partial<SearchConfig>; runs: SearchRun[]; next: SearchStep }>([
    { why: "starts at the high end (snapped up to the grid)", runs: [], next: runAt(1025) },
    { why: "a warm-up comes first when asked for", config: { warmup: 1 }, runs: [], next: { kind: "run", limitBytes: 1025 * MiB, warmup: true } },
    { why: "then the low end", runs: [ok(1025)], next: runAt(125) },
    { why: "a crashing high end is doubled", runs: [oom(1025)], next: runAt(2050) },
    { why: "a passing low end is halved", runs: [ok(1025), ok(125)], next: runAt(60) },
    { why: "bisects a wide bracket", runs: [ok(1025), oom(125)], next: runAt(575) },
    { why: "bisects on the grid", runs: [ok(1025), oom(125), ok(575), oom(350)], next: runAt(460) },
    { why: "bisects down to one resolution before repeating", runs: [oom(300), ok(320)], next: runAt(310) },
    { why: "repeats the upper end at one resolution", runs: [oom(315), ok(320)], next: runAt(320) },
    { why: "a crash at the upper end moves the lower end up", runs: [oom(315), ok(320), oom(320), ok(340)], next: runAt(330) },
    { why: "and repeats the next upper end", runs: [oom(315), ok(320), oom(320), ok(325)], next: runAt(325) },
    { why: "done at one resolution, confirmed", runs: [oom(315), ok(320), ok(320), ok(320)], next: { kind: "done", threshold: 320 * MiB, below: 315 * MiB, builds: 4 } },
    { why: "successes below a crash do not count", runs: [ok(200), oom(315), ok(320), ok(320), ok(320)], next: { kind: "done", threshold: 320 * MiB, below: 315 * MiB, builds: 5 } },
    { why: "a build that failed otherwise is left out: its limit is tried again", runs: [ok(1025), other(125, "failed")], next: runAt(125) },
    { why: "twice in a row at one limit, it stops the search", runs: [ok(1025), other(125, "failed"), other(125, "failed")], next: { kind: "stuck", reason: "build-fails", limitBytes: 125 * MiB, status: "failed", builds: 3 } },
    { why: "different non-memory outcomes in a row count together", runs: [ok(1025), other(125, "server-died"), other(125, "timeout", false)], next: { kind: "stuck", reason: "build-fails", limitBytes: 125 * MiB, status: "timeout", builds: 3 } },
    { why: "one between memory outcomes is bad luck, not the build", runs: [oom(315), ok(320), other(320, "server-died"), ok(320), other(320, "failed"), ok(320)], next: { kind: "done", threshold: 320 * MiB, below: 315 * MiB, builds: 6 } },
    { why: "a server killed from outside does not count as a crash of the heap", runs: [other(1025, "server-died")], next: runAt(1025) },
    { why: "a timeout without GC pressure is left out", runs: [ok(1025), other(125, "timeout", false)], next: runAt(125) },
    { why: "a timeout under GC pressure is a memory failure", runs: [ok(1025), other(125, "timeout", true)], next: runAt(575) },
    { why: "an action killed is a memory failure", runs: [ok(1025), other(125, "action-killed")], next: runAt(575) },
    { why: "interrupted runs are ignored (redone)", runs: [ok(1025), { limitBytes: 125 * MiB, warmup: false, status: "interrupted" }], next: runAt(125) },
    { why: "warm-ups do not decide", config: { warmup: 1 }, runs: [{ limitBytes: 1025 * MiB, warmup: true, status: "oom" }], next: runAt(1025) },
    { why: "no success up to the ceiling", config: { ceiling: 2050 * MiB }, runs: [oom(1025), oom(2050)], next: { kind: "stuck", reason: "no-success", limitBytes: 2050 * MiB, status: "oom", builds: 2 } },
    { why: "succeeding at the floor: done without a lower end", config: { low: 16 * MiB, high: 64 * MiB, resolution: 16 * MiB, repeats: 1 }, runs: [ok(64), ok(16)], next: { kind: "done", threshold: 16 * MiB, below: undefined, builds: 2 } },
  ])("$why", ({ config: change, runs, next }) => {
    expect(nextSearchStep({ ...config, ...change }, runs)).toEqual(next);
  });
});

/**
 * Runs the planner against a build that crashes below `thresholdMiB` (and at noisy limits, once each); at
 * `unlucky` limits the first build ends for a reason other than memory (a server killed from outside).
 */
function simulate(
  searchConfig: SearchConfig,
  thresholdMiB: number,
  noisy: readonly number[] = [],
  unlucky: readonly number[] = [],
): { step: SearchStep; runs: SearchRun[] } {
  const runs: SearchRun[] = [];
  const crashedOnce = new Set<number>();
  const diedOnce = new Set<number>();
  for (let i = 0; i < 200; i++) {
    const step = nextSearchStep(searchConfig, runs);
    if (step.kind !== "run") return { step, runs };
    let status: RunStatus = step.limitBytes < thresholdMiB * MiB ? "oom" : "ok";
    if (noisy.includes(step.limitBytes / MiB) && !crashedOnce.has(step.limitBytes)) {
      crashedOnce.add(step.limitBytes);
      status = "oom";
    }
    if (unlucky.includes(step.limitBytes / MiB) && !diedOnce.has(step.limitBytes)) {
      diedOnce.add(step.limitBytes);
      status = "server-died";
    }
    runs.push({ limitBytes: step.limitBytes, warmup: step.warmup, status });
  }
  throw new Error("the search did not finish in 200 builds");
}

describe("search end to end against a simulated build", () => {
  it.each([
    { threshold: 321, expected: 325, below: 320 },
    { threshold: 320, expected: 320, below: 315 },
    { threshold: 17, expected: 20, below: undefined }, // the floor 16m snaps up to 20m on a 5m grid
    { threshold: 5000, expected: 5000, below: 4995 },
  ])("threshold $threshold MiB -> $expected", ({ threshold, expected, below }) => {
    const { step, runs } = simulate(config, threshold);
    expect(step).toMatchObject({ kind: "done", threshold: expected * MiB, below: below === undefined ? undefined : below * MiB });
    // The dense grid 155m..1g at 5m would take 175 builds × 3 repetitions.
    expect(runs.length).toBeLessThanOrEqual(Math.ceil((175 * 3) / 10));
  });

  it("a noisy limit just above the threshold is not reported as safe", () => {
    const { step } = simulate(config, 321, [325]);
    expect(step).toMatchObject({ kind: "done", threshold: 330 * MiB, below: 325 * MiB });
  });

  it("servers killed from outside cost one build each and do not move the answer", () => {
    const clean = simulate(config, 321);
    const probed = [...new Set(clean.runs.map((run) => run.limitBytes / MiB))];
    const { step, runs } = simulate(config, 321, [], probed);
    expect(step).toMatchObject({ kind: "done", threshold: 325 * MiB, below: 320 * MiB });
    expect(runs.length).toBe(clean.runs.length + probed.length);
  });
});
