/**
 * What `plot` draws: per series and heap limit, the mean and sample standard deviation of the build's
 * duration and GC count over the (non-warm-up) runs of that limit, and whether any of them crashed —
 * the same aggregation as the original memory-plot.py.
 */

/** One run as the plot needs it (from a run folder, a stats CSV, or a legacy stats line). */
export interface PlotRun {
  readonly limit: string;
  readonly limitBytes: number;
  readonly warmup: boolean;
  readonly crashed: boolean;
  /** Profile duration; null when the run left no timestamps (then it is left out of the duration). */
  readonly durationSeconds: number | null;
  readonly gcCount: number | null;
}

export interface PlotSeries {
  readonly label: string;
  readonly runs: readonly PlotRun[];
}

export type PlotMeasure = "duration" | "gc";

export interface PlotPoint {
  readonly series: string;
  readonly measure: PlotMeasure;
  readonly limit: string;
  readonly limitBytes: number;
  readonly mean: number;
  /** Sample standard deviation (n − 1), 0 for a single value. */
  readonly std: number;
  /** Values that went into mean and std. */
  readonly n: number;
  /** Runs of this limit that crashed (counted whether or not they are excluded). */
  readonly crashes: number;
  /** Runs of this limit, warm-ups excluded. */
  readonly runs: number;
}

/** Every limit of a series with how many of its runs crashed, whether or not it has a point. */
export interface PlotLimit {
  readonly series: string;
  readonly limit: string;
  readonly limitBytes: number;
  readonly runs: number;
  readonly crashes: number;
}

export interface PlotData {
  readonly points: readonly PlotPoint[];
  readonly limits: readonly PlotLimit[];
}

export interface PlotOptions {
  /** Leave crashed runs out of mean and std (a limit whose runs all crashed then has no point). */
  readonly excludeCrashes: boolean;
}

export function plotData(series: readonly PlotSeries[], options: PlotOptions): PlotData {
  const points: PlotPoint[] = [];
  const limits: PlotLimit[] = [];
  for (const { label, runs } of series) {
    const byLimit = new Map<number, PlotRun[]>();
    for (const run of runs) {
      if (run.warmup) continue;
      const group = byLimit.get(run.limitBytes);
      if (group === undefined) byLimit.set(run.limitBytes, [run]);
      else group.push(run);
    }
    for (const limitBytes of [...byLimit.keys()].sort((a, b) => a - b)) {
      const group = byLimit.get(limitBytes)!;
      const counted = options.excludeCrashes ? group.filter((run) => !run.crashed) : group;
      const crashes = group.filter((run) => run.crashed).length;
      limits.push({ series: label, limit: group[0]!.limit, limitBytes, runs: group.length, crashes });
      for (const measure of ["duration", "gc"] as const) {
        const values = counted.map((run) => (measure === "duration" ? run.durationSeconds : run.gcCount)).filter(isNumber);
        if (values.length === 0) continue;
        points.push({
          series: label,
          measure,
          limit: group[0]!.limit,
          limitBytes,
          mean: mean(values),
          std: sampleStandardDeviation(values),
          n: values.length,
          crashes,
          runs: group.length,
        });
      }
    }
  }
  return { points, limits };
}

export function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

export function sampleStandardDeviation(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const average = mean(values);
  const squares = values.reduce((sum, value) => sum + (value - average) ** 2, 0);
  return Math.sqrt(squares / (values.length - 1));
}

function isNumber(value: number | null): value is number {
  return value !== null;
}
