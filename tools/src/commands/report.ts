// `report RUNS_DIR [--out report.html]`: the sweep on one self-contained page.
import { dirname, join, relative, sep } from "node:path";
import { Command } from "commander";
import { plotData } from "../core/plot/plot-data.js";
import { plotRunsFromStats } from "../core/plot/plot-input.js";
import type { RunArtifacts } from "../core/run/run-record.js";
import { threshold } from "../core/sweep/threshold.js";
import { resolveUserPath } from "../io/invocation.js";
import { checkOutputPath, writeOutputFile } from "../io/output-file.js";
import { renderSvg } from "../io/plot-render.js";
import { runDigest } from "../io/blame-inputs.js";
import { findRuns, readRunStats, readSweepManifest, sweepWorkspace, type RunFolder } from "../io/run-folders.js";
import { blameSweeps } from "./blame.js";
import { plotSpec } from "../render/plot.js";
import {
  ARTIFACT_LABELS,
  REPORT_DESCRIPTION,
  REPORT_HELP_FOOTER,
  reportHtml,
  reportBlameFailed,
  reportWritten,
  unreadableRunLine,
  type ReportBlame,
  type ReportRun,
} from "../render/report.js";

export const REPORT_FILE = "report.html";

export function reportCommand(): Command {
  return new Command("report")
    .description(REPORT_DESCRIPTION)
    .argument("<RUNS_DIR>", "the sweep folder (the sweep's --out)")
    .option("--out <file>", `where to write the page (default: ${REPORT_FILE} in RUNS_DIR)`)
    .addHelpText("after", REPORT_HELP_FOOTER)
    .action(async (runsDir: string, options: { readonly out?: string }) => {
      const sweep = resolveUserPath(runsDir);
      const out = options.out === undefined ? join(sweep, REPORT_FILE) : resolveUserPath(options.out);
      if (options.out !== undefined) await checkOutputPath(out);
      await writeReport(sweep, out, runsDir);
      process.stderr.write(reportWritten(out));
    });
}

/** Writes the report of the sweep folder `sweep` to `out`; `name` is how the page calls the sweep. */
export async function writeReport(sweep: string, out: string, name: string = sweep): Promise<void> {
  const folders = await findRuns(sweep, (unreadable) => process.stderr.write(unreadableRunLine(unreadable.problem)));
  const runs: ReportRun[] = [];
  for (const folder of folders) {
    const stats = await readRunStats(folder);
    const href = (path: string): string => relative(dirname(out), path).split(sep).join("/");
    runs.push({
      stats,
      folderHref: `${href(folder.dir)}/`,
      artifacts: (Object.keys(ARTIFACT_LABELS) as (keyof RunArtifacts)[]).flatMap((key) => {
        const file = folder.record.artifacts[key];
        return file === undefined ? [] : [{ label: ARTIFACT_LABELS[key], href: href(join(folder.dir, file)) }];
      }),
    });
  }
  const rows = runs.map((run) => run.stats);
  const data = plotData([{ label: name, runs: plotRunsFromStats(rows) }], { excludeCrashes: false });
  const plotSvg = await renderSvg(plotSpec(data, { excludeCrashes: false }));
  const html = reportHtml({
    sweep: name,
    parameters: await readSweepManifest(sweep),
    runs,
    // From run.json: whether a timeout counts depends on its GC verdict, which the stats rows leave out.
    threshold: threshold(folders.map((folder) => folder.record)),
    plotSvg,
    blame: await reportBlame(sweep, folders, runs),
  });
  await writeOutputFile(out, html);
}

/** The blame and the crash runs behind it; undefined (and nothing lost) when it cannot be computed. */
async function reportBlame(sweep: string, folders: readonly RunFolder[], runs: readonly ReportRun[]): Promise<ReportBlame | undefined> {
  try {
    const result = await blameSweeps([sweep], new Set(), () => undefined);
    const crashRuns: ReportBlame["crashRuns"][number][] = [];
    for (const [index, folder] of folders.entries()) {
      if (folder.record.status !== "oom") continue;
      const evidence = new Set(["heap digest", "heap dump", "console", "java.log", "jvm.out", "GC log", "profile"]);
      crashRuns.push({
        id: folder.record.id,
        limit: folder.record.limit,
        ...(await runDigest(folder)),
        links: runs[index]!.artifacts.filter((link) => evidence.has(link.label)),
      });
    }
    return { result, workspace: await sweepWorkspace(sweep), crashRuns };
  } catch (error) {
    process.stderr.write(reportBlameFailed(error instanceof Error ? error.message : String(error)));
    return undefined;
  }
}
