// The sweep's output folder on disk (layout: core/run-record.ts): sweep.json, the run records, and the
// runs.jsonl / runs.csv indexes. Every file is written in one step (temporary file + rename), so a
// crash or Ctrl-C never leaves a half-written record, and a finished run is never touched again unless
// the user asks for it with --force.
import { stringify } from "csv-stringify/sync";
import { readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { InputError } from "../core/exit-codes.js";
import { checkRunRecord } from "../core/run-record-check.js";
import {
  RUN_RECORD_FILE,
  RUNS_CSV_FILE,
  RUNS_DIR,
  RUNS_JSONL_FILE,
  SWEEP_MANIFEST_FILE,
  type RunRecord,
  type SweepManifest,
} from "../core/run-record.js";
import { settingsDifferences, type Shard } from "../core/sweep-plan.js";
import { writeOutputFile } from "./output-file.js";

/** The folder already holds a sweep with other settings. */
export class SweepMismatchError extends Error {
  override readonly name = "SweepMismatchError";
  constructor(
    readonly out: string,
    readonly differences: readonly string[],
  ) {
    super(`${out} holds another sweep (${differences.join(", ")} differ)`);
  }
}

/** The folder exists, is not empty, and is not a sweep folder: writing into it could clobber someone's files. */
export class NotASweepFolderError extends Error {
  override readonly name = "NotASweepFolderError";
  constructor(readonly out: string) {
    super(`${out} is not a sweep folder`);
  }
}

/**
 * Whether `out` is free for a new sweep ("new": missing or empty) or holds this plan ("resumed", same
 * fingerprint). Throws SweepMismatchError for another plan, NotASweepFolderError for a folder with other
 * files. Writes nothing.
 */
export async function checkSweepFolder(out: string, fingerprint: string, settings: SweepManifest["settings"]): Promise<"new" | "resumed"> {
  const file = join(out, SWEEP_MANIFEST_FILE);
  const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT" || error.code === "ENOTDIR") return undefined;
    throw new InputError(`${file}: cannot read it (${error.code ?? error.message})`);
  });
  if (text === undefined) {
    const entries = await readdir(out).catch(() => [] as string[]);
    // output_base alone is what an earlier attempt leaves when it stopped before writing sweep.json.
    if (entries.some((name) => name !== "output_base")) throw new NotASweepFolderError(out);
    return "new";
  }
  let stored: Partial<SweepManifest>;
  try {
    stored = JSON.parse(text) as Partial<SweepManifest>;
  } catch {
    throw new NotASweepFolderError(out);
  }
  if (stored.fingerprint === fingerprint) return "resumed";
  const differences =
    typeof stored.settings === "object" && stored.settings !== null
      ? settingsDifferences(stored.settings as unknown as Record<string, unknown>, settings)
      : [];
  throw new SweepMismatchError(out, differences.length > 0 ? differences : ["settings"]);
}

/** Writes sweep.json (in one step). */
export async function writeSweepManifest(out: string, manifest: SweepManifest): Promise<void> {
  await writeOutputFile(join(out, SWEEP_MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Every run.json under runs/ (folders without one are runs in progress or cut short: not finished). */
export async function readRunRecords(out: string): Promise<RunRecord[]> {
  const runsDir = join(out, RUNS_DIR);
  const entries = await readdir(runsDir, { withFileTypes: true }).catch(() => []);
  const records: RunRecord[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const file = join(runsDir, entry.name, RUN_RECORD_FILE);
    const text = await readFile(file, "utf8").catch(() => undefined);
    if (text === undefined) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new InputError(`${file}: not valid JSON; move that run folder away (or delete it) to redo the run`);
    }
    records.push(checkRunRecord(parsed, file));
  }
  return records.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function runFolder(out: string, id: string): string {
  return join(out, RUNS_DIR, id);
}

/** Deletes a run folder before the run is redone (interrupted, unfinished, or --force). */
export async function clearRunFolder(out: string, id: string): Promise<void> {
  await rm(runFolder(out, id), { recursive: true, force: true });
}

export async function writeRunRecord(out: string, record: RunRecord): Promise<void> {
  await writeOutputFile(join(runFolder(out, record.id), RUN_RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
}

/** runs.jsonl and runs.csv (or runs.shard-i-of-n.*), rewritten from the records in one step each. */
export async function writeRunIndexes(out: string, records: readonly RunRecord[], shard: Shard | undefined): Promise<void> {
  const [jsonlName, csvName] = indexFileNames(shard);
  const sorted = [...records].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  await writeOutputFile(join(out, jsonlName), sorted.map((record) => `${JSON.stringify(record)}\n`).join(""));
  const csv = stringify(sorted.map(csvRow), { header: true, columns: CSV_COLUMNS as unknown as string[], cast: { boolean: (value) => String(value) } });
  await writeOutputFile(join(out, csvName), csv);
}

export function indexFileNames(shard: Shard | undefined): [string, string] {
  if (shard === undefined) return [RUNS_JSONL_FILE, RUNS_CSV_FILE];
  const suffix = `.shard-${shard.index}-of-${shard.count}`;
  return [RUNS_JSONL_FILE.replace(/\.jsonl$/, `${suffix}.jsonl`), RUNS_CSV_FILE.replace(/\.csv$/, `${suffix}.csv`)];
}

const CSV_COLUMNS = [
  "id",
  "limit",
  "limitBytes",
  "iteration",
  "warmup",
  "mode",
  "status",
  "exitCode",
  "signal",
  "stoppedBy",
  "wallSeconds",
  "startedAt",
  "endedAt",
  "bazelVersion",
  "argv",
  "artifacts",
] as const;

/** One CSV cell a column: absent values are empty, lists and objects are JSON. */
function csvRow(record: RunRecord): Record<(typeof CSV_COLUMNS)[number], string | number | boolean> {
  return Object.fromEntries(
    CSV_COLUMNS.map((column) => {
      const value = record[column];
      if (value === null || value === undefined) return [column, ""];
      return [column, typeof value === "object" ? JSON.stringify(value) : value];
    }),
  ) as Record<(typeof CSV_COLUMNS)[number], string | number | boolean>;
}

export async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}
