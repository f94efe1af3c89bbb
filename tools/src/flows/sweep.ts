// `sweep`: real sub-builds across heap limits, a grid or an adaptive threshold search; then the evidence runs,
// the table, the threshold, the blame and the report, from the sweep read once (io/run-folders.ts loadSweep).
import { mkdir, readFile, realpath, stat } from "node:fs/promises";
import { basename, dirname, join, relative, sep } from "node:path";
import type { BlameResult } from "../core/blame/blame.js";
import { ExitCode, UsageError } from "../core/exit-codes.js";
import { MODE_SINCE, supportsMode, type BazelVersion } from "../core/run/bazel-flags.js";
import { REPORT_FILE, type RunRecord } from "../core/run/run-record.js";
import type { HeapLimit } from "../core/sweep/heap-limit.js";
import { evidencePlan, gridPlan, shardSlice, type PlannedRun, type Shard, type SweepSettings } from "../core/sweep/sweep-plan.js";
import { threshold, thresholdRole } from "../core/sweep/threshold.js";
import type { SearchConfig, SearchStep } from "../core/sweep/threshold-search.js";
import { Interrupter, killOrphanClients, killServer } from "../io/bazel-process.js";
import { BazelProbeError, detectBazelVersion, NotBazelError } from "../io/bazel-version.js";
import { terminalDigestProgress } from "../io/digest-progress.js";
import { isNoSpaceError } from "../io/disk-space.js";
import { loadSweep, type LoadedSweep } from "../io/run-folders.js";
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
  SweepRecords,
  writeSweepManifest,
} from "../io/sweep-folder.js";
import { acquireSweepLock, SweepLockedError, UnreadableLockError, type SweepLock } from "../io/sweep-lock.js";
import { numberedAfter, SweepProgress } from "../io/sweep-progress.js";
import { BazelCommandLineError, interruptOnSignals, runGrid, runSearch, type SweepJob } from "../io/sweep-runner.js";
import {
  bazelNotFound,
  bazelProbeFailed,
  blameNotDone,
  commandLineRefused,
  diskFull,
  gridThresholdLine,
  INTERRUPTED_LINE,
  lockTakenOverLine,
  lockUnreadable,
  modeUnsupported,
  notASweepFolder,
  notBazel,
  outNotAFolder,
  outputBaseNotIgnored,
  outputsLines,
  reportLine,
  reportNotWritten,
  resumeLine,
  runsTable,
  searchResultLines,
  sweepBlameLines,
  sweepLocked,
  sweepMismatch,
  versionLine,
} from "../render/sweep.js";
import { blameOf } from "./blame.js";
import { writeReport } from "./report.js";

/** A sweep's server is shut down after every run; this only bounds a server the sweep could not stop. */
const MAX_IDLE_SECS = 60;

/** A sweep as the command parsed it. */
export interface SweepRequest {
  readonly settings: SweepSettings;
  /** planFingerprint(settings): sweep.json's, which a resumed sweep must match. */
  readonly fingerprint: string;
  readonly limits: readonly HeapLimit[];
  readonly shard: Shard | undefined;
  readonly search: SearchConfig | undefined;
  readonly out: string;
  readonly force: boolean;
  readonly heapDumps: boolean;
  readonly keepHeapDumps: boolean;
  readonly showConsole: boolean;
}

/** The sweep, from its lock to its report; the exit code. */
export async function sweep(request: SweepRequest): Promise<ExitCode> {
  const { settings, fingerprint, out } = request;
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
    const plan: PlannedRun[] = request.search === undefined ? gridPlan(request.limits, settings.runs, settings.warmup) : [];
    // Read once, here: a run.json that cannot be read would be redone or misjudged silently, so it refuses the
    // sweep before any build; from here on the sweep keeps the records itself.
    const records = await SweepRecords.open(
      out,
      request.shard === undefined ? undefined : { shard: request.shard, runs: new Set(shardSlice(plan, request.shard).map((run) => run.id)) },
    );
    if (folder === "resumed") await removeStaleTemporaryFiles(out);
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
      force: request.force,
      heapDumps: request.heapDumps,
      keepHeapDumps: request.keepHeapDumps,
      profile: settings.profile,
      liveConsole: request.showConsole ? process.stderr : undefined,
      version,
      maxIdleSecs: MAX_IDLE_SECS,
    };
    return await runSweep(job, request, plan, records, interrupter);
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
async function runSweep(job: SweepJob, request: SweepRequest, plan: readonly PlannedRun[], records: SweepRecords, interrupter: Interrupter): Promise<ExitCode> {
  const { out } = job;
  const progress = new SweepProgress(!request.showConsole && process.stderr.isTTY === true, request.search);
  try {
    let interrupted: boolean;
    let ran: number;
    let planned: readonly PlannedRun[] = plan;
    let searchStep: SearchStep | undefined;
    if (request.search === undefined) {
      const outcome = await runGrid(job, plan, records, interrupter, progress);
      ({ interrupted } = outcome);
      ran = outcome.done.length;
    } else {
      const outcome = await runSearch(job, request.search, records, interrupter, progress);
      ({ interrupted } = outcome);
      ran = outcome.done.length;
      searchStep = outcome.step;
    }
    // Evidence runs once the threshold is known: full profiles just below and at it, outside the threshold;
    // only when a build ran out of memory (with nothing to blame, they would only cost builds).
    const found = threshold(records.all());
    if (!interrupted && job.settings.evidenceRuns > 0 && found.highestFailing !== undefined) {
      const limit = (at: { limit: string; limitBytes: number } | undefined): HeapLimit | undefined => (at === undefined ? undefined : { spelling: at.limit, bytes: at.limitBytes });
      const evidence = evidencePlan(limit(found.highestFailing), limit(found.lowestOk), job.settings.evidenceRuns);
      interrupted = (await runGrid(job, evidence, records, interrupter, numberedAfter(progress, ran))).interrupted;
      planned = [...planned, ...evidence];
    }
    progress.finish();
    const all = records.all();
    const shown = request.search === undefined ? orderLike(all.filter((record) => planned.some((run) => run.id === record.id)), planned) : all;
    process.stdout.write(runsTable(shown));
    process.stdout.write(request.search === undefined ? gridThresholdLine(threshold(shown)) : searchResultLines(searchStep, request.search.resolution));
    // Read once for blame and the report: every run's summary, and each crash run's heap digest.
    // The sweep's line is gone by now: a dump digested here (one kept undigested) gets a line of its own.
    const loaded = await loadSweep(out, { records: all, heapDigests: true, digestProgress: terminalDigestProgress }).catch((error: unknown) => {
      if (isNoSpaceError(error)) throw error;
      return new Unread(error);
    });
    const blame = sweepBlame(loaded);
    if (blame instanceof Unread) process.stderr.write(blameNotDone(out, blame.reason));
    else if (job.shard === undefined) process.stdout.write(sweepBlameLines(blame));
    process.stdout.write(outputsLines(out, indexFileNames(job.shard)));
    await writeSweepReport(out, loaded, blame instanceof Unread ? undefined : blame);
    if (interrupted) {
      process.stderr.write(INTERRUPTED_LINE);
      return ExitCode.findings;
    }
    if (request.search !== undefined) return searchStep?.kind === "done" ? ExitCode.ok : ExitCode.findings;
    return shown.some(unmeasured) ? ExitCode.findings : ExitCode.ok;
  } catch (error) {
    progress.finish();
    if (error instanceof BazelCommandLineError) throw new UsageError(commandLineRefused(error.bazelError, error.consoleFile));
    throw error;
  }
}

/** What the sweep's end could not read or compute: it costs the blame or the report, never the measurements. */
class Unread {
  readonly reason: string;
  constructor(error: unknown) {
    this.reason = error instanceof Error ? error.message : String(error);
  }
}

/** Blame over the sweep's runs, once: printed after the table (not by a shard) and shown in the report. */
function sweepBlame(loaded: LoadedSweep | Unread): BlameResult | Unread {
  if (loaded instanceof Unread) return loaded;
  try {
    return blameOf([loaded], new Set());
  } catch (error) {
    return new Unread(error);
  }
}

/** Summarises the sweep in <out>/report.html; a report that cannot be written never costs the measurements. */
async function writeSweepReport(out: string, loaded: LoadedSweep | Unread, blame: BlameResult | undefined): Promise<void> {
  const path = join(out, REPORT_FILE);
  try {
    if (loaded instanceof Unread) throw new Error(loaded.reason);
    await writeReport(loaded, blame, path, out);
    process.stdout.write(reportLine(path));
  } catch (error) {
    process.stderr.write(reportNotWritten(out, path, error instanceof Error ? error.message : String(error)));
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

/** Runs that measured nothing about the heap (core/sweep/threshold.ts): they are left out of the threshold. */
function unmeasured(record: RunRecord): boolean {
  return thresholdRole(record).kind === "left-out";
}

function orderLike(records: readonly RunRecord[], plan: readonly PlannedRun[]): RunRecord[] {
  const position = new Map(plan.map((run, index) => [run.id, index]));
  return [...records].sort((a, b) => (position.get(a.id) ?? 0) - (position.get(b.id) ?? 0));
}

/** The version of `bazel`, probed in a server of `outputBase` if need be; every failure is one UsageError (also `snapshot`'s). */
export async function detectVersion(bazel: string, workspace: string, outputBase: string): Promise<BazelVersion> {
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
