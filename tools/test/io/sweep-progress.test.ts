// The sweep's progress on a stream that keeps what is written to it (a terminal's screen as screenAfter shows it,
// or a pipe): a crash run whose heap dump cannot be digested, digested as io/sweep-runner.ts does: a dump cut short
// after its header, as a server killed while writing it leaves it.
import { mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_DIGEST_TOP } from "../../src/core/heap/heap-digest.js";
import type { RunRecord } from "../../src/core/run/run-record.js";
import type { PlannedRun } from "../../src/core/sweep/sweep-plan.js";
import { PROGRESS_DELAY_VARIABLE, withDigestProgress } from "../../src/io/digest-progress.js";
import { digestDumpFile } from "../../src/io/heap-dumps.js";
import { readRunRecords } from "../../src/io/sweep-folder.js";
import { SweepProgress } from "../../src/io/sweep-progress.js";
import { digestFailedLine, runFinishedLine, runStartedLine } from "../../src/render/sweep.js";
import { sweepFixture } from "../helpers/fixtures.js";
import { screenAfter } from "../helpers/terminal-screen.js";

const scratch = mkdtempSync(join(tmpdir(), "memory-adventure-sweep-progress-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

/** An HPROF header (8-byte ids) and nothing after it. */
const cutDump = join(scratch, "heap.hprof");
writeFileSync(cutDump, Buffer.concat([Buffer.from("JAVA PROFILE 1.0.2\0"), Buffer.from([0, 0, 0, 8, 0, 0, 1, 0, 0, 0, 0, 0])]));

const record: RunRecord = (await readRunRecords(sweepFixture("4.2.3"))).find((run) => run.status === "oom")!;
const run: PlannedRun = { id: record.id, limit: { spelling: record.limit, bytes: record.limitBytes }, iteration: record.iteration, warmup: record.warmup };
const runDir = join(scratch, "runs", record.id);

/** A terminal (or a pipe) that keeps what is written to it. */
function fakeTerminal(isTTY: boolean): { stream: { isTTY: boolean; columns: number; write(text: string): boolean }; writes: string[] } {
  const writes: string[] = [];
  return { stream: { isTTY, columns: 400, write: (text) => writes.push(text) > 0 }, writes };
}

/** The cut dump digested under `progress` as the sweep digests a crash run's dump; the reason it failed. */
async function failedDigest(progress: SweepProgress): Promise<string> {
  const failure = await withDigestProgress(
    () => progress.digestProgress(),
    (observer) => digestDumpFile(cutDump, { top: DEFAULT_DIGEST_TOP, observer }),
  ).then(
    () => undefined,
    (error: unknown) => error as Error,
  );
  expect(failure?.message).toMatch(/heap\.hprof: the dump holds no objects: it was cut short /);
  progress.digestFailed(runDir, failure!.message);
  return failure!.message;
}

describe("a crash run's dump that cannot be digested, during a sweep", () => {
  // The digest's progress shows at once, so that the sweep's line holds it when the digest fails.
  beforeEach(() => void vi.stubEnv(PROGRESS_DELAY_VARIABLE, "0"));
  afterEach(() => void vi.unstubAllEnvs());

  it("on a terminal, is a line of its own above the sweep's line, not at the end of it", async () => {
    const { stream, writes } = fakeTerminal(true);
    const progress = new SweepProgress(true, undefined, stream);
    try {
      progress.runStarted(1, 2, run);
      const reason = await failedDigest(progress);
      // The line held the digest's progress before it failed.
      expect(writes.some((text) => screenAfter(text)[0]?.includes("heap digest 1/6: reading the dump"))).toBe(true);
      const failureLine = digestFailedLine(runDir, reason).trimEnd();
      const runLine = new RegExp(`^run 1 of 2  ${record.id} \\(limit ${record.limit}\\)  elapsed \\S+$`);
      expect(screenAfter(writes.join(""))).toEqual([failureLine, expect.stringMatching(runLine)]);
      // The finished run's line then takes the sweep's line's place, below the failure.
      progress.runFinished(record);
      expect(screenAfter(writes.join(""))).toEqual([failureLine, runFinishedLine(record).trimEnd()]);
    } finally {
      progress.finish();
    }
  });

  it("elsewhere, is a plain line between the run's two, with nothing drawn", async () => {
    const { stream, writes } = fakeTerminal(false);
    const progress = new SweepProgress(false, undefined, stream);
    try {
      progress.runStarted(1, 2, run);
      const reason = await failedDigest(progress);
      progress.runFinished(record);
      expect(writes).toEqual([runStartedLine(1, 2, run), digestFailedLine(runDir, reason), runFinishedLine(record)]);
    } finally {
      progress.finish();
    }
  });
});
