/**
 * How much slower one way of running a build is than another, from rounds that ran both: the geometric mean of
 * the per-round ratios with a Student t interval on their logarithms (t from jstat). Pairing by round cancels
 * what a round shares (a machine busier for a minute); the log makes 0.5× and 2× symmetric. A cold Bazel build
 * on two cores varies by ±10% from one run to the next, so a 2% goal needs the interval, not a median of 3.
 */
import { jStat } from "jstat";
import { mean, variance } from "./blame-statistics.js";

export interface PairedRatio {
  /** Geometric mean of numerator[i] / denominator[i]. */
  readonly ratio: number;
  /** The interval's ends; undefined with fewer than two rounds. */
  readonly low: number | undefined;
  readonly high: number | undefined;
  readonly rounds: number;
}

/** Where a ratio stands against a goal of "at most `goal`". */
export type GoalVerdict = "met" | "not met" | "undecided";

/** `numerators[i] / denominators[i]` over the rounds, with a two-sided `confidence` interval. */
export function pairedRatio(numerators: readonly number[], denominators: readonly number[], confidence = 0.95): PairedRatio {
  if (numerators.length !== denominators.length || numerators.length === 0) {
    throw new Error(`pairedRatio needs as many numerators as denominators, at least one (got ${numerators.length} and ${denominators.length})`);
  }
  const logs = numerators.map((value, round) => Math.log(value / denominators[round]!));
  const rounds = logs.length;
  const center = mean(logs);
  if (rounds < 2) return { ratio: Math.exp(center), low: undefined, high: undefined, rounds };
  const standardError = Math.sqrt(variance(logs, center) / rounds);
  const halfWidth = jStat.studentt.inv(1 - (1 - confidence) / 2, rounds - 1) * standardError;
  return { ratio: Math.exp(center), low: Math.exp(center - halfWidth), high: Math.exp(center + halfWidth), rounds };
}

/** Met when the whole interval is at or below the goal, not met when all of it is above, else undecided. */
export function goalVerdict(ratio: PairedRatio, goal: number): GoalVerdict {
  if (ratio.high === undefined || ratio.low === undefined) return "undecided";
  if (ratio.high <= goal) return "met";
  if (ratio.low > goal) return "not met";
  return "undecided";
}
