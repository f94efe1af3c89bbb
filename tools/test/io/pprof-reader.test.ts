// The Starlark CPU profile reader on real files: complete (gzipped, and inflated), the 10-byte gzip header a
// crash leaves, copies cut anywhere in the gzip stream, and files that are no pprof.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/core/exit-codes.js";
import { CUT_SHORT_PPROF, summarizePprof } from "../../src/core/profile/pprof-summary.js";
import { readPprof } from "../../src/io/pprof-reader.js";
import { FIXTURES_DIR, sweepFixture } from "../helpers/fixtures.js";

const EVIDENCE = join(FIXTURES_DIR, "bazel-4.2.3", "evidence");
const LIGHT_PPROF = join(EVIDENCE, "ok-light-profile-1g", "starlark-cpu.pprof");
const run = (version: "4.2.3" | "7.7.1", id: string, file: string): string => join(sweepFixture(version), "runs", id, file);

const scratch = mkdtempSync(join(tmpdir(), "pprof-reader-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let fileCount = 0;
function scratchFile(content: Uint8Array | string): string {
  const path = join(scratch, `file-${fileCount++}`);
  writeFileSync(path, content);
  return path;
}

describe("readPprof on complete profiles", () => {
  it.each([LIGHT_PPROF, run("4.2.3", "0256m-r01", "starlark-cpu.pprof"), run("7.7.1", "0256m-r01", "starlark-cpu.pprof")])("%s", async (path) => {
    const summary = await readPprof(path);
    expect(summary).toEqual(summarizePprof(gunzipSync(readFileSync(path))));
    expect(summary.complete).toBe(true);
    expect(summary.functions.length).toBeGreaterThan(0);
  });

  it("reads the protobuf uncompressed too", async () => {
    const inflated = gunzipSync(readFileSync(LIGHT_PPROF));
    expect(await readPprof(scratchFile(inflated))).toEqual(await readPprof(LIGHT_PPROF));
  });
});

describe("readPprof on profiles a crash cut short", () => {
  it.each([
    join(EVIDENCE, "crash-full-profile-200m", "starlark-cpu.pprof"),
    run("4.2.3", "0018m-r01", "starlark-cpu.pprof"),
    run("7.7.1", "0024m-r01", "starlark-cpu.pprof"),
  ])("the 10-byte gzip header Bazel wrote first: %s", async (path) => {
    expect(readFileSync(path)).toHaveLength(10);
    expect(await readPprof(path)).toEqual(CUT_SHORT_PPROF);
  });

  const gzipped = readFileSync(LIGHT_PPROF);
  const cuts = new Set([0, 1, 2, 9, 10, 11, 100, gzipped.length - 8, gzipped.length - 1]);
  for (let i = 1; i < 20; i++) cuts.add(Math.floor((gzipped.length * i) / 20));
  it.each([...cuts].sort((a, b) => a - b))("the real profile's gzip stream cut after byte %i", async (cut) => {
    expect(await readPprof(scratchFile(gzipped.subarray(0, cut)))).toEqual(CUT_SHORT_PPROF);
  });
});

describe("readPprof on files that are not Starlark CPU profiles", () => {
  const corrupted = Buffer.from(readFileSync(LIGHT_PPROF));
  for (let i = 2000; i < 2064; i++) corrupted[i] = corrupted[i]! ^ 0x5a;

  it.each([
    { what: "a JSON trace profile (gzipped)", path: () => run("4.2.3", "0256m-r01", "profile.json.gz"), message: /not a Starlark CPU profile: not a pprof protobuf/ },
    { what: "a BEP file", path: () => run("4.2.3", "0256m-r01", "bep.json"), message: /not a Starlark CPU profile: not a pprof protobuf/ },
    { what: "a console log", path: () => run("4.2.3", "0256m-r01", "console.log"), message: /not a Starlark CPU profile/ },
    { what: "gzipped text", path: () => scratchFile(gzipSync("FATAL: bazel ran out of memory\n")), message: /not a Starlark CPU profile/ },
    { what: "a corrupted gzip stream", path: () => scratchFile(corrupted), message: /corrupt gzip data/ },
    { what: "a missing file", path: () => join(scratch, "no-such.pprof"), message: /no such file/ },
    { what: "a folder", path: () => scratch, message: /cannot read the Starlark CPU profile \(EISDIR\)/ },
  ])("rejects $what with a one-line InputError naming the file", async ({ path, message }) => {
    const file = path();
    const error = await readPprof(file).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message.startsWith(`${file}: `)).toBe(true);
    expect((error as Error).message).not.toContain("\n");
  });
});
