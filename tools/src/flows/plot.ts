// `plot`: one or two series (sweep folders, run folders or stats CSV files) drawn as SVG, PNG or HTML.
import { readFile, stat } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { InputError, UsageError } from "../core/exit-codes.js";
import { plotData, type PlotRun, type PlotSeries } from "../core/plot/plot-data.js";
import { plotRunsFromCsv, plotRunsFromStats } from "../core/plot/plot-input.js";
import { checkOutputPath, writeOutputFile } from "../io/output-file.js";
import { renderPng, renderSvg } from "../io/plot-render.js";
import { badPlotExtension, nothingToPlot, plotHtml, plotSpec, plotWritten } from "../render/plot.js";
import { collectStats } from "./stats.js";

export const DEFAULT_PLOT_FILE = "plot.svg";
const MAX_CSV_BYTES = 64 * 1024 * 1024;

export interface PlotRequest {
  readonly series: readonly { readonly path: string; readonly label: string | undefined }[];
  readonly excludeCrashes: boolean;
  /** undefined: DEFAULT_PLOT_FILE in the first series' folder (or <name>.svg beside its CSV file). */
  readonly out: string | undefined;
}

export async function drawPlot(request: PlotRequest): Promise<void> {
  const out = request.out ?? (await defaultOut(request.series[0]!.path));
  const format = outputFormat(out);
  await checkOutputPath(out);
  const series: PlotSeries[] = [];
  for (const { path, label } of request.series) series.push({ label: label ?? seriesName(path), runs: await readSeries(path) });
  const { excludeCrashes } = request;
  const data = plotData(series, { excludeCrashes });
  if (data.limits.length === 0) throw new InputError(nothingToPlot());
  const svg = await renderSvg(plotSpec(data, { excludeCrashes }));
  const content = format === "png" ? await renderPng(svg) : format === "html" ? plotHtml(svg) : svg;
  await writeOutputFile(out, content);
  process.stderr.write(plotWritten(out));
}

async function readSeries(path: string): Promise<PlotRun[]> {
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
