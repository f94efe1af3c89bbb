// The files diff reads (digests in their three shapes) and the workspace a digest's .bzl paths are under.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/core/exit-codes.js";
import type { HeapDigest } from "../../src/core/heap/heap-digest.js";
import { readDigestDocument } from "../../src/io/heap-digest-file.js";
import { digestWorkspace } from "../../src/io/digest-workspace.js";
import { digestPath, digestSweep, fixtureDigest, fixtureWorkspace, moved } from "../helpers/digests.js";

const scratch = mkdtempSync(join(tmpdir(), "digest-files-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const digest = fixtureDigest("4.2.3", "0256m-e01");

function file(name: string, content: string): string {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return path;
}

describe("readDigestDocument", () => {
  it("reads a run's heap-digest.json, heap --json output and a snapshot", async () => {
    expect(await readDigestDocument(digestPath("4.2.3", "0256m-e01"))).toEqual({ kind: "run-digest", dumps: [{ source: undefined, digest }] });
    const dumps = [{ source: "/a/java_pid1.hprof", ...digest }, { source: "/b/java_pid2.hprof", ...digest }];
    const heapJson = await readDigestDocument(file("heap.json", JSON.stringify({ schema: 1, dumps })));
    expect(heapJson.kind).toBe("heap-json");
    expect(heapJson.dumps.map((dump) => dump.source)).toEqual(["/a/java_pid1.hprof", "/b/java_pid2.hprof"]);
    expect((await readDigestDocument(file("snapshot.json", JSON.stringify({ schema: 1, snapshot: { label: "main" }, dumps })))).kind).toBe("snapshot");
  });

  it.each([
    ["not-json.json", "{ nope", /not-json\.json: not JSON \(.*\); give a heap digest/],
    ["run.json", JSON.stringify({ schema: 1, id: "0256m-r01" }), /run\.json: not a heap digest \(no dump\.reachableBytes\)/],
    ["old.json", JSON.stringify({ ...digest, schema: 0 }), /old\.json: not a heap digest \(a digest of schema 0, not 1\)/],
    ["empty.json", JSON.stringify({ schema: 1, dumps: [] }), /empty\.json: not a heap digest \(it lists no dumps\)/],
  ])("refuses %s in one line naming the file", async (name, content, message) => {
    const error = await readDigestDocument(file(name, content)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain("\n");
  });

  it("refuses a folder and a missing file", async () => {
    await expect(readDigestDocument(scratch)).rejects.toThrow(/a folder; give a heap digest/);
    await expect(readDigestDocument(join(scratch, "missing.json"))).rejects.toThrow(/missing\.json: no such file/);
  });
});

describe("digestWorkspace", () => {
  it("is the sweep's, for a digest in a sweep folder's run or a dump that came from one", async () => {
    const sweep = join(scratch, "sweep");
    cpSync(digestSweep("4.2.3"), sweep, { recursive: true });
    const inRun = join(sweep, "runs", "0256m-e01", "heap-digest.json");
    expect(await digestWorkspace(inRun, { source: undefined, digest })).toBe(fixtureWorkspace("4.2.3"));
    expect(await digestWorkspace(join(scratch, "heap.json"), { source: join(sweep, "runs", "0256m-e01", "java_pid1.hprof"), digest })).toBe(fixtureWorkspace("4.2.3"));
  });

  it("is the workspace enclosing its .bzl files when they are on this machine, else unknown", async () => {
    const workspace = join(scratch, "checkout");
    mkdirSync(join(workspace, "memory", "private"), { recursive: true });
    writeFileSync(join(workspace, "MODULE.bazel"), "");
    const here: HeapDigest = moved(digest, fixtureWorkspace("4.2.3"), workspace);
    for (const bzl of new Set(here.suspects.map((suspect) => suspect.file!))) {
      mkdirSync(join(bzl, ".."), { recursive: true });
      writeFileSync(bzl, "");
    }
    expect(await digestWorkspace(join(scratch, "loose.json"), { source: undefined, digest: here })).toBe(workspace);
    const gone = moved(digest, fixtureWorkspace("4.2.3"), join(scratch, "no-such-checkout"));
    expect(await digestWorkspace(join(scratch, "loose.json"), { source: undefined, digest: gone })).toBeUndefined();
  });
});
