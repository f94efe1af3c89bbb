// The sweep folder on disk, on copies of the real Bazel 4.2.3 sweep fixture that are cut or edited the
// way a crash, a killed sweep or a hand edit leaves them: what readers see, what the sweep refuses, and
// how a resumed sweep repairs its indexes without running a build.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseLimits } from "../../src/core/sweep/heap-limit.js";
import type { RunRecord, SweepManifest } from "../../src/core/run/run-record.js";
import { gridPlan } from "../../src/core/sweep/sweep-plan.js";
import { Interrupter } from "../../src/io/bazel-process.js";
import { findRuns } from "../../src/io/run-folders.js";
import {
  checkSweepFolder,
  clearRunFolder,
  NotAFolderError,
  NotASweepFolderError,
  readRunRecords,
  removeStaleTemporaryFiles,
  scanRunRecords,
  SweepRecords,
  writeRunIndexes,
} from "../../src/io/sweep-folder.js";
import { runGrid, type SweepJob, type SweepObserver } from "../../src/io/sweep-runner.js";
import { sweepFixture } from "../helpers/fixtures.js";

const scratch = await mkdtemp(join(tmpdir(), "memory-adventure-sweep-folder-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

let copies = 0;
/** A fresh copy of the 4.2.3 sweep fixture. */
function fixtureCopy(): string {
  const dir = join(scratch, `sweep-${++copies}`);
  cpSync(sweepFixture("4.2.3"), dir, { recursive: true });
  return dir;
}

const runJson = (out: string, id: string): string => join(out, "runs", id, "run.json");
const manifestOf = (out: string): SweepManifest => JSON.parse(readFileSync(join(out, "sweep.json"), "utf8")) as SweepManifest;

describe("reading run.json files that were edited by hand", () => {
  const out = fixtureCopy();
  const cut = runJson(out, "0018m-r02");
  writeFileSync(cut, readFileSync(cut, "utf8").slice(0, 200));
  writeFileSync(runJson(out, "0256m-w01"), '{"schema":2}');
  // A run in progress (no run.json yet) is not finished, and not a problem either.
  mkdirSync(join(out, "runs", "0512m-r01"));

  it("scanRunRecords names each broken one and returns the others", async () => {
    const scan = await scanRunRecords(out);
    expect(scan.records.map((record) => record.id)).toEqual(["0018m-r01", "0018m-w01", "0256m-r01", "0256m-r02"]);
    expect(scan.unreadable.map((entry) => entry.file)).toEqual([cut, runJson(out, "0256m-w01")]);
    expect(scan.unreadable[0]!.problem).toMatch(new RegExp(`^${cut}: not valid JSON \\(`));
    expect(scan.unreadable[1]!.problem).toBe(`${runJson(out, "0256m-w01")}: not a run record (schema is 2, this version reads schema 1); it should be a run.json written by the sweep`);
  });

  it("the sweep's own reader refuses, naming the first broken file and the fix", async () => {
    await expect(readRunRecords(out)).rejects.toThrow(new RegExp(`^${cut}: not valid JSON \\(.*\\); move that run folder away \\(or delete it\\) to redo the run$`));
  });

  it("findRuns hands them to its caller and goes on; without a caller to tell, it refuses", async () => {
    const told: string[] = [];
    const runs = await findRuns(out, (entry) => told.push(entry.file));
    expect(told).toEqual([cut, runJson(out, "0256m-w01")]);
    expect(runs.map((run) => run.record.id)).toEqual(["0018m-w01", "0018m-r01", "0256m-r01", "0256m-r02"]);
    await expect(findRuns(out)).rejects.toThrow(cut);
  });

  it("a sweep whose every run.json is broken has nothing to read", async () => {
    const broken = fixtureCopy();
    for (const id of readdirSync(join(broken, "runs"))) writeFileSync(runJson(broken, id), "{");
    await expect(findRuns(broken, () => undefined)).rejects.toThrow(`${broken}: none of the sweep's runs/*/run.json can be read`);
  });
});

describe("checkSweepFolder", () => {
  const settings = manifestOf(sweepFixture("4.2.3")).settings;
  it.each<{ why: string; setup: (dir: string) => void; result: "new" | "resumed" | typeof NotAFolderError | typeof NotASweepFolderError; inside?: string }>([
    { why: "a missing folder is new", setup: () => undefined, result: "new" },
    { why: "an empty folder is new", setup: (dir) => mkdirSync(dir), result: "new" },
    {
      why: "a lock, its temporary files and an output base left by a sweep that stopped early: still new",
      setup: (dir) => {
        mkdirSync(join(dir, "output_base"), { recursive: true });
        for (const name of ["sweep.lock", "sweep.lock.takeover", ".sweep.lock.123.0a1b2c3d.tmp"]) writeFileSync(join(dir, name), "");
      },
      result: "new",
    },
    { why: "the same plan is resumed", setup: (dir) => cpSync(sweepFixture("4.2.3"), dir, { recursive: true }), result: "resumed" },
    {
      why: "someone else's files",
      setup: (dir) => {
        mkdirSync(dir);
        writeFileSync(join(dir, "notes.txt"), "");
      },
      result: NotASweepFolderError,
    },
    { why: "a file", setup: (dir) => writeFileSync(dir, ""), result: NotAFolderError },
    { why: "a path through a file", setup: (dir) => writeFileSync(dir, ""), result: NotAFolderError, inside: "sweep" },
  ])("$why", async ({ setup, result, inside }) => {
    const dir = join(scratch, `check-${++copies}`);
    setup(dir);
    const outcome = checkSweepFolder(inside === undefined ? dir : join(dir, inside), manifestOf(sweepFixture("4.2.3")).fingerprint, settings);
    if (typeof result === "string") await expect(outcome).resolves.toBe(result);
    else await expect(outcome).rejects.toBeInstanceOf(result);
  });
});

describe("removeStaleTemporaryFiles", () => {
  it("removes what a killed sweep left half done, and nothing else", async () => {
    const out = fixtureCopy();
    const left = [".runs.jsonl.4242.tmp", ".sweep.json.17.tmp", ".runs.csv.99999.tmp"];
    const kept = [".sweep.lock.4242.0a1b2c3d.tmp", ".hidden", "notes.tmp", ".x.tmp"];
    for (const name of [...left, ...kept]) writeFileSync(join(out, name), "");
    const runs = readdirSync(join(out, "runs")).sort();
    mkdirSync(join(out, "runs", ".deleting-0512m-r01-4242", "deeper"), { recursive: true });
    writeFileSync(join(out, "runs", ".deleting-0512m-r01-4242", "deeper", "profile.json.gz"), "");
    await removeStaleTemporaryFiles(out);
    expect(readdirSync(out).sort()).toEqual(["runs", "runs.jsonl", "sweep.json", ...kept].sort());
    expect(readdirSync(join(out, "runs")).sort()).toEqual(runs);
  });
});

describe("clearRunFolder", () => {
  it("deletes a run folder by renaming it away first; readers skip a folder being deleted", async () => {
    const out = fixtureCopy();
    // A folder being deleted is hidden: readers skip it.
    mkdirSync(join(out, "runs", ".deleting-0256m-r01-1"));
    cpSync(join(out, "runs", "0256m-r01"), join(out, "runs", ".deleting-0256m-r01-1"), { recursive: true });
    expect((await readRunRecords(out)).map((record) => record.id)).not.toContain(".deleting-0256m-r01-1");
    expect(await readRunRecords(out)).toHaveLength(6);
    await clearRunFolder(out, "0256m-r01");
    expect(existsSync(join(out, "runs", "0256m-r01"))).toBe(false);
    expect(readdirSync(join(out, "runs")).filter((name) => name.startsWith(".deleting-0256m-r01-" + String(process.pid)))).toEqual([]);
    expect(await readRunRecords(out)).toHaveLength(5);
    // A run folder that does not exist is nothing to delete.
    await expect(clearRunFolder(out, "9999m-r01")).resolves.toBeUndefined();
  });
});

describe("a resumed sweep with nothing left to run", () => {
  /** The grid job of the fixture's plan, with a Bazel that cannot run: any attempt to build fails the test. */
  function job(out: string): { job: SweepJob; plan: ReturnType<typeof gridPlan> } {
    const { settings } = manifestOf(out);
    const plan = gridPlan(parseLimits(settings.limits.join(",")), settings.runs, settings.warmup);
    return {
      plan,
      job: {
        settings: { ...settings, bazel: join(scratch, "no-such-bazel") },
        out,
        outputBase: join(out, "output_base"),
        shard: undefined,
        force: false,
        heapDumps: false,
        keepHeapDumps: false,
        profile: "light",
        liveConsole: undefined,
        version: { major: 4, minor: 2, patch: 3, label: "4.2.3", source: "--version" },
        maxIdleSecs: 60,
      },
    };
  }
  const silent: SweepObserver = { runStarted: () => undefined, runFinished: () => undefined, digestFailed: () => undefined };

  it("repairs a runs.jsonl whose last line a killed sweep cut, from the run.json files", async () => {
    const out = fixtureCopy();
    const whole = readFileSync(join(out, "runs.jsonl"), "utf8");
    writeFileSync(join(out, "runs.jsonl"), whole.slice(0, whole.length - 300));
    const { job: sweepJob, plan } = job(out);
    const outcome = await runGrid(sweepJob, plan, await SweepRecords.open(out, undefined), new Interrupter(), silent);
    expect(outcome).toEqual({ done: [], skipped: plan.length, interrupted: false });
    const lines = readFileSync(join(out, "runs.jsonl"), "utf8").trimEnd().split("\n");
    const records = await readRunRecords(out);
    expect(lines.map((line) => JSON.parse(line) as RunRecord)).toEqual(records);
    expect(lines).toHaveLength(plan.length);
    // runs.csv is rebuilt with it: a header and one row a run, with the GC and dump verdict columns.
    const csv = readFileSync(join(out, "runs.csv"), "utf8").trimEnd().split("\n");
    expect(csv).toHaveLength(plan.length + 1);
    expect(csv[0]).toContain(",stoppedBy,threadDumpTaken,gcPressure,wallSeconds,");
    expect(existsSync(join(out, "output_base"))).toBe(false);
  });

  it("refuses a run.json edited by hand before anything else, naming it", async () => {
    const out = fixtureCopy();
    writeFileSync(runJson(out, "0256m-r01"), "{ edited");
    await expect(SweepRecords.open(out, undefined)).rejects.toThrow(`${runJson(out, "0256m-r01")}: not valid JSON`);
  });
});

describe("writeRunIndexes", () => {
  it("writes a run's GC and thread dump verdicts into runs.csv, empty where absent", async () => {
    const out = join(scratch, "indexes");
    const [record] = await readRunRecords(sweepFixture("4.2.3"));
    await writeRunIndexes(out, [{ ...record!, status: "timeout", stoppedBy: "timeout", threadDumpTaken: true, gcPressure: false }, { ...record!, id: "x" }], undefined);
    const [header, withVerdicts, without] = readFileSync(join(out, "runs.csv"), "utf8").trimEnd().split("\n");
    const cell = (row: string | undefined, column: string): string => row!.split(",")[header!.split(",").indexOf(column)]!;
    expect([cell(withVerdicts, "threadDumpTaken"), cell(withVerdicts, "gcPressure")]).toEqual(["true", "false"]);
    expect([cell(without, "threadDumpTaken"), cell(without, "gcPressure")]).toEqual(["", ""]);
  });
});

describe("SweepRecords", () => {
  /** What runs.jsonl and runs.csv hold when rewritten from these records (the way every sweep did before). */
  async function indexesOf(records: readonly RunRecord[], shard?: { index: number; count: number }): Promise<string[]> {
    const dir = join(scratch, `indexes-${++copies}`);
    await writeRunIndexes(dir, records, shard);
    return readdirSync(dir).sort().map((name) => `${name}\n${readFileSync(join(dir, name), "utf8")}`);
  }
  const indexFiles = (out: string): string[] =>
    readdirSync(out)
      .filter((name) => /^runs\..*(jsonl|csv)$/.test(name))
      .sort()
      .map((name) => `${name}\n${readFileSync(join(out, name), "utf8")}`);

  it("updates the indexes run by run, from memory, as a rewrite from every run.json would (order by id included)", async () => {
    const out = fixtureCopy();
    const all = await readRunRecords(out);
    // The sweep starts with some runs finished; the others finish one by one, out of id order.
    const [first, second, ...rest] = all;
    for (const record of rest) rmSync(join(out, "runs", record.id), { recursive: true });
    const records = await SweepRecords.open(out, undefined);
    expect(records.all()).toEqual([first, second]);
    await records.writeIndexes();
    expect(indexFiles(out)).toEqual(await indexesOf([first!, second!]));
    // No run.json is read again: one corrupted on disk now changes nothing in what the indexes say.
    writeFileSync(runJson(out, first!.id), "{ edited");
    const done: RunRecord[] = [first!, second!];
    for (const record of [...rest].reverse()) {
      await records.add(record);
      done.push(record);
      expect(indexFiles(out)).toEqual(await indexesOf(done));
    }
    expect(records.all()).toEqual(all);
    // A run done again replaces its record.
    const redone = { ...second!, status: "failed" as const, exitCode: 1 };
    await records.add(redone);
    expect(records.all()).toEqual(all.map((record) => (record.id === redone.id ? redone : record)));
    expect(indexFiles(out)).toEqual(await indexesOf(records.all()));
  });

  it("a shard's indexes list its own runs only, under the shard's names", async () => {
    const out = fixtureCopy();
    rmSync(join(out, "runs.jsonl"));
    const all = await readRunRecords(out);
    const mine = new Set([all[0]!.id, all[2]!.id]);
    const records = await SweepRecords.open(out, { shard: { index: 1, count: 2 }, runs: mine });
    await records.writeIndexes();
    expect(indexFiles(out)).toEqual(await indexesOf([all[0]!, all[2]!], { index: 1, count: 2 }));
    expect(records.all()).toEqual(all);
  });
});
