// What blame reads of a sweep folder when a crash run's heap dump cannot be digested: a server killed while it
// wrote the dump leaves an empty or cut-short file (seen with JDK 25 under Bazel 7.7.1). That run's heap evidence
// is lost, never the blame: the run counts as a crash without a dump, and the result says why.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { blame } from "../../src/core/blame/blame.js";
import { blameRuns } from "../../src/io/blame-inputs.js";
import { FIXTURES_DIR, sweepFixture } from "../helpers/fixtures.js";

const scratch = mkdtempSync(join(tmpdir(), "memory-adventure-blame-inputs-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * The 4.2.3 sweep fixture (two crash runs at 18m), one crash run given the digest of a real reproduction dump
 * (fixtures/bazel-4.2.3/blame/repro-dumps) and the other a dump that cannot be digested, kept as the sweep keeps one.
 */
function sweepWithDump(name: string, dump: Buffer): string {
  const dir = join(scratch, name);
  cpSync(sweepFixture("4.2.3"), dir, { recursive: true });
  cpSync(join(FIXTURES_DIR, "bazel-4.2.3", "blame", "repro-dumps", "runs", "0256m-r01", "heap-digest.json"), join(dir, "runs", "0018m-r01", "heap-digest.json"));
  writeFileSync(join(dir, "runs", "0018m-r02", "heap.hprof"), dump);
  return dir;
}

const hprofHeader = Buffer.concat([Buffer.from("JAVA PROFILE 1.0.2\0"), Buffer.from([0, 0, 0, 8, 0, 0, 1, 0, 0, 0, 0, 0])]);

describe("blameRuns with a heap dump that cannot be digested", () => {
  it.each([
    { why: "an empty dump (killed before it wrote a byte)", dump: Buffer.alloc(0), says: /heap\.hprof: the file is empty, not a heap dump/ },
    { why: "a dump cut short after its header", dump: hprofHeader, says: /heap\.hprof: / },
    { why: "a file that is no heap dump", dump: Buffer.from("not a heap dump\n"), says: /heap\.hprof: / },
  ])("$why: that run counts as a crash without a dump, and the verdict stands on the others", async ({ dump, says }) => {
    const dir = sweepWithDump(`sweep-${says.source.length}-${dump.length}`, dump);
    const problems: string[] = [];
    const runs = await blameRuns(dir, (problem) => problems.push(problem));
    expect(problems).toEqual([]);
    const cut = runs.find((run) => run.id === "0018m-r02")!;
    expect(cut).toMatchObject({ crashed: true, digest: undefined });
    expect(cut.unusableDump).toMatch(says);
    const result = blame(runs, { workspace: undefined, without: new Set() });
    expect(result.unusableDumps).toEqual([{ run: "0018m-r02", problem: cut.unusableDump }]);
    expect(result.runs).toMatchObject({ crashed: 3, withDigest: 1 });
    expect(result.suspects[0]!.function).toBe("traverse_impl");
    // Nothing was written in place of the dump's digest, and the dump itself is kept.
    expect(existsSync(join(dir, "runs", "0018m-r02", "heap-digest.json"))).toBe(false);
    expect(readFileSync(join(dir, "runs", "0018m-r02", "heap.hprof"))).toEqual(dump);
  });
});
