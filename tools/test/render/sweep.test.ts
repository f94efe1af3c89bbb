// The sweep's closing table and threshold line: which runs were left out of the threshold and why, on
// records of the real Bazel 4.2.3 sweep fixture given the other endings a run can have.
import { describe, expect, it } from "vitest";
import type { RunRecord } from "../../src/core/run/run-record.js";
import { threshold } from "../../src/core/sweep/threshold.js";
import { readRunRecords } from "../../src/io/sweep-folder.js";
import { gridThresholdLine, runsTable, searchResultLines } from "../../src/render/sweep.js";
import { sweepFixture } from "../helpers/fixtures.js";

const records = await readRunRecords(sweepFixture("4.2.3"));
const byId = (id: string): RunRecord => records.find((record) => record.id === id)!;

describe("runsTable", () => {
  it("says in its last column which runs were left out of the threshold, and why", () => {
    const table = runsTable([
      byId("0018m-r01"),
      { ...byId("0018m-r02"), status: "server-died", exitCode: 37 },
      { ...byId("0256m-r01"), status: "timeout", stoppedBy: "timeout", exitCode: 8, gcPressure: false },
      { ...byId("0256m-r02"), status: "timeout", stoppedBy: "timeout", exitCode: 8, gcPressure: true },
      { ...byId("0256m-w01"), status: "failed", exitCode: 1 },
    ]);
    expect(table).toBe(
      [
        "run        limit  status            exit  wall s  threshold",
        "0018m-r01  18m    oom                 33    10.0",
        "0018m-r02  18m    server-died         37     9.2  left out: the Bazel server died without running out of memory (killed from outside?)",
        "0256m-r01  256m   timeout              8     6.9  left out: timed out without GC pressure: too slow, not short of heap",
        "0256m-r02  256m   timeout              8     5.0",
        "0256m-w01  256m   failed (warm-up)     1     7.1  left out: the build failed for another reason than memory",
        "",
      ].join("\n"),
    );
  });
});

describe("gridThresholdLine", () => {
  it.each<{ why: string; runs: RunRecord[]; line: string }>([
    { why: "the fixture as it is", runs: records, line: "threshold: 256m (every build succeeded from 256m up; a build failed at 18m)\n" },
    {
      why: "a run left out is counted in the line",
      runs: [...records, { ...byId("0256m-r01"), id: "1024m-r01", limit: "1g", limitBytes: 1024 ** 3, status: "server-died" }],
      line: "threshold: 256m (every build succeeded from 256m up; a build failed at 18m); 1 run left out, see the table\n",
    },
    {
      // Seen at 352m on the reproduction: one crash in three runs, at the only limit.
      why: "a crash at the highest limit, where other builds succeeded",
      runs: [byId("0256m-r01"), { ...byId("0256m-r02"), status: "oom", exitCode: 33 }, byId("0256m-w01")],
      line: "threshold: above 256m: a build failed even at the highest limit; add a higher one to --limits\n",
    },
    { why: "no crash", runs: [byId("0256m-r01"), byId("0256m-r02")], line: "threshold: at most 256m: every build succeeded, even at the lowest limit\n" },
    {
      why: "nothing measured",
      runs: [{ ...byId("0256m-r01"), status: "interrupted" }, { ...byId("0018m-r01"), status: "failed" }],
      line: "threshold: unknown: no run measured the heap; 2 runs left out, see the table\n",
    },
  ])("$why", ({ runs, line }) => {
    expect(gridThresholdLine(threshold(runs))).toBe(line);
  });
});

describe("searchResultLines", () => {
  it("a search stopped by a build that keeps failing otherwise says so", () => {
    expect(searchResultLines({ kind: "stuck", reason: "build-fails", limitBytes: 256 * 1024 ** 2, status: "failed", builds: 4 }, 5 * 1024 ** 2)).toBe(
      'threshold: not found: at 256m the build ended "failed" 2 times in a row, which says nothing about the heap; see their console.log (4 builds)\n',
    );
  });
});
