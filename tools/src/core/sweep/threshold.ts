import type { RunStatus } from "../vocabulary.js";
/**
 * The heap threshold a set of runs shows: the lowest limit from which every run (warm-ups included: a
 * crash is a crash) succeeded at that limit and at every higher one.
 *
 * Only runs that tell something about the heap count. A memory outcome is a failure: out of memory
 * (`oom`, which includes a server that hung after its OutOfMemoryError or thrashed in GC until the sweep
 * stopped it) and an action the kernel killed (`action-killed`); a timeout only when the run ended under
 * GC pressure (run.json's gcPressure, core/run/gc-log.ts). Every other outcome (a build that failed for
 * another reason, a timeout without GC pressure, a server killed from outside, an interruption) measured
 * nothing about the heap: it is left out, and the caller says which runs and why.
 */

/** Why a run does not count towards the threshold. */
export type LeftOutReason =
  /** The build failed for a reason other than memory. */
  | "failed"
  /** It ran into --timeout and its GC log shows no memory pressure: too slow, not short of heap. */
  | "timeout-without-pressure"
  /** It ran into --timeout, and there is no GC verdict (no gc.log, or a run.json from before the verdict). */
  | "timeout-unknown-pressure"
  /** Its Bazel server went away without an OutOfMemoryError. */
  | "server-died"
  /** Ctrl-C: cut short. */
  | "interrupted";

export type ThresholdRole = { readonly kind: "ok" } | { readonly kind: "memory-failure" } | { readonly kind: "left-out"; readonly reason: LeftOutReason };

export interface RoleRun {
  readonly status: RunStatus;
  /** run.json's verdict on the GC log; absent when there was none. */
  readonly gcPressure?: boolean | undefined;
}

/** What a run says about the heap: it succeeded, it failed for memory, or it says nothing. */
export function thresholdRole(run: RoleRun): ThresholdRole {
  switch (run.status) {
    case "ok":
      return { kind: "ok" };
    case "oom":
    case "action-killed":
      return { kind: "memory-failure" };
    case "timeout":
      if (run.gcPressure === true) return { kind: "memory-failure" };
      return { kind: "left-out", reason: run.gcPressure === false ? "timeout-without-pressure" : "timeout-unknown-pressure" };
    case "failed":
    case "server-died":
    case "interrupted":
      return { kind: "left-out", reason: run.status };
  }
}

export interface ThresholdRun extends RoleRun {
  readonly id: string;
  /** Evidence runs (full profile, added after the threshold was found) never count: profiling moves it. */
  readonly evidence?: boolean | undefined;
  readonly limit: string;
  readonly limitBytes: number;
}

export interface LeftOutRun {
  readonly id: string;
  readonly limit: string;
  readonly reason: LeftOutReason;
}

export interface Threshold {
  /** Lowest limit from which every counted run succeeded; undefined when the highest counted limit had a failure. */
  readonly lowestOk: { readonly limit: string; readonly limitBytes: number } | undefined;
  /** Highest limit with a memory failure below lowestOk (the bracket's other end); undefined if none failed. */
  readonly highestFailing: { readonly limit: string; readonly limitBytes: number } | undefined;
  /** The runs that did not count, in the order given. */
  readonly leftOut: readonly LeftOutRun[];
}

export function threshold(runs: readonly ThresholdRun[]): Threshold {
  const byLimit = new Map<number, { limit: string; failed: boolean }>();
  const leftOut: LeftOutRun[] = [];
  for (const run of runs) {
    if (run.evidence === true) continue;
    const role = thresholdRole(run);
    if (role.kind === "left-out") {
      leftOut.push({ id: run.id, limit: run.limit, reason: role.reason });
      continue;
    }
    const entry = byLimit.get(run.limitBytes) ?? { limit: run.limit, failed: false };
    entry.failed ||= role.kind === "memory-failure";
    byLimit.set(run.limitBytes, entry);
  }
  const descending = [...byLimit.entries()].sort(([a], [b]) => b - a);
  let lowestOk: Threshold["lowestOk"];
  let highestFailing: Threshold["highestFailing"];
  for (const [limitBytes, { limit, failed }] of descending) {
    if (failed) {
      highestFailing = { limit, limitBytes };
      break;
    }
    lowestOk = { limit, limitBytes };
  }
  return { lowestOk, highestFailing, leftOut };
}
