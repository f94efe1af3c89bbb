// `sweep`: real sub-builds across heap limits, a grid or an adaptive threshold search (issue 4).
import { Command, Option } from "commander";
import { mkdir, readFile, realpath, stat } from "node:fs/promises";
import { basename, dirname, join, relative, sep } from "node:path";
import { MODE_SINCE, supportsMode, type BazelVersion } from "../core/run/bazel-flags.js";
import { DurationSyntaxError, parseDuration } from "../core/duration.js";
import { ExitCode, ExitWith, UsageError } from "../core/exit-codes.js";
import { LimitSyntaxError, MAX_LIMIT_BYTES, MIN_LIMIT_BYTES, parseLimits, UNIT_BYTES, type HeapLimit } from "../core/sweep/heap-limit.js";
import { REPORT_FILE, type RunRecord } from "../core/run/run-record.js";
import { evidencePlan, gridPlan, parseShard, planFingerprint, ShardSyntaxError, type PlannedRun, type Shard, type SweepSettings } from "../core/sweep/sweep-plan.js";
import { threshold, thresholdRole } from "../core/sweep/threshold.js";
import { estimateRemainingBuilds, type SearchConfig } from "../core/sweep/threshold-search.js";
import { BazelProbeError, detectBazelVersion, NotBazelError } from "../io/bazel-version.js";
import { writeReport } from "./report.js";
import { Interrupter, killOrphanClients, killServer } from "../io/bazel-process.js";
import { defaultWorkspace, findWorkspaceRoot, MEASUREMENTS_DIR, resolveUserPath } from "../io/invocation.js";
import { isNoSpaceError } from "../io/disk-space.js";
import {
  checkSweepFolder,
  indexFileNames,
  NotAFolderError,
  NotASweepFolderError,
  readRunRecords,
  removeEmptyFolders,
  removeStaleTemporaryFiles,
  removeTree,
  SweepMismatchError,
  writeSweepManifest,
} from "../io/sweep-folder.js";
import { acquireSweepLock, SweepLockedError, UnreadableLockError, type SweepLock } from "../io/sweep-lock.js";
import { BazelCommandLineError, interruptOnSignals, runGrid, runSearch, type SearchOutcome, type SweepJob, type SweepObserver } from "../io/sweep-runner.js";
import { unreadableRunSkipped } from "../render/blame.js";
import { blameSweeps } from "./blame.js";
import {
  bazelNotFound,
  blameNotDone,
  digestFailedLine,
  EVIDENCE_WITH_SHARD,
  KEEP_WITHOUT_DUMPS,
  sweepBlameLines,
  bazelProbeFailed,
  commandLineRefused,
  countProblemMessage,
  diskFull,
  durationProblemMessage,
  gridThresholdLine,
  INTERRUPTED_LINE,
  limitProblemMessage,
  lockTakenOverLine,
  lockUnreadable,
  modeUnsupported,
  NOTHING_TO_RUN,
  notASweepFolder,
  notAWorkspace,
  notBazel,
  outNotAFolder,
  outputBaseNotIgnored,
  outputsLines,
  progressLine,
  reportLine,
  reportNotWritten,
  RESOLUTION_WITHOUT_SEARCH,
  resolutionProblemMessage,
  resumeLine,
  runFinishedLine,
  runsTable,
  runStartedLine,
  searchResultLines,
  SHARD_WITH_SEARCH,
  shardProblemMessage,
  SWEEP_DESCRIPTION,
  SWEEP_SUMMARY,
  SWEEP_HELP_FOOTER,
  SWEEP_OPTION_HELP as HELP,
  sweepLocked,
  sweepMismatch,
  targetProblemMessage,
  versionLine,
} from "../render/sweep.js";
import { BUILD_MODES, type BuildMode, DEFAULT_PROFILE_LEVEL, PROFILE_LEVELS, type ProfileLevel } from "../core/vocabulary.js";

/**
 * What `bazel run //analysis:sweep` does with no arguments: one cold build at each of a few limits, one below
 * this repository's crash threshold (it leaves a heap dump for blame) and two above it (the GC and time signals
 * compare them), then the evidence run, in about 2 minutes on a 2-core machine (budget: 5). With the default
 * light profile the threshold is the build's own (README, `npm run bench:fidelity`): 336m–368m on Bazel 4.2.3,
 * 272m–288m on 7.7.1. Far below it (128m) a server dies slowly, thrashing or hanging for over a minute. Retune here.
 */
export const DEFAULT_PLAN = { limits: "256m,384m,1g", runs: 1, warmup: 0, configs: ["eat"], targets: ["//..."] } as const;
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
/** A sweep's server is shut down after every run; this only bounds a server the sweep could not stop. */
const MAX_IDLE_SECS = 60;

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

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

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
      const code = await sweep(options);
      if (code !== ExitCode.ok) throw new ExitWith(code);
    });
}

interface Request {
  readonly settings: SweepSettings;
  readonly limits: readonly HeapLimit[];
  readonly shard: Shard | undefined;
  readonly search: SearchConfig | undefined;
  readonly out: string | undefined;
}

/** Checks the options and turns them into settings; every mistake is one UsageError. */
async function parseRequest(options: SweepOptions): Promise<Request> {
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
  for (const target of options.targets ?? []) {
    // Patterns go to Bazel as arguments, never through a shell; none has whitespace, so one that does
    // is several patterns in one --targets (or a command line pasted by mistake).
    if (target.trim() === "" || /[\s\u0000-\u001f]/.test(target)) throw new UsageError(targetProblemMessage(target));
  }
  const resolution = options.search ? parseResolution(options.resolution ?? DEFAULT_RESOLUTION) : undefined;

  const workspace = options.workspace === undefined ? defaultWorkspace() : await workspaceRoot(resolveUserPath(options.workspace));
  const configs = options.config ?? (options.workspace === undefined ? [...DEFAULT_PLAN.configs] : []);
  const bazel = options.bazel.includes("/") ? resolveUserPath(options.bazel) : options.bazel;
  const low = limits[0]!;
  const high = limits[limits.length - 1]!;
  const settings: SweepSettings = {
    workspace,
    bazel,
    targets: options.targets ?? [...DEFAULT_PLAN.targets],
    limits: resolution === undefined ? limits.map((limit) => limit.spelling) : [low.spelling, high.spelling],
    runs,
    warmup,
    mode: options.mode,
    configs,
    buildFlags: options.buildFlag ?? [],
    startupFlags: options.startupFlag ?? [],
    timeoutSeconds,
    search: resolution === undefined ? null : { resolution: resolution.spelling, repeats: runs },
    profile: options.profile,
    evidenceRuns,
  };
  const search: SearchConfig | undefined =
    resolution === undefined
      ? undefined
      : { low: low.bytes, high: high.bytes, resolution: resolution.bytes, repeats: runs, warmup, floor: MIN_LIMIT_BYTES, ceiling: MAX_LIMIT_BYTES };
  return { settings, limits, shard, search, out: options.out === undefined ? undefined : resolveUserPath(options.out) };
}

async function sweep(options: SweepOptions): Promise<ExitCode> {
  const request = await parseRequest(options);
  const { settings } = request;
  const fingerprint = planFingerprint(settings);
  const out = request.out ?? join(defaultWorkspace(), MEASUREMENTS_DIR, `sweep-${fingerprint.slice(0, 8)}`);
  // Checked before the lock, which writes into the folder, and again under it.
  if ((await folderState(out, fingerprint, settings)) === "resumed") await readRunRecords(out);
  // What this sweep creates is removed again if it stops before its first run (nothing was written then).
  const created = { top: await firstMissing(out), outputBase: false };
  const lock = await lockFolder(out).catch(async (error: unknown) => {
    if (created.top !== undefined) await removeEmptyFolders(out, created.top);
    throw error;
  });
  if (lock.tookOverFrom !== undefined) process.stderr.write(lockTakenOverLine(out, lock.tookOverFrom));
  // From here on Ctrl-C and SIGTERM end the sweep through the finally below, which releases the lock.
  const interrupter = new Interrupter();
  const uninstall = interruptOnSignals(interrupter);
  let started = false;
  try {
    const folder = await folderState(out, fingerprint, settings);
    if (folder === "resumed") {
      // A run.json that cannot be read would be redone or misjudged silently: refuse before any build.
      await readRunRecords(out);
      await removeStaleTemporaryFiles(out);
    }
    await checkOutputBaseIgnored(join(out, "output_base"), settings.workspace);
    created.outputBase = (await mkdir(join(out, "output_base"), { recursive: true })) !== undefined;
    // The server's command line names its output base as given; find it again by its real path.
    const outputBase = await realpath(join(out, "output_base"));
    // A sweep killed outright leaves its Bazel client running, holding the output base's client lock that
    // the version probe would wait for; under our lock no client there is ours. Its server is still busy with
    // that client's build, which a shutdown would wait for: it is killed too.
    if ((await killOrphanClients(outputBase)).length > 0) await killServer(outputBase);

    const version = await detectVersion(settings.bazel, settings.workspace, outputBase);
    process.stderr.write(versionLine(settings.bazel, version));
    if (!supportsMode(version, settings.mode)) throw new UsageError(modeUnsupported(settings.mode, version, settings.bazel, MODE_SINCE[settings.mode]));

    const plan: PlannedRun[] = request.search === undefined ? gridPlan(request.limits, settings.runs, settings.warmup) : [];
    if (folder === "new") {
      await writeSweepManifest(out, {
        schema: 1,
        fingerprint,
        settings,
        bazelVersion: version.label,
        bazelVersionSource: version.source,
        plannedRuns: plan.map((run) => run.id),
      });
    } else {
      process.stderr.write(resumeLine(out));
    }
    started = true;
    const job: SweepJob = {
      settings,
      out,
      outputBase,
      shard: request.shard,
      force: options.force === true,
      heapDumps: options.heapDumps,
      keepHeapDumps: options.keepHeapDumps === true,
      profile: settings.profile,
      onDigestFailed: (runDir, reason) => process.stderr.write(digestFailedLine(runDir, reason)),
      liveConsole: options.showConsole ? process.stderr : undefined,
      version,
      maxIdleSecs: MAX_IDLE_SECS,
    };
    return await runSweep(job, request, plan, interrupter, options.showConsole === true);
  } catch (error) {
    if (isNoSpaceError(error)) throw new UsageError(diskFull(out, started));
    throw error;
  } finally {
    uninstall();
    if (!started && created.outputBase) await removeTree(join(out, "output_base"));
    await lock.release();
    if (!started && created.top !== undefined) await removeEmptyFolders(out, created.top);
  }
}

/** The runs, the evidence runs, the table, the threshold, the blame, the report; the exit code. */
async function runSweep(job: SweepJob, request: Request, plan: readonly PlannedRun[], interrupter: Interrupter, showConsole: boolean): Promise<ExitCode> {
  const { out } = job;
  const progress = new Progress(!showConsole && process.stderr.isTTY === true, request.search);
  try {
    let interrupted: boolean;
    let planned: readonly PlannedRun[] = plan;
    let searchStep: SearchOutcome["step"];
    if (request.search === undefined) {
      interrupted = (await runGrid(job, plan, interrupter, progress)).interrupted;
    } else {
      const outcome = await runSearch(job, request.search, interrupter, progress);
      interrupted = outcome.interrupted;
      searchStep = outcome.step;
    }
    // Evidence runs once the threshold is known: full profiles just below and at it, outside the threshold;
    // only when a build ran out of memory (with nothing to blame, they would only cost builds).
    const found = threshold(await readRunRecords(out));
    if (!interrupted && job.settings.evidenceRuns > 0 && found.highestFailing !== undefined) {
      const limit = (at: { limit: string; limitBytes: number } | undefined): HeapLimit | undefined => (at === undefined ? undefined : { spelling: at.limit, bytes: at.limitBytes });
      const evidence = evidencePlan(limit(found.highestFailing), limit(found.lowestOk), job.settings.evidenceRuns);
      interrupted = (await runGrid(job, evidence, interrupter, progress)).interrupted;
      planned = [...planned, ...evidence];
    }
    progress.finish();
    const all = await readRunRecords(out);
    const records = request.search === undefined ? all.filter((record) => planned.some((run) => run.id === record.id)) : all;
    process.stdout.write(runsTable(request.search === undefined ? orderLike(records, planned) : records));
    process.stdout.write(request.search === undefined ? gridThresholdLine(threshold(records)) : searchResultLines(searchStep, request.search.resolution));
    if (job.shard === undefined) await printBlame(out);
    process.stdout.write(outputsLines(out, indexFileNames(job.shard)));
    await writeSweepReport(out);
    if (interrupted) {
      process.stderr.write(INTERRUPTED_LINE);
      return ExitCode.findings;
    }
    if (request.search !== undefined) return searchStep?.kind === "done" ? ExitCode.ok : ExitCode.findings;
    return records.some(unmeasured) ? ExitCode.findings : ExitCode.ok;
  } catch (error) {
    progress.finish();
    if (error instanceof BazelCommandLineError) throw new UsageError(commandLineRefused(error.bazelError, error.consoleFile));
    throw error;
  }
}

/** The verdict and the top suspects, after the runs table; a blame that fails never costs the measurements. */
async function printBlame(out: string): Promise<void> {
  try {
    const result = await blameSweeps([out], new Set(), (problem) => process.stderr.write(unreadableRunSkipped(problem)));
    process.stdout.write(sweepBlameLines(result));
  } catch (error) {
    if (isNoSpaceError(error)) throw error;
    process.stderr.write(blameNotDone(out, error instanceof Error ? error.message : String(error)));
  }
}

/** Whether `out` is new or holds this plan; every other case is one UsageError. Writes nothing. */
async function folderState(out: string, fingerprint: string, settings: SweepSettings): Promise<"new" | "resumed"> {
  try {
    return await checkSweepFolder(out, fingerprint, settings);
  } catch (error) {
    if (error instanceof SweepMismatchError) throw new UsageError(sweepMismatch(out, error.differences));
    if (error instanceof NotASweepFolderError) throw new UsageError(notASweepFolder(out));
    if (error instanceof NotAFolderError) throw new UsageError(outNotAFolder(out, error.throughFile));
    throw error;
  }
}

/** The sweep folder's lock for this sweep, or one UsageError naming the sweep that holds it. */
async function lockFolder(out: string): Promise<SweepLock> {
  try {
    return await acquireSweepLock(out, process.argv);
  } catch (error) {
    if (error instanceof SweepLockedError) throw new UsageError(sweepLocked(out, error.lockFile, error.holder, error.elsewhere));
    if (error instanceof UnreadableLockError) throw new UsageError(lockUnreadable(out, error.lockFile));
    if (isNoSpaceError(error)) throw new UsageError(diskFull(out, false));
    throw error;
  }
}

/** The outermost folder of `path` that does not exist yet (`path` itself, or an ancestor); undefined if it exists. */
async function firstMissing(path: string): Promise<string | undefined> {
  if ((await stat(path).catch(() => undefined)) !== undefined) return undefined;
  const parent = dirname(path);
  return parent === path ? path : ((await firstMissing(parent)) ?? path);
}

/** Summarises the sweep in <out>/report.html; a report that cannot be written never costs the measurements. */
async function writeSweepReport(out: string): Promise<void> {
  const path = join(out, REPORT_FILE);
  try {
    await writeReport(out, path);
    process.stdout.write(reportLine(path));
  } catch (error) {
    process.stderr.write(reportNotWritten(out, path, error instanceof Error ? error.message : String(error)));
  }
}

/** Runs that measured nothing about the heap (core/sweep/threshold.ts): they are left out of the threshold. */
function unmeasured(record: RunRecord): boolean {
  return thresholdRole(record).kind === "left-out";
}

function orderLike(records: readonly RunRecord[], plan: readonly PlannedRun[]): RunRecord[] {
  const position = new Map(plan.map((run, index) => [run.id, index]));
  return [...records].sort((a, b) => (position.get(a.id) ?? 0) - (position.get(b.id) ?? 0));
}

async function detectVersion(bazel: string, workspace: string, outputBase: string): Promise<BazelVersion> {
  try {
    return await detectBazelVersion(bazel, { workspace, startupFlags: [`--output_base=${outputBase}`, `--max_idle_secs=${MAX_IDLE_SECS}`] });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" || (error as NodeJS.ErrnoException).code === "EACCES") {
      throw new UsageError(bazelNotFound(bazel));
    }
    if (error instanceof BazelProbeError) throw new UsageError(bazelProbeFailed(bazel, error.exitCode, error.output));
    if (error instanceof NotBazelError) throw new UsageError(notBazel(bazel, error.versionOutput));
    throw error;
  }
}

/**
 * An output base inside the workspace must be in its .bazelignore, or `//...` would descend into it
 * (this repository ignores measurements/, where default outputs go).
 */
async function checkOutputBaseIgnored(outputBase: string, workspace: string): Promise<void> {
  const realWorkspace = await realpath(workspace);
  const inside = relative(realWorkspace, await realPathOfNew(outputBase));
  if (inside.startsWith("..") || inside === "" || inside.startsWith(sep)) return;
  const ignored = (await readFile(join(realWorkspace, ".bazelignore"), "utf8").catch(() => ""))
    .split("\n")
    .map((line) => line.trim().replace(/\/+$/, ""))
    .filter((line) => line !== "" && !line.startsWith("#"));
  if (ignored.some((entry) => inside === entry || inside.startsWith(`${entry}/`))) return;
  throw new UsageError(outputBaseNotIgnored(outputBase, realWorkspace, inside.split(sep)[0]!));
}

/** The real path of a path that may not exist yet: its nearest existing ancestor's, plus the rest. */
async function realPathOfNew(path: string): Promise<string> {
  const real = await realpath(path).catch(() => undefined);
  if (real !== undefined) return real;
  const parent = dirname(path);
  return parent === path ? path : join(await realPathOfNew(parent), basename(path));
}

async function workspaceRoot(path: string): Promise<string> {
  if (!(await stat(path).catch(() => undefined))?.isDirectory()) throw new UsageError(notAWorkspace(path));
  try {
    const root = findWorkspaceRoot(path);
    if (root !== path) throw new UsageError(notAWorkspace(path));
    return root;
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(notAWorkspace(path));
    throw error;
  }
}

function parseResolution(text: string): HeapLimit {
  const match = /^(\d+)([kmg]?)$/i.exec(text.trim());
  const bytes = match === null ? 0 : Number(match[1]) * UNIT_BYTES[(match[2] ?? "").toLowerCase() as keyof typeof UNIT_BYTES];
  if (!(bytes >= UNIT_BYTES.m)) throw new UsageError(resolutionProblemMessage(text));
  return { spelling: `${Number(match![1])}${(match![2] ?? "").toLowerCase()}`, bytes };
}

function count(option: string, text: string, min: number): number {
  const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value < min) throw new UsageError(countProblemMessage(option, text, min));
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

/** Progress on stderr: one redrawn line on a terminal, plain lines otherwise. */
class Progress implements SweepObserver {
  private readonly started = Date.now();
  private readonly durations: number[] = [];
  private lastStatus: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private drawn = false;

  constructor(
    private readonly tty: boolean,
    private readonly search: SearchConfig | undefined,
  ) {}

  private records: RunRecord[] = [];
  private runStart = Date.now();

  runStarted(position: number, total: number | undefined, run: PlannedRun): void {
    if (!this.tty) {
      process.stderr.write(runStartedLine(position, total, run));
      return;
    }
    const runStart = Date.now();
    this.runStart = runStart;
    const draw = (): void => {
      const mean = this.durations.length === 0 ? undefined : this.durations.reduce((a, b) => a + b, 0) / this.durations.length;
      const remaining = total === undefined ? (this.search === undefined ? undefined : estimateRemainingBuilds(this.search, this.records)) : total - position + 1;
      const eta = mean === undefined || remaining === undefined ? undefined : Math.max(0, remaining * mean - (Date.now() - runStart) / 1000);
      const line = progressLine({ position, total, run, elapsedSeconds: (Date.now() - this.started) / 1000, etaSeconds: eta, lastStatus: this.lastStatus });
      // Never wider than the terminal, or the line would wrap and \r could not redraw it.
      process.stderr.write(`\r\u001b[2K${line.slice(0, Math.max(20, (process.stderr.columns || 120) - 1))}`);
      this.drawn = true;
    };
    clearInterval(this.timer);
    draw();
    this.timer = setInterval(draw, 1000);
  }

  runFinished(record: RunRecord): void {
    // Whole runs, the clean and the server start included: that is what the remaining runs will take.
    this.durations.push((Date.now() - this.runStart) / 1000);
    this.lastStatus = record.status;
    this.records.push(record);
    // On a terminal, finished runs stay on screen above the progress line (redrawn by the next run).
    if (this.tty) this.finish();
    process.stderr.write(runFinishedLine(record));
  }

  finish(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.drawn) process.stderr.write("\r\u001b[2K");
    this.drawn = false;
  }
}
