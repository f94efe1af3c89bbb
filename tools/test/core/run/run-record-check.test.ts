// run.json's spiralHeapDump (the heap dump the sweep asks a spiralling server for) as checkRunRecord reads it: absent,
// taken, or not taken with the reason; anything else is one clear error naming the field. The other fields are
// checked through the CLI's bad-input tests.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkRunRecord } from "../../../src/core/run/run-record-check.js";
import { InputError } from "../../../src/core/exit-codes.js";
import { FIXTURES_DIR } from "../../helpers/fixtures.js";

const record = JSON.parse(readFileSync(`${FIXTURES_DIR}/bazel-7.7.1/sweep/runs/0256m-r02/run.json`, "utf8")) as Record<string, unknown>;

describe("checkRunRecord: spiralHeapDump", () => {
  it.each([
    { why: "absent", value: undefined },
    { why: "taken", value: { taken: true, seconds: 0.4 } },
    { why: "not taken, with why", value: { taken: false, seconds: 30, problem: "the server had not begun writing its heap dump 30s after it was asked" } },
  ])("accepts it $why", ({ value }) => {
    const withDump = { ...record, spiralHeapDump: value };
    expect(checkRunRecord(withDump, "run.json")).toBe(withDump);
  });

  it.each([
    { why: "a boolean", value: true },
    { why: "no seconds", value: { taken: true } },
    { why: "a problem that is not text", value: { taken: false, seconds: 1, problem: 3 } },
  ])("refuses it as $why, naming the field", ({ value }) => {
    expect(() => checkRunRecord({ ...record, spiralHeapDump: value }, "run.json")).toThrow(InputError);
    expect(() => checkRunRecord({ ...record, spiralHeapDump: value }, "run.json")).toThrow(/"spiralHeapDump" must be absent or/);
  });
});
