// Wording and formats of `stats`: CSV (default), JSON, and the original stats.sh line ("legacy").
import { stringify } from "csv-stringify/sync";
import { STATS_RECORD_COLUMNS } from "../core/run/run-record.js";
import { legacyStatus, type RunStats } from "../core/run/run-stats.js";

export type StatsFormat = "csv" | "json" | "legacy";
export const STATS_FORMATS: readonly StatsFormat[] = ["csv", "json", "legacy"];

/** CSV columns in order; the header row uses these names, and `plot` reads them back. */
export const STATS_COLUMNS = [
  ...STATS_RECORD_COLUMNS,
  "profileLevel",
  "evidence",
  "profileSeconds",
  "gcCount",
  "gcMinor",
  "gcMajor",
  "gcSeconds",
  "gcWithoutDuration",
  "peakHeapBytes",
  "peakHeapSource",
  "eventsRecovered",
  "truncated",
] as const satisfies readonly (keyof RunStats)[];

export function renderStats(rows: readonly RunStats[], format: StatsFormat): string {
  switch (format) {
    case "csv":
      return stringify(
        rows.map((row) => STATS_COLUMNS.map((column) => csvCell(row[column]))),
        { header: true, columns: [...STATS_COLUMNS] },
      );
    case "json":
      return `${JSON.stringify(rows.map((row) => Object.fromEntries(STATS_COLUMNS.map((column) => [column, row[column]]))), null, 2)}\n`;
    case "legacy":
      return rows.map((row) => `${legacyLine(row)}\n`).join("");
  }
}

/**
 * `<memory limit>,<iteration>,<gc count>,<duration>,<status>` as the original stats.sh printed it
 * (duration in microseconds, status ok|crash, iteration WARMUP for warm-up runs as in its folder
 * names), so old caches and memory-plot.py keep working. A run without profile counts 0 and 0, as
 * stats.sh did for an empty profile. Unlike stats.sh (`grep -c GC`), gc count counts GC events only.
 */
function legacyLine(row: RunStats): string {
  const iteration = row.warmup ? "WARMUP" : String(row.iteration);
  const durationMicros = row.profileSeconds === null ? 0 : Math.round(row.profileSeconds * 1_000_000);
  return [row.limit, iteration, row.gcCount ?? 0, durationMicros, legacyStatus(row.status)].join(",");
}

function csvCell(value: RunStats[keyof RunStats]): string {
  if (value === null) return "";
  return String(value);
}

export const STATS_DESCRIPTION = "Summarize a sweep's runs: one row a run with its limit, status, profile duration, GC and peak heap.";

export const STATS_HELP_FOOTER = `
Each RUNS_DIR is a sweep folder (the sweep's --out) or one run folder inside it.
Columns (csv, json): ${STATS_COLUMNS.join(", ")}.
profileSeconds is the profile's last minus first event time, as the original stats.sh measured it;
peakHeapSource says where peakHeapBytes comes from, the first there is of: profile-counter (7.x profiles),
bep-peak-post-gc, gc-log (the heap right after a collection), memory-profile (the heap between build phases).
A crashed build leaves a cut profile: every complete event is still read, and truncated says so.
--format legacy prints the original stats.sh line: <memory limit>,<iteration>,<gc count>,<duration>,<status>.

Examples:
  bazel run //analysis:stats -- measurements/sweep
  bazel run //analysis:stats -- --format legacy measurements/regular > cache-regular`;

export function statsWritten(path: string, rows: number): string {
  return `wrote ${rows} run${rows === 1 ? "" : "s"} to ${path}\n`;
}

export function badStatsFormat(format: string): string {
  return `--format ${format} is not one of ${STATS_FORMATS.join(", ")}`;
}
