/**
 * The JVM's own GC log (`-Xlog:gc`, unified logging, JDK 9+), which the sweep asks every sub-build's server
 * to write into its run folder as gc.log: one line per collection with the heap before and after and the
 * pause. Unlike the trace profile, it is written as the JVM goes, so it survives a server that hangs or
 * dies, and it tells a server thrashing in GC apart from one that is merely slow.
 *
 *   [11.668s][info][gc] GC(383) Pause Full (G1 Compaction Pause) 123M->123M(128M) 72.001ms
 */

/** What `stats` takes from a run's gc.log. */
export interface GcLogSummary {
  /** peakHeapAfterCollection of its pauses. */
  readonly peakHeapAfterCollectionBytes: number | undefined;
}

/** One stop-the-world pause. */
export interface GcPause {
  /** JVM uptime at the end of the pause (the line is written then), in seconds. */
  readonly uptimeSeconds: number;
  /** The collector's number for this collection, `GC(n)`. */
  readonly id: number;
  /** `full` compacts the whole heap; it is what a JVM short of heap runs again and again. */
  readonly kind: "young" | "full" | "other";
  readonly beforeBytes: number;
  readonly afterBytes: number;
  /** The heap's committed size at the end of the pause (at most -Xmx). */
  readonly committedBytes: number;
  readonly pauseSeconds: number;
}

const UNIT_BYTES: Readonly<Record<string, number>> = { B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

const PAUSE_LINE =
  /^\[(\d+(?:\.\d+)?)s\].*?\bGC\((\d+)\) Pause (\w+).*? (\d+)([BKMG])->(\d+)([BKMG])\((\d+)([BKMG])\) (\d+(?:\.\d+)?)ms\s*$/;

/** The pause a gc.log line reports, or undefined for every other line (cycle starts, phases, heap summaries). */
export function parseGcPause(line: string): GcPause | undefined {
  const match = PAUSE_LINE.exec(line);
  if (match === null) return undefined;
  const [, uptime, id, kind, before, beforeUnit, after, afterUnit, committed, committedUnit, pauseMs] = match;
  const bytes = (value: string | undefined, unit: string | undefined): number => Number(value) * UNIT_BYTES[unit!]!;
  return {
    uptimeSeconds: Number(uptime),
    id: Number(id),
    kind: kind === "Young" ? "young" : kind === "Full" ? "full" : "other",
    beforeBytes: bytes(before, beforeUnit),
    afterBytes: bytes(after, afterUnit),
    committedBytes: bytes(committed, committedUnit),
    pauseSeconds: Number(pauseMs) / 1000,
  };
}

/**
 * The largest heap right after a young or full collection: what the build held at its fullest, as far as a
 * collection could tell (old-generation garbage a young collection does not reach is counted in). The pauses
 * of G1's concurrent cycle (Remark, Cleanup) free nothing themselves and are left out. Undefined: no collection.
 */
export function peakHeapAfterCollection(pauses: readonly GcPause[]): number | undefined {
  let peak: number | undefined;
  for (const pause of pauses) {
    if (pause.kind !== "other" && (peak === undefined || pause.afterBytes > peak)) peak = pause.afterBytes;
  }
  return peak;
}

/** The summary of a gc.log text. */
export function summarizeGcLog(text: string): GcLogSummary {
  return { peakHeapAfterCollectionBytes: peakHeapAfterCollection(parseGcLog(text)) };
}

/** Every pause in a gc.log text (a log cut mid-line loses only that line). */
export function parseGcLog(text: string): GcPause[] {
  return text.split("\n").flatMap((line) => parseGcPause(line) ?? []);
}

/**
 * When a sub-build counts as thrashing: for a whole minute the JVM did almost nothing but collect, and
 * its full collections freed almost nothing. These are the JVM's own GC overhead limit (98% of time, 2% of
 * heap, -XX:GCTimeLimit / -XX:GCHeapFreeLimit of the Parallel collector); G1, the default collector, has
 * no such limit, so a server whose live data fills its heap can crawl for many minutes instead of failing.
 * The bar is high on purpose: a build that still makes progress is measured, not stopped. Seen here: the
 * test workspace's //:thrash at -Xmx84m ran 13 full collections a second for a minute, 75% of the time
 * paused with 92% of the heap live after each, and finished (in 74 s instead of 17 s at 1g); a real
 * out-of-memory crash here comes 10–30 s into heavy GC, before the window is full, so it still ends by
 * itself with Bazel's own message and stack.
 */
export const GC_THRASH_RULE: GcThrashRule = { windowSeconds: 60, minPauseShare: 0.98, minHeapShareAfterFull: 0.98 };

export interface GcThrashRule {
  readonly windowSeconds: number;
  /** Share of the window spent in pauses. */
  readonly minPauseShare: number;
  /** Share of the heap limit still in use after the window's last full collection. */
  readonly minHeapShareAfterFull: number;
}

export interface GcThrash {
  /** The window's end, in JVM uptime seconds. */
  readonly atUptimeSeconds: number;
  readonly pauseShare: number;
  readonly heapShareAfterFull: number;
  readonly fullCollections: number;
}

/**
 * Whether the pauses so far (in log order) end in thrashing, judged against the heap limit (-Xmx).
 * Pauses are clipped to the window; the log must cover the whole window.
 */
export function gcThrashing(pauses: readonly GcPause[], limitBytes: number, rule: GcThrashRule = GC_THRASH_RULE): GcThrash | undefined {
  const last = pauses.at(-1);
  if (last === undefined || last.uptimeSeconds < rule.windowSeconds) return undefined;
  const windowStart = last.uptimeSeconds - rule.windowSeconds;
  let paused = 0;
  let lastFull: GcPause | undefined;
  let fullCollections = 0;
  for (const pause of pauses) {
    if (pause.uptimeSeconds <= windowStart) continue;
    paused += Math.min(pause.pauseSeconds, pause.uptimeSeconds - windowStart);
    if (pause.kind === "full") {
      lastFull = pause;
      fullCollections++;
    }
  }
  if (lastFull === undefined) return undefined;
  const pauseShare = paused / rule.windowSeconds;
  const heapShareAfterFull = lastFull.afterBytes / limitBytes;
  if (pauseShare < rule.minPauseShare || heapShareAfterFull < rule.minHeapShareAfterFull) return undefined;
  return { atUptimeSeconds: last.uptimeSeconds, pauseShare, heapShareAfterFull, fullCollections };
}

/**
 * When the end of a run counts as under memory pressure, which makes a timeout a memory outcome (the
 * build was slow because its heap was too small, and would have run out of it or crawled on): over the
 * run's last minute, half the time or more went to GC pauses, and its last full collection left 80% or
 * more of the heap limit in use. Far below the thrashing rule on purpose: a timeout is already a stopped
 * build, and the question is only whether the heap is why. Measured on the gc.log fixtures: healthy
 * builds (ok, failed, timeout, action-killed) pause 7-11% of their time with 7-22% of the limit live after
 * a full collection; the 4.2.3 server that hung at 128m paused 76% with 98% live, and the build that
 * crawled at 82m paused 96% of every minute of its crawl with 95% live.
 */
export const GC_PRESSURE_RULE: GcPressureRule = { windowSeconds: 60, minPauseShare: 0.5, minHeapShareAfterFull: 0.8 };

export interface GcPressureRule {
  readonly windowSeconds: number;
  /** Share of the window (or of the whole run, if shorter) spent in pauses. */
  readonly minPauseShare: number;
  /** Share of the heap limit still in use after the window's last full collection. */
  readonly minHeapShareAfterFull: number;
}

export interface GcPressure {
  readonly underPressure: boolean;
  readonly pauseShare: number;
  /** undefined when the window holds no full collection. */
  readonly heapShareAfterFull: number | undefined;
}

/**
 * Whether the run ended under memory pressure, from its pauses (in log order) and the heap limit.
 * `quietSecondsAtEnd` is how long the run went on after the log's last line (a server waiting for a slow
 * action writes no GC lines): the window is the last minute of the run, not of the log.
 */
export function gcPressure(pauses: readonly GcPause[], limitBytes: number, quietSecondsAtEnd = 0, rule: GcPressureRule = GC_PRESSURE_RULE): GcPressure {
  const last = pauses.at(-1);
  if (last === undefined) return { underPressure: false, pauseShare: 0, heapShareAfterFull: undefined };
  const end = last.uptimeSeconds + Math.max(0, quietSecondsAtEnd);
  const windowStart = Math.max(0, end - rule.windowSeconds);
  let paused = 0;
  let lastFull: GcPause | undefined;
  for (const pause of pauses) {
    if (pause.uptimeSeconds <= windowStart) continue;
    paused += Math.min(pause.pauseSeconds, pause.uptimeSeconds - windowStart);
    if (pause.kind === "full") lastFull = pause;
  }
  const pauseShare = end > windowStart ? paused / (end - windowStart) : 0;
  const heapShareAfterFull = lastFull === undefined ? undefined : lastFull.afterBytes / limitBytes;
  const underPressure = pauseShare >= rule.minPauseShare && heapShareAfterFull !== undefined && heapShareAfterFull >= rule.minHeapShareAfterFull;
  return { underPressure, pauseShare, heapShareAfterFull };
}
