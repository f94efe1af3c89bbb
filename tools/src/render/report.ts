// Wording and markup of `report`: one self-contained HTML page (inline CSS and SVG, no script, nothing
// fetched) with the sweep's parameters, the threshold, the plots, the table of runs and a blame slot.
import type { RunArtifacts } from "../core/run-record.js";
import type { RunStats } from "../core/run-stats.js";
import type { Threshold } from "../core/threshold.js";
import { escapeHtml } from "./plot.js";

export interface ReportLink {
  readonly label: string;
  /** Relative to the report file. */
  readonly href: string;
}

export interface ReportRun {
  readonly stats: RunStats;
  readonly folderHref: string;
  readonly artifacts: readonly ReportLink[];
}

export interface ReportInput {
  /** The sweep folder as the user named it. */
  readonly sweep: string;
  /** sweep.json, shown key by key; undefined when the folder has none. */
  readonly parameters: Readonly<Record<string, unknown>> | undefined;
  readonly runs: readonly ReportRun[];
  readonly threshold: Threshold;
  /** The plot as inline SVG. */
  readonly plotSvg: string;
  /** HTML of the blame results once `blame` exists; undefined shows where they will go. */
  readonly blameHtml?: string | undefined;
}

export const REPORT_DESCRIPTION = "Write one self-contained HTML page about a sweep: parameters, threshold, plots and every run.";

export const REPORT_HELP_FOOTER = `
The page needs nothing else to open (no network, no scripts): plots are inline SVG. Its links to each
run's files are relative, so keep it inside the sweep folder (the default) or move both together.

Examples:
  bazel run //analysis:report -- measurements/sweep
  bazel run //analysis:report -- measurements/sweep --out /tmp/report.html`;

export function reportWritten(path: string): string {
  return `wrote ${path}\n`;
}

const STYLE = `
body { font-family: "DejaVu Sans", Verdana, sans-serif; margin: 1.5rem 2rem; color: #222; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; font-size: 0.85rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
tr.crash td { background: #fdecea; }
.threshold { font-size: 1.05rem; }
.muted { color: #666; }
code { font-size: 0.85rem; }
`;

export function reportHtml(input: ReportInput): string {
  const title = `Heap limit sweep: ${input.sweep}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="threshold" id="threshold">${thresholdSentence(input.threshold)}</p>
<h2>Parameters</h2>
${parametersTable(input.parameters)}
<h2>Duration and garbage collections</h2>
<figure id="plot">
${input.plotSvg}
</figure>
<h2>Runs</h2>
${runsTable(input.runs)}
<h2>Blame</h2>
<section id="blame">
${input.blameHtml ?? `<p class="muted">No blame results yet: they will show here the Starlark functions most tied to memory pressure.</p>`}
</section>
</body>
</html>
`;
}

export function thresholdSentence(threshold: Threshold): string {
  const { lowestOk, highestFailing } = threshold;
  if (lowestOk === undefined && highestFailing === undefined) return "No runs.";
  if (lowestOk === undefined) {
    return `Threshold: not reached — runs failed even at the highest limit, <strong>${escapeHtml(highestFailing!.limit)}</strong>.`;
  }
  if (highestFailing === undefined) {
    return `Threshold: at or below <strong>${escapeHtml(lowestOk.limit)}</strong> — every run succeeded, down to the lowest limit.`;
  }
  return (
    `Threshold: <strong>${escapeHtml(lowestOk.limit)}</strong> — every run at and above it succeeded; ` +
    `at ${escapeHtml(highestFailing.limit)} a run failed.`
  );
}

/** How the page names sweep.json's fields (core/run-record.ts SweepManifest); others show as they are. */
const PARAMETER_LABELS: Readonly<Record<string, string>> = {
  workspace: "Workspace",
  bazel: "Bazel",
  bazelVersion: "Bazel version",
  targets: "Targets",
  limits: "Heap limits",
  runs: "Runs per limit",
  warmup: "Warm-up runs per limit",
  mode: "Mode",
  configs: "Configs (--config)",
  buildFlags: "Build flags",
  startupFlags: "Startup flags",
  timeoutSeconds: "Timeout (s)",
  search: "Threshold search",
  plannedRuns: "Planned runs",
  fingerprint: "Plan fingerprint",
};

/** sweep.json as rows: its settings first, then what the sweep ran on; `schema` is left out. */
export function parameterRows(manifest: Readonly<Record<string, unknown>>): [string, string][] {
  const { settings, schema: _schema, bazelVersionSource, ...rest } = manifest;
  const fields: [string, unknown][] = [
    ...(typeof settings === "object" && settings !== null ? Object.entries(settings) : []),
    ...Object.entries(rest),
  ];
  return fields.map(([key, value]) => {
    let text = parameterText(value);
    if (key === "plannedRuns" && Array.isArray(value)) text = `${value.length}`;
    if (key === "search" && value === null) text = "no (a grid)";
    if (key === "bazelVersion" && typeof bazelVersionSource === "string") text = `${text} (from ${bazelVersionSource})`;
    return [PARAMETER_LABELS[key] ?? key, text];
  });
}

function parametersTable(parameters: ReportInput["parameters"]): string {
  if (parameters === undefined) return `<p class="muted">No sweep.json in this folder.</p>`;
  const rows = parameterRows(parameters).map(
    ([label, text]) => `<tr><th>${escapeHtml(label)}</th><td><code>${escapeHtml(text)}</code></td></tr>`,
  );
  return `<table id="parameters">\n${rows.join("\n")}\n</table>`;
}

function parameterText(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value.length === 0 ? "(none)" : value.join(" ");
  return JSON.stringify(value);
}

const RUN_COLUMNS = [
  "Run",
  "Limit",
  "Iteration",
  "Status",
  "Exit",
  "Wall (s)",
  "Profile (s)",
  "GCs (minor/major)",
  "GC (s)",
  "Peak heap (MiB)",
  "Profile events",
  "Files",
];

function runsTable(runs: readonly ReportRun[]): string {
  const header = `<tr>${RUN_COLUMNS.map((column) => `<th>${escapeHtml(column)}</th>`).join("")}</tr>`;
  const rows = runs.map(({ stats, folderHref, artifacts }) => {
    const cells = [
      `<a href="${escapeHtml(folderHref)}">${escapeHtml(stats.id)}</a>`,
      escapeHtml(stats.limit),
      stats.warmup ? `warm-up ${stats.iteration}` : String(stats.iteration),
      escapeHtml(stats.status),
      stats.exitCode === null ? "signal" : String(stats.exitCode),
      number(stats.wallSeconds, 1),
      number(stats.profileSeconds, 1),
      stats.gcCount === null ? "" : `${stats.gcCount} (${stats.gcMinor}/${stats.gcMajor})`,
      number(stats.gcSeconds, 2),
      stats.peakHeapBytes === null ? "" : `<span title="${escapeHtml(stats.peakHeapSource ?? "")}">${number(stats.peakHeapBytes / 2 ** 20, 1)}</span>`,
      stats.eventsRecovered === null ? "" : `${stats.eventsRecovered}${stats.truncated ? " (cut short)" : ""}`,
      artifacts.map((link) => `<a href="${escapeHtml(link.href)}">${escapeHtml(link.label)}</a>`).join(" "),
    ];
    const numeric = new Set([4, 5, 6, 7, 8, 9, 10]);
    const tds = cells.map((cell, index) => (numeric.has(index) ? `<td class="number">${cell}</td>` : `<td>${cell}</td>`));
    return `<tr class="${stats.status === "ok" ? "ok" : "crash"}">${tds.join("")}</tr>`;
  });
  return `<table id="runs">\n${header}\n${rows.join("\n")}\n</table>`;
}

function number(value: number | null, digits: number): string {
  return value === null ? "" : value.toFixed(digits);
}

/** Link labels for the run's artifacts, in the order of RunArtifacts. */
export const ARTIFACT_LABELS: Readonly<Record<keyof RunArtifacts, string>> = {
  profile: "profile",
  starlarkCpuProfile: "cpu pprof",
  bep: "BEP",
  memoryProfile: "memory",
  console: "console",
  heapDump: "heap dump",
  serverLog: "jvm.out",
  serverJavaLog: "java.log",
  gcLog: "GC log",
};
