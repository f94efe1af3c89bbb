// What blame may say of the reproduction from the signals other than a heap dump, on real sweeps.
import { expect } from "vitest";
import type { BlameResult } from "../../src/core/blame.js";

/**
 * Without a heap dump, the crash stacks are the evidence. Bazel 7's OOM traces name the Starlark frames, so
 * traverse_impl is accused. Bazel 4.2.3's traces have Java frames only: the stacks come from
 * the crashed profiles alone, whose tail the crash may lose (seen here: two crashed full profiles without a
 * call in flight). Then traverse_impl must still lead, and the verdict is either a corroborated culprit or
 * "no single culprit" naming the heap dumps as the missing evidence — never another function accused.
 */
export function expectNamedWithoutDumps(result: BlameResult, bazelVersion: string): void {
  const sevenOrNewer = Number(/^(\d+)/.exec(bazelVersion)?.[1] ?? 0) >= 7;
  expect(result.suspects[0]).toMatchObject({ function: "traverse_impl", file: "memory/private/traverse.bzl" });
  expect(result.suspects[0]!.heap).toBeUndefined();
  if (sevenOrNewer || result.verdict === "culprit") {
    expect(result).toMatchObject({ verdict: "culprit", reason: { kind: "crash-stacks-agree" } });
    expect(result.suspects[0]!.stack?.innermostRuns).toBeGreaterThan(0);
  } else {
    expect(result.verdict).toBe("no-single-culprit");
    expect(result.reason).toMatchObject({ missing: "heap-dumps" });
  }
}
