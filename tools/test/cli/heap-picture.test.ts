// The picture of who held the heap (render/treemap.ts), as users get it: `heap --html FILE` and the report's
// section, from the built bundle, opened in a real headless Chromium. The culprit's cell must be the largest
// and its label (function name and share) whole and inside it; every other label inside its own cell. Each
// picture is saved as a PNG in the test's temporary folder and, when MEMORY_ADVENTURE_ARTIFACTS names a folder,
// copied there to be looked at.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HeapDigest } from "../../src/core/heap/heap-digest.js";
import { collectProblems, pixelStats, startChromium, type Browser } from "../helpers/browser.js";
import { runCli } from "../helpers/cli.js";
import { digestPath, digestSweep, fixtureDigest } from "../helpers/digests.js";
import { dumpDigest, dumpFile } from "../helpers/dump-digests.js";
import { FIXTURES_DIR } from "../helpers/fixtures.js";

const scratch = mkdtempSync(join(tmpdir(), "heap-picture-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let browser: Browser;
beforeAll(async () => {
  browser = await startChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

interface DrawnCell {
  readonly depth: number;
  readonly kind: string;
  readonly culprit: boolean;
  readonly title: string;
  readonly box: Box;
  readonly labels: readonly { readonly text: string; readonly box: Box }[];
}

interface DrawnPicture {
  readonly box: Box;
  readonly cells: readonly DrawnCell[];
  /** What the browser shows at the middle of the culprit's label: the label itself, unless something covers it. */
  readonly culpritLabelOnTop: boolean | undefined;
}

/** Every cell of the index-th picture on the page, as laid out on screen. */
async function drawnPicture(page: Page, index: number): Promise<DrawnPicture> {
  await page.locator("svg.heap-picture").nth(index).scrollIntoViewIfNeeded();
  // A string, not a function: the tests are type-checked without the DOM library.
  return page.evaluate<DrawnPicture>(`(() => {
    const svg = document.querySelectorAll("svg.heap-picture")[${index}];
    const box = (element) => { const r = element.getBoundingClientRect(); return { x: r.x, y: r.y, width: r.width, height: r.height }; };
    const cells = [...svg.querySelectorAll("g[data-depth]")].map((g) => ({
      depth: Number(g.dataset.depth),
      kind: g.dataset.kind,
      culprit: g.dataset.culprit === "true",
      title: g.querySelector(":scope > title").textContent,
      box: box(g.querySelector(":scope > rect")),
      labels: [...g.querySelectorAll(":scope > text")].map((text) => ({ text: text.textContent, box: box(text) })),
    }));
    const label = svg.querySelector('g[data-culprit="true"] > text.label');
    let culpritLabelOnTop;
    if (label !== null) {
      const r = label.getBoundingClientRect();
      culpritLabelOnTop = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === label;
    }
    return { box: box(svg), cells, culpritLabelOnTop };
  })()`);
}

const area = (box: Box): number => box.width * box.height;
/** Half a pixel for anti-aliased edges. */
const within = (inner: Box, outer: Box): boolean =>
  inner.x >= outer.x - 0.5 && inner.y >= outer.y - 0.5 && inner.x + inner.width <= outer.x + outer.width + 0.5 && inner.y + inner.height <= outer.y + outer.height + 0.5;

/** The share as the picture writes it (render/heap.ts percent). */
const percent = (share: number): string => `${(share * 100).toFixed(1)}%`;

/** The checks every picture must pass; the culprit's when the digest names one. */
function expectReadable(picture: DrawnPicture, digest: HeapDigest): void {
  const tops = picture.cells.filter((cell) => cell.depth === 0);
  expect(tops.length).toBeGreaterThan(0);
  for (const cell of picture.cells) {
    expect(within(cell.box, picture.box), cell.title).toBe(true);
    for (const label of cell.labels) expect(within(label.box, cell.box), `"${label.text}" in ${cell.title}`).toBe(true);
  }
  const culprits = tops.filter((cell) => cell.culprit);
  if (digest.verdict.kind !== "culprit") {
    expect(culprits).toEqual([]);
    return;
  }
  const { suspect } = digest.verdict;
  expect(culprits).toHaveLength(1);
  const [culprit] = culprits as [DrawnCell];
  for (const other of tops.filter((cell) => !cell.culprit)) expect(area(culprit.box)).toBeGreaterThan(area(other.box));
  const label = culprit.labels[0]!;
  expect(label.text.startsWith(`${suspect.function}  ${percent(suspect.share)}`)).toBe(true);
  expect(label.text).not.toContain("…");
  expect(label.box.width).toBeGreaterThan(0);
  expect(within(label.box, culprit.box)).toBe(true);
  expect(picture.culpritLabelOnTop).toBe(true);
}

/** Saves the picture as a PNG (and a copy for MEMORY_ADVENTURE_ARTIFACTS); checks something is drawn on it. */
async function savePicture(page: Page, index: number, name: string): Promise<void> {
  const path = join(scratch, "screenshots", `${name}.png`);
  mkdirSync(join(scratch, "screenshots"), { recursive: true });
  const png = await page.locator("svg.heap-picture").nth(index).screenshot({ path });
  const artifacts = process.env["MEMORY_ADVENTURE_ARTIFACTS"];
  if (artifacts !== undefined && artifacts !== "") {
    mkdirSync(artifacts, { recursive: true });
    cpSync(path, join(artifacts, `heap-picture-${name}.png`));
  }
  const drawn = await pixelStats(page, png);
  expect(drawn.width).toBeGreaterThan(500);
  expect(drawn.colours).toBeGreaterThan(5);
}

async function openPage(file: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.context.newPage();
  const problems = collectProblems(page);
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  return { page, problems };
}

describe("heap --html", () => {
  it.each([
    { version: "4.2.3", name: "reproduction" },
    { version: "7.7.1", name: "list-lattice" },
  ] as const)("draws Bazel $version's $name dump with the culprit's cell largest and its label whole", async ({ version, name }) => {
    const out = join(scratch, `${version}-${name}.html`);
    const result = await runCli(["heap", dumpFile(version, name), "--html", out]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe(`wrote the picture of the heap dump to ${out}\n`);
    expect(result.stdout).toContain("verdict: culprit:");
    const html = readFileSync(out, "utf8");
    expect(html).not.toMatch(/<script|<img|<iframe|<link rel="stylesheet"|url\(|@import/);
    const { page, problems } = await openPage(out);
    const digest = dumpDigest(version, name);
    const picture = await drawnPicture(page, 0);
    expectReadable(picture, digest);
    // A digest of today's keeps the targets holding most: the culprit's provider shows them.
    expect(picture.cells.some((cell) => cell.depth === 2 && cell.kind === "target")).toBe(true);
    await savePicture(page, 0, `${version}-${name}`);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("draws an older digest (no bytes per target) whose verdict names no culprit, a cell per function", async () => {
    const out = join(scratch, "older.html");
    const run = join(digestSweep("7.7.1"), "runs", "0256m-e01");
    const result = await runCli(["heap", run, "--html", out]);
    expect(result.exitCode).toBe(0);
    const { page, problems } = await openPage(out);
    const digest = fixtureDigest("7.7.1", "0256m-e01");
    expect(digest.verdict.kind).toBe("no-single-culprit");
    const picture = await drawnPicture(page, 0);
    expectReadable(picture, digest);
    expect(picture.cells.some((cell) => cell.kind === "target")).toBe(false);
    expect(picture.cells.find((cell) => cell.depth === 0)!.labels[0]!.text).toContain(digest.suspects[0]!.function);
    await savePicture(page, 0, "7.7.1-older-no-culprit");
    expect(problems).toEqual([]);
    await page.close();
  });

  it("refuses an --html that is a folder before digesting anything: one line, exit 2", async () => {
    const result = await runCli(["heap", dumpFile("4.2.3", "reproduction"), "--html", scratch]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain(`cannot write ${scratch}`);
    expect(result.stdout).toBe("");
  });
});

describe("the report's pictures of the crashes", () => {
  it("draws one for each crash run with a digest, readable, in the page's Blame section", async () => {
    // The 4.2.3 sweep fixture's crash runs left no dump (too small a heap to write one); one of them here keeps
    // a real 4.2.3 crash dump, another an older run's heap-digest.json, as a sweep of either generation leaves.
    const sweep = join(scratch, "sweep");
    cpSync(join(FIXTURES_DIR, "bazel-4.2.3", "sweep"), sweep, { recursive: true });
    cpSync(dumpFile("4.2.3", "reproduction"), join(sweep, "runs", "0018m-r01", "java_pid1.hprof.gz"));
    cpSync(digestPath("4.2.3", "0256m-e01"), join(sweep, "runs", "0018m-r02", "heap-digest.json"));
    const out = join(sweep, "report.html");
    const result = await runCli(["report", sweep]);
    expect(result.exitCode).toBe(0);
    expect(statSync(out).size).toBeGreaterThan(0);
    const html = readFileSync(out, "utf8");
    expect(html).not.toMatch(/<script|url\(/);
    const figures = [...html.matchAll(/<figure class="heap-picture" id="heap-picture-([^"]+)">/g)].map((match) => match[1]);
    expect(figures).toEqual(["0018m-r01", "0018m-r02"]);
    const { page, problems } = await openPage(out);
    const digests = [dumpDigest("4.2.3", "reproduction"), fixtureDigest("4.2.3", "0256m-e01")];
    for (const [index, digest] of digests.entries()) {
      expectReadable(await drawnPicture(page, index), digest);
      await savePicture(page, index, `report-${figures[index]}`);
    }
    expect(problems).toEqual([]);
    await page.close();
  });
});
