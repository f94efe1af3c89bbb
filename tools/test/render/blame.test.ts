// blame's evidence in words: where a function was on the crash stacks, by runs and, when it was not on every
// thread's stack, by the share of their threads.
import { describe, expect, it } from "vitest";
import type { BlameSuspect, StackSignal } from "../../src/core/blame/blame.js";
import { evidenceWords, signalCells } from "../../src/render/blame.js";

const suspect = (stack: StackSignal): BlameSuspect => ({ function: "traverse_impl", file: "memory/private/traverse.bzl", score: 10, stack });

describe("a function on the crash stacks", () => {
  it.each<{ name: string; stack: StackSignal; words: string; cell: string }>([
    {
      name: "innermost on every thread",
      stack: { innermostRuns: 2, onStackRuns: 0, onStackThreadShare: 0, runs: 2, sources: ["in-flight"] },
      words: "innermost Starlark function at the crash in 2 of 2 crash runs (crashed profile)",
      cell: "innermost 2/2",
    },
    {
      name: "on every thread's stack",
      stack: { innermostRuns: 0, onStackRuns: 1, onStackThreadShare: 1, runs: 1, sources: ["heap"] },
      words: "on a Starlark stack at the crash in 1 of 1 (heap dump)",
      cell: "on stack 1/1",
    },
    {
      name: "on one of two threads' stacks",
      stack: { innermostRuns: 0, onStackRuns: 1, onStackThreadShare: 0.5, runs: 1, sources: ["in-flight", "oom-stack"] },
      words: "on a Starlark stack at the crash in 1 of 1, on 50.0% of their Starlark threads (crashed profile, OOM trace)",
      cell: "on stack 1/1",
    },
  ])("$name", ({ stack, words, cell }) => {
    expect(evidenceWords(suspect(stack))).toBe(words);
    expect(signalCells(suspect(stack)).stack).toBe(cell);
  });
});
