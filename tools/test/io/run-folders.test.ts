// The artifacts `stats` reads besides the profile, on the real fixtures of both Bazel versions.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { summarizeMemoryProfile } from "../../src/core/memory-profile.js";
import { findRuns, readRunStats } from "../../src/io/run-folders.js";
import { summarizeBep } from "../../src/io/run-summary.js";
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
    for (const run of await findRuns(sweepFixture(version))) {
      const stats = await readRunStats(run);
      if (stats.peakHeapSource === null) continue;
      // 7.x profiles carry the JVM memory counter; 4.2.3 has neither that nor BEP memory metrics.
      if (version === "4.2.3") expect(stats.peakHeapSource).toBe("memory-profile");
      if (version === "7.7.1" && (stats.eventsRecovered ?? 0) > 0) expect(stats.peakHeapSource).toBe("profile-counter");
    }
  });
});
