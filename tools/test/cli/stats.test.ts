// `stats` as users run it (the built bundle), on the real sweep fixtures and on broken inputs.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { FIXTURES_DIR, sweepFixture, sweepFixturesRoot } from "../helpers/fixtures.js";

const scratch = mkdtempSync(join(tmpdir(), "stats-cli-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs from the fixtures folder so that paths in the output are short and the same everywhere. */
const stats = (...args: string[]) => runCli(["stats", ...args], { cwd: sweepFixturesRoot() });
/** Output without this machine's paths. */
const withoutScratch = (text: string): string => text.replaceAll(scratch, "<scratch>").replaceAll(`${sweepFixturesRoot()}/`, "<fixtures>/").replaceAll(FIXTURES_DIR, "<fixtures>/");

describe("stats on the Bazel 4.2.3 sweep fixture", () => {
  it("prints one CSV row a run, sorted by limit, warm-ups first", async () => {
    const result = await stats("bazel-4.2.3/sweep");
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatchInlineSnapshot(`
      "id,limit,limitBytes,iteration,warmup,mode,bazelVersion,status,exitCode,wallSeconds,profileLevel,evidence,profileSeconds,gcCount,gcMinor,gcMajor,gcSeconds,gcWithoutDuration,peakHeapBytes,peakHeapSource,eventsRecovered,truncated
      0018m-w01,18m,18874368,1,true,regular,4.2.3,oom,33,9.55,full,false,,,,,,,,,0,true
      0018m-r01,18m,18874368,1,false,regular,4.2.3,oom,33,9.96,full,false,8.314197,119,69,50,2.432,0,,,1853,false
      0018m-r02,18m,18874368,2,false,regular,4.2.3,oom,33,9.22,full,false,,,,,,,,,0,true
      0256m-w01,256m,268435456,1,true,regular,4.2.3,ok,0,7.11,full,false,6.872339,11,6,5,0.407,0,19801984,memory-profile,12958,false
      0256m-r01,256m,268435456,1,false,regular,4.2.3,ok,0,6.9,full,false,6.683918,12,7,5,0.342,0,19817752,memory-profile,12965,false
      0256m-r02,256m,268435456,2,false,regular,4.2.3,ok,0,4.99,full,false,4.834299,10,5,5,0.357,0,19767872,memory-profile,12953,false
      "
    `);
  });

  it("prints the original stats.sh lines with --format legacy", async () => {
    const result = await stats("--format", "legacy", "bazel-4.2.3/sweep");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatchInlineSnapshot(`
      "18m,WARMUP,0,0,crash
      18m,1,119,8314197,crash
      18m,2,0,0,crash
      256m,WARMUP,11,6872339,ok
      256m,1,12,6683918,ok
      256m,2,10,4834299,ok
      "
    `);
  });

  it("prints JSON with --format json, the same numbers as the CSV", async () => {
    const [json, csv] = await Promise.all([stats("--format", "json", "bazel-4.2.3/sweep"), stats("bazel-4.2.3/sweep")]);
    expect(json.exitCode).toBe(0);
    const rows = JSON.parse(json.stdout) as Record<string, unknown>[];
    const csvLines = csv.stdout.trim().split("\n");
    const header = csvLines[0]!.split(",");
    expect(Object.keys(rows[0]!)).toEqual(header);
    expect(rows.map((row) => header.map((column) => (row[column] === null ? "" : String(row[column]))).join(","))).toEqual(csvLines.slice(1));
  });

  it("reads one run folder as well as a sweep folder, and several folders in order", async () => {
    const single = await stats("--format", "legacy", "bazel-4.2.3/sweep/runs/0256m-r02");
    expect(single.stdout).toMatchInlineSnapshot(`
      "256m,2,10,4834299,ok
      "
    `);
    const both = await stats("--format", "legacy", "bazel-4.2.3/sweep/runs/0256m-r02", "bazel-4.2.3/sweep/runs/0018m-r01");
    expect(both.stdout).toBe(single.stdout + (await stats("--format", "legacy", "bazel-4.2.3/sweep/runs/0018m-r01")).stdout);
  });

  it("writes --out in one step and says where", async () => {
    const out = join(scratch, "deeper", "stats.csv");
    const result = await stats("bazel-4.2.3/sweep", "--out", out);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe("");
    expect(withoutScratch(result.stderr)).toBe("wrote 6 runs to <scratch>/deeper/stats.csv\n");
    expect((await import("node:fs")).readFileSync(out, "utf8")).toBe((await stats("bazel-4.2.3/sweep")).stdout);
  });
});

describe("stats on the Bazel 7.7.1 sweep fixture", () => {
  it("reads numeric counters, the peak from the profile's memory counter, and 7.x GC", async () => {
    const result = await stats("bazel-7.7.1/sweep");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatchInlineSnapshot(`
      "id,limit,limitBytes,iteration,warmup,mode,bazelVersion,status,exitCode,wallSeconds,profileLevel,evidence,profileSeconds,gcCount,gcMinor,gcMajor,gcSeconds,gcWithoutDuration,peakHeapBytes,peakHeapSource,eventsRecovered,truncated
      0024m-w01,24m,25165824,1,true,regular,7.7.1,oom,33,8.26,full,false,5.127811,21,20,1,0.146,0,,,979,true
      0024m-r01,24m,25165824,1,false,regular,7.7.1,timeout,33,120.05,full,false,,,,,,,,,0,true
      0024m-r02,24m,25165824,2,false,regular,7.7.1,oom,33,5.13,full,false,,,,,,,,,0,true
      0256m-w01,256m,268435456,1,true,regular,7.7.1,ok,0,8.11,full,false,7.99654,11,8,3,0.342,0,116426739,profile-counter,17183,false
      0256m-r01,256m,268435456,1,false,regular,7.7.1,ok,0,8.31,full,false,8.167633,12,9,3,0.415,0,104594816,profile-counter,17202,false
      0256m-r02,256m,268435456,2,false,regular,7.7.1,ok,0,3.94,full,false,3.839863,12,9,3,0.169,0,94682798,profile-counter,17130,false
      "
    `);
  });
});

describe("stats on bad input", () => {
  const brokenRun = (name: string, change: (dir: string) => void): string => {
    const dir = join(scratch, name);
    cpSync(join(sweepFixture("4.2.3"), "runs", "0256m-r01"), dir, { recursive: true });
    change(dir);
    return dir;
  };

  it.each([
    { why: "a folder that does not exist", args: () => ["no/such/folder"] },
    { why: "a folder that is neither a sweep nor a run", args: () => ["bazel-4.2.3"] },
    { why: "a file instead of a folder", args: () => [join(FIXTURES_DIR, "capture.mjs")] },
    { why: "an unknown --format", args: () => ["--format", "xml", "bazel-4.2.3/sweep"] },
    { why: "no folder at all", args: () => [] },
    {
      why: "a run.json that is not a run record",
      args: () => [brokenRun("bad-record", (dir) => writeFileSync(join(dir, "run.json"), '{"schema":1,"id":"x"}'))],
    },
    {
      why: "a run.json from a newer sweep",
      args: () => [brokenRun("new-schema", (dir) => writeFileSync(join(dir, "run.json"), '{"schema":2}'))],
    },
    {
      why: "a profile that is not a profile",
      args: () => [brokenRun("bad-profile", (dir) => cpSync(join(dir, "bep.json"), join(dir, "profile.json.gz")))],
    },
    {
      why: "an artifact missing from the run folder",
      args: () => [brokenRun("missing-artifact", (dir) => rmSync(join(dir, "bep.json")))],
    },
  ])("rejects $why with one line on stderr and exit 2", async ({ args }) => {
    const result = await stats(...args());
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(withoutScratch(result.stderr)).toMatchSnapshot();
  });
});
