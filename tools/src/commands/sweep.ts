// `sweep`: real sub-builds across heap limits, a grid or an adaptive threshold search (issue 4). This parses the
// options into a request; flows/sweep.ts runs it.
import { Command, Option } from "commander";
import { join } from "node:path";
import { parseCount } from "../core/counts.js";
import { DurationSyntaxError, parseDuration } from "../core/duration.js";
import { ExitCode, ExitWith, UsageError } from "../core/exit-codes.js";
import { LimitSyntaxError, MAX_LIMIT_BYTES, MIN_LIMIT_BYTES, parseLimits, UNIT_BYTES, type HeapLimit } from "../core/sweep/heap-limit.js";
import { parseShard, planFingerprint, ShardSyntaxError, type SweepSettings } from "../core/sweep/sweep-plan.js";
import type { SearchConfig } from "../core/sweep/threshold-search.js";
import { BUILD_MODES, type BuildMode, DEFAULT_PROFILE_LEVEL, PROFILE_LEVELS, type ProfileLevel } from "../core/vocabulary.js";
import { sweep, type SweepRequest } from "../flows/sweep.js";
import { defaultWorkspace, MEASUREMENTS_DIR, resolveUserPath } from "../io/invocation.js";
import { collect, DEFAULT_BUILD, parseBuildOptions } from "./build-options.js";
import {
  countProblemMessage,
  durationProblemMessage,
  EVIDENCE_WITH_SHARD,
  KEEP_WITHOUT_DUMPS,
  limitProblemMessage,
  NOTHING_TO_RUN,
  RESOLUTION_WITHOUT_SEARCH,
  resolutionProblemMessage,
  SHARD_WITH_SEARCH,
  shardProblemMessage,
  SWEEP_DESCRIPTION,
  SWEEP_HELP_FOOTER,
  SWEEP_OPTION_HELP as HELP,
  SWEEP_SUMMARY,
} from "../render/sweep.js";

/**
 * What `bazel run //analysis:sweep` does with no arguments: one cold build at each of a few limits, one below
 * this repository's crash threshold (it leaves a heap dump for blame) and two above it (the GC and time signals
 * compare them), then the evidence run, in about 2 minutes on a 2-core machine (budget: 5). With the default
 * light profile the threshold is the build's own (README, `npm run bench:fidelity`): 336m–368m on Bazel 4.2.3,
 * 272m–288m on 7.7.1. Far below it (128m) a server dies slowly, thrashing or hanging for over a minute. Retune here.
 */
export const DEFAULT_PLAN = { limits: "256m,384m,1g", runs: 1, warmup: 0, ...DEFAULT_BUILD } as const;
/**
 * Two full-profile runs just below the threshold: their crashed profiles record every Starlark call, so the
 * calls the crash cut short can be reconstructed (blame's in-flight signal) even without a heap dump, which a
 * light profile, merging short calls, rarely gives; two crashes agreeing make a culprit. Two builds more.
 */
export const DEFAULT_EVIDENCE_RUNS = 2;
/** With --search and no --runs: successes the threshold needs before it is the answer. */
export const DEFAULT_SEARCH_REPEATS = 3;
export const DEFAULT_RESOLUTION = "5m";
export const DEFAULT_TIMEOUT = "10m";

interface SweepOptions {
  readonly workspace?: string;
  readonly targets?: string[];
  readonly limits: string;
  readonly runs?: string;
  readonly warmup: string;
  readonly mode: BuildMode;
  readonly config?: string[];
  readonly buildFlag?: string[];
  readonly startupFlag?: string[];
  readonly bazel: string;
  readonly out?: string;
  readonly timeout: string;
  readonly search?: boolean;
  readonly resolution?: string;
  readonly shard?: string;
  readonly force?: boolean;
  readonly profile: ProfileLevel;
  readonly evidenceRuns?: string;
  /** Commander's --no-heap-dumps: true unless given. */
  readonly heapDumps: boolean;
  readonly keepHeapDumps?: boolean;
  readonly showConsole?: boolean;
}

export function sweepCommand(): Command {
  return new Command("sweep")
    .description(SWEEP_DESCRIPTION)
    .summary(SWEEP_SUMMARY)
    .option("--workspace <dir>", HELP.workspace)
    .option("--targets <pattern>", HELP.targets, collect)
    .option("--limits <list>", HELP.limits, DEFAULT_PLAN.limits)
    .option("--runs <n>", HELP.runs)
    .option("--warmup <n>", HELP.warmup, String(DEFAULT_PLAN.warmup))
    .addOption(new Option("--mode <mode>", HELP.mode).choices(BUILD_MODES).default("regular"))
    .option("--config <name>", HELP.config, collect)
    .option("--build-flag <flag>", HELP.buildFlag, collect)
    .option("--startup-flag <flag>", HELP.startupFlag, collect)
    .option("--bazel <path>", HELP.bazel, "bazel")
    .option("--out <dir>", HELP.out)
    .option("--timeout <duration>", HELP.timeout, DEFAULT_TIMEOUT)
    .option("--search", HELP.search)
    .option("--resolution <size>", `${HELP.resolution} (default: ${DEFAULT_RESOLUTION})`)
    .option("--shard <i/n>", HELP.shard)
    .option("--force", HELP.force)
    .addOption(new Option("--profile <level>", HELP.profile).choices(PROFILE_LEVELS).default(DEFAULT_PROFILE_LEVEL))
    .option("--evidence-runs <n>", `${HELP.evidenceRuns} (default: ${DEFAULT_EVIDENCE_RUNS}; none with --shard)`)
    .option("--no-heap-dumps", HELP.noHeapDumps)
    .option("--keep-heap-dumps", HELP.keepHeapDumps)
    .option("--show-console", HELP.showConsole)
    .addHelpText("after", SWEEP_HELP_FOOTER)
    .action(async (options: SweepOptions) => {
      const code = await sweep(await parseRequest(options));
      if (code !== ExitCode.ok) throw new ExitWith(code);
    });
}

/** Checks the options and turns them into settings; every mistake is one UsageError. */
async function parseRequest(options: SweepOptions): Promise<SweepRequest> {
  const limits = usage(() => parseLimits(options.limits), (error) => (error instanceof LimitSyntaxError ? limitProblemMessage(error.problem) : undefined));
  const timeoutSeconds = usage(() => parseDuration(options.timeout), (error) => (error instanceof DurationSyntaxError ? durationProblemMessage(options.timeout) : undefined));
  const shard =
    options.shard === undefined
      ? undefined
      : usage(() => parseShard(options.shard!), (error) => (error instanceof ShardSyntaxError ? shardProblemMessage(error.problem) : undefined));
  if (options.search && shard !== undefined) throw new UsageError(SHARD_WITH_SEARCH);
  // A shard cannot know the whole sweep's threshold, so it plans no evidence runs unless asked (and then refuses).
  const evidenceRuns =
    options.evidenceRuns === undefined ? (shard === undefined ? DEFAULT_EVIDENCE_RUNS : 0) : count("--evidence-runs", options.evidenceRuns, 0);
  if (evidenceRuns > 0 && shard !== undefined) throw new UsageError(EVIDENCE_WITH_SHARD);
  if (options.keepHeapDumps === true && !options.heapDumps) throw new UsageError(KEEP_WITHOUT_DUMPS);
  if (!options.search && options.resolution !== undefined) throw new UsageError(RESOLUTION_WITHOUT_SEARCH);
  const runs = count("--runs", options.runs ?? String(options.search ? DEFAULT_SEARCH_REPEATS : DEFAULT_PLAN.runs), options.search ? 1 : 0);
  const warmup = count("--warmup", options.warmup, 0);
  if (runs + warmup === 0) throw new UsageError(NOTHING_TO_RUN);
  const build = await parseBuildOptions(options);
  const resolution = options.search ? parseResolution(options.resolution ?? DEFAULT_RESOLUTION) : undefined;

  const low = limits[0]!;
  const high = limits[limits.length - 1]!;
  const settings: SweepSettings = {
    workspace: build.workspace,
    bazel: build.bazel,
    targets: [...build.targets],
    limits: resolution === undefined ? limits.map((limit) => limit.spelling) : [low.spelling, high.spelling],
    runs,
    warmup,
    mode: options.mode,
    configs: [...build.configs],
    buildFlags: [...build.buildFlags],
    startupFlags: [...build.startupFlags],
    timeoutSeconds,
    search: resolution === undefined ? null : { resolution: resolution.spelling, repeats: runs },
    profile: options.profile,
    evidenceRuns,
  };
  const search: SearchConfig | undefined =
    resolution === undefined
      ? undefined
      : { low: low.bytes, high: high.bytes, resolution: resolution.bytes, repeats: runs, warmup, floor: MIN_LIMIT_BYTES, ceiling: MAX_LIMIT_BYTES };
  const fingerprint = planFingerprint(settings);
  return {
    settings,
    fingerprint,
    limits,
    shard,
    search,
    out: options.out === undefined ? join(defaultWorkspace(), MEASUREMENTS_DIR, `sweep-${fingerprint.slice(0, 8)}`) : resolveUserPath(options.out),
    force: options.force === true,
    heapDumps: options.heapDumps,
    keepHeapDumps: options.keepHeapDumps === true,
    showConsole: options.showConsole === true,
  };
}

function parseResolution(text: string): HeapLimit {
  const match = /^(\d+)([kmg]?)$/i.exec(text.trim());
  const bytes = match === null ? 0 : Number(match[1]) * UNIT_BYTES[(match[2] ?? "").toLowerCase() as keyof typeof UNIT_BYTES];
  if (!(bytes >= UNIT_BYTES.m)) throw new UsageError(resolutionProblemMessage(text));
  return { spelling: `${Number(match![1])}${(match![2] ?? "").toLowerCase()}`, bytes };
}

function count(option: string, text: string, min: number): number {
  const value = parseCount(text);
  if (value === undefined || value < min) throw new UsageError(countProblemMessage(option, text, min));
  return value;
}

function usage<T>(parse: () => T, message: (error: unknown) => string | undefined): T {
  try {
    return parse();
  } catch (error) {
    const text = message(error);
    if (text === undefined) throw error;
    throw new UsageError(text);
  }
}
