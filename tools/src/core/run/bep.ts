/**
 * The few facts `stats` takes from a Build Event Protocol JSON file (one event a line): the memory
 * metrics Bazel reports at the end of a build, and how the build ended.
 */

export interface BepSummary {
  /** BuildMetrics.memoryMetrics.peakPostGcHeapSize (Bazel ≥ 5; 0/absent when no major GC ran). */
  readonly peakPostGcHeapBytes: number | undefined;
  /** BuildMetrics.memoryMetrics.usedHeapSizePostBuild (only with --memory_profile or similar). */
  readonly usedHeapPostBuildBytes: number | undefined;
  /** BuildFinished.exitCode.name, e.g. "SUCCESS", "OOM_ERROR". */
  readonly exitCodeName: string | undefined;
  /** The `aborted.reason` of the last aborted event, e.g. "OUT_OF_MEMORY". */
  readonly abortedReason: string | undefined;
}

export class BepSummaryBuilder {
  private peakPostGcHeapBytes: number | undefined;
  private usedHeapPostBuildBytes: number | undefined;
  private exitCodeName: string | undefined;
  private abortedReason: string | undefined;

  /** Takes one parsed BEP event. */
  event(event: unknown): void {
    if (!isObject(event)) return;
    const memory = path(event, ["buildMetrics", "memoryMetrics"]);
    if (isObject(memory)) {
      const peak = int64(memory["peakPostGcHeapSize"]);
      if (peak !== undefined && peak > 0) this.peakPostGcHeapBytes = peak;
      const used = int64(memory["usedHeapSizePostBuild"]);
      if (used !== undefined && used > 0) this.usedHeapPostBuildBytes = used;
    }
    const exitCodeName = path(event, ["finished", "exitCode", "name"]);
    if (typeof exitCodeName === "string") this.exitCodeName = exitCodeName;
    const aborted = path(event, ["aborted", "reason"]);
    if (typeof aborted === "string") this.abortedReason = aborted;
  }

  build(): BepSummary {
    return {
      peakPostGcHeapBytes: this.peakPostGcHeapBytes,
      usedHeapPostBuildBytes: this.usedHeapPostBuildBytes,
      exitCodeName: this.exitCodeName,
      abortedReason: this.abortedReason,
    };
  }
}

/** BEP's JSON writes int64 fields as strings. */
function int64(value: unknown): number | undefined {
  const number = typeof value === "string" ? Number(value) : typeof value === "number" ? value : NaN;
  return Number.isFinite(number) ? number : undefined;
}

function path(value: unknown, keys: readonly string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
