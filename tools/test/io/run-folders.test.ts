// The artifacts `stats` reads besides the profile, on the real fixtures of both Bazel versions.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { parseGcLog, peakHeapAfterCollection } from "../../src/core/run/gc-log.js";
import { summarizeMemoryProfile } from "../../src/core/profile/memory-profile.js";
import { runStats } from "../../src/core/run/run-stats.js";
import { findRuns, loadSweep } from "../../src/io/run-folders.js";
import { runSummary, summarizeBep } from "../../src/io/run-summary.js";
import { BAZEL_VERSIONS, sweepFixture } from "../helpers/fixtures.js";

describe.each(BAZEL_VERSIONS)("run folders of the Bazel %s sweep fixture", (version) => {
  it("finds every run with run.json, sorted by limit, warm-ups first", async () => {
    const runs = await findRuns(sweepFixture(version));
    const lines = readFileSync(join(sweepFixture(version), "runs.jsonl"), "utf8").trim().split("\n");
    expect(runs.map((run) => run.record)).toEqual(
      expect.arrayContaining(lines.map((line) => JSON.parse(line) as unknown)),
    );
    expect(runs).toHaveLength(lines.length);
    const order = runs.map((run) => [run.record.limitBytes, run.record.warmup ? 0 : 1, run.record.iteration]);
    expect(order).toEqual([...order].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!));
  });

  it("reads the peak heap of the memory profile: the largest heap:used line", async () => {
    for (const run of await findRuns(sweepFixture(version))) {
      const file = run.record.artifacts.memoryProfile;
      if (file === undefined) continue;
      const text = readFileSync(join(run.dir, file), "utf8");
      const used = [...text.matchAll(/:heap:used:(\d+)$/gm)].map((match) => Number(match[1]));
      expect(summarizeMemoryProfile(text).peakHeapUsedBytes).toBe(used.length === 0 ? undefined : Math.max(...used));
    }
  });

  it("reads how the build ended and the memory metrics from the BEP file", async () => {
    for (const run of await findRuns(sweepFixture(version))) {
      const file = run.record.artifacts.bep;
      if (file === undefined) continue;
      const text = readFileSync(join(run.dir, file), "utf8");
      const bep = await summarizeBep(join(run.dir, file));
      const peak = /"peakPostGcHeapSize":"(\d+)"/.exec(text)?.[1];
      expect(bep.peakPostGcHeapBytes).toBe(peak === undefined || peak === "0" ? undefined : Number(peak));
      if (run.record.status === "ok") expect(bep.exitCodeName).toBe("SUCCESS");
      if (text.includes('"reason":"OUT_OF_MEMORY"')) expect(bep.abortedReason).toBe("OUT_OF_MEMORY");
    }
  });

  it("takes the peak heap from the best source there is", async () => {
    for (const run of (await loadSweep(sweepFixture(version), { heapDigests: false })).runs) {
      const stats = runStats(run.record, run.summary);
      if (stats.peakHeapSource === null) continue;
      // 7.x profiles carry the JVM memory counter; 4.2.3 has neither that nor BEP memory metrics.
      if (version === "4.2.3") expect(stats.peakHeapSource).toBe("memory-profile");
      if (version === "7.7.1" && (stats.eventsRecovered ?? 0) > 0) expect(stats.peakHeapSource).toBe("profile-counter");
    }
  });

  it("takes the peak heap from the GC log before the memory profile, and after the profile's counter", async () => {
    const [original] = (await findRuns(sweepFixture(version))).filter((run) => run.record.status === "ok" && !run.record.warmup);
    const dir = mkdtempSync(join(tmpdir(), "memory-adventure-gc-peak-"));
    try {
      cpSync(original!.dir, dir, { recursive: true });
      writeFileSync(join(dir, "gc.log"), gunzipSync(readFileSync(new URL(`../fixtures/bazel-${version}/gc-log/ok.log.gz`, import.meta.url))));
      const run = { dir, record: { ...original!.record, artifacts: { ...original!.record.artifacts, gcLog: "gc.log" } } };
      const stats = runStats(run.record, await runSummary(run.dir, run.record));
      if (version === "4.2.3") {
        const text = readFileSync(join(dir, "gc.log"), "utf8");
        expect(stats).toMatchObject({ peakHeapSource: "gc-log", peakHeapBytes: peakHeapAfterCollection(parseGcLog(text)) });
      } else {
        expect(stats.peakHeapSource).toBe("profile-counter");
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
