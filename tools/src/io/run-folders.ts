// Finds and reads the sweep's run folders (layout: core/run/run-record.ts); their artifacts are read once into each
// run's summary (io/run-summary.ts).
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { InputError } from "../core/exit-codes.js";
import { RUN_RECORD_FILE, RUNS_DIR, SWEEP_MANIFEST_FILE, type RunRecord } from "../core/run/run-record.js";
import { checkRunRecord } from "../core/run/run-record-check.js";
import { compareRuns, runStats, type RunStats } from "../core/run/run-stats.js";
import { runSummary } from "./run-summary.js";
import { isFile, readRunRecords, runFolder, scanRunRecords, type UnreadableRunRecord } from "./sweep-folder.js";

export interface RunFolder {
  /** Absolute path of the run's folder (artifact paths are relative to it). */
  readonly dir: string;
  readonly record: RunRecord;
}


/**
 * The runs under `path`: a sweep folder (its runs/<id>/run.json, read by the sweep's own reader;
 * unfinished runs without run.json skipped) or a single run folder (holding run.json). Sorted by
 * limit, warm-ups first, iteration. A sweep folder's run.json that cannot be read is handed to
 * `onUnreadable` and left out (without it, it is an InputError); a run folder's own is always an error.
 */
export async function findRuns(path: string, onUnreadable?: (run: UnreadableRunRecord) => void): Promise<RunFolder[]> {
  const kind = await folderKind(path);
  if (kind === "run") return [await checkedRunFolder(path, await readRunRecord(path))];
  const scan = onUnreadable === undefined ? { records: await readRunRecords(path), unreadable: [] } : await scanRunRecords(path);
  for (const unreadable of scan.unreadable) onUnreadable?.(unreadable);
  const runs: RunFolder[] = [];
  for (const record of scan.records) runs.push(await checkedRunFolder(runFolder(path, record.id), record));
  if (runs.length === 0) {
    throw new InputError(
      scan.unreadable.length === 0
        ? `${path}: the sweep has no finished runs yet (no ${RUNS_DIR}/*/${RUN_RECORD_FILE})`
        : `${path}: none of the sweep's ${RUNS_DIR}/*/${RUN_RECORD_FILE} can be read`,
    );
  }
  return runs.sort((a, b) => compareRuns(a.record, b.record));
}

/** sweep.json of a sweep folder as parsed JSON, or undefined for a run folder or when it is absent. */
export async function readSweepManifest(path: string): Promise<Readonly<Record<string, unknown>> | undefined> {
  const file = join(path, SWEEP_MANIFEST_FILE);
  if (!(await isFile(file))) return undefined;
  const value = parseJsonFile(await readFile(file, "utf8"), file);
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new InputError(`${file}: not a JSON object`);
  return value as Record<string, unknown>;
}

/** The run's `stats` row, from its summary (computed once, io/run-summary.ts). */
export async function readRunStats(run: RunFolder): Promise<RunStats> {
  const summary = await runSummary(run.dir, run.record);
  return runStats(run.record, { profile: summary.profile, bep: summary.bep, gcLog: summary.gcLog, memoryProfile: summary.memoryProfile });
}

async function readRunRecord(dir: string): Promise<RunRecord> {
  const file = join(dir, RUN_RECORD_FILE);
  return checkRunRecord(parseJsonFile(await readFile(file, "utf8"), file), file);
}

/** The run with its folder, once every artifact its run.json names is there. */
async function checkedRunFolder(dir: string, record: RunRecord): Promise<RunFolder> {
  for (const [key, relative] of Object.entries(record.artifacts)) {
    if (!(await isFile(join(dir, relative)))) {
      throw new InputError(`${join(dir, RUN_RECORD_FILE)}: artifact "${key}" (${relative}) is missing from ${dir}`);
    }
  }
  return { dir, record };
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
  const manifest = await readSweepManifest(sweep).catch(() => undefined);
  const settings = manifest?.["settings"];
  const workspace = typeof settings === "object" && settings !== null ? (settings as { workspace?: unknown }).workspace : undefined;
  return typeof workspace === "string" ? workspace : undefined;
}
