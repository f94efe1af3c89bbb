// Issue 4's goal for `sweep --search`: the same answer as a dense grid with at most a tenth of the grid's
// builds. Runs the built bundle twice on this repository's reproduction, with real Bazel and cold builds:
// once over a dense grid, once with --search over the grid's end points at the grid's step, then reads both
// folders' runs.jsonl and prints both answers, the builds and wall time each took, and their ratio.
// Prints numbers only; nothing here asserts on them.
//
//   npm run bench:search -- [--grid 128m..1g:8m] [--runs 1] [--repeats 3] [--resolution 8m] [--bazel PATH] [--timeout 3m] [--keep]
//
// The default grid is what a user would otherwise run: every 8m from the sweep's lowest default limit to
// its highest (113 builds). --runs is the grid's runs per limit; --repeats the search's successes needed
// near the threshold (the sweep's --runs with --search, default 3).
// Needs dist/memory-adventure.mjs (npm run bundle). Takes a while: every build is cold (~15-25 s here), the
// default grid took 55 min. Measured 2026-11-21 (Bazel 4.2.3, 2 cores): grid 624m in 113 builds, search 624m
// in 11 builds (ratio 0.097, wall time ratio 0.10).
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { formatDuration } from "../src/core/duration.js";
import { formatBytes, MAX_LIMIT_BYTES, MIN_LIMIT_BYTES, parseLimits, UNIT_BYTES, type SizeUnit } from "../src/core/sweep/heap-limit.js";
import { checkRunRecord } from "../src/core/run/run-record-check.js";
import { RUNS_JSONL_FILE, type RunRecord } from "../src/core/run/run-record.js";
import { threshold } from "../src/core/sweep/threshold.js";
import { nextSearchStep, type SearchConfig, type SearchRun, type SearchStep } from "../src/core/sweep/threshold-search.js";

// npm runs scripts in tools/; the reproduction is the repository around it.
const BUNDLE = resolve("dist/memory-adventure.mjs");
const WORKSPACE = resolve("..");
/** How much denser the hypothetical grid of the estimate is. */
const DENSER = 10;
/** The JVM (G1, JDK 17) aligns the heap to 2 MiB: limits closer than that run with the same heap. */
const HEAP_ALIGNMENT = 2 * UNIT_BYTES.m;

interface SweepResult {
  readonly out: string;
  readonly exitCode: number | null;
  readonly seconds: number;
  /** Finished runs (interrupted ones left out), in the order they ran. */
  readonly records: readonly RunRecord[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      grid: { type: "string", default: "128m..1g:8m" },
      runs: { type: "string", default: "1" },
      repeats: { type: "string", default: "3" },
      resolution: { type: "string" },
      bazel: { type: "string", default: "bazel" },
      timeout: { type: "string", default: "3m" },
      keep: { type: "boolean", default: false },
    },
  });
  const grid = parseLimits(values.grid);
  if (grid.length < 3) throw new Error(`--grid ${values.grid}: a grid needs at least 3 limits to compare a search with`);
  const resolution = values.resolution === undefined ? gridStep(grid.map((limit) => limit.bytes), values.grid) : parseSize(values.resolution);
  const runs = wholeNumber("--runs", values.runs);
  const repeats = wholeNumber("--repeats", values.repeats);
  const low = grid[0]!;
  const high = grid[grid.length - 1]!;
  const bazel = values.bazel.includes("/") ? resolve(values.bazel) : values.bazel;
  const common = ["--bazel", bazel, "--timeout", values.timeout];

  const dir = await mkdtemp(join(tmpdir(), "search-vs-grid-bench-"));
  try {
    const gridRun = await sweep(join(dir, "grid"), [...common, "--runs", String(runs), "--limits", values.grid]);
    const searchArgs = ["--search", "--runs", String(repeats), "--limits", `${low.spelling},${high.spelling}`, "--resolution", formatBytes(resolution)];
    const searchRun = await sweep(join(dir, "search"), [...common, ...searchArgs]);

    // The same search configuration the sweep builds from these options (commands/sweep.ts).
    const config: SearchConfig = { low: low.bytes, high: high.bytes, resolution, repeats, warmup: 0, floor: MIN_LIMIT_BYTES, ceiling: MAX_LIMIT_BYTES };
    const gridAnswer = threshold(gridRun.records);
    const searchAnswer = nextSearchStep(config, asSearchRuns(searchRun.records));

    log(`Bazel: ${gridRun.records[0]?.bazelVersion ?? "?"} (${bazel}); grid ${values.grid} (${grid.length} limits × ${runs} run${runs === 1 ? "" : "s"}); search ${low.spelling}..${high.spelling} at resolution ${formatBytes(resolution)}, ${repeats} success${repeats === 1 ? "" : "es"} near the threshold; timeout ${values.timeout}`);
    log(`grid runs:     ${probes(gridRun.records, false)}`);
    log(`search probes: ${probes(searchRun.records, true)}`);
    log(`grid:   ${gridLine(gridAnswer)} in ${gridRun.records.length} builds, ${timing(gridRun)}${exitNote(gridRun)}`);
    log(`search: ${searchLine(searchAnswer)} in ${searchRun.records.length} builds, ${timing(searchRun)}${exitNote(searchRun)}`);
    const buildsRatio = searchRun.records.length / gridRun.records.length;
    log(`builds ratio ${buildsRatio.toFixed(2)} (goal: at most 0.10, ${buildsRatio <= 0.1 ? "met" : "not met"} on this grid); wall time ratio ${(searchRun.seconds / gridRun.seconds).toFixed(2)}`);
    log(`same answer: ${sameAnswer(gridAnswer.lowestOk?.limitBytes, searchAnswer, resolution)}`);
    log(denserEstimate(config, searchAnswer, searchRun.records.length, gridRun.records, grid.length, runs));
    if (values.keep) log(`kept: ${dir}/grid, ${dir}/search`);
  } finally {
    if (!values.keep) await rm(dir, { recursive: true, force: true });
  }
}

/** Runs `sweep` from the bundle (its output goes to stderr, so stdout holds only the numbers) and reads its runs.jsonl. */
async function sweep(out: string, args: readonly string[]): Promise<SweepResult> {
  const argv = [BUNDLE, "sweep", ...args, "--out", out];
  process.stderr.write(`\n$ node ${argv.join(" ")}\n`);
  const start = performance.now();
  const exitCode = await new Promise<number | null>((resolvePromise, reject) => {
    const child = spawn(process.execPath, argv, { cwd: WORKSPACE, stdio: ["ignore", 2, 2] });
    child.on("error", reject);
    child.on("close", (code) => resolvePromise(code));
  });
  const seconds = (performance.now() - start) / 1000;
  // 0: every run measured; 1: some run failed or timed out, or the search got stuck (still worth printing).
  if (exitCode !== 0 && exitCode !== 1) throw new Error(`sweep into ${out} exited with ${exitCode}; see its message above`);
  const file = join(out, RUNS_JSONL_FILE);
  const records = (await readFile(file, "utf8"))
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => checkRunRecord(JSON.parse(line), file))
    .filter((record) => record.status !== "interrupted")
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  return { out, exitCode, seconds, records };
}

function asSearchRuns(records: readonly RunRecord[]): SearchRun[] {
  return records.map(({ limitBytes, warmup, status }) => ({ limitBytes, warmup, status }));
}

/** "512m oom, 520m oom, …" in the order the builds ran, or sorted by limit for the grid. */
function probes(records: readonly RunRecord[], inOrder: boolean): string {
  const sorted = inOrder ? records : [...records].sort((a, b) => a.limitBytes - b.limitBytes || a.iteration - b.iteration);
  return sorted.map((record) => `${record.limit} ${record.status}${record.stoppedBy === undefined ? "" : ` (${record.stoppedBy})`}`).join(", ");
}

function gridLine(answer: ReturnType<typeof threshold>): string {
  const { lowestOk, highestFailing } = answer;
  if (lowestOk === undefined) return `no threshold (a build failed at the highest limit${highestFailing === undefined ? "" : `, ${highestFailing.limit}`})`;
  if (highestFailing === undefined) return `threshold at most ${lowestOk.limit} (no build failed)`;
  return `threshold ${lowestOk.limit} (bracket ${highestFailing.limit}..${lowestOk.limit})`;
}

function searchLine(step: SearchStep): string {
  switch (step.kind) {
    case "done":
      return step.below === undefined
        ? `threshold at most ${formatBytes(step.threshold)} (no build failed)`
        : `threshold ${formatBytes(step.threshold)} (bracket ${formatBytes(step.below)}..${formatBytes(step.threshold)})`;
    case "stuck":
      return `no threshold (stuck: ${step.reason}, "${step.status}" at ${formatBytes(step.limitBytes)})`;
    case "run":
      return `no threshold (unfinished: next probe would be ${formatBytes(step.limitBytes)})`;
  }
}

function timing(result: SweepResult): string {
  const builds = result.records.reduce((sum, record) => sum + record.wallSeconds, 0);
  return `${formatDuration(result.seconds)} (builds alone ${formatDuration(builds)}, mean ${(builds / Math.max(1, result.records.length)).toFixed(1)} s)`;
}

function exitNote(result: SweepResult): string {
  return result.exitCode === 0 ? "" : `; sweep exited ${result.exitCode}`;
}

function sameAnswer(gridThreshold: number | undefined, search: SearchStep, resolution: number): string {
  if (gridThreshold === undefined || search.kind !== "done") return "no (one of them found no threshold)";
  const difference = Math.abs(gridThreshold - search.threshold);
  if (difference === 0) return "yes (identical)";
  const within = difference <= resolution;
  return `${within ? "yes" : "no"} (they differ by ${formatBytes(difference)}; resolution ${formatBytes(resolution)})`;
}

/**
 * What the ratio would be on a grid DENSER times as dense over the same range, from the project's own planner
 * (nextSearchStep) replayed against a noise-free build (every heap at or above a threshold succeeds, every one
 * below crashes), the threshold placed at each finer step inside the measured bracket. Printed only when the
 * grid shows no noise and the model reproduces the real search's build count; otherwise it says why it is left out.
 */
function denserEstimate(config: SearchConfig, answer: SearchStep, searchBuilds: number, gridRecords: readonly RunRecord[], gridLimits: number, runs: number): string {
  if (answer.kind !== "done" || answer.below === undefined) return `denser-grid estimate: left out (the search found no bracket)`;
  const noise = successBelowFailure(gridRecords);
  if (noise !== undefined) {
    return `denser-grid estimate: left out (the grid itself is noisy: ${noise.ok.limit} ok below ${noise.failed.limit} ${noise.failed.status}, so a noise-free model of the search would not be honest)`;
  }
  const modelled = simulatedBuilds(config, answer.threshold);
  if (modelled !== searchBuilds) {
    return `denser-grid estimate: left out (a noise-free model of the search predicts ${modelled} builds at this resolution, the real one took ${searchBuilds}: near-threshold noise cost builds, which the model cannot extrapolate)`;
  }
  const fine = Math.round(config.resolution / DENSER);
  const fineConfig: SearchConfig = { ...config, resolution: fine };
  const counts = Array.from({ length: DENSER }, (_, k) => simulatedBuilds(fineConfig, answer.below! + (k + 1) * fine));
  const denseBuilds = ((gridLimits - 1) * DENSER + 1) * runs;
  const least = Math.min(...counts);
  const most = Math.max(...counts);
  const hypothetical = fine < HEAP_ALIGNMENT ? `; hypothetical: a step of ${(fine / UNIT_BYTES.m).toFixed(1)} MiB is finer than the JVM's 2 MiB heap alignment` : "";
  return (
    `denser-grid estimate (NOT measured; the planner replayed with a noise-free threshold inside the measured bracket, a model that gives exactly the ${searchBuilds} builds measured here): ` +
    `a ${DENSER}x denser grid = ${denseBuilds} builds, search ${least === most ? least : `${least}-${most}`} builds, ratio ${(least / denseBuilds).toFixed(3)}${least === most ? "" : `-${(most / denseBuilds).toFixed(3)}`}${hypothetical}`
  );
}

/** A success at a lower heap than a failure: the build does not crash at one sharp threshold. */
function successBelowFailure(records: readonly RunRecord[]): { ok: RunRecord; failed: RunRecord } | undefined {
  const failures = records.filter((record) => record.status !== "ok");
  if (failures.length === 0) return undefined;
  const highestFailure = failures.reduce((a, b) => (b.limitBytes > a.limitBytes ? b : a));
  const lowestOk = records.filter((record) => record.status === "ok" && record.limitBytes < highestFailure.limitBytes).sort((a, b) => a.limitBytes - b.limitBytes)[0];
  return lowestOk === undefined ? undefined : { ok: lowestOk, failed: highestFailure };
}

function simulatedBuilds(config: SearchConfig, thresholdBytes: number): number {
  const runs: SearchRun[] = [];
  for (;;) {
    const step = nextSearchStep(config, runs);
    if (step.kind !== "run") return step.builds;
    if (runs.length > 1000) throw new Error("the search model did not finish in 1000 builds");
    runs.push({ limitBytes: step.limitBytes, warmup: step.warmup, status: step.limitBytes >= thresholdBytes ? "ok" : "oom" });
  }
}

function wholeNumber(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${flag} ${text}: give a whole number of at least 1`);
  return value;
}

/** The grid's one step, when its limits are evenly spaced; otherwise --resolution must say it. */
function gridStep(bytes: readonly number[], text: string): number {
  const steps = new Set(bytes.slice(1).map((value, index) => value - bytes[index]!));
  if (steps.size !== 1) throw new Error(`--grid ${text}: its limits are not evenly spaced; give the search's --resolution`);
  return [...steps][0]!;
}

/** A size such as `8m` (the search's --resolution; the sweep itself checks it again). */
function parseSize(text: string): number {
  const match = /^(\d+)([kmgt]?)$/i.exec(text.trim());
  if (match === null || Number(match[1]) === 0) throw new Error(`--resolution ${text}: give a size such as 8m`);
  return Number(match[1]) * UNIT_BYTES[(match[2] ?? "").toLowerCase() as SizeUnit];
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

await main();
