// `stats`: one row a run, from the runs' summaries.
import { runStats, type RunStats } from "../core/run/run-stats.js";
import { checkOutputPath, writeOutputFile } from "../io/output-file.js";
import type { LoadedSweep } from "../io/run-folders.js";
import { renderStats, statsWritten, type StatsFormat } from "../render/stats.js";
import { readSweep } from "./read-sweeps.js";

export interface StatsRequest {
  /** Sweep folders or run folders, in the order their rows come. */
  readonly folders: readonly string[];
  readonly format: StatsFormat;
  /** Where to write instead of stdout. */
  readonly out: string | undefined;
}

export async function printStats(request: StatsRequest): Promise<void> {
  if (request.out !== undefined) await checkOutputPath(request.out);
  const rows = await collectStats(request.folders);
  const text = renderStats(rows, request.format);
  if (request.out === undefined) {
    process.stdout.write(text);
  } else {
    await writeOutputFile(request.out, text);
    process.stderr.write(statsWritten(request.out, rows.length));
  }
}

/** The rows of every run under each folder, folder by folder in the order given (a run.json left out is named). */
export async function collectStats(folders: readonly string[]): Promise<RunStats[]> {
  const rows: RunStats[] = [];
  for (const folder of folders) rows.push(...statsRows(await readSweep(folder, { heapDigests: false })));
  return rows;
}

export function statsRows(sweep: LoadedSweep): RunStats[] {
  return sweep.runs.map((run) => runStats(run.record, run.summary));
}
