// Heap profiles written to disk and read by the real `go tool pprof` (Debian's golang-go), as users read them.
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { withRelativeFiles } from "../../src/core/heap/digest-document.js";
import type { HeapDigest } from "../../src/core/heap/heap-digest.js";
import { heapProfile } from "../../src/core/heap/pprof-profile.js";
import { writePprofFile } from "../../src/io/pprof-file.js";
import { fixtureDigest, fixtureWorkspace, grown } from "../helpers/digests.js";
import { dumpDigest } from "../helpers/dump-digests.js";

const execFileAsync = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), "pprof-file-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const goInstalled = spawnSync("go", ["version"], { stdio: "ignore" }).status === 0;
if (!goInstalled) {
  console.warn("\n*** SKIPPING the go tool pprof tests: `go` is not on PATH (Debian: apt-get install golang-go) ***\n");
}

const digest = withRelativeFiles(fixtureDigest("4.2.3", "0256m-e01"), fixtureWorkspace("4.2.3"));

async function written(name: string, of: HeapDigest): Promise<string> {
  const path = join(scratch, name);
  await writePprofFile(path, heapProfile([{ digest: of, source: name }]));
  return path;
}

/** `go tool pprof ARGS`'s table rows (flat, flat%, sum%, cum, cum%, then the rest), in its order. */
async function pprofTop(args: readonly string[]): Promise<{ flat: string; name: string }[]> {
  const { stdout } = await execFileAsync("go", ["tool", "pprof", ...args], { env: { ...process.env, PPROF_TMPDIR: scratch } });
  const lines = stdout.split("\n");
  const header = lines.findIndex((line) => /\bflat%/.test(line));
  expect(header).toBeGreaterThanOrEqual(0);
  return lines
    .slice(header + 1)
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const columns = line.trim().split(/\s+/);
      return { flat: columns[0]!, name: columns.slice(5).join(" ") };
    });
}

describe("writePprofFile", () => {
  it("writes the profile gzipped", async () => {
    const bytes = readFileSync(await written("gzipped.pb.gz", digest));
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
  });
});

describe.skipIf(!goInstalled)("go tool pprof on a written heap profile", () => {
  const culprit = digest.suspects[0]!;

  it("shows the function holding most first in -top", async () => {
    const rows = await pprofTop(["-top", await written("top.pb.gz", digest)]);
    expect(rows[0]!.name).toBe(culprit.function);
  });

  it("names its .bzl file and line with -lines", async () => {
    const line = digest.threads.flatMap((thread) => thread.frames).find((frame) => frame.function === culprit.function)!.line;
    const rows = await pprofTop(["-top", "-lines", await written("lines.pb.gz", digest)]);
    expect(rows[0]!.name).toBe(`${culprit.function} ${culprit.file}:${line}`);
  });

  it("reads objects and shallow bytes with -sample_index, from a digest that has them", async () => {
    const fresh = dumpDigest("4.2.3", "reproduction");
    const path = await written("objects.pb.gz", fresh);
    const objects = await pprofTop(["-top", "-sample_index=objects", path]);
    expect(objects[0]!.name).toBe(fresh.suspects[0]!.function);
    expect(Number(objects[0]!.flat)).toBe(fresh.suspects[0]!.evidence.reduce((sum, evidence) => sum + ("objects" in evidence ? evidence.objects! : 0), 0));
    const shallow = await pprofTop(["-top", "-sample_index=shallow", path]);
    expect(shallow.map((row) => row.name)).toContain(fresh.suspects[0]!.function);
  });

  it("shows what grew first with -diff_base", async () => {
    const small = digest.suspects.find((suspect) => suspect.retainedBytes < 100_000 && suspect.evidence.some((evidence) => evidence.kind === "actions"))!;
    const base = await written("base.pb.gz", digest);
    const next = await written("new.pb.gz", grown(digest, small.function, "actions", 5 * 2 ** 20));
    const rows = await pprofTop(["-top", "-diff_base", base, next]);
    expect(rows[0]).toEqual({ flat: "5MB", name: small.function });
  });
});
