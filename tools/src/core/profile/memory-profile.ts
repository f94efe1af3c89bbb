/**
 * Bazel's --memory_profile output: one `<phase>:<pool>:<measure>:<bytes>` line per phase, pool
 * (heap, non-heap) and measure (init, used, commited, max), written at the end of each build phase.
 * A crashed build leaves only the phases it finished.
 */

export interface MemoryProfileSummary {
  /** Highest `heap:used` at the end of any phase; undefined when there is no such line. */
  readonly peakHeapUsedBytes: number | undefined;
  /** Phases in file order. */
  readonly phases: readonly string[];
}

const LINE = /^(.*):(heap|non-heap):(init|used|commited|committed|max):(-?\d+)$/;

export function summarizeMemoryProfile(text: string): MemoryProfileSummary {
  let peak: number | undefined;
  const phases: string[] = [];
  for (const line of text.split("\n")) {
    const match = LINE.exec(line.trim());
    if (match === null) continue;
    const [, phase, pool, measure, bytes] = match as unknown as [string, string, string, string, string];
    if (phases[phases.length - 1] !== phase) phases.push(phase);
    if (pool === "heap" && measure === "used") {
      const value = Number(bytes);
      if (peak === undefined || value > peak) peak = value;
    }
  }
  return { peakHeapUsedBytes: peak, phases };
}
