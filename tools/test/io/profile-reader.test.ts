// The streaming profile reader on real files: gzip and plain, complete, cut anywhere (at the gzip
// level, table-driven from the real fixture), crash-damaged as captured, and files that are no profile.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/core/exit-codes.js";
import { readProfile } from "../../src/io/profile-reader.js";
import {
  BAZEL_VERSIONS,
  crashProfile,
  eventEndOffsets,
  gunzippedText,
  inflatablePrefix,
  okProfile,
  sweepFixture,
} from "../helpers/fixtures.js";

const scratch = mkdtempSync(join(tmpdir(), "profile-reader-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let fileCount = 0;
function scratchFile(content: Uint8Array | string): string {
  const path = join(scratch, `file-${fileCount++}`);
  writeFileSync(path, content);
  return path;
}

async function countEvents(path: string) {
  let events = 0;
  const result = await readProfile(path, () => events++);
  return { ...result, counted: events };
}

describe.each(BAZEL_VERSIONS)("readProfile on Bazel %s files", (version) => {
  const gzipped = readFileSync(okProfile(version));
  const text = gunzippedText(okProfile(version));
  const allEvents = eventEndOffsets(text).length;

  it("reads a complete gzipped profile", async () => {
    const result = await countEvents(okProfile(version));
    expect(result).toMatchObject({ events: allEvents, counted: allEvents, truncated: false, gzipped: true, gzipTruncated: false });
  });

  it("reads the same profile uncompressed", async () => {
    expect(await countEvents(scratchFile(text))).toMatchObject({ events: allEvents, truncated: false, gzipped: false });
  });

  // Cuts anywhere in the gzip stream: in its header, in the middle of deflate blocks, in the trailer.
  const cuts = new Set([1, 2, 5, 10, 11, 12, 100, gzipped.length - 8, gzipped.length - 4, gzipped.length - 1]);
  for (let i = 1; i < 40; i++) cuts.add(Math.floor((gzipped.length * i) / 40));
  it.each([...cuts].sort((a, b) => a - b))("recovers every complete event from the gzip cut after byte %i", async (cut) => {
    const prefix = gzipped.subarray(0, cut);
    const inflated = cut <= 10 ? "" : inflatablePrefix(prefix);
    const expected = eventEndOffsets(inflated).filter((end) => end <= inflated.length).length;
    const result = await countEvents(scratchFile(prefix));
    expect(result).toMatchObject({ events: expected, counted: expected, truncated: true, gzipped: true, gzipTruncated: true });
  });

  it("says a profile whose JSON is whole but whose gzip trailer is missing was truncated", async () => {
    const result = await countEvents(scratchFile(gzipped.subarray(0, gzipped.length - 8)));
    expect(result).toMatchObject({ events: allEvents, truncated: true, gzipTruncated: true });
  });
});

describe("readProfile on real crashed builds", () => {
  it.each(BAZEL_VERSIONS)("recovers the events of a Bazel %s profile cut mid-event by a crash", async (version) => {
    const path = crashProfile(version, "crash-truncated");
    const inflated = inflatablePrefix(readFileSync(path));
    const expected = eventEndOffsets(inflated).filter((end) => end <= inflated.length).length;
    const result = await countEvents(path);
    expect(expected).toBeGreaterThan(100);
    expect(result).toMatchObject({ events: expected, truncated: true, gzipTruncated: true });
  });

  it("says a Bazel 7.7.1 profile whose gzip was closed but whose JSON was cut by an OOM was truncated", async () => {
    const path = crashProfile("7.7.1", "oom-json-cut");
    const text = gunzippedText(path);
    const result = await countEvents(path);
    expect(result).toMatchObject({ events: eventEndOffsets(text).length, truncated: true, gzipTruncated: false });
  });

  it("reads the bare gzip header a crash left (Bazel 4.2.3 died before its profile writer flushed)", async () => {
    const path = join(sweepFixture("4.2.3"), "runs", "0018m-r02", "profile.json.gz");
    expect(readFileSync(path).length).toBe(10);
    expect(await countEvents(path)).toMatchObject({ events: 0, truncated: true, gzipped: true, gzipTruncated: true });
  });

  it("calls an empty file a truncated profile with no events", async () => {
    expect(await countEvents(scratchFile(""))).toMatchObject({ events: 0, truncated: true, gzipped: false });
  });
});

describe("readProfile on files that are not profiles", () => {
  const run = (file: string): string => join(sweepFixture("4.2.3"), "runs", "0256m-r01", file);
  const gzipped = readFileSync(okProfile("4.2.3"));
  const corrupted = Buffer.from(gzipped);
  for (let i = 2000; i < 2064; i++) corrupted[i] = corrupted[i]! ^ 0x5a;

  it.each([
    { what: "a console log", path: () => run("console.log"), message: /not a JSON trace profile: not JSON: it starts with 'S'/ },
    { what: "a BEP file", path: () => run("bep.json"), message: /not a JSON trace profile: .*traceEvents/ },
    { what: "a gzipped protobuf (the Starlark CPU profile)", path: () => run("starlark-cpu.pprof"), message: /not a JSON trace profile: not JSON/ },
    { what: "gzipped JSON that is not a trace", path: () => scratchFile(gzipSync('{"a":1}')), message: /JSON without a traceEvents array/ },
    { what: "a corrupted gzip stream", path: () => scratchFile(corrupted), message: /corrupt gzip data/ },
    { what: "a missing file", path: () => join(scratch, "no-such-profile.json.gz"), message: /cannot open the profile \(ENOENT\)/ },
    { what: "a folder", path: () => scratch, message: /cannot read the profile \(EISDIR\)/ },
  ])("rejects $what with a one-line InputError naming the file", async ({ path, message }) => {
    const file = path();
    const error = await readProfile(file, () => undefined).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message.startsWith(`${file}: `)).toBe(true);
    expect((error as Error).message).not.toContain("\n");
  });
});
