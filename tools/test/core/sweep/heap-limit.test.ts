// The --limits grammar: sizes as -Xmx reads them, ranges with steps, lists; every refusal names its token.
import { describe, expect, it } from "vitest";
import { formatBytes, limitIdPart, LimitSyntaxError, parseLimits, type LimitProblem } from "../../../src/core/sweep/heap-limit.js";

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

function problemOf(text: string): LimitProblem {
  try {
    parseLimits(text);
  } catch (error) {
    if (error instanceof LimitSyntaxError) return error.problem;
    throw error;
  }
  throw new Error(`${text} was accepted`);
}

describe("parseLimits accepts", () => {
  it.each([
    { text: "256m", spellings: ["256m"], bytes: [256 * MiB] },
    { text: "1g", spellings: ["1g"], bytes: [GiB] },
    { text: "1G", spellings: ["1g"], bytes: [GiB] },
    { text: "64M", spellings: ["64m"], bytes: [64 * MiB] },
    { text: "1t", spellings: ["1t"], bytes: [1024 * GiB] },
    { text: "1T", spellings: ["1t"], bytes: [1024 * GiB] },
    { text: "65536k", spellings: ["65536k"], bytes: [64 * MiB] },
    { text: "65536K", spellings: ["65536k"], bytes: [64 * MiB] },
    { text: "268435456", spellings: ["268435456"], bytes: [256 * MiB] },
    { text: "0256m", spellings: ["256m"], bytes: [256 * MiB] },
    { text: " 300m , 1g ", spellings: ["300m", "1g"], bytes: [300 * MiB, GiB] },
    { text: "1g,300m", spellings: ["300m", "1g"], bytes: [300 * MiB, GiB] },
    { text: "155m..160m:1m", spellings: ["155m", "156m", "157m", "158m", "159m", "160m"], bytes: [155, 156, 157, 158, 159, 160].map((m) => m * MiB) },
    { text: "100m..200m:50m", spellings: ["100m", "150m", "200m"], bytes: [100 * MiB, 150 * MiB, 200 * MiB] },
    { text: "1g..2g:512m", spellings: ["1024m", "1536m", "2048m"], bytes: [GiB, 1.5 * GiB, 2 * GiB] },
    { text: "1G..3G:1G", spellings: ["1g", "2g", "3g"], bytes: [GiB, 2 * GiB, 3 * GiB] },
    {
      text: "155m..165m:5m,190m..200m:10m,300m,1g",
      spellings: ["155m", "160m", "165m", "190m", "200m", "300m", "1g"],
      bytes: [155, 160, 165, 190, 200, 300, 1024].map((m) => m * MiB),
    },
    { text: "100m..200m:50m,150m,1024m,1g", spellings: ["100m", "150m", "200m", "1024m"], bytes: [100 * MiB, 150 * MiB, 200 * MiB, GiB] },
    { text: "16m", spellings: ["16m"], bytes: [16 * MiB] },
  ])("$text", ({ text, spellings, bytes }) => {
    const limits = parseLimits(text);
    expect(limits.map((limit) => limit.spelling)).toEqual(spellings);
    expect(limits.map((limit) => limit.bytes)).toEqual(bytes);
  });
});

describe("parseLimits refuses", () => {
  it.each<{ text: string; problem: LimitProblem }>([
    { text: "", problem: { kind: "empty-list" } },
    { text: "256m,,1g", problem: { kind: "empty-token", position: 2 } },
    { text: "256m,", problem: { kind: "empty-token", position: 2 } },
    { text: "0m", problem: { kind: "zero", token: "0m" } },
    { text: "0", problem: { kind: "zero", token: "0" } },
    { text: "-5m", problem: { kind: "negative", token: "-5m" } },
    { text: "5x", problem: { kind: "unknown-unit", token: "5x", unit: "x", suggestion: undefined } },
    { text: "1gb", problem: { kind: "unknown-unit", token: "1gb", unit: "gb", suggestion: "1g" } },
    { text: "512MiB", problem: { kind: "unknown-unit", token: "512MiB", unit: "MiB", suggestion: "512m" } },
    { text: "1.5g", problem: { kind: "fraction", token: "1.5g", suggestion: "1536m" } },
    { text: "0x10m", problem: { kind: "not-a-size", token: "0x10m" } },
    { text: "m", problem: { kind: "not-a-size", token: "m" } },
    { text: "8m", problem: { kind: "too-small", token: "8m", min: "16m" } },
    { text: "2t", problem: { kind: "too-large", token: "2t", max: "1t" } },
    { text: "99999999999999999999g", problem: { kind: "too-large", token: "99999999999999999999g", max: "1t" } },
    { text: "155m..180m", problem: { kind: "range-without-step", token: "155m..180m" } },
    { text: "155m..180m:0m", problem: { kind: "zero-step", token: "155m..180m:0m" } },
    { text: "155m..180m:-5m", problem: { kind: "negative", token: "155m..180m:-5m" } },
    { text: "180m..155m:5m", problem: { kind: "reversed-range", token: "180m..155m:5m", swapped: "155m..180m:5m" } },
    { text: "200m..200m:5m", problem: { kind: "empty-range", token: "200m..200m:5m", single: "200m" } },
    { text: "155m..180m:10m", problem: { kind: "uneven-step", token: "155m..180m:10m", below: "175m", above: "185m" } },
    { text: "1g..2g:300m", problem: { kind: "uneven-step", token: "1g..2g:300m", below: "1924m", above: "2224m" } },
    { text: "155m...180m:5m", problem: { kind: "malformed-range", token: "155m...180m:5m" } },
    { text: "155m..180m:5m:1m", problem: { kind: "malformed-range", token: "155m..180m:5m:1m" } },
    { text: "4m..180m:1m", problem: { kind: "too-small", token: "4m..180m:1m", min: "16m" } },
    { text: "16m..1g:1m", problem: { kind: "too-many", token: "16m..1g:1m", count: 1009, max: 500 } },
  ])("$text", ({ text, problem }) => {
    expect(problemOf(text)).toEqual(problem);
  });
});

describe("formatBytes", () => {
  it.each([
    { bytes: GiB, text: "1g" },
    { bytes: 1536 * MiB, text: "1536m" },
    { bytes: 1000 * KiB, text: "1000k" },
    { bytes: 1234, text: "1234" },
    { bytes: 1024 * GiB, text: "1t" },
  ])("$bytes -> $text", ({ bytes, text }) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe("limitIdPart sorts by size within a unit", () => {
  it.each([
    { bytes: 256 * MiB, part: "0256m" },
    { bytes: GiB, part: "1024m" },
    { bytes: 16 * GiB, part: "16384m" },
    { bytes: 2561 * KiB, part: "0002561k" },
    { bytes: 16 * MiB + 1, part: "0016777217" },
  ])("$bytes -> $part", ({ bytes, part }) => {
    expect(limitIdPart(bytes)).toBe(part);
  });
});
