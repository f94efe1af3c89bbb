// A sweep folder with a run.json corrupted by hand (a copy of the real Bazel 4.2.3 sweep fixture): stats,
// plot and report name the file on stderr, in one line, and go on with the other runs; the sweep itself
// refuses to resume (test/cli/bad-input.test.ts).
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { sweepFixture } from "../helpers/fixtures.js";

const scratch = mkdtempSync(join(tmpdir(), "memory-adventure-unreadable-run-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const sweep = join(scratch, "sweep");
cpSync(sweepFixture("4.2.3"), sweep, { recursive: true });
const broken = join(sweep, "runs", "0256m-r02", "run.json");
writeFileSync(broken, readFileSync(broken, "utf8").slice(0, 300));
const named = new RegExp(`^memory-adventure: ${broken.replaceAll(/[.*+?^${}()|[\]\\]/g, "\\$&")}: not valid JSON \\(.*\\); that run is left out, the others are read$`);

describe("a run.json corrupted by hand", () => {
  it("stats names it and prints the other runs", async () => {
    const result = await runCli(["stats", "--format", "legacy", sweep], { cwd: scratch });
    expect(result.exitCode).toBe(0);
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(result.stderr.trimEnd()).toMatch(named);
    const whole = await runCli(["stats", "--format", "legacy", sweepFixture("4.2.3")]);
    // The fixture's rows less 0256m-r02's (the last row: 256m, iteration 2).
    expect(result.stdout).toBe(whole.stdout.replace("256m,2,10,4834299,ok\n", ""));
  });

  it("report names it, leaves it out of the page, and writes the page", async () => {
    const out = join(scratch, "report.html");
    const result = await runCli(["report", sweep, "--out", out], { cwd: scratch });
    expect(result.exitCode).toBe(0);
    const [first, second, ...rest] = result.stderr.trimEnd().split("\n");
    expect(first).toMatch(named);
    expect(second).toBe(`wrote ${out}`);
    expect(rest).toEqual([]);
    const html = readFileSync(out, "utf8");
    expect(html).toContain(">0256m-r01</a>");
    expect(html).not.toContain(">0256m-r02</a>");
  });

  it("plot names it and draws the others", async () => {
    const out = join(scratch, "plot.svg");
    const result = await runCli(["plot", sweep, "--out", out], { cwd: scratch });
    expect(result.exitCode).toBe(0);
    expect(result.stderr.trimEnd().split("\n")[0]).toMatch(named);
    expect(result.stderr.trimEnd().split("\n").slice(1)).toEqual([`wrote ${out}`]);
  });

  it("a run folder named directly is still refused: there is nothing else to go on with", async () => {
    const result = await runCli(["stats", join(sweep, "runs", "0256m-r02")], { cwd: scratch });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^memory-adventure: .*\/0256m-r02\/run\.json: not valid JSON \([^\n]*\)\n$/);
  });
});
