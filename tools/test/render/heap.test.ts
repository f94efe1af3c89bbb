// The heap digest's verdict in words: a suspect's evidence, where its calls are in flight on one thread or on
// several (each thread's part then names its thread).
import { describe, expect, it } from "vitest";
import type { Evidence, Suspect } from "../../src/core/heap/heap-digest.js";
import { evidenceText } from "../../src/render/heap.js";

const suspect = (evidence: Evidence[]): Suspect => ({
  function: "_lattice_node_impl",
  file: "defs.bzl",
  retainedBytes: 1000,
  share: 0.5,
  evidence,
});

describe("evidenceText", () => {
  it("says its local variables and work in progress without a thread when one thread holds them", () => {
    const text = evidenceText(
      suspect([
        { kind: "frame-locals", bytes: 600, thread: "skyframe-evaluator-0" },
        { kind: "in-flight", bytes: 400, thread: "skyframe-evaluator-0" },
      ]),
    );
    expect(text).toBe("its local variables 30.0%, work in progress on its thread 20.0%");
  });

  it("sums its calls in flight on several threads into one part each, saying how many threads", () => {
    const text = evidenceText(
      suspect([
        { kind: "frame-locals", bytes: 500, thread: "skyframe-evaluator-0" },
        { kind: "in-flight", bytes: 100, thread: "skyframe-evaluator-0" },
        { kind: "frame-locals", bytes: 300, thread: "skyframe-evaluator-1" },
        { kind: "in-flight", bytes: 100, thread: "skyframe-evaluator-1" },
      ]),
    );
    expect(text).toBe("its local variables on 2 threads 40.0%, work in progress on 2 threads 10.0%");
  });

  it("leaves out what its calls in flight hold when it is under 1% of what the function holds, summed", () => {
    const parts = Array.from({ length: 8 }, (_, index): Evidence => ({ kind: "frame-locals", bytes: 2, thread: `skyframe-evaluator-${index}` }));
    // 8 threads of 0.2% each of what the function holds: 1.6% together, said once (as a share of the heap).
    expect(evidenceText(suspect(parts))).toBe("its local variables on 8 threads 0.8%");
    expect(evidenceText(suspect(parts.slice(0, 4)))).toBe("");
  });
});
