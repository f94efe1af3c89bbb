// `report`: the sweep on one self-contained HTML page. The sweep writes the same page at its end, from the sweep
// and blame it has already (writeReport).
import { dirname, join, relative, sep } from "node:path";
import type { BlameResult } from "../core/blame/blame.js";
import { InputError } from "../core/exit-codes.js";
import { plotData } from "../core/plot/plot-data.js";
import { plotRunsFromStats } from "../core/plot/plot-input.js";
import { REPORT_FILE, type RunArtifacts } from "../core/run/run-record.js";
import { runStats } from "../core/run/run-stats.js";
import { threshold } from "../core/sweep/threshold.js";
import { checkOutputPath, writeOutputFile } from "../io/output-file.js";
import { renderSvg } from "../io/plot-render.js";
import type { LoadedRun, LoadedSweep } from "../io/run-folders.js";
import { plotSpec } from "../render/plot.js";
import { ARTIFACT_LABELS, CRASH_EVIDENCE, reportBlameFailed, reportHtml, reportWritten, type ReportLink, type ReportRun } from "../render/report.js";
import { blameOf } from "./blame.js";
import { readSweep } from "./read-sweeps.js";

export interface ReportRequest {
  readonly sweep: string;
  /** undefined: REPORT_FILE in the sweep folder. */
  readonly out: string | undefined;
  /** How the page calls the sweep (as the user named it). */
  readonly name: string;
}

export async function reportSweep(request: ReportRequest): Promise<void> {
  const out = request.out ?? join(request.sweep, REPORT_FILE);
  if (request.out !== undefined) await checkOutputPath(out);
  const sweep = await readSweep(request.sweep, { heapDigests: true });
  let blame: BlameResult | undefined;
  try {
    blame = blameOf([sweep], new Set());
  } catch (error) {
    process.stderr.write(reportBlameFailed(error instanceof Error ? error.message : String(error)));
  }
  await writeReport(sweep, blame, out, request.name);
  process.stderr.write(reportWritten(out));
}

/**
 * Writes the report of `sweep` (loaded with its heap digests) to `out`; `name` is how the page calls the sweep,
 * `blame` undefined when it could not be computed (the page says so).
 */
export async function writeReport(sweep: LoadedSweep, blame: BlameResult | undefined, out: string, name: string): Promise<void> {
  if (sweep.manifestProblem !== undefined) throw new InputError(sweep.manifestProblem);
  const href = (path: string): string => relative(dirname(out), path).split(sep).join("/");
  const links = (run: LoadedRun, keys: readonly (keyof RunArtifacts)[]): ReportLink[] =>
    (Object.keys(ARTIFACT_LABELS) as (keyof RunArtifacts)[]).flatMap((key) => {
      const file = run.record.artifacts[key];
      return file === undefined || !keys.includes(key) ? [] : [{ label: ARTIFACT_LABELS[key], href: href(join(run.dir, file)) }];
    });
  const runs: ReportRun[] = sweep.runs.map((run) => ({
    stats: runStats(run.record, run.summary),
    folderHref: `${href(run.dir)}/`,
    artifacts: links(run, Object.keys(ARTIFACT_LABELS) as (keyof RunArtifacts)[]),
  }));
  const data = plotData([{ label: name, runs: plotRunsFromStats(runs.map((run) => run.stats)) }], { excludeCrashes: false });
  const crashRuns = sweep.runs
    .filter((run) => run.record.status === "oom")
    .map((run) => ({ id: run.record.id, limit: run.record.limit, digest: run.heap?.digest, unusableDump: run.heap?.unusableDump, links: links(run, CRASH_EVIDENCE) }));
  const html = reportHtml({
    sweep: name,
    parameters: sweep.manifest,
    runs,
    // From run.json: whether a timeout counts depends on its GC verdict, which the stats rows leave out.
    threshold: threshold(sweep.runs.map((run) => run.record)),
    plotSvg: await renderSvg(plotSpec(data, { excludeCrashes: false })),
    blame: blame === undefined ? undefined : { result: blame, workspace: sweep.workspace, crashRuns },
  });
  await writeOutputFile(out, html);
}
