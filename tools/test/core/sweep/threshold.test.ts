// The threshold `sweep` and `report` state: the lowest limit from which every run succeeded, the bracket
// below, and the runs left out because they measured nothing about the heap.
import { describe, expect, it } from "vitest";
import { threshold, thresholdRole, type LeftOutReason, type ThresholdRole, type ThresholdRun } from "../../../src/core/sweep/threshold.js";
import type { RunStatus } from "../../../src/core/vocabulary.js";

const MiB = 1024 * 1024;
let serial = 0;
const run = (mib: number, status: RunStatus, gcPressure?: boolean): ThresholdRun => ({
  id: `${mib}m-${++serial}`,
  limit: `${mib}m`,
  limitBytes: mib * MiB,
  status,
  ...(gcPressure === undefined ? {} : { gcPressure }),
});
const at = (mib: number) => ({ limit: `${mib}m`, limitBytes: mib * MiB });

describe("thresholdRole", () => {
  it.each<{ status: RunStatus; gcPressure?: boolean; role: ThresholdRole }>([
    { status: "ok", role: { kind: "ok" } },
    { status: "oom", role: { kind: "memory-failure" } },
    { status: "action-killed", role: { kind: "memory-failure" } },
    { status: "timeout", gcPressure: true, role: { kind: "memory-failure" } },
    { status: "timeout", gcPressure: false, role: { kind: "left-out", reason: "timeout-without-pressure" } },
    { status: "timeout", role: { kind: "left-out", reason: "timeout-unknown-pressure" } },
    { status: "failed", role: { kind: "left-out", reason: "failed" } },
    { status: "server-died", role: { kind: "left-out", reason: "server-died" } },
    { status: "interrupted", role: { kind: "left-out", reason: "interrupted" } },
    // The GC verdict only decides timeouts: an ok run under pressure still succeeded.
    { status: "ok", gcPressure: true, role: { kind: "ok" } },
    { status: "failed", gcPressure: true, role: { kind: "left-out", reason: "failed" } },
  ])("$status (gcPressure $gcPressure)", ({ status, gcPressure, role }) => {
    expect(thresholdRole({ status, gcPressure })).toEqual(role);
  });
});

describe("threshold", () => {
  it.each<{ why: string; runs: ThresholdRun[]; lowestOk: ReturnType<typeof at> | undefined; highestFailing: ReturnType<typeof at> | undefined; leftOut?: LeftOutReason[] }>([
    { why: "no runs", runs: [], lowestOk: undefined, highestFailing: undefined },
    { why: "only successes", runs: [run(300, "ok"), run(200, "ok")], lowestOk: at(200), highestFailing: undefined },
    { why: "only memory failures", runs: [run(300, "oom"), run(200, "action-killed")], lowestOk: undefined, highestFailing: at(300) },
    {
      why: "a clean step",
      runs: [run(150, "oom"), run(200, "oom"), run(250, "ok"), run(300, "ok")],
      lowestOk: at(250),
      highestFailing: at(200),
    },
    {
      why: "a noisy limit counts as failing (one crash among successes)",
      runs: [run(200, "oom"), run(250, "ok"), run(250, "action-killed"), run(300, "ok")],
      lowestOk: at(300),
      highestFailing: at(250),
    },
    {
      why: "a success below a failure does not lower the threshold",
      runs: [run(150, "ok"), run(200, "oom"), run(300, "ok")],
      lowestOk: at(300),
      highestFailing: at(200),
    },
    {
      why: "a build that failed otherwise is left out, not a crash",
      runs: [run(150, "oom"), run(200, "failed"), run(200, "ok"), run(300, "ok")],
      lowestOk: at(200),
      highestFailing: at(150),
      leftOut: ["failed"],
    },
    {
      why: "a timeout under GC pressure is a memory failure",
      runs: [run(150, "oom"), run(200, "timeout", true), run(300, "ok")],
      lowestOk: at(300),
      highestFailing: at(200),
    },
    {
      why: "a timeout without GC pressure, or without a verdict, is left out",
      runs: [run(150, "oom"), run(200, "timeout", false), run(250, "timeout"), run(300, "ok")],
      lowestOk: at(300),
      highestFailing: at(150),
      leftOut: ["timeout-without-pressure", "timeout-unknown-pressure"],
    },
    {
      why: "a server killed from outside at the highest limit does not hide the threshold",
      runs: [run(150, "oom"), run(200, "ok"), run(300, "server-died")],
      lowestOk: at(200),
      highestFailing: at(150),
      leftOut: ["server-died"],
    },
    {
      why: "an interrupted run at the highest limit is left out too",
      runs: [run(200, "ok"), run(300, "interrupted")],
      lowestOk: at(200),
      highestFailing: undefined,
      leftOut: ["interrupted"],
    },
    { why: "nothing but runs left out", runs: [run(200, "failed"), run(300, "interrupted")], lowestOk: undefined, highestFailing: undefined, leftOut: ["failed", "interrupted"] },
  ])("$why", ({ runs, lowestOk, highestFailing, leftOut = [] }) => {
    const result = threshold(runs);
    expect({ lowestOk: result.lowestOk, highestFailing: result.highestFailing }).toEqual({ lowestOk, highestFailing });
    expect(result.leftOut.map((entry) => entry.reason)).toEqual(leftOut);
    // Each left-out run is named by its id and limit, in the order given.
    const expectedIds = runs.filter((entry) => thresholdRole(entry).kind === "left-out").map((entry) => [entry.id, entry.limit]);
    expect(result.leftOut.map((entry) => [entry.id, entry.limit])).toEqual(expectedIds);
  });
});
