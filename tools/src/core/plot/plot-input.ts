/**
 * Turns what `plot` is given into PlotRuns: stats rows (from run folders), a stats CSV written by
 * `stats` (with its header), or the original tool's header-less lines
 * `<memory limit>,<iteration>,<gc count>,<duration µs>,<ok|crash>` (spaces allowed, as stats.sh wrote).
 */
import { parse } from "csv-parse/sync";
import { InputError } from "../exit-codes.js";
import type { PlotRun } from "./plot-data.js";
import type { RunStats } from "../run/run-stats.js";

export function plotRunsFromStats(rows: readonly RunStats[]): PlotRun[] {
  return rows.map((row) => ({
    limit: row.limit,
    limitBytes: row.limitBytes,
    warmup: row.warmup,
    crashed: row.status !== "ok",
    durationSeconds: row.profileSeconds,
    gcCount: row.gcCount,
  }));
}

/** Parses a stats CSV (header row) or legacy lines; throws InputError naming `where` and the line. */
export function plotRunsFromCsv(text: string, where: string): PlotRun[] {
  let records: string[][];
  try {
    records = parse(text, { trim: true, skip_empty_lines: true, relax_column_count: true, comment: "#" }) as string[][];
  } catch (error) {
    throw new InputError(`${where}: not CSV (${error instanceof Error ? error.message : String(error)})`);
  }
  if (records.length === 0) throw new InputError(`${where}: no runs in it`);
  const header = records[0]!;
  if (header.includes("limitBytes")) return fromStatsCsv(header, records.slice(1), where);
  return records.map((record, index) => fromLegacyLine(record, `${where}:${index + 1}`));
}

function fromStatsCsv(header: readonly string[], rows: readonly string[][], where: string): PlotRun[] {
  const column = (name: string): number => {
    const index = header.indexOf(name);
    if (index < 0) throw new InputError(`${where}: the header has no "${name}" column; write the file with \`stats --format csv\``);
    return index;
  };
  const [limit, limitBytes, warmup, status, profileSeconds, gcCount] = [
    "limit",
    "limitBytes",
    "warmup",
    "status",
    "profileSeconds",
    "gcCount",
  ].map(column) as [number, number, number, number, number, number];
  return rows.map((row, index) => {
    const line = `${where}:${index + 2}`;
    const bytes = Number(row[limitBytes]);
    if (!Number.isFinite(bytes) || bytes <= 0) throw new InputError(`${line}: limitBytes "${row[limitBytes] ?? ""}" is not a positive number`);
    return {
      limit: row[limit] ?? "",
      limitBytes: bytes,
      warmup: row[warmup] === "true",
      crashed: row[status] !== "ok",
      durationSeconds: optionalNumber(row[profileSeconds], line, "profileSeconds"),
      gcCount: optionalNumber(row[gcCount], line, "gcCount"),
    };
  });
}

function fromLegacyLine(record: readonly string[], line: string): PlotRun {
  if (record.length !== 5) {
    throw new InputError(
      `${line}: expected 5 fields <memory limit>,<iteration>,<gc count>,<duration>,<status> or a stats CSV header, found ${record.length}`,
    );
  }
  const [limit, iteration, gcCount, duration, status] = record as [string, string, string, string, string];
  if (status !== "ok" && status !== "crash") throw new InputError(`${line}: status "${status}" is neither ok nor crash`);
  const gc = Number(gcCount);
  const micros = Number(duration);
  if (!Number.isInteger(gc) || !Number.isFinite(micros)) throw new InputError(`${line}: gc count and duration must be numbers`);
  return {
    limit,
    limitBytes: jvmSizeBytes(limit, line),
    warmup: iteration === "WARMUP",
    crashed: status === "crash",
    durationSeconds: micros / 1_000_000,
    gcCount: gc,
  };
}

const UNIT_BYTES: Readonly<Record<string, number>> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** A size as the JVM reads -Xmx: digits and an optional k, m, g or t (any case), powers of 1024. */
function jvmSizeBytes(text: string, line: string): number {
  const match = /^(\d+)([kmgt]?)$/i.exec(text);
  if (match === null || Number(match[1]) === 0) throw new InputError(`${line}: "${text}" is not a heap limit such as 256m or 1g`);
  return Number(match[1]) * UNIT_BYTES[match[2]!.toLowerCase()]!;
}

function optionalNumber(cell: string | undefined, line: string, name: string): number | null {
  if (cell === undefined || cell === "") return null;
  const value = Number(cell);
  if (!Number.isFinite(value)) throw new InputError(`${line}: ${name} "${cell}" is not a number`);
  return value;
}
