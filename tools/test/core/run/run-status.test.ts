// Status classification from what real sub-builds left behind (fixtures captured by
// test/fixtures/capture-run-status.mjs with Bazel 4.2.3 and 7.7.1), plus cut and edited copies.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { gunzipSync } from "node:zlib";
import { bepFacts, classifyRun, type RunOutcome } from "../../../src/core/run/run-status.js";
import type { RunStatus, StopReason } from "../../../src/core/vocabulary.js";

const FIXTURES = new URL("../../fixtures/", import.meta.url);

function fixture(version: string, name: string): RunOutcome {
  const dir = new URL(`bazel-${version}/run-status/${name}/`, FIXTURES);
  const read = (file: string): string => {
    try {
      return readFileSync(new URL(file, dir), "utf8");
    } catch {
      return "";
    }
  };
  const readGzip = (file: string): string => {
    try {
      return gunzipSync(readFileSync(new URL(file, dir))).toString("utf8");
    } catch {
      return "";
    }
  };
  const bep = readGzip("bep.json.gz");
  const outcome = JSON.parse(read("outcome.json")) as { exitCode: number | null; stoppedBy: StopReason | null };
  return { exitCode: outcome.exitCode, stoppedBy: outcome.stoppedBy ?? undefined, console: read("console.log"), serverLog: [read("jvm.out"), readGzip("java.log.gz")].join("\n"), bep };
}

const REAL_BUILDS: readonly { version: string; name: string; status: RunStatus }[] = [
  { version: "4.2.3", name: "ok", status: "ok" },
  { version: "4.2.3", name: "oom", status: "oom" },
  { version: "4.2.3", name: "oom-hang", status: "oom" },
  { version: "4.2.3", name: "oom-silent-console", status: "oom" },
  { version: "4.2.3", name: "oom-hang-silent", status: "oom" },
  { version: "4.2.3", name: "thrash-finishes", status: "ok" },
  { version: "4.2.3", name: "startup-oom", status: "oom" },
  { version: "4.2.3", name: "action-killed", status: "action-killed" },
  { version: "4.2.3", name: "failed", status: "failed" },
  { version: "4.2.3", name: "timeout", status: "timeout" },
  { version: "4.2.3", name: "interrupted", status: "interrupted" },
  { version: "7.7.1", name: "ok", status: "ok" },
  { version: "7.7.1", name: "oom", status: "oom" },
  { version: "7.7.1", name: "oom-hang", status: "oom" },
  { version: "7.7.1", name: "startup-oom", status: "oom" },
  { version: "7.7.1", name: "action-killed", status: "action-killed" },
  { version: "7.7.1", name: "failed", status: "failed" },
  { version: "7.7.1", name: "timeout", status: "timeout" },
  { version: "7.7.1", name: "interrupted", status: "interrupted" },
];

describe("classifyRun on real builds", () => {
  it.each(REAL_BUILDS)("$version $name -> $status", ({ version, name, status }) => {
    expect(classifyRun(fixture(version, name))).toBe(status);
  });

  // Only --profile full records the BEP: the default's runs are classified from the exit code and the logs.
  it.each(REAL_BUILDS)("$version $name -> $status without its BEP", ({ version, name, status }) => {
    expect(classifyRun({ ...fixture(version, name), bep: "" })).toBe(status);
  });
});

/** The text up to the line holding `marker`, plus half of the next line: a file cut by a crash. */
function cutAfterFirst(text: string, marker: string): string {
  const end = text.indexOf("\n", text.indexOf(marker)) + 1;
  const next = text.indexOf("\n", end);
  expect(end).toBeGreaterThan(0);
  return text.slice(0, end + Math.floor((next - end) / 2));
}

describe("classifyRun on partial evidence", () => {
  const oom = fixture("4.2.3", "oom");
  const killed = fixture("4.2.3", "action-killed");
  const silent = fixture("4.2.3", "oom-silent-console");
  const silentHang = fixture("4.2.3", "oom-hang-silent");
  const oom77 = fixture("7.7.1", "oom-hang");
  it.each<{ why: string; outcome: RunOutcome; status: RunStatus }>([
    { why: "exit 33 alone is out of memory", outcome: { ...oom, console: "", serverLog: "", bep: "" }, status: "oom" },
    { why: "the BEP alone says OUT_OF_MEMORY (client killed)", outcome: { ...oom, exitCode: null, console: "", serverLog: "" }, status: "oom" },
    { why: "the console alone, with the server gone (exit 37)", outcome: { ...oom, exitCode: 37, serverLog: "", bep: "" }, status: "oom" },
    { why: "jvm.out alone, with the server gone (exit 37)", outcome: { ...silent, bep: "" }, status: "oom" },
    {
      why: "exit 37 with no OutOfMemoryError anywhere: the server died otherwise (killed from outside)",
      outcome: { ...silent, serverLog: "", bep: "" },
      status: "server-died",
    },
    {
      why: "the same on 7.7.1: its console without Bazel's own OutOfMemoryError lines",
      outcome: { ...oom77, exitCode: 37, stoppedBy: undefined, console: oom77.console.split("\n").filter((line) => !/OutOfMemory|out of memory|^\s+at /.test(line)).join("\n"), serverLog: "", bep: "" },
      status: "server-died",
    },
    {
      why: "a server gone with its OutOfMemoryError only in java.log is still out of memory",
      outcome: { ...silent, serverLog: fixture("4.2.3", "oom-hang-silent").serverLog, bep: "" },
      status: "oom",
    },
    { why: "exit 37 without the client's 'Server terminated abruptly' line is a failure", outcome: { ...silent, console: "", serverLog: "", bep: "" }, status: "failed" },
    { why: "a server killed after a timeout is a timeout, not a dead server", outcome: { ...silent, stoppedBy: "timeout", serverLog: "", bep: "" }, status: "timeout" },
    { why: "a server killed after Ctrl-C is an interruption", outcome: { ...silent, stoppedBy: "interrupt", serverLog: "", bep: "" }, status: "interrupted" },
    {
      why: "an action's own OutOfMemoryError in a failed build is not the server's",
      outcome: { exitCode: 1, stoppedBy: undefined, console: `${killed.console}\njava.lang.OutOfMemoryError: Java heap space\n`, serverLog: "", bep: "" },
      status: "action-killed",
    },
    { why: "a killed action from the console alone", outcome: { ...killed, bep: "" }, status: "action-killed" },
    { why: "a killed action from the BEP alone", outcome: { ...killed, console: "" }, status: "action-killed" },
    { why: "a timeout that ends in an OutOfMemoryError is out of memory", outcome: { ...oom, stoppedBy: "timeout" }, status: "oom" },
    { why: "an interruption wins over everything", outcome: { ...oom, stoppedBy: "interrupt" }, status: "interrupted" },
    {
      why: "a server that hung without a word on the console: its logs name the error",
      outcome: { ...silentHang, stoppedBy: "timeout" },
      status: "oom",
    },
    { why: "the same hang with its logs lost is only a timeout", outcome: { ...silentHang, stoppedBy: "timeout", serverLog: "", bep: "" }, status: "timeout" },
    { why: "a server stopped for thrashing in GC ran out of heap, slowly", outcome: { ...fixture("4.2.3", "timeout"), stoppedBy: "gc-thrash" }, status: "oom" },
    { why: "a BEP cut in the middle of a line still counts", outcome: { ...oom, exitCode: null, console: "", serverLog: "", bep: cutAfterFirst(oom.bep, "OUT_OF_MEMORY") }, status: "oom" },
  ])("$why", ({ outcome, status }) => {
    expect(classifyRun(outcome)).toBe(status);
  });
});

describe("bepFacts", () => {
  it.each([
    { name: "ok", facts: { outOfMemory: false, actionKilled: false } },
    { name: "oom", facts: { outOfMemory: true, actionKilled: false } },
    { name: "action-killed", facts: { outOfMemory: false, actionKilled: true } },
    { name: "failed", facts: { outOfMemory: false, actionKilled: false } },
  ])("4.2.3 $name", ({ name, facts }) => {
    expect(bepFacts(fixture("4.2.3", name).bep)).toEqual(facts);
  });

  it("skips lines that are not JSON", () => {
    expect(bepFacts('{"id":{}}\nnot json\n{"aborted":{"reason":"OUT_OF_MEMORY"}}\n{"trunc')).toEqual({ outOfMemory: true, actionKilled: false });
  });
});
