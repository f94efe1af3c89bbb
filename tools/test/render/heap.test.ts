// The heap digest's verdict in words: a suspect's evidence, where its calls are in flight on one thread or on
// several (each thread's part then names its thread).
import { describe, expect, it } from "vitest";
import type { Evidence, Suspect } from "../../src/core/heap/heap-digest.js";
import { MemoryLimitError, type HeapCounts } from "../../src/core/heap/memory-budget.js";
import { evidenceText, memoryLimitProblem, stateRoomProblem } from "../../src/render/heap.js";

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

describe("the memory and disk needs", () => {
  const MIB = 2 ** 20;
  const counts: HeapCounts = { objects: 28_352_736, vertices: 0, edges: 28_746_616, crossEdges: 0, largeObjects: 0, wideIds: false };
  it("never read as less than they are: rounded up to a tenth of a MiB", () => {
    const justOver = new MemoryLimitError(541 * MIB + 30_000, 541 * MIB, counts, true, 1, 1);
    expect(memoryLimitProblem("dump.hprof", justOver, true)).toBe(
      "dump.hprof: digesting this dump needs about 541.1 MiB of memory (28,352,736 objects, 28,746,616 references), more than the 541.0 MiB --max-memory allows; give --max-memory more, up to what the machine has free",
    );
    expect(stateRoomProblem("/state", { bytes: 10 * MIB + 1, atMost: true, written: 1 }, "ENOSPC")).toBe(
      "no room in /state for the heap digest's state: it needs up to 10.1 MiB there, 0.1 MiB of it written when the disk filled (ENOSPC): free some there, or name a folder with room with --state-dir",
    );
  });

  it("says at least, and how far the search had come, when the search stopped", () => {
    const during = new MemoryLimitError(507.7 * MIB, 500 * MIB, { ...counts, vertices: 8_388_608 }, true, 1, 1, 8_388_608);
    expect(memoryLimitProblem("dump.hprof", during, false)).toBe(
      "dump.hprof: digesting this dump needs at least 507.7 MiB of memory (28,352,736 objects, 28,746,616 references; its depth-first search had met 8,388,608 objects with references of its own when it stopped), more than the 500.0 MiB free for it here (within any container's memory limit); free memory or raise the container's limit, or digest it on a machine with more",
    );
  });
});
