// `report` as users run it (the built bundle), and the page it writes opened in a real headless
// Chromium: it loads offline with no console errors and its plots are drawn.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectProblems, pixelStats, startChromium, type Browser } from "../helpers/browser.js";
import { runCli } from "../helpers/cli.js";
import { BAZEL_VERSIONS, FIXTURES_DIR, sweepFixture, sweepFixturesRoot } from "../helpers/fixtures.js";

const scratch = mkdtempSync(join(tmpdir(), "report-cli-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const cli = (...args: string[]) => runCli(args, { cwd: sweepFixturesRoot() });
const withoutPaths = (text: string): string => text.replaceAll(scratch, "<scratch>").replaceAll(`${sweepFixturesRoot()}/`, "<fixtures>/").replaceAll(FIXTURES_DIR, "<fixtures>/");

describe.each(BAZEL_VERSIONS)("report of the Bazel %s sweep", (version) => {
  const out = join(scratch, version, "report.html");
  let html = "";
  beforeAll(async () => {
    const result = await cli("report", `bazel-${version}/sweep`, "--out", out);
    expect(result.exitCode).toBe(0);
    expect(withoutPaths(result.stderr)).toBe(`wrote <scratch>/${version}/report.html\n`);
    html = readFileSync(out, "utf8");
  });

  it("is one self-contained page: no script, nothing to fetch", () => {
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).not.toMatch(/<script|<img|<iframe|<link rel="stylesheet"|url\(|@import/);
    // The only URLs are XML namespaces of the inline SVG.
    const urls = [...html.matchAll(/https?:\/\/[^"'\s]*/g)].map((match) => match[0]);
    expect(urls.filter((url) => !url.startsWith("http://www.w3.org/"))).toEqual([]);
  });

  it("lists every run with links to its folder and files that exist", async () => {
    const rows = JSON.parse((await cli("stats", "--format", "json", `bazel-${version}/sweep`)).stdout) as { id: string; status: string }[];
    const table = /<table id="runs">([\s\S]*?)<\/table>/.exec(html)![1]!;
    expect(table.match(/<tr class="(ok|crash)">/g)).toHaveLength(rows.length);
    for (const row of rows) expect(table).toContain(`>${row.id}</a>`);
    const hrefs = [...table.matchAll(/href="([^"]+)"/g)].map((match) => match[1]!);
    expect(hrefs.length).toBeGreaterThan(rows.length * 3);
    for (const href of hrefs) {
      expect(href).not.toMatch(/^\//);
      expect(existsSync(resolve(dirname(out), decodeURIComponent(href))), href).toBe(true);
    }
  });

  it("states the threshold and shows the sweep's parameters", () => {
    const threshold = /<p class="threshold" id="threshold">(.*)<\/p>/.exec(html)![1];
    expect(threshold).toMatchSnapshot();
    expect(html).toContain(`<th>Bazel version</th><td><code>${version} (from capture.mjs --bazel-version)</code></td>`);
    expect(html).toContain(`<th>Targets</th><td><code>//cpu/tree/roots:n4_1</code></td>`);
    expect(html).toContain(`<section id="blame">`);
  });
});

describe("report in a real headless Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await startChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it.each(BAZEL_VERSIONS)("opens the Bazel %s report offline with no errors and draws its plots", async (version) => {
    const out = join(scratch, "browser", version, "report.html");
    expect((await cli("report", `bazel-${version}/sweep`, "--out", out)).exitCode).toBe(0);
    const page = await browser.context.newPage();
    const problems = collectProblems(page);
    await page.goto(pathToFileURL(out).href, { waitUntil: "load" });
    expect(await page.title()).toBe(`Heap limit sweep: bazel-${version}/sweep`);
    const plot = await pixelStats(page, await page.locator("#plot svg").screenshot());
    // A blank or unstyled SVG is (nearly) one colour; a drawn plot has axes, text, points and lines.
    expect(plot.width).toBeGreaterThan(500);
    expect(plot.inked).toBeGreaterThan(5000);
    expect(plot.colours).toBeGreaterThan(5);
    expect(await page.locator("#runs tr").count()).toBeGreaterThan(1);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("shows a plot PNG with something drawn on it", async () => {
    const out = join(scratch, "browser", "plot.png");
    expect((await cli("plot", "bazel-4.2.3/sweep", "bazel-7.7.1/sweep", "--out", out)).exitCode).toBe(0);
    const page = await browser.context.newPage();
    const problems = collectProblems(page);
    const png = await pixelStats(page, readFileSync(out));
    expect(png.inked).toBeGreaterThan(20000);
    expect(png.colours).toBeGreaterThan(5);
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe("report files and bad input", () => {
  it("writes report.html into the sweep folder when --out is not given", async () => {
    const copy = join(scratch, "sweep-copy");
    cpSync(sweepFixture("4.2.3"), copy, { recursive: true });
    const result = await cli("report", copy);
    expect(result.exitCode).toBe(0);
    expect(withoutPaths(result.stderr)).toBe("wrote <scratch>/sweep-copy/report.html\n");
    expect(readFileSync(join(copy, "report.html"), "utf8")).toContain('href="runs/0018m-r01/console.log"');
  });

  it.each([
    { why: "a folder that is not a sweep", args: ["report", "bazel-4.2.3"] },
    { why: "two folders", args: ["report", "bazel-4.2.3/sweep", "bazel-7.7.1/sweep"] },
  ])("rejects $why with one line on stderr and exit 2", async ({ args }) => {
    const result = await cli(...args);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(withoutPaths(result.stderr)).toMatchSnapshot();
  });
});
