// The GC log reader and the spiral rule, on gc.log files the sweep kept from real sub-builds
// (fixtures/bazel-<version>/gc-log/<case>.log.gz, from fixtures/capture-run-status.mjs: Bazel 4.2.3 on
// JDK 17 and 7.7.1 on JDK 25) and on small edits.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { GC_PRESSURE_RULE, GC_SPIRAL_RULE, gcPressure, gcSpiral, parseGcLog, parseGcPause, peakHeapAfterCollection, SPIRAL_STOP_GOAL_SECONDS, type GcPause, type GcSpiral } from "../../../src/core/run/gc-log.js";

const MIB = 1024 ** 2;

function realLog(version: string, name: string): string {
  const url = new URL(`../../fixtures/bazel-${version}/gc-log/${name}.log.gz`, import.meta.url);
  return gunzipSync(readFileSync(url)).toString("utf8");
}

describe("parseGcPause", () => {
  it.each<{ line: string; pause: GcPause | undefined }>([
    {
      line: "[11.668s][info][gc] GC(383) Pause Full (G1 Compaction Pause) 123M->123M(128M) 72.001ms",
      pause: { uptimeSeconds: 11.668, id: 383, kind: "full", beforeBytes: 123 * MIB, afterBytes: 123 * MIB, committedBytes: 128 * MIB, pauseSeconds: 72.001 / 1000 },
    },
    {
      line: "[0.162s][info][gc] GC(0) Pause Young (Normal) (G1 Evacuation Pause) 12M->5M(84M) 2.568ms",
      pause: { uptimeSeconds: 0.162, id: 0, kind: "young", beforeBytes: 12 * MIB, afterBytes: 5 * MIB, committedBytes: 84 * MIB, pauseSeconds: 2.568 / 1000 },
    },
    {
      // The default decorators pad the tag column.
      line: "[41.906s][info][gc             ] GC(13886) Pause Remark 89M->89M(100M) 8.105ms",
      pause: { uptimeSeconds: 41.906, id: 13886, kind: "other", beforeBytes: 89 * MIB, afterBytes: 89 * MIB, committedBytes: 100 * MIB, pauseSeconds: 8.105 / 1000 },
    },
    {
      line: "[3.001s][info][gc] GC(7) Pause Young (Normal) (G1 Evacuation Pause) 1G->512K(2G) 10ms",
      pause: { uptimeSeconds: 3.001, id: 7, kind: "young", beforeBytes: 1024 * MIB, afterBytes: 512 * 1024, committedBytes: 2048 * MIB, pauseSeconds: 0.01 },
    },
    { line: "[0.003s][info][gc] Using G1", pause: undefined },
    { line: "[5.752s][info][gc,start    ] GC(112) Pause Full (G1 Compaction Pause)", pause: undefined },
    { line: "[9.1s][info][gc] GC(40) Concurrent Mark Cycle 120.5ms", pause: undefined },
    // Cut mid-line by a crash.
    { line: "[11.668s][info][gc] GC(383) Pause Full (G1 Compaction Pause) 123M->12", pause: undefined },
    { line: "", pause: undefined },
  ])("$line", ({ line, pause }) => {
    expect(parseGcPause(line)).toEqual(pause);
  });
});

describe("parseGcLog on real logs", () => {
  it.each([
    { version: "4.2.3", name: "oom", limitMiB: 32 },
    { version: "7.7.1", name: "oom", limitMiB: 32 },
    { version: "4.2.3", name: "ok", limitMiB: 256 },
    { version: "7.7.1", name: "ok", limitMiB: 256 },
    { version: "4.2.3", name: "oom-hang-silent", limitMiB: 128 },
    { version: "4.2.3", name: "thrash-finishes", limitMiB: 82 },
    { version: "7.7.1", name: "spiral-young", limitMiB: 128 },
    { version: "7.7.1", name: "spiral-full", limitMiB: 128 },
    { version: "4.2.3", name: "spiral-young", limitMiB: 120 },
    { version: "4.2.3", name: "spiral-full", limitMiB: 120 },
  ])("Bazel $version, $name run: every pause in order, none above the heap limit", ({ version, name, limitMiB }) => {
    const text = realLog(version, name);
    const pauses = parseGcLog(text);
    const pauseLines = text.split("\n").filter((line) => /\bPause \w+.*ms$/.test(line));
    expect(pauses.length).toBe(pauseLines.length);
    expect(pauses.length).toBeGreaterThan(0);
    for (const [index, pause] of pauses.entries()) {
      expect(pause.committedBytes).toBeLessThanOrEqual(limitMiB * MIB);
      if (index > 0) expect(pause.uptimeSeconds).toBeGreaterThanOrEqual(pauses[index - 1]!.uptimeSeconds);
    }
  });

  it("a log cut anywhere keeps every whole line before the cut", () => {
    const text = realLog("4.2.3", "oom");
    const whole = parseGcLog(text);
    for (const fraction of [0.1, 0.5, 0.77, 0.999]) {
      const cut = text.slice(0, Math.floor(text.length * fraction));
      const pauses = parseGcLog(cut);
      expect(whole.slice(0, pauses.length)).toEqual(pauses);
      expect(pauses.length).toBeGreaterThanOrEqual(whole.length * fraction * 0.8);
    }
  });
});

/** Back-to-back collections of a full heap: `seconds` of them, `pauseShare` of the time paused. */
function collections(seconds: number, pauseShare: number, afterMiB: number, limitMiB: number, startSeconds = 5, kind: GcPause["kind"] = "full"): GcPause[] {
  const pauses: GcPause[] = [];
  const period = 0.5;
  for (let t = startSeconds + period; t <= startSeconds + seconds + 1e-9; t += period) {
    pauses.push({ uptimeSeconds: t, id: pauses.length, kind, beforeBytes: limitMiB * MIB, afterBytes: afterMiB * MIB, committedBytes: limitMiB * MIB, pauseSeconds: period * pauseShare });
  }
  return pauses;
}

/**
 * What the sweep's watch sees of a log as the server writes it: every 2 s of uptime, the pauses so far. Returns the
 * first spiral found, if any.
 */
function firstSpiral(pauses: readonly GcPause[], limitBytes: number): GcSpiral | undefined {
  let end = 0;
  for (let uptime = 2; end < pauses.length; uptime += 2) {
    while (end < pauses.length && pauses[end]!.uptimeSeconds <= uptime) end++;
    const spiral = gcSpiral(pauses.slice(0, end), limitBytes);
    if (spiral !== undefined) return spiral;
  }
  return undefined;
}

describe("gcSpiral", () => {
  it("real out-of-memory crashes end before a spiral could be told, on both generations", () => {
    for (const version of ["4.2.3", "7.7.1"]) {
      const pauses = parseGcLog(realLog(version, "oom"));
      expect(pauses.at(-1)!.uptimeSeconds).toBeLessThan(GC_SPIRAL_RULE.windowSeconds);
      expect(firstSpiral(pauses, 32 * MIB)).toBeUndefined();
    }
  });

  it("healthy real builds never come near it", () => {
    for (const [version, name] of [["4.2.3", "ok"], ["7.7.1", "ok"], ["4.2.3", "failed"], ["4.2.3", "timeout"]] as const) {
      expect(firstSpiral(parseGcLog(realLog(version, name)), 256 * MIB)).toBeUndefined();
    }
  });

  // The spiral workspace's runs (fixtures/capture-spiral.mjs), each a sweep's run that the sweep stopped: the log
  // ends at the stop, after the heap dump and the thread dump.
  it.each([
    { version: "7.7.1", kind: "young", limitMiB: 128 },
    { version: "7.7.1", kind: "full", limitMiB: 128 },
    { version: "4.2.3", kind: "young", limitMiB: 120 },
    { version: "4.2.3", kind: "full", limitMiB: 120 },
  ])("Bazel $version's $kind-collection spiral at $limitMiB MiB: told a minute after its first collection, stopped within the goal", ({ version, kind, limitMiB }) => {
    const pauses = parseGcLog(realLog(version, `spiral-${kind}`));
    const spiral = firstSpiral(pauses, limitMiB * MIB);
    expect(spiral).toBeDefined();
    const { sinceUptimeSeconds: first, atUptimeSeconds: detected } = spiral!;
    // Told as soon as the minute was full, at the watch's next look.
    expect(detected - first).toBeGreaterThanOrEqual(GC_SPIRAL_RULE.windowSeconds);
    expect(detected - first).toBeLessThan(GC_SPIRAL_RULE.windowSeconds + 3);
    // The last collection the server logged came just before the sweep killed it.
    const stopped = pauses.at(-1)!.uptimeSeconds;
    expect(stopped - first).toBeLessThanOrEqual(SPIRAL_STOP_GOAL_SECONDS);
    expect(stopped - detected).toBeLessThan(10);
    // Both kinds of collection, however much of the time they took: never the 98% of Bazel's or the JVM's overhead limits.
    expect(spiral!.youngCollections).toBeGreaterThan(1000);
    expect(spiral!.fullCollections).toBeGreaterThan(50);
    expect(spiral!.pauseShare).toBeLessThan(0.8);
    if (kind === "young") expect(spiral!.youngCollections / (spiral!.youngCollections + spiral!.fullCollections)).toBeGreaterThan(0.9);
  });

  it("a real build that crawls for five minutes at 95% live, and then finishes, is stopped a minute into its crawl: no line keeps it and the spirals", () => {
    const pauses = parseGcLog(realLog("4.2.3", "thrash-finishes"));
    expect(pauses.filter((pause) => pause.kind === "full").length).toBeGreaterThan(5000);
    expect(pauses.at(-1)!.uptimeSeconds).toBeGreaterThan(5 * GC_SPIRAL_RULE.windowSeconds);
    expect(firstSpiral(pauses, 82 * MIB)).toMatchObject({ atUptimeSeconds: expect.closeTo(64, 0) });
    // Only a threshold above its 95% lets it finish, and then the spirals go on too.
    const above = { ...GC_SPIRAL_RULE, minHeapShareAfter: 0.96 };
    expect(gcSpiral(pauses, 82 * MIB, above)).toBeUndefined();
    for (const [version, limitMiB] of [["7.7.1", 128], ["4.2.3", 120]] as const) {
      for (const kind of ["young", "full"]) expect(gcSpiral(parseGcLog(realLog(version, `spiral-${kind}`)), limitMiB * MIB, above)).toBeUndefined();
    }
  });

  it("a minute of full collections that free nothing is a spiral, whatever share of the time they take", () => {
    for (const pauseShare of [0.99, 0.5, 0.05]) {
      const spiral = gcSpiral(collections(61, pauseShare, 127, 128), 128 * MIB);
      expect(spiral).toMatchObject({ sinceUptimeSeconds: 5.5, atUptimeSeconds: 66, fullCollections: 122, youngCollections: 0 });
      expect(spiral!.pauseShare).toBeCloseTo(pauseShare * (122 / 121), 2);
      expect(spiral!.lowestHeapShareAfter).toBeCloseTo(127 / 128, 3);
    }
  });

  it("so is a minute of young collections that free nothing (Bazel's own detector counts full ones only)", () => {
    expect(gcSpiral(collections(61, 0.3, 125, 128, 5, "young"), 128 * MIB)).toMatchObject({ youngCollections: 122, fullCollections: 0 });
  });

  it.each([
    { why: "under a minute of it", pauses: collections(59, 0.99, 127, 128, 0) },
    { why: "each collection leaves 89% of the heap", pauses: collections(61, 0.99, 0.89 * 128, 128) },
    { why: "four collections in a minute (Bazel's 1m:5)", pauses: collections(61, 0.99, 127, 128).filter((_, index) => index % 40 === 0) },
    { why: "no pause at all", pauses: [] },
  ])("not a spiral: $why", ({ pauses }) => {
    expect(gcSpiral(pauses, 128 * MIB)).toBeUndefined();
  });

  it("judges the heap against the limit, not the heap the JVM has committed so far", () => {
    // 127 MiB live of a 256 MiB limit: the JVM could still grow its heap.
    expect(gcSpiral(collections(61, 0.99, 127, 128), 256 * MIB)).toBeUndefined();
  });

  it("a collection that frees more starts the count afresh, as in Bazel's detector", () => {
    const freed: GcPause = { uptimeSeconds: 40, id: 999, kind: "young", beforeBytes: 127 * MIB, afterBytes: 100 * MIB, committedBytes: 128 * MIB, pauseSeconds: 0.01 };
    const pauses = [...collections(35, 0.9, 127, 128), freed, ...collections(61, 0.9, 127, 128, 40)];
    expect(gcSpiral(pauses.filter((pause) => pause.uptimeSeconds <= 99), 128 * MIB)).toBeUndefined();
    expect(gcSpiral(pauses, 128 * MIB)).toMatchObject({ sinceUptimeSeconds: 40.5 });
  });

  it("G1's Remark and Cleanup pauses, which collect nothing, neither count nor break it", () => {
    const remark: GcPause = { uptimeSeconds: 30.2, id: 998, kind: "other", beforeBytes: 90 * MIB, afterBytes: 90 * MIB, committedBytes: 128 * MIB, pauseSeconds: 0.01 };
    const pauses = [...collections(61, 0.9, 127, 128)];
    pauses.splice(50, 0, remark);
    expect(gcSpiral(pauses, 128 * MIB)).toMatchObject({ fullCollections: 122, youngCollections: 0 });
  });
});

describe("gcPressure: does a timeout count as a memory outcome", () => {
  it.each([
    { version: "4.2.3", name: "ok", limitMiB: 256, pressure: false },
    { version: "7.7.1", name: "ok", limitMiB: 256, pressure: false },
    { version: "4.2.3", name: "failed", limitMiB: 256, pressure: false },
    // //:slow sleeping in its action: a few collections at the start, then nothing for 100 s.
    { version: "4.2.3", name: "timeout", limitMiB: 256, pressure: false, quietSeconds: 100 },
    { version: "4.2.3", name: "timeout", limitMiB: 256, pressure: false },
    // The server that hung at 128m: three quarters of the time in GC, the heap full after each collection.
    { version: "4.2.3", name: "oom-hang-silent", limitMiB: 128, pressure: true },
    // The build that crawled at 82m ended with its heap freed: at its end, no pressure.
    { version: "4.2.3", name: "thrash-finishes", limitMiB: 82, pressure: false },
  ])("Bazel $version $name run, quiet for $quietSeconds s at the end: $pressure", ({ version, name, limitMiB, pressure, quietSeconds }) => {
    expect(gcPressure(parseGcLog(realLog(version, name)), limitMiB * MIB, quietSeconds).underPressure).toBe(pressure);
  });

  it("the build that crawled at 82m was under pressure all through its crawl, where a timeout would have stopped it", () => {
    const pauses = parseGcLog(realLog("4.2.3", "thrash-finishes"));
    for (const minute of [2, 3, 4, 5]) {
      const verdict = gcPressure(pauses.filter((pause) => pause.uptimeSeconds <= minute * 60), 82 * MIB);
      expect(verdict.underPressure, `at ${minute} min: ${JSON.stringify(verdict)}`).toBe(true);
    }
  });

  it("a run that went quiet after its last collection is judged on its last minute, not its log's", () => {
    const pauses = collections(61, 0.99, 127, 128);
    expect(gcPressure(pauses, 128 * MIB).underPressure).toBe(true);
    expect(gcPressure(pauses, 128 * MIB, 30).underPressure).toBe(false);
    expect(gcPressure(pauses, 128 * MIB, 120)).toEqual({ underPressure: false, pauseShare: 0, heapShareAfterFull: undefined });
  });

  it.each([
    { why: "half the time in GC with 80% of the heap live", pauseShare: 0.5, afterMiB: 0.8 * 128, pressure: true },
    { why: "a little under half the time in GC", pauseShare: 0.48, afterMiB: 120, pressure: false },
    { why: "a little under 80% of the heap live", pauseShare: 0.9, afterMiB: 0.78 * 128, pressure: false },
  ])("$why: $pressure", ({ pauseShare, afterMiB, pressure }) => {
    expect(gcPressure(collections(61, pauseShare, afterMiB, 128), 128 * MIB).underPressure).toBe(pressure);
    expect(GC_PRESSURE_RULE).toMatchObject({ minPauseShare: 0.5, minHeapShareAfterFull: 0.8 });
  });

  it.each([
    { why: "no pause at all", pauses: [] },
    { why: "no full collection in the last minute", pauses: collections(61, 0.99, 127, 128).map((pause) => ({ ...pause, kind: "young" as const })) },
  ])("no pressure: $why", ({ pauses }) => {
    expect(gcPressure(pauses, 128 * MIB).underPressure).toBe(false);
  });

  it("a short run is judged on all of it", () => {
    const verdict = gcPressure(collections(20, 0.9, 120, 128, 0), 128 * MIB);
    expect(verdict.underPressure).toBe(true);
    expect(verdict.pauseShare).toBeCloseTo(0.9, 2);
  });
});

describe("peakHeapAfterCollection", () => {
  const pause = (kind: GcPause["kind"], afterMiB: number): GcPause => ({ uptimeSeconds: 1, id: 0, kind, beforeBytes: 0, afterBytes: afterMiB * MIB, committedBytes: 0, pauseSeconds: 0 });

  it.each<{ name: string; pauses: GcPause[]; peakMiB: number | undefined }>([
    { name: "no collection", pauses: [], peakMiB: undefined },
    { name: "the largest after a young or a full collection", pauses: [pause("young", 30), pause("full", 80), pause("young", 50)], peakMiB: 80 },
    // Remark and Cleanup pauses report the heap as it is mid-cycle: nothing was collected.
    { name: "G1's concurrent-cycle pauses left out", pauses: [pause("young", 30), pause("other", 430)], peakMiB: 30 },
    { name: "only concurrent-cycle pauses", pauses: [pause("other", 430)], peakMiB: undefined },
  ])("$name", ({ pauses, peakMiB }) => {
    expect(peakHeapAfterCollection(pauses)).toBe(peakMiB === undefined ? undefined : peakMiB * MIB);
  });

  it.each([
    ["4.2.3", "ok"],
    ["4.2.3", "oom"],
    ["7.7.1", "ok"],
    ["7.7.1", "oom"],
  ])("on a real %s log (%s): the largest 'after' of its Young and Full pause lines", (version, name) => {
    const text = realLog(version, name);
    const afters = [...text.matchAll(/Pause (?:Young|Full)\b.* \d+M->(\d+)M\(/g)].map((match) => Number(match[1]) * MIB);
    expect(afters.length).toBeGreaterThan(0);
    expect(peakHeapAfterCollection(parseGcLog(text))).toBe(Math.max(...afters));
  });
});
