// Wording and look of `plot`: the Vega-Lite spec (titles, axes, legend) and the HTML page around an SVG.
import type { TopLevelSpec } from "vega-lite";
import type { PlotData, PlotMeasure } from "../core/plot/plot-data.js";

const MEASURE_TITLES: Readonly<Record<PlotMeasure, string>> = {
  duration: "Build duration (s)",
  gc: "Garbage collections",
};
const OK = "no crash";
const CRASH = "a run crashed";
const CRASH_COLOR = "#d62728";
const BYTES_PER_MIB = 1024 * 1024;

/** One panel of a vertical concatenation, as vega-lite types it. */
type ConcatPanel = Extract<TopLevelSpec, { vconcat: unknown }>["vconcat"][number];

export const PLOT_TITLE = "Build duration and garbage collections against the heap limit";

/**
 * A Vega-Lite spec drawing `data`: a panel a measure, a colour a series, each point the mean with a
 * ± one standard deviation bar, a cross where a run of that limit crashed, and a dashed red line at
 * every limit where a run crashed (also where the crashed runs left nothing to average).
 */
export function plotSpec(data: PlotData, options: { readonly excludeCrashes: boolean }): TopLevelSpec {
  const points = data.points.map((point) => ({
    series: point.series,
    measure: point.measure,
    limit: point.limit,
    limitMiB: point.limitBytes / BYTES_PER_MIB,
    mean: point.mean,
    lower: point.mean - point.std,
    upper: point.mean + point.std,
    outcome: point.crashes > 0 ? CRASH : OK,
  }));
  const crashes = data.limits
    .filter((limit) => limit.crashes > 0)
    .map((limit) => ({ series: limit.series, limit: limit.limit, limitMiB: limit.limitBytes / BYTES_PER_MIB }));
  const seriesNames = [...new Set(data.limits.map((limit) => limit.series))];
  const x = { field: "limitMiB", type: "quantitative", title: "Heap limit (MiB, -Xmx)", scale: { zero: false } } as const;
  const color = {
    field: "series",
    type: "nominal",
    title: "Series",
    scale: { domain: seriesNames },
    legend: seriesNames.length > 1 ? {} : null,
  } as const;
  const panel = (measure: PlotMeasure): ConcatPanel => ({
      width: 640,
      height: 200,
      title: { text: MEASURE_TITLES[measure], anchor: "start", fontSize: 12 },
      layer: [
        {
          data: { name: "crashes" },
          mark: { type: "rule", color: CRASH_COLOR, strokeDash: [4, 4], opacity: 0.6 },
          encoding: { x },
        },
        {
          data: { name: "points" },
          transform: [{ filter: { field: "measure", equal: measure } }],
          layer: [
            {
              mark: { type: "rule", opacity: 0.6 },
              encoding: { x, y: { field: "lower", type: "quantitative", title: null }, y2: { field: "upper" }, color },
            },
            { mark: { type: "line", opacity: 0.7 }, encoding: { x, y: { field: "mean", type: "quantitative" }, color } },
            {
              mark: { type: "point", filled: true, opacity: 1, size: 70 },
              encoding: {
                x,
                y: { field: "mean", type: "quantitative" },
                color,
                shape: { field: "outcome", type: "nominal", title: "Outcome", scale: { domain: [OK, CRASH], range: ["circle", "cross"] } },
              },
            },
          ],
        },
      ],
    });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: PLOT_TITLE,
      subtitle: [
        options.excludeCrashes
          ? "mean ± standard deviation over the runs of each limit that did not crash (warm-ups left out)"
          : "mean ± standard deviation over the runs of each limit (warm-ups left out)",
        "dashed red line: at least one run at that limit crashed",
      ],
      anchor: "start",
    },
    datasets: { points, crashes },
    vconcat: [panel("duration"), panel("gc")],
    config: { font: "DejaVu Sans, Verdana, sans-serif", view: { stroke: "#ddd" } },
  };
}

/** A self-contained page for `plot --out FILE.html`: the SVG inline, no scripts, nothing fetched. */
export function plotHtml(svg: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(PLOT_TITLE)}</title>
</head>
<body style="font-family: sans-serif; margin: 1.5rem">
${svg}
</body>
</html>
`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The head of a self-contained, responsive page (the report, the heap picture): no favicon request, inline style. */
export function htmlPageHead(title: string, style: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<style>${style}</style>
</head>
`;
}

export const PLOT_DESCRIPTION = "Plot build duration and GC count against the heap limit for one or two series of runs.";

export const PLOT_HELP_FOOTER = `
Each SERIES is a sweep folder (or run folder) or a CSV file written by \`stats\` (any --format but json;
the original stats.sh lines work too). Warm-up runs are left out; each point is the mean over the runs
of a limit with a bar of ± one standard deviation, a cross where at least one of them crashed.
The output format follows the --out file's extension: .svg, .png or .html (a self-contained page).

Examples:
  bazel run //analysis:plot -- measurements/sweep --out plot.svg
  bazel run //analysis:plot -- measurements/regular measurements/skymeld --label regular --label skymeld --out plot.png`;

export function plotWritten(path: string): string {
  return `wrote ${path}\n`;
}

export function tooManySeries(count: number): string {
  return `plot takes one or two SERIES, got ${count}; plot the others separately`;
}

export function labelCountMismatch(labels: number, series: number): string {
  return `give one --label per SERIES (${series}), got ${labels}; or none to name each series after its path`;
}

export function badPlotExtension(path: string): string {
  return `cannot tell the format of --out ${path}; end it with .svg, .png or .html`;
}

export function nothingToPlot(): string {
  return "nothing to plot: every run is a warm-up";
}

export function noFontForPng(folders: readonly string[]): string {
  return `a PNG needs a TrueType font and none was found under ${folders.join(", ")}; install one (Debian: fonts-dejavu-core) or write .svg or .html`;
}
