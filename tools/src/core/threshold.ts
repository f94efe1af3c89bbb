/**
 * The heap threshold a set of runs shows: the lowest limit from which every run (warm-ups
 * included: a crash is a crash) succeeded at that limit and at every higher one.
 */
import type { RunStatus } from "./run-record.js";

export interface ThresholdRun {
  readonly limit: string;
  readonly limitBytes: number;
  readonly status: RunStatus;
}

export interface Threshold {
  /** Lowest limit from which every run succeeded; undefined when the highest limit had a failure. */
  readonly lowestOk: { readonly limit: string; readonly limitBytes: number } | undefined;
  /** Highest limit with a failed run below lowestOk (the bracket's other end); undefined if none failed. */
  readonly highestFailing: { readonly limit: string; readonly limitBytes: number } | undefined;
}

export function threshold(runs: readonly ThresholdRun[]): Threshold {
  const byLimit = new Map<number, { limit: string; failed: boolean }>();
  for (const run of runs) {
    const entry = byLimit.get(run.limitBytes) ?? { limit: run.limit, failed: false };
    entry.failed ||= run.status !== "ok";
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
  return { lowestOk, highestFailing };
}
