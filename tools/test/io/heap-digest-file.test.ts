// heap-digest.json, read by its one reader (io/heap-digest-file.ts) for `heap`, blame and the report alike; and
// what a sweep loaded for blame (io/run-folders.ts loadSweep) makes of a crash run whose heap evidence is unusable:
// a server killed while it wrote the dump leaves an empty or cut-short file (seen with JDK 25 under Bazel 7.7.1).
// That run's heap evidence is lost, never the blame: the run counts as a crash without a dump, and the result
// says why.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { blameOf } from "../../src/flows/blame.js";
import { readHeapDigestFile } from "../../src/io/heap-digest-file.js";
import { loadSweep } from "../../src/io/run-folders.js";
import { FIXTURES_DIR, sweepFixture } from "../helpers/fixtures.js";

const scratch = mkdtempSync(join(tmpdir(), "memory-adventure-heap-digest-file-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A digest of schema 1 as sweeps wrote it into users' folders: a real reproduction dump's (Bazel 4.2.3). */
const reproDigest = join(FIXTURES_DIR, "bazel-4.2.3", "blame", "repro-dumps", "runs", "0256m-r01", "heap-digest.json");

describe("readHeapDigestFile", () => {
  it("reads a heap-digest.json of schema 1, as sweeps have written them", async () => {
    const digest = await readHeapDigestFile(reproDigest);
    expect(digest).toEqual(JSON.parse(readFileSync(reproDigest, "utf8")));
    expect(digest.schema).toBe(1);
    expect(digest.suspects[0]!.function).toBe("traverse_impl");
  });

  it.each([
    { why: "a file cut short", text: () => readFileSync(reproDigest, "utf8").slice(0, 500), says: /heap-digest\.json: not a heap digest \(.*JSON.*\); delete it to digest the dump again$/ },
    { why: "another schema", text: () => JSON.stringify({ ...JSON.parse(readFileSync(reproDigest, "utf8")), schema: 99 }), says: /heap-digest\.json: not a heap digest this version reads \(.*schema 99.*\); delete it, or digest the dump again with this version$/ },
    { why: "heap --json's list of digests", text: () => JSON.stringify({ schema: 1, dumps: [{ source: "x.hprof", ...JSON.parse(readFileSync(reproDigest, "utf8")) }] }), says: /not a heap digest this version reads \(it holds heap --json's list of digests, not one run's\)/ },
    { why: "someone else's JSON", text: () => '{"name":"mine"}', says: /heap-digest\.json: not a heap digest this version reads \(/ },
  ])("refuses $why in one line naming the file", async ({ text, says }) => {
    const path = join(mkdtempSync(join(scratch, "digest-")), "heap-digest.json");
    writeFileSync(path, text());
    const error = await readHeapDigestFile(path).then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );
    expect(error?.name).toBe("InputError");
    expect(error?.message).not.toContain("\n");
    expect(error?.message).toMatch(says);
  });
});

/**
 * The 4.2.3 sweep fixture (two crash runs at 18m), one crash run given the digest of a real reproduction dump
 * and the other `evidence` in its folder: a dump kept as the sweep keeps one, or a heap-digest.json.
 */
function sweepWith(name: string, evidence: { readonly file: string; readonly content: Buffer | string }): string {
  const dir = join(scratch, name);
  cpSync(sweepFixture("4.2.3"), dir, { recursive: true });
  cpSync(reproDigest, join(dir, "runs", "0018m-r01", "heap-digest.json"));
  writeFileSync(join(dir, "runs", "0018m-r02", evidence.file), evidence.content);
  return dir;
}

const hprofHeader = Buffer.concat([Buffer.from("JAVA PROFILE 1.0.2\0"), Buffer.from([0, 0, 0, 8, 0, 0, 1, 0, 0, 0, 0, 0])]);

describe("a sweep loaded for blame, with a crash run's heap evidence unusable", () => {
  it.each([
    { why: "an empty dump (killed before it wrote a byte)", evidence: { file: "heap.hprof", content: Buffer.alloc(0) }, says: /heap\.hprof: the file is empty, not a heap dump/ },
    { why: "a dump cut short after its header", evidence: { file: "heap.hprof", content: hprofHeader }, says: /heap\.hprof: / },
    { why: "a file that is no heap dump", evidence: { file: "heap.hprof", content: Buffer.from("not a heap dump\n") }, says: /heap\.hprof: / },
    { why: "a heap-digest.json cut short, and no dump to digest again", evidence: { file: "heap-digest.json", content: '{"schema":1,"dump":' }, says: /heap-digest\.json: not a heap digest / },
  ])("$why: that run counts as a crash without a dump, and the verdict stands on the others", async ({ evidence, says }) => {
    const dir = sweepWith(`sweep-${evidence.file}-${says.source.length}-${evidence.content.length}`, evidence);
    const problems: string[] = [];
    const sweep = await loadSweep(dir, { heapDigests: true, onUnreadable: (run) => problems.push(run.problem) });
    expect(problems).toEqual([]);
    const cut = sweep.runs.find((run) => run.record.id === "0018m-r02")!;
    expect(cut.heap?.digest).toBeUndefined();
    expect(cut.heap?.unusableDump).toMatch(says);
    const result = blameOf([sweep], new Set());
    expect(result.unusableDumps).toEqual([{ run: "0018m-r02", problem: cut.heap!.unusableDump }]);
    expect(result.runs).toMatchObject({ crashed: 3, withDigest: 1 });
    expect(result.suspects[0]!.function).toBe("traverse_impl");
    // What was in the run folder is left as it was: nothing written in place of a digest, the dump kept.
    expect(readFileSync(join(dir, "runs", "0018m-r02", evidence.file))).toEqual(Buffer.from(evidence.content));
    if (evidence.file === "heap.hprof") expect(existsSync(join(dir, "runs", "0018m-r02", "heap-digest.json"))).toBe(false);
  });

  it("reads no heap digest when not asked to (stats), and none for runs that did not crash", async () => {
    const dir = sweepWith("sweep-no-digests", { file: "heap.hprof", content: Buffer.alloc(0) });
    const withoutDigests = await loadSweep(dir, { heapDigests: false });
    expect(withoutDigests.runs.every((run) => run.heap === undefined)).toBe(true);
    const withDigests = await loadSweep(dir, { heapDigests: true });
    expect(withDigests.runs.filter((run) => run.heap !== undefined).map((run) => run.record.id)).toEqual(
      withDigests.runs.filter((run) => run.record.status === "oom").map((run) => run.record.id),
    );
  });
});
