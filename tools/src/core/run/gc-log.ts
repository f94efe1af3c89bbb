/**
 * The JVM's own GC log (`-Xlog:gc`, unified logging, JDK 9+), which the sweep asks every sub-build's server
 * to write into its run folder as gc.log: one line per collection with the heap before and after and the
 * pause. Unlike the trace profile, it is written as the JVM goes, so it survives a server that hangs or
 * dies, and it tells a server spiralling in GC apart from one that is merely slow.
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
 * When a server SPIRALS: collection after collection, young or full, leaves the heap nearly full, so each frees
 * almost nothing and the next one comes as soon as the build has allocated that little. A JVM in that state rarely
 * throws: G1 throws only when a full collection cannot make room for one allocation, and a spiral always frees a
 * region or two. Seen from sweeps of real workspaces at 128m (Bazel 7.7.1, JDK 25): 18,348 young collections in
 * 300 s, each leaving 125M of 128M ("Evacuation Failure"), and 1,391 full collections in 300 s with only half of
 * the time paused (G1's concurrent threads took the rest of two cores). Neither finished nor threw, so each cost
 * the sweep its whole --timeout and left no heap dump.
 *
 * Anchored on Bazel's own detector (Bazel 6+: --gc_thrashing_limits, default 1s:2,20s:3,1m:5, armed by
 * --gc_thrashing_threshold, whose default 100 leaves it off; GcThrashingDetector.java): Bazel counts CONSECUTIVE
 * full collections that leave the tenured space above the threshold (any collection under it starts the count
 * afresh) and gives up with an OutOfMemoryError once `count` of them fall within `period`. Kept from it:
 * consecutive collections above a share of the heap, any collection under it resets, and its longest limit,
 * 5 collections in a minute. Changed, and why:
 *   - young collections count too: G1 spirals in young collections when its garbage dies young (the run above,
 *     and fixtures/bazel-7.7.1/gc-log/spiral-young: 98% of its collections young), which Bazel never counts;
 *   - the threshold is 90% of -Xmx after every collection (G1's old generation may grow to all of it, so this is
 *     Bazel's tenured share). G1 keeps 10% of the heap free for copying survivors (-XX:G1ReservePercent=10):
 *     live data past 90% eats that reserve, young collections start failing to evacuate, full collections
 *     follow. Measured on the spirals of tools/test/workspaces/spiral (fixtures/bazel-<version>/gc-log/spiral-*,
 *     7.7.1 at 128m, 4.2.3 at 120m): their full collections leave 90-97% of the heap in use and free 2-8% of it
 *     (mostly what failed evacuations left behind), their young ones leave 90-99%. At 92% the 7.7.1 full spiral
 *     was told only after 132 s, at 93% not in five minutes (the same runs left to go on);
 *   - the run must last the whole minute, not merely hold 5 collections within one (Bazel also stops at 2 in a
 *     second): stopping a build that would have finished costs a false out-of-memory in the threshold, waiting
 *     costs at most that minute, and a minute, the heap dump and the stop fit the goal of
 *     SPIRAL_STOP_GOAL_SECONDS from the spiral's first collection (62-63 s on the fixtures, heap dump included);
 *   - the pause share is not looked at: on two cores G1's concurrent threads do much of a spiral's work outside
 *     the pauses (the run above paused half the time; spiral-young 41%), so no share of time in pauses is a sign.
 * Where the line is drawn, and what it costs: a build that crawls near its limit and would finish is stopped as
 * out of memory too, if every collection of a whole minute leaves 90% or more. fixtures/bazel-4.2.3/gc-log/
 * thrash-finishes is one: at 82m its collections leave 90-98% (its full ones 92-95%, freeing 5% at most), 95% of
 * five minutes paused, and then it finishes, 21 times slower than at a roomy heap. It cannot be kept measured:
 * it frees no more than the spirals do, and only a threshold above 95% lets it through, which none of the spirals
 * holds for a minute. A build that slow at a limit has, for a threshold, run out of memory there; the sweep now
 * stops it a minute into its crawl, with its heap dump, instead of after minutes.
 */
export const GC_SPIRAL_RULE: GcSpiralRule = { minHeapShareAfter: 0.9, windowSeconds: 60, minCollections: 5 };

/**
 * The goal for a spiralling server: stopped (its heap dump and thread dump taken) at most this long after the
 * spiral's first collection. The rule's window takes 60 s of it; io/bazel-process.ts's watch interval (2 s), the
 * heap dump (0.4-1 s for 128 MB here) and the thread dump take the rest.
 */
export const SPIRAL_STOP_GOAL_SECONDS = 90;

export interface GcSpiralRule {
  /** Share of the heap limit (-Xmx) still in use after every young or full collection of the spiral. */
  readonly minHeapShareAfter: number;
  /** How long, in JVM uptime, the spiral must have gone on: from its first collection to its latest. */
  readonly windowSeconds: number;
  /** The fewest collections it must hold (Bazel's 1m:5). */
  readonly minCollections: number;
}

export interface GcSpiral {
  /** Uptime at the end of the spiral's first collection: the first of the run that leaves the heap that full. */
  readonly sinceUptimeSeconds: number;
  /** Uptime of its latest collection, when the rule is met. */
  readonly atUptimeSeconds: number;
  readonly youngCollections: number;
  readonly fullCollections: number;
  /** The least share of the limit any of its collections left in use. */
  readonly lowestHeapShareAfter: number;
  /** Share of the spiral's time spent in pauses (shown, never judged). */
  readonly pauseShare: number;
}

/**
 * Whether the pauses so far (in log order) end in a spiral, judged against the heap limit (-Xmx): the trailing
 * run of young and full collections that each left at least `minHeapShareAfter` of the limit in use has lasted
 * `windowSeconds` and holds `minCollections`. G1's Remark and Cleanup pauses collect nothing: they neither count
 * nor break the run.
 */
export function gcSpiral(pauses: readonly GcPause[], limitBytes: number, rule: GcSpiralRule = GC_SPIRAL_RULE): GcSpiral | undefined {
  const floor = rule.minHeapShareAfter * limitBytes;
  let first: GcPause | undefined;
  let last: GcPause | undefined;
  let young = 0;
  let full = 0;
  let paused = 0;
  let lowestAfter = Infinity;
  for (let index = pauses.length - 1; index >= 0; index--) {
    const pause = pauses[index]!;
    if (pause.kind === "other") continue;
    if (pause.afterBytes < floor) break;
    last ??= pause;
    first = pause;
    if (pause.kind === "full") full++;
    else young++;
    paused += pause.pauseSeconds;
    lowestAfter = Math.min(lowestAfter, pause.afterBytes);
  }
  if (first === undefined || last === undefined) return undefined;
  const span = last.uptimeSeconds - first.uptimeSeconds;
  if (span < rule.windowSeconds || young + full < rule.minCollections) return undefined;
  return {
    sinceUptimeSeconds: first.uptimeSeconds,
    atUptimeSeconds: last.uptimeSeconds,
    youngCollections: young,
    fullCollections: full,
    lowestHeapShareAfter: lowestAfter / limitBytes,
    pauseShare: span > 0 ? paused / span : 0,
  };
}

/**
 * When the end of a run counts as under memory pressure, which makes a timeout a memory outcome (the
 * build was slow because its heap was too small, and would have run out of it or crawled on): over the
 * run's last minute, half the time or more went to GC pauses, and its last full collection left 80% or
 * more of the heap limit in use. Far below the spiral rule on purpose: a timeout is already a stopped
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
