// Finds and reads the sweep's run folders (layout: core/run/run-record.ts) into one value, LoadedSweep, that
// every reader of a sweep takes (stats, plot, report, blame, the sweep's own end): its manifest, and each run's
// record, summary (its artifacts read once, io/run-summary.ts) and, for a crash, heap digest.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { InputError } from "../core/exit-codes.js";
import { DEFAULT_DIGEST_TOP, type HeapDigest } from "../core/heap/heap-digest.js";
import { ARTIFACT_FILES, RUN_RECORD_FILE, RUNS_DIR, SWEEP_MANIFEST_FILE, type RunRecord } from "../core/run/run-record.js";
import { checkRunRecord } from "../core/run/run-record-check.js";
import { compareRuns } from "../core/run/run-stats.js";
import type { RunSummary } from "../core/run/run-summary.js";
import { noDigestProgress, withDigestProgress, type DigestProgressFactory } from "./digest-progress.js";
import { readHeapDigestFile, writeHeapDigestFile } from "./heap-digest-file.js";
import { digestDumpFile } from "./heap-dumps.js";
import { runSummary } from "./run-summary.js";
import { isFile, readRunRecords, runFolder, scanRunRecords, type UnreadableRunRecord } from "./sweep-folder.js";

export interface RunFolder {
  /** Absolute path of the run's folder (artifact paths are relative to it). */
  readonly dir: string;
  readonly record: RunRecord;
}

/** A run as every reader of a sweep takes it. */
export interface LoadedRun extends RunFolder {
  readonly summary: RunSummary;
  /** A crash run's heap digest, when it was asked for (LoadOptions.heapDigests); undefined for every other run. */
  readonly heap: RunDigest | undefined;
}

/** A sweep folder (or one run folder) read once. */
export interface LoadedSweep {
  /** The folder as given. */
  readonly path: string;
  /** sweep.json as parsed JSON; undefined for a run folder, when it is absent, or when it cannot be read. */
  readonly manifest: Readonly<Record<string, unknown>> | undefined;
  /** Why sweep.json cannot be read: the report, which shows it, refuses then; the other readers do without it. */
  readonly manifestProblem: string | undefined;
  /** The workspace the sweep built (its sweep.json), to name .bzl files relative to it. */
  readonly workspace: string | undefined;
  /** Sorted by limit, warm-ups first, iteration (core/run/run-stats.ts compareRuns). */
  readonly runs: readonly LoadedRun[];
}

export interface LoadOptions {
  /** Told of each run.json of a sweep folder that cannot be read, which is then left out; without it, an InputError. */
  readonly onUnreadable?: (run: UnreadableRunRecord) => void;
  /** Also read each crash run's heap digest (blame and the report need them; stats does not). */
  readonly heapDigests: boolean;
  /** The sweep folder's run records when the caller holds them already (the sweep itself): no run.json is read. */
  readonly records?: readonly RunRecord[];
  /** Shows the progress of each dump digested here (one a crash run kept without a heap-digest.json); default none. */
  readonly digestProgress?: DigestProgressFactory;
}

/** The sweep folder or run folder `path`, read once: see findRuns for which runs, and LoadOptions. */
export async function loadSweep(path: string, options: LoadOptions): Promise<LoadedSweep> {
  const folders = options.records === undefined ? await findRuns(path, options.onUnreadable) : await sweepRunFolders(path, options.records, 0);
  const runs: LoadedRun[] = [];
  for (const folder of folders) {
    const heap = options.heapDigests && folder.record.status === "oom" ? await runHeapDigest(folder.dir, options.digestProgress ?? noDigestProgress) : undefined;
    runs.push({ ...folder, summary: await runSummary(folder.dir, folder.record), heap });
  }
  let manifest: Readonly<Record<string, unknown>> | undefined;
  let manifestProblem: string | undefined;
  try {
    manifest = await readSweepManifest(path);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    manifestProblem = error.message;
  }
  return { path, manifest, manifestProblem, workspace: workspaceIn(manifest), runs };
}

/** A crash run's heap digest, or why its heap evidence cannot be used; both undefined when it left none. */
export interface RunDigest {
  readonly digest: HeapDigest | undefined;
  /** The dump cannot be digested, or its heap-digest.json read (one line naming the file). */
  readonly unusableDump: string | undefined;
}

/**
 * The run's heap digest: its heap-digest.json, else a digest of a dump it kept (written back as heap-digest.json).
 * A dump that cannot be digested (empty or cut short because the server was killed while writing it, or too big
 * for this machine), or a heap-digest.json that cannot be read and no dump to digest again, costs only that run's
 * heap evidence, never the blame.
 */
async function runHeapDigest(dir: string, progress: DigestProgressFactory): Promise<RunDigest> {
  const path = join(dir, ARTIFACT_FILES.heapDigest);
  let unreadable: string | undefined;
  if (await isFile(path)) {
    try {
      return { digest: await readHeapDigestFile(path), unusableDump: undefined };
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      unreadable = error.message;
    }
  }
  const dump = (await readdir(dir).catch(() => [] as string[])).find((name) => /\.hprof(\.gz)?$/.test(name));
  if (dump === undefined) return { digest: undefined, unusableDump: unreadable };
  try {
    const digest = await withDigestProgress(progress, (observer) => digestDumpFile(join(dir, dump), { top: DEFAULT_DIGEST_TOP, observer }));
    await writeHeapDigestFile(path, digest).catch(() => undefined);
    return { digest, unusableDump: undefined };
  } catch (error) {
    if (error instanceof InputError) return { digest: undefined, unusableDump: error.message };
    throw error;
  }
}

/**
 * The runs under `path`: a sweep folder (its runs/<id>/run.json, read by the sweep's own reader;
 * unfinished runs without run.json skipped) or a single run folder (holding run.json). Sorted by
 * limit, warm-ups first, iteration. A sweep folder's run.json that cannot be read is handed to
 * `onUnreadable` and left out (without it, it is an InputError); a run folder's own is always an error.
 */
export async function findRuns(path: string, onUnreadable?: (run: UnreadableRunRecord) => void): Promise<RunFolder[]> {
  const kind = await folderKind(path);
  if (kind === "run") return sortedRunFolders([{ dir: path, record: await readRunRecord(path) }]);
  const scan = onUnreadable === undefined ? { records: await readRunRecords(path), unreadable: [] } : await scanRunRecords(path);
  for (const unreadable of scan.unreadable) onUnreadable?.(unreadable);
  return sweepRunFolders(path, scan.records, scan.unreadable.length);
}

/** A sweep folder's runs, once every artifact each run.json names is there, in compareRuns order; none is an InputError. */
async function sweepRunFolders(path: string, records: readonly RunRecord[], unreadable: number): Promise<RunFolder[]> {
  if (records.length === 0) {
    throw new InputError(
      unreadable === 0
        ? `${path}: the sweep has no finished runs yet (no ${RUNS_DIR}/*/${RUN_RECORD_FILE})`
        : `${path}: none of the sweep's ${RUNS_DIR}/*/${RUN_RECORD_FILE} can be read`,
    );
  }
  return sortedRunFolders(records.map((record) => ({ dir: runFolder(path, record.id), record })));
}

/** The runs, once every artifact each run.json names is there, in compareRuns order. */
async function sortedRunFolders(runs: readonly RunFolder[]): Promise<RunFolder[]> {
  for (const run of runs) await checkArtifacts(run);
  return [...runs].sort((a, b) => compareRuns(a.record, b.record));
}

/** sweep.json of a sweep folder as parsed JSON, or undefined for a run folder or when it is absent. */
async function readSweepManifest(path: string): Promise<Readonly<Record<string, unknown>> | undefined> {
  const file = join(path, SWEEP_MANIFEST_FILE);
  if (!(await isFile(file))) return undefined;
  const value = parseJsonFile(await readFile(file, "utf8"), file);
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new InputError(`${file}: not a JSON object`);
  return value as Record<string, unknown>;
}

async function readRunRecord(dir: string): Promise<RunRecord> {
  const file = join(dir, RUN_RECORD_FILE);
  return checkRunRecord(parseJsonFile(await readFile(file, "utf8"), file), file);
}

/** InputError unless every artifact the run's run.json names is in its folder. */
async function checkArtifacts({ dir, record }: RunFolder): Promise<void> {
  for (const [key, relative] of Object.entries(record.artifacts)) {
    if (!(await isFile(join(dir, relative)))) {
      throw new InputError(`${join(dir, RUN_RECORD_FILE)}: artifact "${key}" (${relative}) is missing from ${dir}`);
    }
  }
}

async function folderKind(path: string): Promise<"run" | "sweep"> {
  const info = await statOrFail(path);
  if (!info.isDirectory()) throw new InputError(`${path}: not a folder; give a sweep folder (with ${RUNS_DIR}/) or a run folder (with ${RUN_RECORD_FILE})`);
  if (await isFile(join(path, RUN_RECORD_FILE))) return "run";
  if ((await stat(join(path, RUNS_DIR)).catch(() => undefined))?.isDirectory()) return "sweep";
  throw new InputError(
    `${path}: neither a sweep folder (no ${RUNS_DIR}/ inside) nor a run folder (no ${RUN_RECORD_FILE}); ` +
      `give the folder the sweep wrote (its --out)`,
  );
}

async function statOrFail(path: string) {
  try {
    return await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(code === "ENOENT" ? `${path}: no such file or folder` : `${path}: cannot read it (${code ?? String(error)})`);
  }
}

function parseJsonFile(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`${file}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** The workspace a sweep built (its sweep.json), to name .bzl files relative to it; undefined for other folders. */
export async function sweepWorkspace(sweep: string): Promise<string | undefined> {
  return workspaceIn(await readSweepManifest(sweep).catch(() => undefined));
}

function workspaceIn(manifest: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const settings = manifest?.["settings"];
  const workspace = typeof settings === "object" && settings !== null ? (settings as { workspace?: unknown }).workspace : undefined;
  return typeof workspace === "string" ? workspace : undefined;
}
