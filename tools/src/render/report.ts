// Wording and markup of `report`: one self-contained HTML page (inline CSS and SVG, no script, nothing
// fetched) with the sweep's parameters, the threshold, the plots, the table of runs and a blame slot.
import { SCORE_WEIGHTS, type BlameResult } from "../core/blame/blame.js";
import type { HeapDigest } from "../core/heap/heap-digest.js";
import type { RunArtifacts } from "../core/run/run-record.js";
import type { RunStats } from "../core/run/run-stats.js";
import type { Threshold } from "../core/sweep/threshold.js";
import { PROGRAM_NAME } from "./help.js";
import { escapeHtml, htmlPageHead } from "./plot.js";
import { cpuCorrection, evidenceWords, signalCells, verdictLine } from "./blame.js";
import { formatSize, functionName, percent, verdictLine as heapVerdictLine } from "./heap.js";
import { leftOutReasonText } from "./sweep.js";
import { heapPictureSvg, PICTURE_NOTE } from "./treemap.js";

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
  /** Blame over the sweep's runs, and the crash runs behind it; undefined when it could not be computed. */
  readonly blame: ReportBlame | undefined;
}

export interface ReportBlame {
  readonly result: BlameResult;
  /** The workspace .bzl files are named relative to. */
  readonly workspace: string | undefined;
  /** Every run that ran out of memory, with its heap digest when it left one, and links to its evidence. */
  readonly crashRuns: readonly {
    readonly id: string;
    readonly limit: string;
    readonly digest: HeapDigest | undefined;
    /** Why the dump it left could not be digested, if so. */
    readonly unusableDump: string | undefined;
    readonly links: readonly ReportLink[];
  }[];
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

export function reportBlameFailed(reason: string): string {
  return `${PROGRAM_NAME}: the report's Blame section is left empty: ${reason}\n`;
}

/** stats, plot and report go on without a run.json that cannot be read, and say so, one line each. */
export function unreadableRunLine(problem: string): string {
  return `${PROGRAM_NAME}: ${problem}; that run is left out, the others are read\n`;
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
figure.heap-picture { margin: 1rem 0 2rem; }
figure.heap-picture figcaption { font-size: 0.9rem; margin-bottom: 0.4rem; }
`;

export function reportHtml(input: ReportInput): string {
  const title = `Heap limit sweep: ${input.sweep}`;
  return `${htmlPageHead(title, STYLE)}<body>
<h1>${escapeHtml(title)}</h1>
<p class="threshold" id="threshold">${thresholdSentence(input.threshold)}</p>
<h2>Parameters</h2>
${parametersTable(input.parameters)}
<h2>Duration and garbage collections</h2>
<figure id="plot">
${input.plotSvg}
</figure>
<h2>Runs</h2>
${runsTable(input.runs, input.threshold)}
<h2>Blame</h2>
<section id="blame">
${input.blame === undefined ? `<p class="muted">Blame could not be computed for this sweep; see \`blame\`'s message on the command line.</p>` : blameSection(input.blame)}
</section>
</body>
</html>
`;
}

export function thresholdSentence(threshold: Threshold): string {
  return measuredSentence(threshold) + leftOutSentence(threshold);
}

function measuredSentence({ lowestOk, highestFailing, leftOut }: Threshold): string {
  if (lowestOk === undefined && highestFailing === undefined) return leftOut.length === 0 ? "No runs." : "Threshold: unknown — no run measured the heap.";
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

/** The runs that did not count, and why (core/sweep/threshold.ts). */
function leftOutSentence({ leftOut }: Threshold): string {
  if (leftOut.length === 0) return "";
  const runs = leftOut.map((run) => `${escapeHtml(run.id)} (${escapeHtml(leftOutReasonText(run.reason))})`).join("; ");
  return ` Left out, as they measured nothing about the heap: ${runs}.`;
}

/** How the page names sweep.json's fields (core/run/run-record.ts SweepManifest); others show as they are. */
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
  "Profile",
  "Status",
  "Exit",
  "Wall (s)",
  "Profile (s)",
  "GCs (minor/major)",
  "GC (s)",
  "Peak heap (MiB)",
  "Profile events",
  "Threshold",
  "Files",
];

function runsTable(runs: readonly ReportRun[], threshold: Threshold): string {
  const header = `<tr>${RUN_COLUMNS.map((column) => `<th>${escapeHtml(column)}</th>`).join("")}</tr>`;
  const leftOut = new Map(threshold.leftOut.map((run) => [run.id, run.reason]));
  const rows = runs.map(({ stats, folderHref, artifacts }) => {
    const reason = leftOut.get(stats.id);
    const cells = [
      `<a href="${escapeHtml(folderHref)}">${escapeHtml(stats.id)}</a>`,
      escapeHtml(stats.limit),
      stats.warmup ? `warm-up ${stats.iteration}` : String(stats.iteration),
      `${escapeHtml(stats.profileLevel)}${stats.evidence ? " (evidence run)" : ""}`,
      escapeHtml(stats.status),
      stats.exitCode === null ? "signal" : String(stats.exitCode),
      number(stats.wallSeconds, 1),
      number(stats.profileSeconds, 1),
      stats.gcCount === null ? "" : `${stats.gcCount} (${stats.gcMinor}/${stats.gcMajor})`,
      number(stats.gcSeconds, 2),
      stats.peakHeapBytes === null ? "" : `<span title="${escapeHtml(stats.peakHeapSource ?? "")}">${number(stats.peakHeapBytes / 2 ** 20, 1)}</span>`,
      stats.eventsRecovered === null ? "" : `${stats.eventsRecovered}${stats.truncated ? " (cut short)" : ""}`,
      stats.evidence ? "left out: evidence run" : reason === undefined ? "counted" : `left out: ${escapeHtml(leftOutReasonText(reason))}`,
      artifacts.map((link) => `<a href="${escapeHtml(link.href)}">${escapeHtml(link.label)}</a>`).join(" "),
    ];
    const numeric = new Set([5, 6, 7, 8, 9, 10, 11]);
    const tds = cells.map((cell, index) => (numeric.has(index) ? `<td class="number">${cell}</td>` : `<td>${cell}</td>`));
    return `<tr class="${stats.status === "ok" ? "ok" : "crash"}">${tds.join("")}</tr>`;
  });
  return `<table id="runs">\n${header}\n${rows.join("\n")}\n</table>`;
}

function number(value: number | null, digits: number): string {
  return value === null ? "" : value.toFixed(digits);
}

/** The verdict, the ranked suspects with every signal, the evidence in words, how the score is made, and the crashes. */
function blameSection(blame: ReportBlame): string {
  const { result } = blame;
  const header = ["#", "Function", "File", "Score", "Heap held", "Crash stack", "GC low/high", "Time share low/high", "CPU"];
  const rows = result.suspects.slice(0, 10).map((suspect, index) => {
    const cells = signalCells(suspect);
    return `<tr>${[String(index + 1), suspect.function, suspect.file ?? "?", suspect.score.toFixed(1), cells.heap, cells.stack, cells.gc, cells.overRep, cells.cpu].map((cell) => `<td>${escapeHtml(cell)}</td>`).join("")}</tr>`;
  });
  const words = result.suspects
    .slice(0, 3)
    .map((suspect) => evidenceWords(suspect))
    .map((text, index) => (text === "" ? "" : `<li><strong>${escapeHtml(result.suspects[index]!.function)}</strong>: ${escapeHtml(text)}</li>`))
    .join("\n");
  const correction = cpuCorrection(result);
  const crashes = blame.crashRuns.map((run) => {
    const digest = run.digest;
    const summary =
      digest === undefined
        ? `<span class="muted">${run.unusableDump === undefined ? "no heap dump" : `heap dump left out: ${escapeHtml(run.unusableDump)}`}</span>`
        : `${escapeHtml(heapVerdictLine(digest.verdict, blame.workspace).replace(/^verdict: /, ""))}<br><span class="muted">stacks at the crash: ${escapeHtml(
            digest.threads.map((thread) => `${thread.name}${thread.threwError ? " (threw)" : ""}: ${thread.frames.map((frame) => frame.function).join(" < ")}`).join("; ") || "none",
          )}<br>top holders: ${escapeHtml(
            digest.holders
              .slice(0, 3)
              .map((holder) => `${formatSize(holder.retainedBytes)} ${percent(holder.share)} ${holder.kind}${holder.provider === undefined ? "" : ` ${holder.provider}`} of ${functionName(holder.function, blame.workspace)}`)
              .join("; "),
          )}</span>`;
    const links = run.links.map((link) => `<a href="${escapeHtml(link.href)}">${escapeHtml(link.label)}</a>`).join(" ");
    return `<tr><td>${escapeHtml(run.id)}</td><td>${escapeHtml(run.limit)}</td><td>${summary}</td><td>${links}</td></tr>`;
  });
  return [
    `<p class="threshold" id="verdict">${escapeHtml(verdictLine(result).replace(/^verdict: /, "Verdict: "))}</p>`,
    `<table id="suspects">\n<tr>${header.map((title) => `<th>${escapeHtml(title)}</th>`).join("")}</tr>\n${rows.join("\n")}\n</table>`,
    words === "" ? "" : `<ul>\n${words}\n</ul>`,
    correction === undefined ? "" : `<p>${escapeHtml(correction.trim())}</p>`,
    `<p class="muted">How the score is made: ${SCORE_WEIGHTS.heap} × the share of the heap held in the crash dumps + ${SCORE_WEIGHTS.innermostAtCrash} × the share of crash runs where it was the innermost Starlark function on every thread + ${SCORE_WEIGHTS.onStackAtCrash} × otherwise the share of their threads whose stack it was on + up to ${SCORE_WEIGHTS.gc} each for more GC inside its calls and a significantly larger share of time near the crash. CPU is shown, never scored: burning CPU is not holding memory. A culprit needs heap dumps showing it holds the heap or, without them, every crash stack naming it, in two crashes or more or with more GC inside its calls near the crash.</p>`,
    `<h3>Crash runs</h3>`,
    blame.crashRuns.length === 0
      ? `<p class="muted">No run ran out of memory.</p>`
      : `<table id="crashes">\n<tr><th>Run</th><th>Limit</th><th>Heap dump at the crash</th><th>Evidence</th></tr>\n${crashes.join("\n")}\n</table>`,
    heapPictures(blame),
  ]
    .filter((part) => part !== "")
    .join("\n");
}

/** A picture of who held the heap at each crash that left a digest (render/treemap.ts). */
function heapPictures(blame: ReportBlame): string {
  const runs = blame.crashRuns.filter((run) => run.digest !== undefined);
  if (runs.length === 0) return "";
  const figures = runs.map(
    (run) =>
      `<figure class="heap-picture" id="heap-picture-${escapeHtml(run.id)}">\n<figcaption>${escapeHtml(`${run.id} (${run.limit}): ${heapVerdictLine(run.digest!.verdict, blame.workspace).replace(/^verdict: /, "")}`)}</figcaption>\n${heapPictureSvg(run.digest!, blame.workspace)}\n</figure>`,
  );
  return [`<h3>Who held the heap at each crash</h3>`, `<p class="muted">${escapeHtml(PICTURE_NOTE)}</p>`, ...figures].join("\n");
}

/** Link labels for the run's artifacts, in the order of RunArtifacts. */
export const ARTIFACT_LABELS: Readonly<Record<keyof RunArtifacts, string>> = {
  profile: "profile",
  starlarkCpuProfile: "cpu pprof",
  bep: "BEP",
  memoryProfile: "memory",
  console: "console",
  heapDump: "heap dump",
  heapDigest: "heap digest",
  serverLog: "jvm.out",
  serverJavaLog: "java.log",
  gcLog: "GC log",
};

/** The files the Blame section links next to each crash run: what tells what it held and where it was. */
export const CRASH_EVIDENCE: readonly (keyof RunArtifacts)[] = ["profile", "console", "heapDump", "heapDigest", "serverLog", "serverJavaLog", "gcLog"];
