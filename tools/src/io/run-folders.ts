// Finds and reads the sweep's run folders (layout: core/run-record.ts) and the artifacts `stats` needs.
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { BepSummaryBuilder, type BepSummary } from "../core/bep.js";
import { InputError } from "../core/exit-codes.js";
import { summarizeMemoryProfile, type MemoryProfileSummary } from "../core/memory-profile.js";
import { ProfileSummaryBuilder, type ProfileSummary } from "../core/profile-summary.js";
import { RUN_RECORD_FILE, RUNS_DIR, SWEEP_MANIFEST_FILE, type RunRecord } from "../core/run-record.js";
import { checkRunRecord } from "../core/run-record-check.js";
import { compareRuns, runStats, type RunStats } from "../core/run-stats.js";
import { typedEvents } from "../core/trace-events.js";
import { readProfile } from "./profile-reader.js";
import { isFile, readRunRecords, runFolder } from "./sweep-folder.js";

export interface RunFolder {
  /** Absolute path of the run's folder (artifact paths are relative to it). */
  readonly dir: string;
  readonly record: RunRecord;
}

/** A --memory_profile larger than this is not Bazel's (it writes a few lines a phase). */
const MAX_MEMORY_PROFILE_BYTES = 16 * 1024 * 1024;

/**
 * The runs under `path`: a sweep folder (its runs/<id>/run.json, read by the sweep's own reader;
 * unfinished runs without run.json skipped) or a single run folder (holding run.json). Sorted by
 * limit, warm-ups first, iteration.
 */
export async function findRuns(path: string): Promise<RunFolder[]> {
  const kind = await folderKind(path);
  if (kind === "run") return [await checkedRunFolder(path, await readRunRecord(path))];
  const runs: RunFolder[] = [];
  for (const record of await readRunRecords(path)) runs.push(await checkedRunFolder(runFolder(path, record.id), record));
  if (runs.length === 0) throw new InputError(`${path}: the sweep has no finished runs yet (no ${RUNS_DIR}/*/${RUN_RECORD_FILE})`);
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

/** Reads every artifact of the run that `stats` uses and computes its row. */
export async function readRunStats(run: RunFolder): Promise<RunStats> {
  const { artifacts } = run.record;
  const profile = artifacts.profile === undefined ? undefined : await summarizeProfile(artifactPath(run, artifacts.profile));
  const bep = artifacts.bep === undefined ? undefined : await summarizeBep(artifactPath(run, artifacts.bep));
  const memoryProfile =
    artifacts.memoryProfile === undefined ? undefined : await summarizeMemoryProfileFile(artifactPath(run, artifacts.memoryProfile));
  return runStats(run.record, { profile, bep, memoryProfile });
}

export async function summarizeProfile(path: string): Promise<ProfileSummary> {
  const summary = new ProfileSummaryBuilder();
  const result = await readProfile(path, typedEvents(summary));
  return summary.build(result);
}

/** Reads a BEP JSON file; a last line cut by a crash is ignored, any other bad line is an error. */
export async function summarizeBep(path: string): Promise<BepSummary> {
  const builder = new BepSummaryBuilder();
  const lines = createInterface({ input: createReadStream(path, { encoding: "utf8" }), crlfDelay: Infinity });
  let pendingError: InputError | undefined;
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber++;
      if (pendingError !== undefined) throw pendingError;
      if (line.trim() === "") continue;
      try {
        builder.event(JSON.parse(line));
      } catch {
        pendingError = new InputError(`${path}: line ${lineNumber} is not JSON; expected a --build_event_json_file`);
      }
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`${path}: cannot read the BEP file (${error instanceof Error ? error.message : String(error)})`);
  }
  return builder.build();
}

async function summarizeMemoryProfileFile(path: string): Promise<MemoryProfileSummary> {
  const info = await statOrFail(path);
  if (info.size > MAX_MEMORY_PROFILE_BYTES) throw new InputError(`${path}: ${info.size} bytes is too big for a --memory_profile file`);
  return summarizeMemoryProfile(await readFile(path, "utf8"));
}

function artifactPath(run: RunFolder, relative: string): string {
  return join(run.dir, relative);
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
