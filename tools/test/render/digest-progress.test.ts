import { describe, expect, it } from "vitest";
import { DIGEST_PHASES } from "../../src/core/heap/digest-phases.js";
import { parseLimit } from "../../src/core/sweep/heap-limit.js";
import { digestProgressText } from "../../src/render/digest-progress.js";
import { progressLine } from "../../src/render/sweep.js";

const MIB = 2 ** 20;

describe("digestProgressText", () => {
  it("names every phase with its place among them", () => {
    const texts = DIGEST_PHASES.map((phase) => digestProgressText({ phase }));
    expect(texts).toEqual([
      "heap digest 1/6: reading the dump",
      "heap digest 2/6: resolving references",
      "heap digest 3/6: tracing reachable objects",
      "heap digest 4/6: finding Starlark stacks",
      "heap digest 5/6: computing the dominator tree",
      "heap digest 6/6: attributing retained bytes",
    ]);
  });

  it("gives the bytes read, their share and the rate while reading", () => {
    expect(digestProgressText({ phase: "read", bytes: { done: 1536 * MIB, total: 3 * 1024 * MIB, perSecond: 120.25 * MIB } })).toBe(
      "heap digest 1/6: reading the dump, 1.50 GiB of 3.00 GiB (50%), 120.3 MiB/s",
    );
  });

  it("leaves out the rate before any time has passed", () => {
    expect(digestProgressText({ phase: "read", bytes: { done: 0, total: 10 * MIB, perSecond: undefined } })).toBe("heap digest 1/6: reading the dump, 0 B of 10.0 MiB (0%)");
  });
});

describe("the sweep's progress line during a digest", () => {
  it("shows the digest after the run, before the times", () => {
    const run = { id: "0160m-r01", limit: parseLimit("160m"), iteration: 1, warmup: false };
    const line = progressLine({ position: 3, total: 5, run, elapsedSeconds: 200, etaSeconds: undefined, lastStatus: "oom", digest: { phase: "dominators" } });
    expect(line).toBe("run 3 of 5  0160m-r01 (limit 160m)  heap digest 5/6: computing the dominator tree  elapsed 3m20s  last: oom");
  });
});
