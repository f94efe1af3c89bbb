// `plot` as users run it (the built bundle), on the real sweep fixtures of both Bazel versions, from
// folders and from stats files. The SVG's accessibility labels carry the plotted numbers, which are
// checked against `stats --format json` of the same runs.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { FIXTURES_DIR, sweepFixture, sweepFixturesRoot } from "../helpers/fixtures.js";

const scratch = mkdtempSync(join(tmpdir(), "plot-cli-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const cli = (...args: string[]) => runCli(args, { cwd: sweepFixturesRoot() });
const withoutPaths = (text: string): string => text.replaceAll(scratch, "<scratch>").replaceAll(`${sweepFixturesRoot()}/`, "<fixtures>/").replaceAll(FIXTURES_DIR, "<fixtures>/");

interface StatsRow {
  limit: string;
  limitBytes: number;
  warmup: boolean;
  status: string;
  profileSeconds: number | null;
  gcCount: number | null;
}

/** The labels vega gives the plotted points: "Heap limit (MiB, -Xmx): 256; mean: 9.9; Series: x; Outcome: no crash". */
function pointLabels(svg: string): string[] {
  return [...svg.matchAll(/aria-roledescription="point"[^>]*aria-label="([^"]*)"|aria-label="([^"]*)"[^>]*aria-roledescription="point"/g)]
    .map((match) => match[1] ?? match[2]!)
    .sort();
}

/** The labels the plot should have, computed here from the stats rows (mean over non-warm-up runs). */
async function expectedPointLabels(series: string, folder: string, options: { excludeCrashes?: boolean } = {}): Promise<string[]> {
  const rows = JSON.parse((await cli("stats", "--format", "json", folder)).stdout) as StatsRow[];
  const labels: string[] = [];
  for (const limitBytes of new Set(rows.map((row) => row.limitBytes))) {
    const runs = rows.filter((row) => row.limitBytes === limitBytes && !row.warmup);
    const crashed = runs.some((row) => row.status !== "ok");
    const counted = options.excludeCrashes ? runs.filter((row) => row.status === "ok") : runs;
    for (const measure of ["profileSeconds", "gcCount"] as const) {
      const values = counted.map((row) => row[measure]).filter((value): value is number => value !== null);
      if (values.length === 0) continue;
      const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
      labels.push(`Heap limit (MiB, -Xmx): ${limitBytes / 2 ** 20}; mean: ${vegaNumber(mean)}; Series: ${series}; Outcome: ${crashed ? "a run crashed" : "no crash"}`);
    }
  }
  return labels.sort();
}

/** The labels of the ± one (sample) standard deviation bars, computed here from the stats rows. */
async function expectedBarLabels(series: string, folder: string): Promise<string[]> {
  const rows = JSON.parse((await cli("stats", "--format", "json", folder)).stdout) as StatsRow[];
  const labels: string[] = [];
  for (const limitBytes of new Set(rows.map((row) => row.limitBytes))) {
    const runs = rows.filter((row) => row.limitBytes === limitBytes && !row.warmup);
    for (const measure of ["profileSeconds", "gcCount"] as const) {
      const values = runs.map((row) => row[measure]).filter((value): value is number => value !== null);
      if (values.length === 0) continue;
      const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
      const std = values.length < 2 ? 0 : Math.sqrt(values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (values.length - 1));
      labels.push(`Heap limit (MiB, -Xmx): ${limitBytes / 2 ** 20}; lower: ${vegaNumber(mean - std)}; upper: ${vegaNumber(mean + std)}; Series: ${series}`);
    }
  }
  return labels.sort();
}

function barLabels(svg: string): string[] {
  return [...svg.matchAll(/aria-label="([^"]*; lower: [^"]*)"/g)].map((match) => match[1]!).sort();
}

/** Numbers as vega's aria labels print them (at most 12 significant digits). */
function vegaNumber(value: number): string {
  return String(Number(value.toPrecision(12)));
}

describe("plot of one sweep", () => {
  it.each(["4.2.3", "7.7.1"] as const)("draws the mean duration and GC count of each limit of the Bazel %s sweep", async (version) => {
    const out = join(scratch, `one-${version}.svg`);
    const result = await cli("plot", `bazel-${version}/sweep`, "--out", out);
    expect(result.exitCode).toBe(0);
    expect(withoutPaths(result.stderr)).toBe(`wrote <scratch>/one-${version}.svg\n`);
    const svg = readFileSync(out, "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(pointLabels(svg)).toEqual(await expectedPointLabels("sweep", `bazel-${version}/sweep`));
    expect(barLabels(svg)).toEqual(await expectedBarLabels("sweep", `bazel-${version}/sweep`));
    // The crash limit is marked in both panels even where its runs left nothing to average.
    const crashLimit = (JSON.parse((await cli("stats", "--format", "json", `bazel-${version}/sweep`)).stdout) as StatsRow[]).find(
      (row) => row.status !== "ok",
    )!;
    expect(svg.split(`aria-label="Heap limit (MiB, -Xmx): ${crashLimit.limitBytes / 2 ** 20}"`)).toHaveLength(3);
  });

  it("leaves crashed runs out of the means with --exclude-crashes", async () => {
    const out = join(scratch, "exclude.svg");
    const result = await cli("plot", "bazel-7.7.1/sweep", "--exclude-crashes", "--out", out);
    expect(result.exitCode).toBe(0);
    const svg = readFileSync(out, "utf8");
    expect(pointLabels(svg)).toEqual(await expectedPointLabels("sweep", "bazel-7.7.1/sweep", { excludeCrashes: true }));
    expect(svg).toContain("over the runs of each limit that did not crash");
  });

  it("writes plot.svg into the sweep folder when --out is not given", async () => {
    const copy = join(scratch, "sweep-copy");
    cpSync(sweepFixture("4.2.3"), copy, { recursive: true });
    const result = await cli("plot", copy);
    expect(result.exitCode).toBe(0);
    expect(withoutPaths(result.stderr)).toBe("wrote <scratch>/sweep-copy/plot.svg\n");
    expect(existsSync(join(copy, "plot.svg"))).toBe(true);
  });
});

describe("plot of two series, from folders and from stats files", () => {
  it("draws both series with their labels and a legend", async () => {
    const out = join(scratch, "two.svg");
    const result = await cli("plot", "bazel-4.2.3/sweep", "bazel-7.7.1/sweep", "--label", "Bazel 4.2.3", "--label", "Bazel 7.7.1", "--out", out);
    expect(result.exitCode).toBe(0);
    const svg = readFileSync(out, "utf8");
    const expected = [
      ...(await expectedPointLabels("Bazel 4.2.3", "bazel-4.2.3/sweep")),
      ...(await expectedPointLabels("Bazel 7.7.1", "bazel-7.7.1/sweep")),
    ].sort();
    expect(pointLabels(svg)).toEqual(expected);
    expect(svg).toMatch(/Symbol legend titled 'Series' for [a-z ]+ with 2 values: Bazel 4\.2\.3, Bazel 7\.7\.1/);
  });

  it("draws the same points from a `stats --format csv` file as from the folder", async () => {
    const statsFile = join(scratch, "sweep.csv");
    expect((await cli("stats", "bazel-7.7.1/sweep", "--out", statsFile)).exitCode).toBe(0);
    const [fromFolder, fromFile] = [join(scratch, "from-folder.svg"), join(scratch, "from-file.svg")];
    expect((await cli("plot", "bazel-7.7.1/sweep", "--label", "s", "--out", fromFolder)).exitCode).toBe(0);
    expect((await cli("plot", statsFile, "--label", "s", "--out", fromFile)).exitCode).toBe(0);
    expect(pointLabels(readFileSync(fromFile, "utf8"))).toEqual(pointLabels(readFileSync(fromFolder, "utf8")));
  });

  it("draws the means of a `stats --format legacy` file, where a run without profile counts 0 as in stats.sh", async () => {
    const statsFile = join(scratch, "sweep.legacy");
    expect((await cli("stats", "--format", "legacy", "bazel-7.7.1/sweep", "--out", statsFile)).exitCode).toBe(0);
    const out = join(scratch, "from-legacy.svg");
    expect((await cli("plot", statsFile, "--label", "s", "--out", out)).exitCode).toBe(0);
    const lines = readFileSync(statsFile, "utf8").trim().split("\n").map((line) => line.split(","));
    const expected: string[] = [];
    for (const limit of new Set(lines.map(([limit]) => limit!))) {
      const runs = lines.filter((fields) => fields[0] === limit && fields[1] !== "WARMUP");
      const outcome = runs.some((fields) => fields[4] === "crash") ? "a run crashed" : "no crash";
      const mebibytes = Number(limit!.replace("m", ""));
      const meanOf = (index: number, scale: number) => runs.reduce((sum, fields) => sum + Number(fields[index]) / scale, 0) / runs.length;
      expected.push(`Heap limit (MiB, -Xmx): ${mebibytes}; mean: ${vegaNumber(meanOf(3, 1e6))}; Series: s; Outcome: ${outcome}`);
      expected.push(`Heap limit (MiB, -Xmx): ${mebibytes}; mean: ${vegaNumber(meanOf(2, 1))}; Series: s; Outcome: ${outcome}`);
    }
    expect(pointLabels(readFileSync(out, "utf8"))).toEqual(expected.sort());
  });

  it("reads the original stats.sh lines, spaces included", async () => {
    const legacy = join(scratch, "cache-regular");
    writeFileSync(legacy, "250m, WARMUP, 9, 9000000, ok\n250m, 1, 10, 10000000, ok\n250m, 2, 12, 12000000, ok\n200m, 1, 30, 20000000, crash\n");
    const out = join(scratch, "legacy.svg");
    expect((await cli("plot", legacy, "--out", out)).exitCode).toBe(0);
    expect(pointLabels(readFileSync(out, "utf8"))).toEqual(
      [
        "Heap limit (MiB, -Xmx): 200; mean: 20; Series: cache-regular; Outcome: a run crashed",
        "Heap limit (MiB, -Xmx): 200; mean: 30; Series: cache-regular; Outcome: a run crashed",
        "Heap limit (MiB, -Xmx): 250; mean: 11; Series: cache-regular; Outcome: no crash",
        "Heap limit (MiB, -Xmx): 250; mean: 11; Series: cache-regular; Outcome: no crash",
      ].sort(),
    );
  });
});

describe("plot output formats", () => {
  it("writes a PNG twice the SVG's size", async () => {
    const [svgOut, pngOut] = [join(scratch, "format.svg"), join(scratch, "format.png")];
    expect((await cli("plot", "bazel-4.2.3/sweep", "--out", svgOut)).exitCode).toBe(0);
    expect((await cli("plot", "bazel-4.2.3/sweep", "--out", pngOut)).exitCode).toBe(0);
    const png = readFileSync(pngOut);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const [, svgWidth, svgHeight] = /<svg[^>]* width="(\d+)" height="(\d+)"/.exec(readFileSync(svgOut, "utf8"))!;
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([2 * Number(svgWidth), 2 * Number(svgHeight)]);
  });

  it("writes a self-contained HTML page with the SVG inline and no script", async () => {
    const out = join(scratch, "format.html");
    expect((await cli("plot", "bazel-4.2.3/sweep", "--out", out)).exitCode).toBe(0);
    const html = readFileSync(out, "utf8");
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).toContain("<svg");
    expect(html).not.toMatch(/<script|<link rel="stylesheet"|src=/);
  });
});

describe("plot on bad input", () => {
  const badCsv = join(scratch, "bad.csv");
  writeFileSync(badCsv, "250m,1,10,10000000,ok\n250m,2,ten,10000000,ok\n");
  it.each([
    { why: "three series", args: () => ["plot", "bazel-4.2.3/sweep", "bazel-7.7.1/sweep", "bazel-4.2.3/sweep"] },
    { why: "a --label count that does not match", args: () => ["plot", "bazel-4.2.3/sweep", "--label", "a", "--label", "b"] },
    { why: "an --out without a known extension", args: () => ["plot", "bazel-4.2.3/sweep", "--out", join(scratch, "plot.pdf")] },
    { why: "a series that does not exist", args: () => ["plot", "no/such/sweep", "--out", join(scratch, "x.svg")] },
    { why: "a stats file with a bad line", args: () => ["plot", badCsv, "--out", join(scratch, "x.svg")] },
    { why: "a file that is not CSV", args: () => ["plot", join(FIXTURES_DIR, "capture.mjs"), "--out", join(scratch, "x.svg")] },
  ])("rejects $why with one line on stderr, exit 2 and no output file", async ({ args }) => {
    const result = await cli(...args());
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(withoutPaths(result.stderr)).toMatchSnapshot();
    expect(existsSync(join(scratch, "x.svg"))).toBe(false);
  });
});
