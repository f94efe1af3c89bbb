// Paired ratios of two ways of running a build: geometric mean, t interval on the logs, and the goal verdict.
import { describe, expect, it } from "vitest";
import { goalVerdict, pairedRatio } from "../../../src/core/blame/paired-ratio.js";

describe("pairedRatio", () => {
  it.each([
    { name: "the same ratio every round: no spread", numerators: [11, 22, 33], denominators: [10, 20, 30], ratio: 1.1, low: 1.1, high: 1.1 },
    // logs 0 and ln 4: mean ln 2, standard error ln 2, t(0.975, 1 dof) = 12.706.
    { name: "two rounds, 1× and 4×: geometric mean 2×, t with one degree of freedom", numerators: [5, 40], denominators: [5, 10], ratio: 2, low: 2 ** (1 - 12.7062), high: 2 ** (1 + 12.7062) },
    // logs ±ln 1.1 around 0 (4 rounds): sd = ln 1.1 · √(4/3), se = sd / 2, t(0.975, 3 dof) = 3.1824.
    { name: "symmetric spread around 1×", numerators: [11, 10, 11, 10], denominators: [10, 11, 10, 11], ratio: 1, low: Math.exp(-3.1824 * Math.log(1.1) * Math.sqrt(4 / 3) / 2), high: Math.exp(3.1824 * Math.log(1.1) * Math.sqrt(4 / 3) / 2) },
  ])("$name", ({ numerators, denominators, ratio, low, high }) => {
    const result = pairedRatio(numerators, denominators);
    expect(result.ratio).toBeCloseTo(ratio, 6);
    // On the log scale: the interval's width is what the tabled t values are precise to.
    expect(Math.log(result.low!)).toBeCloseTo(Math.log(low), 3);
    expect(Math.log(result.high!)).toBeCloseTo(Math.log(high), 3);
    expect(result.rounds).toBe(numerators.length);
  });

  it("has no interval from one round", () => {
    expect(pairedRatio([12], [10])).toEqual({ ratio: 1.2, low: undefined, high: undefined, rounds: 1 });
  });

  it("refuses rounds that do not pair up", () => {
    expect(() => pairedRatio([1, 2], [1])).toThrow(/as many numerators as denominators/);
    expect(() => pairedRatio([], [])).toThrow(/at least one/);
  });
});

describe("goalVerdict against at most 1.02×", () => {
  it.each([
    { name: "whole interval at or below", low: 0.97, high: 1.02, verdict: "met" },
    { name: "whole interval above", low: 1.03, high: 1.2, verdict: "not met" },
    { name: "interval across the goal", low: 0.98, high: 1.06, verdict: "undecided" },
    { name: "no interval (one round)", low: undefined, high: undefined, verdict: "undecided" },
  ])("$name: $verdict", ({ low, high, verdict }) => {
    expect(goalVerdict({ ratio: 1, low, high, rounds: 2 }, 1.02)).toBe(verdict);
  });
});
