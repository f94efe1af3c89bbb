/**
 * The one significance test blame uses: Welch's two-sample t-test (unequal variances), with the Student t
 * distribution from jstat (a kept library, not a hand-written distribution). Repeats of a cold build are few
 * (2–5 per limit), so a rank test could never reach significance; Welch's test can, and says so honestly
 * through its p-value when it cannot.
 */
import { jStat } from "jstat";

export interface WelchResult {
  readonly meanA: number;
  readonly meanB: number;
  readonly t: number;
  readonly degreesOfFreedom: number;
  /** Two-sided p-value. */
  readonly p: number;
}

/** Welch's t-test of sample A against sample B; undefined when either has fewer than 2 values. */
export function welchTest(a: readonly number[], b: readonly number[]): WelchResult | undefined {
  if (a.length < 2 || b.length < 2) return undefined;
  const meanA = mean(a);
  const meanB = mean(b);
  const varianceA = variance(a, meanA) / a.length;
  const varianceB = variance(b, meanB) / b.length;
  const standardError = Math.sqrt(varianceA + varianceB);
  if (standardError === 0) return { meanA, meanB, t: meanA === meanB ? 0 : Infinity, degreesOfFreedom: a.length + b.length - 2, p: meanA === meanB ? 1 : 0 };
  const t = (meanA - meanB) / standardError;
  const degreesOfFreedom = (varianceA + varianceB) ** 2 / (varianceA ** 2 / (a.length - 1) + varianceB ** 2 / (b.length - 1));
  const p = 2 * (1 - jStat.studentt.cdf(Math.abs(t), degreesOfFreedom));
  return { meanA, meanB, t, degreesOfFreedom, p: Math.min(1, Math.max(0, p)) };
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Sample variance (n - 1). */
export function variance(values: readonly number[], average: number): number {
  return values.reduce((sum, value) => sum + (value - average) ** 2, 0) / (values.length - 1);
}
