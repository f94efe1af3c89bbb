// The sweep's output folder on disk (layout: core/run/run-record.ts): sweep.json, the run records, and the
// runs.jsonl / runs.csv indexes. Every file is written in one step (temporary file + rename), so a
// crash or Ctrl-C never leaves a half-written record, and a finished run is never touched again unless
// the user asks for it with --force. Readers list runs/<id>/run.json only, so a sweep still writing
// into the folder shows them its finished runs and nothing else.
import { stringify } from "csv-stringify/sync";
import { spawn } from "node:child_process";
import { readdir, readFile, rename, rm, rmdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { InputError } from "../core/exit-codes.js";
import { checkRunRecord } from "../core/run/run-record-check.js";
import {
  RUN_RECORD_FILE,
  RUNS_CSV_COLUMNS,
  RUNS_CSV_FILE,
  RUNS_DIR,
  RUNS_JSONL_FILE,
  runsCsvRow,
  SWEEP_LOCK_FILE,
  SWEEP_MANIFEST_FILE,
  type RunRecord,
  type SweepManifest,
} from "../core/run/run-record.js";
import { settingsDifferences, type Shard } from "../core/sweep/sweep-plan.js";
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

/** --out names something that is not a folder (a file, a FIFO), or a path through a file. */
export class NotAFolderError extends Error {
  override readonly name = "NotAFolderError";
  constructor(
    readonly out: string,
    readonly throughFile: boolean,
  ) {
    super(`${out} is not a folder`);
  }
}

/**
 * Whether `out` is free for a new sweep ("new": missing or empty) or holds this plan ("resumed", same
 * fingerprint). Throws SweepMismatchError for another plan, NotASweepFolderError for a folder with other
 * files, NotAFolderError for a file. Writes nothing.
 */
export async function checkSweepFolder(out: string, fingerprint: string, settings: SweepManifest["settings"]): Promise<"new" | "resumed"> {
  const info = await stat(out).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOTDIR") throw new NotAFolderError(out, true);
    return undefined;
  });
  if (info !== undefined && !info.isDirectory()) throw new NotAFolderError(out, false);
  const file = join(out, SWEEP_MANIFEST_FILE);
  const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw new InputError(`${file}: cannot read it (${error.code ?? error.message})`);
  });
  if (text === undefined) {
    const entries = await readdir(out).catch(() => [] as string[]);
    // output_base alone is what an earlier attempt leaves when it stopped before writing sweep.json; the
    // lock is this sweep's own (or a live one's, which the lock refuses before this is asked).
    if (entries.some((name) => name !== "output_base" && !isLockFile(name))) throw new NotASweepFolderError(out);
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

/** A run.json that is there but cannot be read as a run record (edited by hand, or foreign). */
export interface UnreadableRunRecord {
  readonly file: string;
  /** One line naming the file and what is wrong with it. */
  readonly problem: string;
}

export interface RunRecordScan {
  /** Sorted by id. */
  readonly records: RunRecord[];
  readonly unreadable: UnreadableRunRecord[];
}

/**
 * Every run.json under runs/ (folders without one are runs in progress or cut short: not finished), and
 * the ones that cannot be read, for readers that go on without them (stats, report).
 */
export async function scanRunRecords(out: string): Promise<RunRecordScan> {
  const runsDir = join(out, RUNS_DIR);
  const entries = await readdir(runsDir, { withFileTypes: true }).catch(() => []);
  const records: RunRecord[] = [];
  const unreadable: UnreadableRunRecord[] = [];
  for (const entry of entries) {
    // Hidden folders are run folders being deleted (clearRunFolder).
    if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
    const file = join(runsDir, entry.name, RUN_RECORD_FILE);
    const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") unreadable.push({ file, problem: `${file}: cannot read it (${error.code ?? error.message})` });
      return undefined;
    });
    if (text === undefined) continue;
    try {
      records.push(checkRunRecord(parseJson(text, file), file));
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      unreadable.push({ file, problem: error.message });
    }
  }
  records.sort(byId);
  return { records, unreadable };
}

/**
 * Every run.json under runs/, for the sweep itself: one that cannot be read stops it (InputError naming
 * the file and the fix), because resuming around it would redo or misjudge that run silently.
 */
export async function readRunRecords(out: string): Promise<RunRecord[]> {
  const { records, unreadable } = await scanRunRecords(out);
  const first = unreadable[0];
  if (first !== undefined) throw new InputError(`${first.problem}; move that run folder away (or delete it) to redo the run`);
  return records;
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`${file}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** The lock and the temporary files it is made from (io/sweep-lock.ts). */
function isLockFile(name: string): boolean {
  return name === SWEEP_LOCK_FILE || name.startsWith(`${SWEEP_LOCK_FILE}.`) || name.startsWith(`.${SWEEP_LOCK_FILE}.`);
}

/**
 * What a sweep killed outright left half done: writeOutputFile's temporary files (`.<name>.<pid>.tmp`) and
 * run folders it was deleting (runs/.deleting-*); called under the lock, when no other sweep writes there.
 * (The lock's own temporary files are left alone: a sweep that is refused may be making one right now,
 * and they are ignored everywhere.)
 */
export async function removeStaleTemporaryFiles(out: string): Promise<void> {
  const names = await readdir(out).catch(() => [] as string[]);
  const stale = names.filter((name) => /^\..+\.\d+\.tmp$/.test(name) && !isLockFile(name));
  for (const name of stale) await rm(join(out, name), { force: true });
  const runs = await readdir(join(out, RUNS_DIR)).catch(() => [] as string[]);
  for (const name of runs.filter((entry) => entry.startsWith(".deleting-"))) await removeTree(join(out, RUNS_DIR, name));
}

export function runFolder(out: string, id: string): string {
  return join(out, RUNS_DIR, id);
}

/**
 * Deletes a run folder before the run is redone (interrupted, unfinished, or --force). It is renamed away
 * first, in one step, so a reader never sees a run.json whose artifacts are being deleted.
 */
export async function clearRunFolder(out: string, id: string): Promise<void> {
  const doomed = join(out, RUNS_DIR, `.deleting-${id}-${process.pid}`);
  const moved = await rename(runFolder(out, id), doomed).then(
    () => true,
    () => false,
  );
  await rm(moved ? doomed : runFolder(out, id), { recursive: true, force: true });
}

export async function writeRunRecord(out: string, record: RunRecord): Promise<void> {
  await writeOutputFile(join(runFolder(out, record.id), RUN_RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);
}

/** runs.jsonl and runs.csv (or runs.shard-i-of-n.*), rewritten from the records in one step each. */
export async function writeRunIndexes(out: string, records: readonly RunRecord[], shard: Shard | undefined): Promise<void> {
  const [jsonlName, csvName] = indexFileNames(shard);
  const sorted = [...records].sort(byId);
  await writeOutputFile(join(out, jsonlName), sorted.map((record) => `${JSON.stringify(record)}\n`).join(""));
  const csv = stringify(sorted.map(runsCsvRow), { header: true, columns: [...RUNS_CSV_COLUMNS], cast: { boolean: (value) => String(value) } });
  await writeOutputFile(join(out, csvName), csv);
}

function byId(a: RunRecord, b: RunRecord): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The finished runs of the sweep folder a sweep writes into: read from their run.json once, when the sweep
 * starts (under its lock, so no one else adds any), then kept as each run finishes, together with the index
 * files listing them. The indexes are rewritten from memory after every run, never from every run.json again,
 * with the content a rewrite from run.json would give. A shard's indexes list its own runs only.
 */
export class SweepRecords {
  private constructor(
    private readonly out: string,
    private readonly shard: { readonly shard: Shard; readonly runs: ReadonlySet<string> } | undefined,
    private readonly byRunId: Map<string, RunRecord>,
  ) {}

  /** The folder's run records (one that cannot be read refuses the sweep: readRunRecords). */
  static async open(out: string, shard: { readonly shard: Shard; readonly runs: ReadonlySet<string> } | undefined): Promise<SweepRecords> {
    return new SweepRecords(out, shard, new Map((await readRunRecords(out)).map((record) => [record.id, record])));
  }

  /** Every finished run of the folder (every shard's), sorted by id. */
  all(): RunRecord[] {
    return [...this.byRunId.values()].sort(byId);
  }

  /** A run that just finished (its run.json written), replacing an earlier record of the same id. */
  async add(record: RunRecord): Promise<void> {
    this.byRunId.set(record.id, record);
    await this.writeIndexes();
  }

  /** Deletes every run (--force on a search, whose earlier runs would steer the new one). */
  async removeAll(): Promise<void> {
    await rm(join(this.out, RUNS_DIR), { recursive: true, force: true });
    this.byRunId.clear();
  }

  /** Rewrites the indexes: also repairs ones a sweep killed outright left cut or stale. */
  async writeIndexes(): Promise<void> {
    const listed = this.all().filter((record) => this.shard === undefined || this.shard.runs.has(record.id));
    await writeRunIndexes(this.out, listed, this.shard?.shard);
  }
}

export function indexFileNames(shard: Shard | undefined): [string, string] {
  if (shard === undefined) return [RUNS_JSONL_FILE, RUNS_CSV_FILE];
  const suffix = `.shard-${shard.index}-of-${shard.count}`;
  return [RUNS_JSONL_FILE.replace(/\.jsonl$/, `${suffix}.jsonl`), RUNS_CSV_FILE.replace(/\.csv$/, `${suffix}.csv`)];
}

/** Deletes a folder Bazel wrote, read-only files and folders included. */
export async function removeTree(path: string): Promise<void> {
  await new Promise<void>((resolve) => {
    const chmod = spawn("chmod", ["-R", "u+w", path], { stdio: "ignore" });
    chmod.on("error", () => resolve());
    chmod.on("close", () => resolve());
  });
  await rm(path, { recursive: true, force: true });
}

/** Removes `path` and its ancestors up to `top`, as long as each is empty (what a refused sweep created). */
export async function removeEmptyFolders(path: string, top: string): Promise<void> {
  for (let folder = path; ; folder = dirname(folder)) {
    if (!(await rmdir(folder).then(() => true, () => false)) || folder === top || dirname(folder) === folder) return;
  }
}

export async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}
