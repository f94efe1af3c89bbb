// `stats RUNS_DIR... [--format csv|json|legacy] [--out FILE]`: one row a run.
import { Command, Option } from "commander";
import { printStats } from "../flows/stats.js";
import { resolveUserPath } from "../io/invocation.js";
import { STATS_DESCRIPTION, STATS_FORMATS, STATS_HELP_FOOTER, type StatsFormat } from "../render/stats.js";

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
      await printStats({
        folders: runsDirs.map((dir) => resolveUserPath(dir)),
        format: options.format,
        out: options.out === undefined ? undefined : resolveUserPath(options.out),
      });
    });
}
