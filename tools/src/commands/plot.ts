// `plot SERIES... [--label NAME]... [--exclude-crashes] [--out FILE.svg|.png|.html]`.
import { Command } from "commander";
import { UsageError } from "../core/exit-codes.js";
import { DEFAULT_PLOT_FILE, drawPlot } from "../flows/plot.js";
import { resolveUserPath } from "../io/invocation.js";
import { labelCountMismatch, PLOT_DESCRIPTION, PLOT_HELP_FOOTER, tooManySeries } from "../render/plot.js";

interface PlotOptions {
  readonly label: string[];
  readonly excludeCrashes?: boolean;
  readonly out?: string;
}

const MAX_SERIES = 2;

export function plotCommand(): Command {
  return new Command("plot")
    .description(PLOT_DESCRIPTION)
    .argument("<SERIES...>", "one or two sweep folders, run folders or stats CSV files")
    .option("--label <name>", "name of a series in the legend, once per SERIES in order", (value: string, previous: string[]) => [...previous, value], [])
    .option("--exclude-crashes", "leave crashed runs out of the mean and standard deviation")
    .option("--out <file>", `output file, .svg, .png or .html (default: ${DEFAULT_PLOT_FILE} in the first SERIES folder)`)
    .addHelpText("after", PLOT_HELP_FOOTER)
    .action(async (seriesPaths: string[], options: PlotOptions) => {
      if (seriesPaths.length > MAX_SERIES) throw new UsageError(tooManySeries(seriesPaths.length));
      if (options.label.length > 0 && options.label.length !== seriesPaths.length) {
        throw new UsageError(labelCountMismatch(options.label.length, seriesPaths.length));
      }
      await drawPlot({
        series: seriesPaths.map((path, index) => ({ path: resolveUserPath(path), label: options.label[index] })),
        excludeCrashes: options.excludeCrashes === true,
        out: options.out === undefined ? undefined : resolveUserPath(options.out),
      });
    });
}
