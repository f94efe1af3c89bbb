// The threshold `report` states: the lowest limit from which every run succeeded, and the bracket below.
import { describe, expect, it } from "vitest";
import type { RunStatus } from "../../src/core/run-record.js";
import { threshold } from "../../src/core/threshold.js";

const MiB = 1024 * 1024;
const run = (mib: number, status: RunStatus) => ({ limit: `${mib}m`, limitBytes: mib * MiB, status });
const at = (mib: number) => ({ limit: `${mib}m`, limitBytes: mib * MiB });

describe("threshold", () => {
  it.each([
    { why: "no runs", runs: [], lowestOk: undefined, highestFailing: undefined },
    { why: "only successes", runs: [run(300, "ok"), run(200, "ok")], lowestOk: at(200), highestFailing: undefined },
    { why: "only failures", runs: [run(300, "oom"), run(200, "timeout")], lowestOk: undefined, highestFailing: at(300) },
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
      runs: [run(150, "ok"), run(200, "failed"), run(300, "ok")],
      lowestOk: at(300),
      highestFailing: at(200),
    },
    { why: "the highest limit failing", runs: [run(200, "ok"), run(300, "interrupted")], lowestOk: undefined, highestFailing: at(300) },
  ])("$why", ({ runs, lowestOk, highestFailing }) => {
    expect(threshold(runs)).toEqual({ lowestOk, highestFailing });
  });
});
