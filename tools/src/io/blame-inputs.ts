// What `blame` reads of a sweep folder: per run its record, its summary (io/run-summary.ts) and its heap digest
// (the heap-digest.json the sweep wrote, or a digest of a dump kept with --keep-heap-dumps, cached the same way).
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { blameRun, givesEvidence, type BlameRun } from "../core/blame/blame.js";
import { InputError } from "../core/exit-codes.js";
import { DEFAULT_DIGEST_TOP, HEAP_DIGEST_SCHEMA, type HeapDigest } from "../core/heap/heap-digest.js";
import { ARTIFACT_FILES } from "../core/run/run-record.js";
import { digestDumpFile } from "./heap-dumps.js";
import { writeOutputFile } from "./output-file.js";
import { findRuns, type RunFolder } from "./run-folders.js";
import { runSummary } from "./run-summary.js";

export async function blameRuns(sweep: string, onUnreadable: (problem: string) => void): Promise<BlameRun[]> {
  const folders = await findRuns(sweep, (unreadable) => onUnreadable(unreadable.problem));
  const runs: BlameRun[] = [];
  for (const folder of folders) {
    if (!givesEvidence(folder.record)) continue;
    const summary = await runSummary(folder.dir, folder.record);
    const { digest, unusableDump } = folder.record.status === "oom" ? await runDigest(folder) : NO_DUMP;
    runs.push(blameRun(folder.record, summary, digest, unusableDump));
  }
  return runs;
}

/** A crash run's heap digest, or why the dump it left cannot be digested; both undefined when it left none. */
export interface RunDigest {
  readonly digest: HeapDigest | undefined;
  readonly unusableDump: string | undefined;
}

const NO_DUMP: RunDigest = { digest: undefined, unusableDump: undefined };

/**
 * The run's heap digest: its heap-digest.json, else a digest of a dump it kept (written back as heap-digest.json).
 * A dump that cannot be digested (empty or cut short because the server was killed while writing it, or too
 * big for this machine) costs only that run's heap evidence, never the blame.
 */
export async function runDigest(folder: RunFolder): Promise<RunDigest> {
  const path = join(folder.dir, ARTIFACT_FILES.heapDigest);
  const cached = await readFile(path, "utf8").then(
    (text) => JSON.parse(text) as { schema?: unknown },
    () => undefined,
  );
  if (cached?.schema === HEAP_DIGEST_SCHEMA) return { digest: cached as HeapDigest, unusableDump: undefined };
  const dump = (await readdir(folder.dir).catch(() => [] as string[])).find((name) => /\.hprof(\.gz)?$/.test(name));
  if (dump === undefined) return NO_DUMP;
  try {
    const digest = await digestDumpFile(join(folder.dir, dump), DEFAULT_DIGEST_TOP);
    await writeOutputFile(path, `${JSON.stringify(digest)}\n`).catch(() => undefined);
    return { digest, unusableDump: undefined };
  } catch (error) {
    if (error instanceof InputError) return { digest: undefined, unusableDump: error.message };
    throw error;
  }
}
