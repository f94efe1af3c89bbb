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

  it("names each thread when its calls are in flight on several", () => {
    const text = evidenceText(
      suspect([
        { kind: "frame-locals", bytes: 500, thread: "skyframe-evaluator-0" },
        { kind: "frame-locals", bytes: 300, thread: "skyframe-evaluator-1" },
        { kind: "in-flight", bytes: 100, thread: "skyframe-evaluator-0" },
        { kind: "in-flight", bytes: 100, thread: "skyframe-evaluator-1" },
      ]),
    );
    expect(text).toBe(
      "its local variables on skyframe-evaluator-0 25.0%, its local variables on skyframe-evaluator-1 15.0%, " +
        "work in progress on skyframe-evaluator-0 5.0%, work in progress on skyframe-evaluator-1 5.0%",
    );
  });
});
