// What blame may say of the reproduction from the signals other than a heap dump, on real sweeps.
import { expect } from "vitest";
import type { BlameResult } from "../../src/core/blame/blame.js";

/**
 * Without a heap dump, the crash stacks carry the verdict, and they are not always there: Bazel 4.2.3's OOM
 * traces have Java frames only; Bazel 7's name the Starlark frames, but only when the thread that threw was in
 * Starlark (seen on 7.7.1: the profile's writer thread threw); and a crashed profile's tail, where the calls in
 * flight are, is often lost. So traverse_impl must lead, and the verdict is either a corroborated culprit or
 * "no single culprit" naming the heap dumps as the missing evidence: never another function accused.
 */
export function expectNamedWithoutDumps(result: BlameResult): void {
  expect(result.suspects[0]).toMatchObject({ function: "traverse_impl", file: "memory/private/traverse.bzl" });
  expect(result.suspects[0]!.heap).toBeUndefined();
  if (result.verdict === "culprit") {
    expect(result.reason.kind).toBe("crash-stacks-agree");
    expect(result.suspects[0]!.stack?.innermostRuns).toBeGreaterThan(0);
  } else {
    expect(result.verdict).toBe("no-single-culprit");
    expect(result.reason).toMatchObject({ missing: "heap-dumps" });
  }
}
