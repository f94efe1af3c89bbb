// `plot SERIES... [--label NAME]... [--exclude-crashes] [--out FILE.svg|.png|.html]`.
import { stat, readFile } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { Command } from "commander";
import { InputError, UsageError } from "../core/exit-codes.js";
import { plotData, type PlotSeries } from "../core/plot/plot-data.js";
import { plotRunsFromCsv, plotRunsFromStats } from "../core/plot/plot-input.js";
import { resolveUserPath } from "../io/invocation.js";
import { checkOutputPath, writeOutputFile } from "../io/output-file.js";
import { renderPng, renderSvg } from "../io/plot-render.js";
import {
  badPlotExtension,
  labelCountMismatch,
  nothingToPlot,
  PLOT_DESCRIPTION,
  PLOT_HELP_FOOTER,
  plotHtml,
  plotSpec,
  plotWritten,
  tooManySeries,
} from "../render/plot.js";
import { collectStats } from "./stats.js";

interface PlotOptions {
  readonly label: string[];
  readonly excludeCrashes?: boolean;
  readonly out?: string;
}

const MAX_SERIES = 2;
const MAX_CSV_BYTES = 64 * 1024 * 1024;
export const DEFAULT_PLOT_FILE = "plot.svg";

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
      const paths = seriesPaths.map((path) => resolveUserPath(path));
      const out = options.out === undefined ? await defaultOut(paths[0]!) : resolveUserPath(options.out);
      const format = outputFormat(out);
      await checkOutputPath(out);
      const series: PlotSeries[] = [];
      for (const [index, path] of paths.entries()) {
        series.push({ label: options.label[index] ?? seriesName(path), runs: await readSeries(path) });
      }
      const excludeCrashes = options.excludeCrashes === true;
      const data = plotData(series, { excludeCrashes });
      if (data.limits.length === 0) throw new InputError(nothingToPlot());
      const svg = await renderSvg(plotSpec(data, { excludeCrashes }));
      const content = format === "png" ? await renderPng(svg) : format === "html" ? plotHtml(svg) : svg;
      await writeOutputFile(out, content);
      process.stderr.write(plotWritten(out));
    });
}

async function readSeries(path: string) {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) throw new InputError(`${path}: no such file or folder`);
  if (info.isDirectory()) return plotRunsFromStats(await collectStats([path]));
  // A FIFO or a device would be read for ever.
  if (!info.isFile()) throw new InputError(`${path}: neither a folder nor a file; give a sweep folder, a run folder or a stats CSV file`);
  if (info.size > MAX_CSV_BYTES) throw new InputError(`${path}: ${info.size} bytes is too big for a stats CSV file`);
  return plotRunsFromCsv(await readFile(path, "utf8"), path);
}

function outputFormat(path: string): "svg" | "png" | "html" {
  const extension = extname(path).toLowerCase();
  if (extension === ".svg" || extension === ".png") return extension.slice(1) as "svg" | "png";
  if (extension === ".html" || extension === ".htm") return "html";
  throw new UsageError(badPlotExtension(path));
}

async function defaultOut(firstSeries: string): Promise<string> {
  const isFolder = (await stat(firstSeries).catch(() => undefined))?.isDirectory() ?? false;
  return isFolder ? join(firstSeries, DEFAULT_PLOT_FILE) : join(dirname(firstSeries), `${seriesName(firstSeries)}.svg`);
}

function seriesName(path: string): string {
  const name = basename(path);
  const extension = extname(name);
  return extension === "" ? name : name.slice(0, -extension.length);
}
