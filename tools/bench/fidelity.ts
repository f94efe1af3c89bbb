// Issue 12's goals: the threshold the sweep reports is the build's, not the profiler's; and the sweep adds
// no cost of its own. In one run, with real Bazel and cold builds of this repository's reproduction:
//   1. the crash threshold bisected with a bare `bazel build` (a clean, then the build, -Xmx only), and with the
//      sweep at each profile level (none, light, full): a table with the ratio of each to the bare threshold;
//   2. the wall time of one bare cold build against the same build through the sweep at the default level,
//      over --repeats rounds, and their ratio with its 95% interval (goal ≤ 1.02); broken down by a third build
//      between them: the sweep's own command line (its instruments: the trace profile, the Starlark CPU profile,
//      the GC log, the heap dump path) run by hand, without the sweep. The three are interleaved, round by
//      round, so that a machine getting busier weighs on all alike.
// Prints numbers only; nothing here asserts on them.
//
//   npm run bench:fidelity -- [--bazel PATH] [--low 128m] [--high 1g] [--resolution 16m] [--repeats 8] [--levels none,light,full]
//                             [--overhead-only] [--keep]        (--repeats 0: the thresholds only)
//
// Needs dist/memory-adventure.mjs (npm run bundle). Every bisection takes about 7 cold builds (20–60 s each).
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { formatBytes, parseLimits } from "../src/core/sweep/heap-limit.js";
import { checkRunRecord } from "../src/core/run/run-record-check.js";
import { RUNS_JSONL_FILE, type RunRecord } from "../src/core/run/run-record.js";
import { goalVerdict, pairedRatio, type GoalVerdict, type PairedRatio } from "../src/core/blame/paired-ratio.js";
import { nextSearchStep, type SearchConfig, type SearchRun } from "../src/core/sweep/threshold-search.js";
import { DEFAULT_PROFILE_LEVEL, PROFILE_LEVELS, type ProfileLevel } from "../src/core/vocabulary.js";

const BUNDLE = resolve("dist/memory-adventure.mjs");
const WORKSPACE = resolve("..");
const BUILD = ["build", "--config=eat", "--symlink_prefix=/", "//..."];
/** Bazel's exit codes of a server that ran out of memory, or died of it before telling the client. */
const OOM_EXITS = new Set([33, 37]);
const MAX_IDLE = "--max_idle_secs=60";

interface Bracket {
  readonly below: number | undefined;
  readonly threshold: number | undefined;
  readonly builds: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      bazel: { type: "string", default: "bazel" },
      low: { type: "string", default: "128m" },
      high: { type: "string", default: "1g" },
      resolution: { type: "string", default: "16m" },
      // A cold build's wall time varies by ±10% run to run here: 8 rounds bring the interval to a few percent.
      repeats: { type: "string", default: "8" },
      levels: { type: "string", default: PROFILE_LEVELS.join(",") },
      "overhead-only": { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
    },
  });
  const bazel = values.bazel.includes("/") ? resolve(values.bazel) : values.bazel;
  const [low] = parseLimits(values.low);
  const [high] = parseLimits(values.high);
  const [resolution] = parseLimits(values.resolution);
  const repeats = Number(values.repeats);
  const levels = values["overhead-only"] ? [] : (values.levels.split(",") as ProfileLevel[]);
  const config: SearchConfig = { low: low!.bytes, high: high!.bytes, resolution: resolution!.bytes, repeats: 1, warmup: 0, floor: 16 * 2 ** 20, ceiling: 64 * 2 ** 30 };
  const dir = await mkdtemp(join(tmpdir(), "fidelity-bench-"));
  try {
    log(`Bazel ${bazel}`);
    if (!values["overhead-only"]) await thresholds(bazel, dir, config, levels, values.low, values.high, values.resolution);
    if (repeats > 0) await overhead(bazel, dir, high!.spelling, repeats);
  } finally {
    if (values.keep) log(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

/** The crash threshold bare and at each profile level, as a table. */
async function thresholds(
  bazel: string,
  dir: string,
  config: SearchConfig,
  levels: readonly ProfileLevel[],
  low: string,
  high: string,
  resolution: string,
): Promise<void> {
  log(`the reproduction's threshold bisected from ${low}..${high} to ${resolution}, one cold build a probe`);
  const bare = await bareThreshold(bazel, join(dir, "bare-output-base"), config);
  log(`bare \`bazel build\`: ${bracketText(bare)}, ${bare.builds} builds`);
  const rows: { level: string; bracket: Bracket }[] = [];
  for (const level of levels) {
    const bracket = await sweepThreshold(bazel, join(dir, `sweep-${level}`), level, low, high, resolution);
    rows.push({ level, bracket });
    log(`sweep --profile ${level}: ${bracketText(bracket)}, ${bracket.builds} builds`);
  }
  log("");
  log("| profiling | threshold | ratio to bare |");
  log("| --- | --- | --- |");
  log(`| bare \`bazel build\` | ${bracketText(bare)} | 1.00 |`);
  for (const { level, bracket } of rows) {
    const ratio = bare.threshold === undefined || bracket.threshold === undefined ? "?" : (bracket.threshold / bare.threshold).toFixed(2);
    log(`| ${level}${level === DEFAULT_PROFILE_LEVEL ? " (default)" : ""} | ${bracketText(bracket)} | ${ratio} |`);
  }
}

/**
 * One cold build at `limit`, `repeats` rounds of three ways: bare; through the sweep at the default level; and
 * the sweep's own command line for that run (read from its run.json) by hand, clean and build. The order of the
 * three turns round by round, so that no way always goes first after a sweep's warm-up or last before the next
 * round. Every timed build is in an output base that has built before (a first build also sets up the external
 * repositories, which `bazel clean` keeps): each sweep warms up once, the bare output base before round 1.
 * Ratios are paired by round (core/blame/paired-ratio.ts): the goal is judged on their 95% interval.
 */
async function overhead(bazel: string, dir: string, limit: string, repeats: number): Promise<void> {
  const seconds: Record<Way, number[]> = { bare: [], hand: [], sweep: [] };
  let argv: readonly string[] | undefined;
  const bareOutputBase = join(dir, "overhead-output-base");
  await bareBuild(bazel, bareOutputBase, limit);
  for (let round = 0; round < repeats; round++) {
    // Turned by 2 more than the round: round 1 starts with the sweep, whose run.json gives by hand its command line.
    const order = WAYS.map((_, index) => WAYS[(index + round + 2) % WAYS.length]!);
    for (const way of order) {
      if (way === "bare") seconds.bare.push((await bareBuild(bazel, bareOutputBase, limit)).seconds);
      else if (way === "hand") seconds.hand.push(await directBuild(argv!));
      else {
        const sweepOut = join(dir, `overhead-sweep-${round}`);
        await runSweep(sweepOut, ["--bazel", bazel, "--limits", limit, "--runs", "1", "--warmup", "1", "--evidence-runs", "0", "--profile", DEFAULT_PROFILE_LEVEL]);
        const record = (await records(sweepOut)).find((candidate) => !candidate.warmup);
        seconds.sweep.push(record!.wallSeconds);
        argv ??= record!.argv;
      }
    }
    log(`  round ${round + 1} (${order.join(", ")}): bare ${seconds.bare[round]!.toFixed(1)} s, by hand ${seconds.hand[round]!.toFixed(1)} s, through the sweep ${seconds.sweep[round]!.toFixed(1)} s`);
  }
  const list = (values: readonly number[]): string => values.map((value) => value.toFixed(1)).join(", ");
  const label = (text: string): string => `  ${text}`.padEnd(42);
  log("");
  log(`one cold build at ${limit}, ${repeats} rounds, the order turning each round (median, then every round):`);
  log(`${label("bare `bazel build`")} ${median(seconds.bare).toFixed(1)} s (${list(seconds.bare)})`);
  log(`${label("the sweep's command line, by hand")} ${median(seconds.hand).toFixed(1)} s (${list(seconds.hand)})`);
  log(`${label(`through the sweep at --profile ${DEFAULT_PROFILE_LEVEL}`)} ${median(seconds.sweep).toFixed(1)} s (${list(seconds.sweep)})`);
  log("paired by round, geometric mean [95% interval]:");
  log(`${label("by hand / bare")} ${ratioText(pairedRatio(seconds.hand, seconds.bare))} (the instruments of --profile ${DEFAULT_PROFILE_LEVEL})`);
  log(`${label("through the sweep / by hand")} ${ratioText(pairedRatio(seconds.sweep, seconds.hand))} (the driver alone)`);
  const total = pairedRatio(seconds.sweep, seconds.bare);
  log(`${label("through the sweep / bare")} ${ratioText(total)}: goal ≤ ${OVERHEAD_GOAL} ${goalText(goalVerdict(total, OVERHEAD_GOAL))}`);
}

const WAYS = ["bare", "hand", "sweep"] as const;
type Way = (typeof WAYS)[number];
const OVERHEAD_GOAL = 1.02;

function ratioText(ratio: PairedRatio): string {
  const interval = ratio.low === undefined || ratio.high === undefined ? "no interval from one round" : `${ratio.low.toFixed(3)}–${ratio.high.toFixed(3)}`;
  return `${ratio.ratio.toFixed(3)} [${interval}]`;
}

function goalText(verdict: GoalVerdict): string {
  if (verdict === "met") return "met (the whole interval is at or below it)";
  if (verdict === "not met") return "NOT met (the whole interval is above it)";
  return "undecided at this spread (the interval crosses it; more --repeats narrow it)";
}

/** The sweep's recorded build command (argv[0] is Bazel), run cold by hand: clean with its startup flags, then timed. */
async function directBuild(argv: readonly string[]): Promise<number> {
  const [bazel, ...args] = argv;
  const split = args.indexOf("build");
  return (await coldBuild(bazel!, args.slice(0, split), args.slice(split))).seconds;
}

/** Bisects with `bazel clean` + `bazel build` at each limit: nothing but -Xmx on Bazel's own defaults. */
async function bareThreshold(bazel: string, outputBase: string, config: SearchConfig): Promise<Bracket> {
  const runs: SearchRun[] = [];
  for (;;) {
    const step = nextSearchStep(config, runs);
    if (step.kind === "done") return { below: step.below, threshold: step.threshold, builds: runs.length };
    if (step.kind === "stuck") return { below: undefined, threshold: undefined, builds: runs.length };
    const { exitCode } = await bareBuild(bazel, outputBase, formatBytes(step.limitBytes));
    const status = exitCode === 0 ? "ok" : OOM_EXITS.has(exitCode ?? -1) ? "oom" : "failed";
    log(`  bare ${formatBytes(step.limitBytes)}: ${status} (exit ${exitCode})`);
    runs.push({ limitBytes: step.limitBytes, warmup: step.warmup, status });
  }
}

/** One cold bare build: -Xmx on Bazel's own defaults (no heap dump). */
function bareBuild(bazel: string, outputBase: string, limit: string): Promise<{ exitCode: number | null; seconds: number }> {
  const startup = [`--output_base=${outputBase}`, MAX_IDLE, `--host_jvm_args=-Xmx${limit}`, "--host_jvm_args=-XX:-HeapDumpOnOutOfMemoryError"];
  return coldBuild(bazel, startup, BUILD);
}

/** The server shut down, the output tree cleaned by a server with `startup`'s flags, then the build timed. */
async function coldBuild(bazel: string, startup: readonly string[], build: readonly string[]): Promise<{ exitCode: number | null; seconds: number }> {
  const outputBase = startup.find((flag) => flag.startsWith("--output_base="))!;
  await command(bazel, [outputBase, MAX_IDLE, "shutdown"]);
  await command(bazel, [...startup, "clean"]);
  const started = Date.now();
  // A server that ran out of memory may hang instead of exiting (Bazel 4.2.3 at small heaps): past the
  // deadline the build counts as out of memory, and its server is killed.
  let exitCode = await command(bazel, [...startup, ...build], BARE_BUILD_DEADLINE_MS);
  if (exitCode === HUNG) {
    const pidFile = join(outputBase.slice("--output_base=".length), "server", "server.pid.txt");
    const pid = Number((await readFile(pidFile, "utf8").catch(() => "")).trim());
    if (Number.isInteger(pid) && pid > 0) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
    exitCode = 37;
  }
  const seconds = (Date.now() - started) / 1000;
  await command(bazel, [...startup, "shutdown"]);
  return { exitCode, seconds };
}

async function sweepThreshold(bazel: string, out: string, level: string, low: string, high: string, resolution: string): Promise<Bracket> {
  await runSweep(out, ["--bazel", bazel, "--search", "--runs", "1", "--limits", `${low},${high}`, "--resolution", resolution, "--profile", level, "--evidence-runs", "0", "--no-heap-dumps"]);
  const found = await records(out);
  const ok = found.filter((record) => record.status === "ok").map((record) => record.limitBytes);
  const failed = found.filter((record) => record.status === "oom").map((record) => record.limitBytes);
  const threshold = ok.length === 0 ? undefined : Math.min(...ok.filter((bytes) => failed.every((failure) => failure < bytes)));
  const below = failed.filter((bytes) => threshold === undefined || bytes < threshold);
  return { below: below.length === 0 ? undefined : Math.max(...below), threshold: Number.isFinite(threshold) ? threshold : undefined, builds: found.length };
}

function runSweep(out: string, args: readonly string[]): Promise<number | null> {
  return command(process.execPath, [BUNDLE, "sweep", ...args, "--out", out]);
}

async function records(out: string): Promise<RunRecord[]> {
  const text = await readFile(join(out, RUNS_JSONL_FILE), "utf8");
  return text
    .trim()
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => checkRunRecord(JSON.parse(line), join(out, RUNS_JSONL_FILE)));
}

/** What command() returns for a command it killed at its deadline. */
const HUNG = -1;
/** A cold build of the reproduction takes 20–60 s here; one still running after this hangs. */
const BARE_BUILD_DEADLINE_MS = 4 * 60_000;

function command(file: string, args: readonly string[], deadlineMs?: number): Promise<number | null> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, { cwd: WORKSPACE, stdio: "ignore", detached: deadlineMs !== undefined });
    let hung = false;
    const timer =
      deadlineMs === undefined
        ? undefined
        : setTimeout(() => {
            hung = true;
            try {
              process.kill(-child.pid!, "SIGKILL");
            } catch {
              // gone meanwhile
            }
          }, deadlineMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise(hung ? HUNG : code);
    });
  });
}

function bracketText(bracket: Bracket): string {
  if (bracket.threshold === undefined) return "not found";
  return `(${bracket.below === undefined ? "?" : formatBytes(bracket.below)}, ${formatBytes(bracket.threshold)}]`;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

await main();
