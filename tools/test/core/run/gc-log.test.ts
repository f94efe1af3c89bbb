// The GC log reader and the thrashing rule, on gc.log files the sweep kept from real sub-builds
// (fixtures/bazel-<version>/gc-log/<case>.log.gz, from fixtures/capture-run-status.mjs: Bazel 4.2.3 on
// JDK 17 and 7.7.1 on JDK 25) and on small edits.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { GC_PRESSURE_RULE, GC_THRASH_RULE, gcPressure, gcThrashing, parseGcLog, parseGcPause, peakHeapAfterCollection, type GcPause } from "../../../src/core/run/gc-log.js";

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

/** Back-to-back full collections of a full heap: `seconds` of them, `pauseShare` of the time paused. */
function thrashing(seconds: number, pauseShare: number, afterMiB: number, limitMiB: number, startSeconds = 5): GcPause[] {
  const pauses: GcPause[] = [];
  const period = 0.5;
  for (let t = startSeconds + period; t <= startSeconds + seconds + 1e-9; t += period) {
    pauses.push({ uptimeSeconds: t, id: pauses.length, kind: "full", beforeBytes: limitMiB * MIB, afterBytes: afterMiB * MIB, committedBytes: limitMiB * MIB, pauseSeconds: period * pauseShare });
  }
  return pauses;
}

describe("gcThrashing", () => {
  it("real out-of-memory crashes end before the rule's window fills, on both generations", () => {
    for (const version of ["4.2.3", "7.7.1"]) {
      const pauses = parseGcLog(realLog(version, "oom"));
      expect(pauses.at(-1)!.uptimeSeconds).toBeLessThan(GC_THRASH_RULE.windowSeconds);
      expect(gcThrashing(pauses, 32 * MIB)).toBeUndefined();
    }
  });

  it("a real build that spends 95% of five minutes in full collections, and then finishes, is not thrashing", () => {
    const pauses = parseGcLog(realLog("4.2.3", "thrash-finishes"));
    expect(pauses.filter((pause) => pause.kind === "full").length).toBeGreaterThan(5000);
    expect(pauses.at(-1)!.uptimeSeconds).toBeGreaterThan(5 * GC_THRASH_RULE.windowSeconds);
    // At every point of the build, not only at its end; the JVM was making progress all along.
    let worst = 0;
    for (let end = 1; end <= pauses.length; end += 25) {
      const seen = pauses.slice(0, end);
      expect(gcThrashing(seen, 82 * MIB)).toBeUndefined();
      worst = Math.max(worst, gcThrashing(seen, 82 * MIB, { ...GC_THRASH_RULE, minPauseShare: 0, minHeapShareAfterFull: 0 })?.pauseShare ?? 0);
    }
    expect(worst).toBeGreaterThan(0.95);
  });

  it("a minute of nothing but full collections that free nothing is thrashing", () => {
    const verdict = gcThrashing(thrashing(61, 0.99, 127, 128), 128 * MIB);
    expect(verdict).toMatchObject({ fullCollections: 120 });
    expect(verdict!.pauseShare).toBeCloseTo(0.99, 2);
    expect(verdict!.heapShareAfterFull).toBeCloseTo(127 / 128, 3);
  });

  it.each([
    { why: "under a minute of it", pauses: thrashing(55, 0.99, 127, 128, 0) },
    { why: "the mutator gets 5% of the time", pauses: thrashing(61, 0.95, 127, 128) },
    { why: "each full collection frees 5% of the heap", pauses: thrashing(61, 0.99, 121.6, 128) },
    { why: "no full collection in the window", pauses: thrashing(61, 0.99, 127, 128).map((pause) => ({ ...pause, kind: "young" as const })) },
    { why: "no pause at all", pauses: [] },
  ])("not thrashing: $why", ({ pauses }) => {
    expect(gcThrashing(pauses, 128 * MIB)).toBeUndefined();
  });

  it("judges the heap against the limit, not the heap the JVM has committed so far", () => {
    // 127 MiB live of a 256 MiB limit: the JVM could still grow its heap.
    expect(gcThrashing(thrashing(61, 0.99, 127, 128), 256 * MIB)).toBeUndefined();
  });

  it("only the last minute counts: thrashing that gave way to progress is over", () => {
    const recovered: GcPause[] = [
      ...thrashing(61, 0.99, 127, 128),
      { uptimeSeconds: 100, id: 999, kind: "young", beforeBytes: 100 * MIB, afterBytes: 60 * MIB, committedBytes: 128 * MIB, pauseSeconds: 0.01 },
    ];
    expect(gcThrashing(recovered, 128 * MIB)).toBeUndefined();
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
    const pauses = thrashing(61, 0.99, 127, 128);
    expect(gcPressure(pauses, 128 * MIB).underPressure).toBe(true);
    expect(gcPressure(pauses, 128 * MIB, 30).underPressure).toBe(false);
    expect(gcPressure(pauses, 128 * MIB, 120)).toEqual({ underPressure: false, pauseShare: 0, heapShareAfterFull: undefined });
  });

  it.each([
    { why: "half the time in GC with 80% of the heap live", pauseShare: 0.5, afterMiB: 0.8 * 128, pressure: true },
    { why: "a little under half the time in GC", pauseShare: 0.48, afterMiB: 120, pressure: false },
    { why: "a little under 80% of the heap live", pauseShare: 0.9, afterMiB: 0.78 * 128, pressure: false },
  ])("$why: $pressure", ({ pauseShare, afterMiB, pressure }) => {
    expect(gcPressure(thrashing(61, pauseShare, afterMiB, 128), 128 * MIB).underPressure).toBe(pressure);
    expect(GC_PRESSURE_RULE).toMatchObject({ minPauseShare: 0.5, minHeapShareAfterFull: 0.8 });
  });

  it.each([
    { why: "no pause at all", pauses: [] },
    { why: "no full collection in the last minute", pauses: thrashing(61, 0.99, 127, 128).map((pause) => ({ ...pause, kind: "young" as const })) },
  ])("no pressure: $why", ({ pauses }) => {
    expect(gcPressure(pauses, 128 * MIB).underPressure).toBe(false);
  });

  it("a short run is judged on all of it", () => {
    const verdict = gcPressure(thrashing(20, 0.9, 120, 128, 0), 128 * MIB);
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
