// Runs a sweep's sub-builds: one cold build per planned run, its artifacts collected into the run folder,
// its record written and added to the indexes (io/sweep-folder.ts SweepRecords); a grid plan in order, or the
// adaptive search run by run.
//
// A cold analysis, cheaply: before each run the previous server is shut down and `bazel clean` runs with
// the run's own startup flags. The clean starts the new server (heap = this run's limit) and empties the
// output tree and action cache like the original's `bazel clean`; the build then reuses that server, so a
// run costs one server start (~2 s here), and its analysis starts from an empty Skyframe in a fresh JVM.
// (`--discard_analysis_cache` or a clean in the old server would leave a JVM whose heap has already grown;
// a shutdown without clean would let the execution phase hit the action cache.) The server is shut down
// after the run, so it holds no memory between runs.
//
// A full disk under the sweep folder stops the sweep (DiskFullError) before or after the run that found
// it; that run's folder is deleted (it is redone on resume), finished runs are never touched.
import { readdir, readFile, rename, rm, copyFile, mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { firstBazelError } from "../core/run/bazel-messages.js";
import { sweepBuildFlags, sweepJvmFlags, type BazelVersion } from "../core/run/bazel-flags.js";
import { DEFAULT_DIGEST_TOP } from "../core/heap/heap-digest.js";
import { gcPressure, parseGcLog } from "../core/run/gc-log.js";
import { ARTIFACT_FILES, type RunArtifacts, type RunRecord } from "../core/run/run-record.js";
import { classifyRun } from "../core/run/run-status.js";
import { runId, runsToDo, shardSlice, type PlannedRun, type Shard, type SweepSettings } from "../core/sweep/sweep-plan.js";
import { nextSearchStep, type SearchConfig, type SearchStep } from "../core/sweep/threshold-search.js";
import { formatBytes, type HeapLimit } from "../core/sweep/heap-limit.js";
import { Interrupter, killOrphanClients, killServer, runBazelCommand, serverPid } from "./bazel-process.js";
import { checkFreeSpace, DiskFullError, freeBytes, isNoSpaceError, NO_SPACE_PATTERN } from "./disk-space.js";
import { noDigestProgress, withDigestProgress, type DigestProgress, type DigestProgressFactory } from "./digest-progress.js";
import { digestDumpFile } from "./heap-dumps.js";
import { writeHeapDigestFile } from "./heap-digest-file.js";
import { runSummary } from "./run-summary.js";
import { clearRunFolder, isFile, removeTree, runFolder, writeRunRecord, type SweepRecords } from "./sweep-folder.js";
import type { ProfileLevel } from "../core/vocabulary.js";

export interface SweepJob {
  readonly settings: SweepSettings;
  readonly out: string;
  /** Absolute, symlink-free: the server's command line names it, and we find the server by it. */
  readonly outputBase: string;
  readonly shard: Shard | undefined;
  readonly force: boolean;
  /** Capture the JVM's heap dump at an OutOfMemoryError (digested right after the run, then deleted). */
  readonly heapDumps: boolean;
  /** Keep the dump beside its digest (hundreds of MB each). */
  readonly keepHeapDumps: boolean;
  /** How much the runs record; evidence runs record everything ("full"). */
  readonly profile: ProfileLevel;
  readonly liveConsole: NodeJS.WritableStream | undefined;
  readonly version: BazelVersion;
  readonly maxIdleSecs: number;
}

export interface SweepObserver {
  /** `position` is 1-based among the runs this invocation does; `total` undefined for a search. */
  runStarted(position: number, total: number | undefined, run: PlannedRun): void;
  runFinished(record: RunRecord): void;
  /** The progress of a crash run's heap digest, which runs between the two (none when left out). */
  digestProgress?(): DigestProgress;
  /** A crash run's heap dump could not be digested (it is kept then); told between the two. */
  digestFailed(runDir: string, reason: string): void;
}

/** A sub-build's command line was refused by Bazel (exit 2): a bad --build-flag or --config, not a measurement. */
export class BazelCommandLineError extends Error {
  override readonly name = "BazelCommandLineError";
  constructor(
    readonly bazelError: string | null,
    readonly consoleFile: string,
  ) {
    super(`Bazel refused the command line: ${bazelError ?? "(no ERROR line)"}`);
  }
}

/** Bazel's exit code for a command-line problem (bad flag, unknown --config). */
const COMMAND_LINE_EXIT_CODE = 2;

export interface GridOutcome {
  readonly done: readonly RunRecord[];
  readonly skipped: number;
  readonly interrupted: boolean;
}

/** Runs the grid plan's runs that are not finished yet (all with --force), this shard's only. */
export async function runGrid(job: SweepJob, plan: readonly PlannedRun[], records: SweepRecords, interrupter: Interrupter, observer: SweepObserver): Promise<GridOutcome> {
  const mine = shardSlice(plan, job.shard);
  const todo = runsToDo(mine, records.all(), job.force);
  const done: RunRecord[] = [];
  // Also when nothing runs: it repairs an index a sweep killed outright left cut or stale, and shards copied
  // together get their own from the first sweep run there.
  await records.writeIndexes();
  const session = new ServerSession(job);
  try {
    for (const [index, planned] of todo.entries()) {
      if (interrupter.interrupted) break;
      observer.runStarted(index + 1, todo.length, planned);
      const record = await runOne(job, planned, interrupter, session, observer);
      done.push(record);
      await records.add(record);
      observer.runFinished(record);
    }
  } finally {
    await session.close();
  }
  return { done, skipped: mine.length - todo.length, interrupted: interrupter.interrupted };
}

export interface SearchOutcome {
  readonly done: readonly RunRecord[];
  readonly step: SearchStep | undefined;
  readonly interrupted: boolean;
}

/** The adaptive search: asks the planner for the next run until it is done (or stuck, or interrupted). */
export async function runSearch(job: SweepJob, config: SearchConfig, records: SweepRecords, interrupter: Interrupter, observer: SweepObserver): Promise<SearchOutcome> {
  // --force redoes the whole search: its earlier runs would otherwise steer the new one.
  if (job.force) await records.removeAll();
  const redone = new Set<string>();
  const done: RunRecord[] = [];
  await records.writeIndexes();
  const session = new ServerSession(job);
  let step: SearchStep | undefined;
  try {
    for (let position = 1; !interrupter.interrupted; position++) {
      step = nextSearchStep(config, records.all());
      if (step.kind !== "run") break;
      const planned = searchRun(step.limitBytes, step.warmup, records.all(), redone);
      observer.runStarted(position, undefined, planned);
      redone.add(planned.id);
      const record = await runOne(job, planned, interrupter, session, observer);
      done.push(record);
      await records.add(record);
      observer.runFinished(record);
    }
  } finally {
    await session.close();
  }
  return { done, step: interrupter.interrupted ? undefined : step, interrupted: interrupter.interrupted };
}

/** The planned run for a search probe: an interrupted run at that limit is redone under its id. */
function searchRun(limitBytes: number, warmup: boolean, records: readonly RunRecord[], redone: ReadonlySet<string>): PlannedRun {
  const atLimit = records.filter((record) => record.limitBytes === limitBytes && record.warmup === warmup);
  const interrupted = atLimit.find((record) => record.status === "interrupted" && !redone.has(record.id));
  const limit: HeapLimit = { spelling: formatBytes(limitBytes), bytes: limitBytes };
  if (interrupted !== undefined) return { id: interrupted.id, limit, iteration: interrupted.iteration, warmup };
  const iteration = Math.max(0, ...atLimit.map((record) => record.iteration)) + 1;
  return { id: runId(limitBytes, warmup, iteration), limit, iteration, warmup };
}

/**
 * The sweep's one Bazel server at a time, in its dedicated output base. Remembers the startup flags of
 * the server it started, because `bazel shutdown` with other startup flags would first start a new server.
 */
class ServerSession {
  private startupFlags: readonly string[];

  constructor(private readonly job: SweepJob) {
    this.startupFlags = baseStartupFlags(job);
  }

  /** Stops whatever server runs in the output base (a stale one from an earlier sweep included). */
  async stop(): Promise<void> {
    await killOrphanClients(this.job.outputBase);
    if ((await serverPid(this.job.outputBase)) === undefined) return;
    const shutdown = [...this.startupFlags, "shutdown"];
    const log = join(this.job.outputBase, "sweep-shutdown.log");
    await runBazelCommand(
      { bazel: this.job.settings.bazel, args: shutdown, cwd: this.job.settings.workspace, outputBase: this.job.outputBase, consoleFile: log, timeoutMs: 30_000, watch: undefined },
      new Interrupter(),
    ).catch(() => undefined);
    // A server that does not go (it hung after an OutOfMemoryError, or ran with other startup flags) is killed.
    if ((await serverPid(this.job.outputBase)) !== undefined) await killServer(this.job.outputBase);
  }

  use(startupFlags: readonly string[]): void {
    this.startupFlags = startupFlags;
  }

  /**
   * Stops the server and deletes the output base: every run starts with a clean anyway, so it holds nothing
   * worth keeping (139 MB for this repository), and the sweep folder stays small enough to copy around.
   */
  async close(): Promise<void> {
    await this.stop();
    await removeTree(this.job.outputBase);
  }
}

function baseStartupFlags(job: SweepJob): string[] {
  return [`--output_base=${job.outputBase}`, `--max_idle_secs=${job.maxIdleSecs}`];
}

/** How the observer shows a crash run's heap digest: as it says, or not at all. */
function digestProgressOf(observer: SweepObserver): DigestProgressFactory {
  return () => observer.digestProgress?.() ?? noDigestProgress();
}

/** A run, or DiskFullError (its folder deleted) when the disk under the sweep folder is or becomes full. */
async function runOne(job: SweepJob, planned: PlannedRun, interrupter: Interrupter, session: ServerSession, observer: SweepObserver): Promise<RunRecord> {
  await checkFreeSpace(job.out);
  try {
    return await measure(job, planned, interrupter, session, observer);
  } catch (error) {
    if (!isNoSpaceError(error)) throw error;
    // Nothing of a run the disk cut short is worth keeping; deleting it frees space and lets resume redo it.
    await session.stop();
    await clearRunFolder(job.out, planned.id);
    throw error instanceof DiskFullError ? error : new DiskFullError(job.out, { cause: error });
  }
}

/** When the run's own logs say a write found no space, with less than this free the disk is the sweep's. */
const NO_SPACE_EVIDENCE_FREE_BYTES = 1024 ** 3;

async function measure(job: SweepJob, planned: PlannedRun, interrupter: Interrupter, session: ServerSession, observer: SweepObserver): Promise<RunRecord> {
  const { settings } = job;
  const profileLevel: ProfileLevel = planned.evidence === true ? "full" : job.profile;
  const dir = runFolder(job.out, planned.id);
  await clearRunFolder(job.out, planned.id);
  await mkdir(dir, { recursive: true });
  const path = (name: string): string => join(dir, name);
  const startupFlags = [
    ...baseStartupFlags(job),
    ...sweepJvmFlags(planned.limit.spelling, job.heapDumps ? path(ARTIFACT_FILES.heapDump) : undefined, path(ARTIFACT_FILES.gcLog)).map(
      (flag) => `--host_jvm_args=${flag}`,
    ),
    ...settings.startupFlags,
  ];
  const buildArgs = [
    ...startupFlags,
    "build",
    ...settings.configs.map((config) => `--config=${config}`),
    ...settings.buildFlags,
    // No bazel-* convenience symlinks: they would point the user's workspace at the sweep's output base.
    "--symlink_prefix=/",
    ...sweepBuildFlags(job.version, {
      mode: settings.mode,
      profileLevel,
      profile: path(ARTIFACT_FILES.profile),
      starlarkCpuProfile: path(ARTIFACT_FILES.starlarkCpuProfile),
      memoryProfile: path(ARTIFACT_FILES.memoryProfile),
      bep: path(ARTIFACT_FILES.bep),
    }),
    "--",
    ...settings.targets,
  ];
  const cleanArgs = [...startupFlags, "clean"];
  const consoleFile = path(ARTIFACT_FILES.console);
  const timeoutMs = settings.timeoutSeconds * 1000;
  const watch = { gcLog: path(ARTIFACT_FILES.gcLog), limitBytes: planned.limit.bytes, heapDump: job.heapDumps ? path(ARTIFACT_FILES.heapDump) : undefined };
  const common = { bazel: settings.bazel, cwd: settings.workspace, outputBase: job.outputBase, live: job.liveConsole, timeoutMs, watch };

  await session.stop();
  await removeHeapDumps(job.outputBase);
  // The watch reads the server's logs for an OutOfMemoryError: the last server's must not count.
  await removeServerLogs(job.outputBase);
  session.use(startupFlags);
  const cleanLog = path("clean.log");
  let argv = [settings.bazel, ...cleanArgs];
  let result = await runBazelCommand({ ...common, args: cleanArgs, consoleFile: cleanLog }, interrupter);
  if (result.exitCode === 0 && result.stoppedBy === undefined) {
    await rm(cleanLog, { force: true });
    argv = [settings.bazel, ...buildArgs];
    result = await runBazelCommand({ ...common, args: buildArgs, consoleFile }, interrupter);
  } else {
    // The server could not even clean (too small a heap to start, or stopped): that command is the run.
    await rename(cleanLog, consoleFile);
  }
  await session.stop();
  const consoleText = await readFile(consoleFile, "utf8").catch(() => "");
  if (result.exitCode === COMMAND_LINE_EXIT_CODE && result.stoppedBy === undefined) {
    const error = new BazelCommandLineError(firstBazelError(consoleText), consoleFile);
    await clearRunFolder(job.out, planned.id);
    throw error;
  }

  const serverLogCopied = await copyIfPresent(join(job.outputBase, "server", "jvm.out"), path(ARTIFACT_FILES.serverLog));
  const javaLogCopied = await copyIfPresent(join(job.outputBase, "java.log"), path(ARTIFACT_FILES.serverJavaLog));
  // A dump the client's own -XX:HeapDumpPath put in the output base (a sub-build started before ours) is not kept.
  await removeHeapDumps(job.outputBase);
  const serverLog = [
    serverLogCopied ? await readFile(path(ARTIFACT_FILES.serverLog), "utf8") : "",
    javaLogCopied ? await readFile(path(ARTIFACT_FILES.serverJavaLog), "utf8") : "",
  ].join("\n");
  await checkFreeSpace(job.out);
  if (NO_SPACE_PATTERN.test(consoleText) || NO_SPACE_PATTERN.test(serverLog)) {
    // A failed write may have been on another disk the build uses; it is this one's if this one is nearly full.
    if (((await freeBytes(job.out)) ?? Infinity) < NO_SPACE_EVIDENCE_FREE_BYTES) throw new DiskFullError(job.out);
  }
  const status = classifyRun({
    exitCode: result.exitCode,
    console: consoleText,
    serverLog,
    bep: await readFile(path(ARTIFACT_FILES.bep), "utf8").catch(() => ""),
    stoppedBy: result.stoppedBy,
  });
  const pressure = await judgeGcPressure(path(ARTIFACT_FILES.gcLog), planned.limit.bytes, result.endedAt);
  const artifacts: RunArtifacts = {
    console: ARTIFACT_FILES.console,
    ...(await present(dir, "profile", ARTIFACT_FILES.profile)),
    ...(await present(dir, "starlarkCpuProfile", ARTIFACT_FILES.starlarkCpuProfile)),
    ...(await present(dir, "bep", ARTIFACT_FILES.bep)),
    ...(await present(dir, "memoryProfile", ARTIFACT_FILES.memoryProfile)),
    ...(serverLogCopied ? { serverLog: ARTIFACT_FILES.serverLog } : {}),
    ...(javaLogCopied ? { serverJavaLog: ARTIFACT_FILES.serverJavaLog } : {}),
    ...(await present(dir, "gcLog", ARTIFACT_FILES.gcLog)),
  };
  const record: RunRecord = {
    schema: 1,
    id: planned.id,
    limit: planned.limit.spelling,
    limitBytes: planned.limit.bytes,
    iteration: planned.iteration,
    warmup: planned.warmup,
    mode: settings.mode,
    bazelVersion: job.version.label,
    argv,
    startedAt: result.startedAt.toISOString(),
    endedAt: result.endedAt.toISOString(),
    wallSeconds: Math.round((result.endedAt.getTime() - result.startedAt.getTime()) / 10) / 100,
    exitCode: result.exitCode,
    signal: result.signal,
    status,
    ...(result.stoppedBy === undefined ? {} : { stoppedBy: result.stoppedBy }),
    ...(result.threadDumpTaken === undefined ? {} : { threadDumpTaken: result.threadDumpTaken }),
    ...(result.spiralHeapDump === undefined ? {} : { spiralHeapDump: result.spiralHeapDump }),
    ...(pressure === undefined ? {} : { gcPressure: pressure }),
    profileLevel,
    ...(planned.evidence === true ? { evidence: true } : {}),
    artifacts: { ...artifacts, ...(await digestHeapDump(job, dir, status === "oom", observer)) },
  };
  await writeRunRecord(job.out, record);
  // Summarised now, while the run is fresh: stats, report and blame then never read its profile again.
  await runSummary(dir, record);
  return record;
}

/**
 * The crash's heap dump → heap-digest.json, right after the run (so at most one undigested dump exists at a
 * time); the dump is then deleted unless kept. A dump that cannot be digested is kept, and the observer told.
 * A dump of a run that did not run out of memory (a kill while it was written) is only kept on request.
 */
async function digestHeapDump(job: SweepJob, dir: string, outOfMemory: boolean, observer: SweepObserver): Promise<Partial<RunArtifacts>> {
  const dump = join(dir, ARTIFACT_FILES.heapDump);
  if (!(await isFile(dump))) return {};
  let digested = false;
  if (outOfMemory) {
    try {
      const digest = await withDigestProgress(digestProgressOf(observer), (watch) => digestDumpFile(dump, { top: DEFAULT_DIGEST_TOP, observer: watch }));
      await writeHeapDigestFile(join(dir, ARTIFACT_FILES.heapDigest), digest);
      digested = true;
    } catch (error) {
      if (isNoSpaceError(error)) throw error;
      observer.digestFailed(dir, error instanceof Error ? error.message : String(error));
    }
  }
  const keep = job.keepHeapDumps || (outOfMemory && !digested);
  if (!keep) await rm(dump, { force: true });
  return { ...(digested ? { heapDigest: ARTIFACT_FILES.heapDigest } : {}), ...(keep ? { heapDump: ARTIFACT_FILES.heapDump } : {}) };
}

/** Copies a file the server may not have written; returns whether it did (a failed write is an error). */
function copyIfPresent(from: string, to: string): Promise<boolean> {
  return copyFile(from, to).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return false;
      throw error;
    },
  );
}

/**
 * The run's GC verdict (core/run/gc-log.ts gcPressure), decided once here and kept in run.json; undefined
 * without a gc.log. The log's last change tells how long the run went on after its last collection.
 */
async function judgeGcPressure(gcLog: string, limitBytes: number, endedAt: Date): Promise<boolean | undefined> {
  const info = await stat(gcLog).catch(() => undefined);
  if (info === undefined) return undefined;
  const text = await readFile(gcLog, "utf8");
  const quietSeconds = Math.max(0, (endedAt.getTime() - info.mtimeMs) / 1000);
  return gcPressure(parseGcLog(text), limitBytes, quietSeconds).underPressure;
}

async function present<K extends keyof RunArtifacts>(dir: string, key: K, name: string): Promise<Partial<RunArtifacts>> {
  return (await isFile(join(dir, name))) ? { [key]: name } : {};
}

/** A dump in the output base (not the run folder) is the size of the heap: never let them pile up. */
async function removeHeapDumps(outputBase: string): Promise<void> {
  const dumps = (await readdir(outputBase).catch(() => [] as string[])).filter((name) => name.endsWith(".hprof"));
  for (const name of dumps) await rm(join(outputBase, name), { force: true });
}

/** The server logs of the output base: java.log (a link to the server's own java.log.*) and server/jvm.out. */
async function removeServerLogs(outputBase: string): Promise<void> {
  const javaLogs = (await readdir(outputBase).catch(() => [] as string[])).filter((name) => name === "java.log" || name.startsWith("java.log."));
  for (const name of [...javaLogs, join("server", "jvm.out")]) await rm(join(outputBase, name), { force: true });
}

/** Ctrl-C and SIGTERM stop the running sub-build instead of killing the sweep; returns the uninstaller. */
export function interruptOnSignals(interrupter: Interrupter): () => void {
  const handler = (): void => interrupter.interrupt();
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
}
