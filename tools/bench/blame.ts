// Issue 11's speed goal: summaries are computed once per run, so on a sweep of ≥ 30 real runs the second
// `blame` + `report` takes ≤ 5% of the first's time, and the first is bounded by the profile reader. Deletes the
// run summaries of a sweep (a copy, unless --in-place), times `blame` + `report` twice through the built bundle,
// and times the profile reader alone over the same profiles; prints the three and the ratios. Asserts nothing.
//
//   npm run bench:blame -- --sweep DIR        (a sweep of the reproduction with ≥ 30 runs, e.g. made by
//                                              `sweep --limits 256m..1g:32m --profile full` and kept)
//   npm run bench:blame -- [--bazel PATH] [--limits 256m..1g:32m] [--runs 1] [--keep]
//                                             (makes that sweep first: 25 limits plus the evidence runs, ~25 min;
//                                              --keep leaves it, and the copy timed, in the printed folder)
import { spawn } from "node:child_process";
import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { RUN_SUMMARY_FILE } from "../src/core/run/run-summary.js";
import { readProfile } from "../src/io/profile-reader.js";

const BUNDLE = resolve("dist/memory-adventure.mjs");
const WORKSPACE = resolve("..");

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sweep: { type: "string" },
      bazel: { type: "string", default: "bazel" },
      limits: { type: "string", default: "256m..1g:32m" },
      runs: { type: "string", default: "1" },
      keep: { type: "boolean", default: false },
    },
  });
  const dir = await mkdtemp(join(tmpdir(), "blame-bench-"));
  try {
    const sweep = join(dir, "sweep");
    if (values.sweep === undefined) {
      log(`making a sweep of ${values.limits}, ${values.runs} run(s) each, with ${values.bazel}…`);
      // Full profiles: the big inputs a cache is for (hundreds of MB of trace a run).
      await run(process.execPath, [BUNDLE, "sweep", "--bazel", values.bazel, "--limits", values.limits, "--runs", values.runs, "--profile", "full", "--out", sweep]);
    } else {
      await cp(resolve(values.sweep), sweep, { recursive: true });
    }
    const runs = (await readdir(join(sweep, "runs"))).sort();
    for (const id of runs) await rm(join(sweep, "runs", id, RUN_SUMMARY_FILE), { force: true });
    const cycle = async (): Promise<number> => {
      const started = performance.now();
      await run(process.execPath, [BUNDLE, "blame", sweep, "--out", join(dir, "blame.txt")]);
      await run(process.execPath, [BUNDLE, "report", sweep, "--out", join(dir, "report.html")]);
      return (performance.now() - started) / 1000;
    };
    const first = await cycle();
    const second = await cycle();
    const readerStarted = performance.now();
    let events = 0;
    for (const id of runs) {
      const profile = join(sweep, "runs", id, "profile.json.gz");
      events += (await readProfile(profile, () => undefined).catch(() => ({ events: 0 }))).events;
    }
    const reader = (performance.now() - readerStarted) / 1000;
    log(`${runs.length} runs (${events} profile events)`);
    log(`first blame + report (computes the run summaries): ${first.toFixed(2)} s`);
    log(`profile reader alone over the same profiles:       ${reader.toFixed(2)} s (first / reader: ${(first / reader).toFixed(2)})`);
    log(`second blame + report (reads the summaries):       ${second.toFixed(2)} s (second / first: ${(second / first).toFixed(3)}, goal ≤ 0.05)`);
  } finally {
    if (values.keep) log(`kept: ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

function run(file: string, args: readonly string[]): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, { cwd: WORKSPACE, stdio: ["ignore", "ignore", "inherit"] });
    child.on("error", reject);
    child.on("close", () => resolvePromise());
  });
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

await main();
