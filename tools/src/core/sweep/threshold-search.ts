/**
 * `sweep --search`: the lowest heap at which the build succeeds, found with few builds. A pure planner:
 * given the runs so far it names the next run, or says it is done; it keeps no state of its own, so a
 * resumed search (runs read back from run.json) continues exactly where it stopped.
 *
 * 1. Bracket: run at the high end (expected to succeed), then at the low end (expected to crash). If the
 *    high end crashes, double it; if the low end succeeds, halve it (never below the floor).
 * 2. Bisect the bracket on a grid of `resolution` until it is one resolution wide.
 * 3. OOM is noisy near the threshold (the same heap may crash once and pass once), so once the bracket is
 *    one resolution wide, its upper end must succeed `repeats` times before it is the answer; one crash
 *    there moves the bracket's lower end up instead, and the search goes on above it. One crash is enough
 *    to call a limit failing: a heap that sometimes crashes is not a safe heap. (Repeating only at the end
 *    rather than all through the last few bisections costs `repeats - 1` builds instead of several times
 *    that, which is what keeps a search within a tenth of a dense grid's builds: bench/search-vs-grid.ts.)
 * 4. Only memory outcomes steer the search (core/sweep/threshold.ts thresholdRole): a run that ended for another
 *    reason (a build failure, a timeout without GC pressure, a server killed from outside) is left out and
 *    its limit probed again, since one such run may be bad luck; MAX_LEFT_OUT_PER_LIMIT of them in a row at one
 *    limit are the build itself, and the search stops there rather than retry for ever. Interrupted runs are
 *    redone.
 *
 * All probes are multiples of the resolution, so every run id is stable across resumptions.
 */
import { thresholdRole, type RoleRun } from "./threshold.js";
import type { RunStatus } from "../vocabulary.js";

/** Runs in a row at one limit that said nothing about the heap before the search gives up on the build. */
export const MAX_LEFT_OUT_PER_LIMIT = 2;

export interface SearchConfig {
  /** Where the bracket starts, in bytes. */
  readonly low: number;
  readonly high: number;
  readonly resolution: number;
  /** Successes the threshold needs before it is the answer. */
  readonly repeats: number;
  readonly warmup: number;
  /** Never probe below or above these. */
  readonly floor: number;
  readonly ceiling: number;
}

export interface SearchRun extends RoleRun {
  readonly limitBytes: number;
  readonly warmup: boolean;
  /** Evidence runs are added after the search ended and never steer it. */
  readonly evidence?: boolean | undefined;
}

export type SearchStep =
  | { readonly kind: "run"; readonly limitBytes: number; readonly warmup: boolean }
  | {
      readonly kind: "done";
      /** The lowest limit that succeeded every time, and every probe above it did too. */
      readonly threshold: number;
      /** The highest limit seen to crash, the bracket's lower end; undefined if it succeeds even at the floor. */
      readonly below: number | undefined;
      readonly builds: number;
    }
  | {
      readonly kind: "stuck";
      /**
       * Why the search cannot go on: a build that ended MAX_LEFT_OUT_PER_LIMIT times in a row at one limit for a
       * reason other than memory (`status` is the last of them), or no success up to the ceiling.
       */
      readonly reason: "build-fails" | "no-success";
      readonly limitBytes: number;
      readonly status: RunStatus;
      readonly builds: number;
    };

interface LimitResults {
  ok: number;
  oom: number;
}

export function nextSearchStep(config: SearchConfig, allRuns: readonly SearchRun[]): SearchStep {
  const runs = allRuns.filter((run) => run.evidence !== true);
  const grid = config.resolution;
  const floor = snapUp(config.floor, grid);
  const ceiling = snapDown(config.ceiling, grid);
  const clamp = (bytes: number): number => Math.min(ceiling, Math.max(floor, bytes));
  const initialHigh = clamp(snapUp(config.high, grid));
  const initialLow = Math.min(clamp(snapDown(config.low, grid)), initialHigh);
  const builds = runs.filter((run) => run.status !== "interrupted").length;

  const warmups = runs.filter((run) => run.warmup && run.status !== "interrupted").length;
  if (warmups < config.warmup) return { kind: "run", limitBytes: initialHigh, warmup: true };

  const measured = runs.filter((run) => !run.warmup && run.status !== "interrupted");
  const byLimit = new Map<number, LimitResults>();
  // Runs of one limit come in the order they ran (by iteration, also when read back from disk).
  const leftOutInARow = new Map<number, number>();
  for (const run of measured) {
    const role = thresholdRole(run);
    if (role.kind === "left-out") {
      const count = (leftOutInARow.get(run.limitBytes) ?? 0) + 1;
      leftOutInARow.set(run.limitBytes, count);
      if (count >= MAX_LEFT_OUT_PER_LIMIT) return { kind: "stuck", reason: "build-fails", limitBytes: run.limitBytes, status: run.status, builds };
      continue;
    }
    leftOutInARow.set(run.limitBytes, 0);
    const results = byLimit.get(run.limitBytes) ?? { ok: 0, oom: 0 };
    if (role.kind === "ok") results.ok++;
    else results.oom++;
    byLimit.set(run.limitBytes, results);
  }
  // A run left out changes nothing below, so the step that asked for it asks for its limit again.
  const failing = [...byLimit].filter(([, results]) => results.oom > 0).map(([limit]) => limit);
  const low = failing.length === 0 ? undefined : Math.max(...failing);
  const passingAbove = [...byLimit].filter(([limit, results]) => results.oom === 0 && (low === undefined || limit > low)).map(([limit]) => limit);
  const high = passingAbove.length === 0 ? undefined : Math.min(...passingAbove);
  const run = (limitBytes: number): SearchStep => ({ kind: "run", limitBytes, warmup: false });

  if (high === undefined) {
    if (low === undefined) return run(initialHigh);
    if (low >= ceiling) return { kind: "stuck", reason: "no-success", limitBytes: low, status: "oom", builds };
    return run(low < initialHigh ? initialHigh : clamp(snapUp(low * 2, grid)));
  }
  if (low === undefined) {
    const lowestTried = Math.min(...byLimit.keys());
    if (lowestTried <= floor) return confirmed(high) ? { kind: "done", threshold: high, below: undefined, builds } : run(high);
    return run(lowestTried > initialLow ? initialLow : clamp(snapDown(lowestTried / 2, grid)));
  }
  const gap = high - low;
  if (gap > grid) return run(low + Math.floor(gap / grid / 2) * grid);
  return confirmed(high) ? { kind: "done", threshold: high, below: low, builds } : run(high);

  function confirmed(limit: number): boolean {
    return (byLimit.get(limit)?.ok ?? 0) >= config.repeats;
  }
}

/** A rough count of the builds still to come, for the progress line's ETA. */
export function estimateRemainingBuilds(config: SearchConfig, runs: readonly SearchRun[]): number {
  const measured = runs.filter((run) => !run.warmup && run.status !== "interrupted");
  const failing = measured.filter((run) => thresholdRole(run).kind === "memory-failure").map((run) => run.limitBytes);
  const passing = measured.filter((run) => thresholdRole(run).kind === "ok").map((run) => run.limitBytes);
  const low = failing.length > 0 ? Math.max(...failing) : Math.min(config.low, ...passing);
  const highs = passing.filter((limit) => limit > low);
  const high = highs.length > 0 ? Math.min(...highs) : Math.max(config.high, low * 2);
  const bisections = Math.max(0, Math.ceil(Math.log2(Math.max(1, (high - low) / config.resolution))));
  return Math.max(1, bisections + config.repeats - 1 + (failing.length === 0 ? 1 : 0) + (passing.length === 0 ? 1 : 0));
}

function snapUp(bytes: number, grid: number): number {
  return Math.ceil(bytes / grid) * grid;
}

function snapDown(bytes: number, grid: number): number {
  return Math.max(grid, Math.floor(bytes / grid) * grid);
}
