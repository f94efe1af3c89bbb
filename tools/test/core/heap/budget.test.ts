// Heap budgets (diff --budget) read from JSON and checked against real digests of the reproduction's crash dumps.
import { describe, expect, it } from "vitest";
import { BudgetSyntaxError, checkBudget, parseBudget, type Budget } from "../../../src/core/heap/budget.js";
import { parseByteSize } from "../../../src/core/sweep/heap-limit.js";
import { withRelativeFiles } from "../../../src/core/heap/digest-document.js";
import { LimitSyntaxError } from "../../../src/core/sweep/heap-limit.js";
import { fixtureDigest, fixtureWorkspace, grown } from "../../helpers/digests.js";

const MIB = 2 ** 20;
const digest = withRelativeFiles(fixtureDigest("4.2.3", "0256m-e01"), fixtureWorkspace("4.2.3"));
const top = digest.suspects[0]!;
const provider = top.evidence.find((evidence) => evidence.kind === "providers");
if (provider?.kind !== "providers") throw new Error("the fixture's top function returns no provider");
/** What every function returned of that provider, summed (the fixture's sum, computed independently of budget.ts). */
const providerBytes = digest.suspects.flatMap((suspect) => suspect.evidence).reduce((sum, evidence) => sum + (evidence.kind === "providers" && evidence.provider === provider.provider ? evidence.bytes : 0), 0);

function problemOf(value: unknown): { where: string; problem: unknown } {
  try {
    parseBudget(value);
  } catch (error) {
    if (error instanceof BudgetSyntaxError) return { where: error.where, problem: error.problem };
    throw error;
  }
  throw new Error("parsed");
}

describe("parseBudget", () => {
  it("reads sizes as --limits writes them, whole bytes as numbers, and every key as optional", () => {
    expect(
      parseBudget({
        heap: "1g",
        functions: [{ function: "a_impl", file: "a/a.bzl", max: "64m" }, { function: "b_impl", max: 4096 }],
        providers: [{ provider: "AInfo", max: "512k" }],
      }),
    ).toEqual({
      heap: { maxBytes: 1024 * MIB, max: "1g" },
      functions: [
        { function: "a_impl", file: "a/a.bzl", maxBytes: 64 * MIB, max: "64m" },
        { function: "b_impl", file: undefined, maxBytes: 4096, max: "4096" },
      ],
      providers: [{ provider: "AInfo", maxBytes: 512 * 1024, max: "512k" }],
    });
    expect(parseBudget({ providers: [{ provider: "AInfo", max: "0" }] }).heap).toBeUndefined();
  });

  it.each([
    [[], "", { kind: "not-an-object" }],
    [{}, "", { kind: "empty" }],
    [{ funtions: [] }, "", { kind: "unknown-key", key: "funtions", known: ["heap", "functions", "providers"] }],
    [{ functions: { function: "a", max: "1m" } }, "functions", { kind: "not-a-list" }],
    [{ functions: [{ function: "a" }] }, "functions[0]", { kind: "missing", key: "max" }],
    [{ functions: [{ function: "a", max: "1m", line: 3 }] }, "functions[0]", { kind: "unknown-key", key: "line", known: ["function", "file", "max"] }],
    [{ providers: [{ provider: 7, max: "1m" }] }, "providers[0].provider", { kind: "not-text", key: "provider" }],
    [{ heap: "1.5g" }, "heap", { kind: "size", problem: { kind: "fraction", token: "1.5g", suggestion: "1536m" } }],
    [{ providers: [{ provider: "AInfo", max: "2 MB" }] }, "providers[0].max", { kind: "size", problem: { kind: "unknown-unit", token: "2 MB", unit: "MB", suggestion: "2m" } }],
    [{ heap: -1 }, "heap", { kind: "size", problem: { kind: "negative", token: "-1" } }],
  ])("refuses %j at %j", (value, where, problem) => {
    expect(problemOf(value)).toEqual({ where, problem });
  });
});

describe("parseByteSize", () => {
  it("takes what -Xmx takes, below --limits' floor too, and refuses the rest as --limits does", () => {
    expect(parseByteSize("2m")).toBe(2 * MIB);
    expect(parseByteSize("010K")).toBe(10 * 1024);
    expect(parseByteSize("0")).toBe(0);
    expect(() => parseByteSize("2.5m")).toThrow(LimitSyntaxError);
    expect(() => parseByteSize("99999999999t")).toThrow(LimitSyntaxError);
  });
});

describe("checkBudget", () => {
  const budget = (value: unknown): Budget => parseBudget(value);

  it("lists what is over, largest excess first, and what holds", () => {
    const check = checkBudget(
      digest,
      budget({
        heap: String(digest.dump.reachableBytes),
        functions: [{ function: top.function, file: top.file, max: String(top.retainedBytes - 1) }],
        providers: [{ provider: provider.provider, max: String(providerBytes - 1000) }],
      }),
    );
    expect(check.lines.map((line) => [line.kind, line.bytes])).toEqual([
      ["heap", digest.dump.reachableBytes],
      ["function", top.retainedBytes],
      ["provider", providerBytes],
    ]);
    expect(check.over.map((line) => [line.kind, line.bytes - line.maxBytes])).toEqual([
      ["provider", 1000],
      ["function", 1],
    ]);
  });

  it("holds when every entry is within, and notes entries that match nothing", () => {
    const check = checkBudget(digest, budget({ functions: [{ function: top.function, max: "1t" }, { function: "no_such_impl", max: "1k" }] }));
    expect(check.over).toEqual([]);
    expect(check.lines).toEqual([
      expect.objectContaining({ kind: "function", function: top.function, file: top.file, bytes: top.retainedBytes, matched: true }),
      expect.objectContaining({ kind: "function", function: "no_such_impl", bytes: 0, matched: false }),
    ]);
  });

  it("applies an entry without a file to every function of that name, each on its own", () => {
    const twin = { ...top, file: "other/place.bzl", retainedBytes: 5 * MIB };
    const check = checkBudget({ ...digest, suspects: [...digest.suspects, twin] }, budget({ functions: [{ function: top.function, max: "4m" }] }));
    expect(check.lines.map((line) => line.file)).toEqual([top.file, "other/place.bzl"]);
    expect(check.over.map((line) => line.file)).toEqual(top.retainedBytes > 4 * MIB ? [top.file, "other/place.bzl"] : ["other/place.bzl"]);
  });

  it("goes over once the function grows", () => {
    const limit = { functions: [{ function: top.function, file: top.file, max: String(top.retainedBytes) }] };
    expect(checkBudget(digest, budget(limit)).over).toEqual([]);
    expect(checkBudget(grown(digest, top.function, "actions", 1), budget(limit)).over).toEqual([expect.objectContaining({ function: top.function, bytes: top.retainedBytes + 1 })]);
  });
});
