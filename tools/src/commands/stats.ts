// `stats RUNS_DIR... [--format csv|json|legacy] [--out FILE]`: one row a run.
import { Command, Option } from "commander";
import type { RunStats } from "../core/run/run-stats.js";
import { resolveUserPath } from "../io/invocation.js";
import { checkOutputPath, writeOutputFile } from "../io/output-file.js";
import { findRuns, readRunStats } from "../io/run-folders.js";
import { unreadableRunLine } from "../render/report.js";
import { renderStats, STATS_DESCRIPTION, STATS_FORMATS, STATS_HELP_FOOTER, statsWritten, type StatsFormat } from "../render/stats.js";

interface StatsOptions {
  readonly format: StatsFormat;
  readonly out?: string;
}

export function statsCommand(): Command {
  return new Command("stats")
    .description(STATS_DESCRIPTION)
    .argument("<RUNS_DIR...>", "sweep folders or run folders")
    .addOption(new Option("--format <format>", "output format").choices(STATS_FORMATS).default("csv"))
    .option("--out <file>", "write to FILE (replaced in one step) instead of stdout")
    .addHelpText("after", STATS_HELP_FOOTER)
    .action(async (runsDirs: string[], options: StatsOptions) => {
      if (options.out !== undefined) await checkOutputPath(resolveUserPath(options.out));
      const rows = await collectStats(runsDirs.map((dir) => resolveUserPath(dir)));
      const text = renderStats(rows, options.format);
      if (options.out === undefined) {
        process.stdout.write(text);
      } else {
        const out = resolveUserPath(options.out);
        await writeOutputFile(out, text);
        process.stderr.write(statsWritten(out, rows.length));
      }
    });
}

/**
 * The stats of every run under each folder, folder by folder in the order given; a sweep folder's run.json
 * that cannot be read is named on stderr and left out.
 */
export async function collectStats(runsDirs: readonly string[]): Promise<RunStats[]> {
  const rows: RunStats[] = [];
  for (const dir of runsDirs) {
    for (const run of await findRuns(dir, (unreadable) => process.stderr.write(unreadableRunLine(unreadable.problem)))) rows.push(await readRunStats(run));
  }
  return rows;
}
