// The read-ahead (io/read-ahead.ts) gives exactly the bytes the direct reads give: windows in order as the pass
// reads them (each starting a little before the last one ended, some jumping ahead), reads elsewhere between them,
// at the file's end and past it, on a file smaller than one window; a view stays the file's bytes until the next
// read however far the worker runs ahead; the worker starts only once the reads get far enough into the file, and
// only when they came slower than the page cache gives them (a clock of the test's own says how fast); a
// worker that cannot read leaves every read to the direct source and the direct source's error; the worker ends when the dump is closed, and no worker keeps a process alive; the digest
// of each real Bazel dump is the same read ahead and read from memory.
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_DIGEST_TOP, digestHeap } from "../../src/core/heap/heap-digest.js";
import { bytesSource, readHeap, type ByteSource } from "../../src/core/heap/hprof.js";
import { digestDumpFile } from "../../src/io/heap-dumps.js";
import { fileSource } from "../../src/io/hprof-file.js";
import { readAhead, type ReadAhead, type ReadAheadOptions } from "../../src/io/read-ahead.js";
import { FIXTURES_DIR } from "../helpers/fixtures.js";

const work = mkdtempSync(join(tmpdir(), "memory-adventure-read-ahead-"));
const childScript = join(work, "read-ahead-child.mjs");
beforeAll(async () => {
  await build({
    entryPoints: [fileURLToPath(new URL("./read-ahead-child.ts", import.meta.url))],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile: childScript,
    logLevel: "warning",
  });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const CHUNK = 64 * 1024;
/** Small chunks, so that the ring wraps often; the worker from the start. */
const SMALL_RING: ReadAheadOptions = { chunkBytes: CHUNK, slots: 3, startAfterBytes: 0 };

/** A file of `length` bytes that differ with their position (xorshift), so that a window from the wrong place shows. */
function patternFile(name: string, length: number): string {
  const bytes = Buffer.alloc(length);
  let state = 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  const path = join(work, name);
  writeFileSync(path, bytes);
  return path;
}

interface Opened {
  readonly ahead: ReadAhead;
  /** The same file read directly, as the dump was read before the read-ahead. */
  readonly plain: ByteSource;
  close(): void;
}

/** `path` read ahead, once its worker reads (so that reads in order come from the ring, not from its start-up). */
async function openAhead(path: string, options: ReadAheadOptions = SMALL_RING): Promise<Opened> {
  const fd = openSync(path, "r");
  const plainFd = openSync(path, "r");
  const ahead = readAhead(fileSource(fd), path, options);
  expect(await ahead.started).toBe(true);
  return {
    ahead,
    plain: fileSource(plainFd),
    close() {
      ahead.close();
      closeSync(fd);
      closeSync(plainFd);
    },
  };
}

/** Reads the same through both and compares (copies: the plain source's view is its next read's buffer). */
function same(opened: Opened, offset: number, length: number): void {
  const expected = opened.plain.read(offset, length).slice();
  expect(Buffer.from(opened.ahead.source.read(offset, length)).equals(Buffer.from(expected)), `${length} bytes at ${offset}`).toBe(true);
}

/** This process's descriptors open on `path`. */
const descriptorsOn = (path: string): number => readdirSync("/proc/self/fd").filter((fd) => readlinkOr(`/proc/self/fd/${fd}`) === path).length;
function readlinkOr(link: string): string | undefined {
  try {
    return readlinkSync(link);
  } catch {
    return undefined; // the listing's own descriptor, gone by now
  }
}
/** A clock under which every read takes a second: the reads come from a slow disk. */
function diskClock(): () => number {
  let ms = 0;
  return () => (ms += 1000);
}
const sleep = (ms: number): Promise<"still running"> => new Promise((resolve) => setTimeout(() => resolve("still running"), ms));

describe("readAhead", () => {
  it("gives the file's windows in order, each starting a little before the last ended, some jumping ahead", async () => {
    const path = patternFile("ordered.bin", 20 * CHUNK + 12345);
    const opened = await openAhead(path);
    try {
      const size = opened.ahead.source.size;
      let reads = 0;
      // A cursor's windows: a record cut by the window's end is read again from its start.
      for (let offset = 0, step = 0; offset < size; step++) {
        same(opened, offset, CHUNK);
        reads++;
        offset += step % 9 === 8 ? 3 * CHUNK + 999 : CHUNK - ((step * 37) % 200);
      }
      expect(opened.ahead.ringReads).toBe(reads);
    } finally {
      opened.close();
    }
  });

  it("keeps a view the file's bytes until the next read, while the worker fills the ring", async () => {
    const path = patternFile("held.bin", 12 * CHUNK);
    const whole = readFileSync(path);
    const opened = await openAhead(path);
    try {
      for (let offset = 0; offset < 10 * CHUNK; offset += CHUNK - 100) {
        const view = opened.ahead.source.read(offset, CHUNK);
        await sleep(5);
        expect(Buffer.from(view).equals(whole.subarray(offset, offset + CHUNK)), `the view at ${offset}`).toBe(true);
      }
      expect(opened.ahead.ringReads).toBeGreaterThan(0);
    } finally {
      opened.close();
    }
  });

  it("gives reads elsewhere between the windows from the file itself", async () => {
    const path = patternFile("interleaved.bin", 15 * CHUNK + 77);
    const opened = await openAhead(path);
    try {
      const size = opened.ahead.source.size;
      let windows = 0;
      for (let offset = 0, step = 0; offset < size; offset += CHUNK - 13, step++) {
        same(opened, offset, CHUNK);
        windows++;
        // Behind the pass (an object read again, a name), and small reads just ahead of it.
        same(opened, (step * 7919) % Math.max(1, offset), 1 + (step % 40));
        same(opened, Math.floor(offset / 2), 3 * CHUNK);
        if (step % 4 === 3) same(opened, Math.max(0, offset - 5 * CHUNK), CHUNK);
      }
      expect(opened.ahead.ringReads).toBeGreaterThanOrEqual(windows);
      // The pass again from the start (the reader's second try with wide class slots).
      for (let offset = 0; offset < size; offset += CHUNK) same(opened, offset, CHUNK);
    } finally {
      opened.close();
    }
  });

  it("reads at most what the file holds at its end, and nothing past it", async () => {
    const path = patternFile("end.bin", 6 * CHUNK + 500);
    const opened = await openAhead(path);
    try {
      const size = opened.ahead.source.size;
      for (let offset = 0; offset < size - CHUNK; offset += CHUNK) same(opened, offset, CHUNK);
      expect(opened.ahead.source.read(size - 10, CHUNK).length).toBe(10);
      same(opened, size - 10, CHUNK);
      expect(opened.ahead.source.read(size, CHUNK).length).toBe(0);
      expect(opened.ahead.source.read(size + 5, 10).length).toBe(0);
      same(opened, size - 1, 1);
    } finally {
      opened.close();
    }
  });

  it.each([
    { name: "a file smaller than one window", bytes: 1000, options: { startAfterBytes: 0 } },
    { name: "a file of one chunk exactly", bytes: CHUNK, options: SMALL_RING },
    { name: "an empty file", bytes: 0, options: SMALL_RING },
  ])("reads $name", async ({ bytes, options }) => {
    const path = patternFile(`small-${bytes}.bin`, bytes);
    const opened = await openAhead(path, options);
    try {
      same(opened, 0, 2 * 1024 * 1024);
      same(opened, 10, 100);
      same(opened, 0, 16);
      same(opened, bytes, 100);
    } finally {
      opened.close();
    }
  });

  it("starts the worker only once the reads in order get far enough into the file", async () => {
    const path = patternFile("late.bin", 12 * CHUNK);
    const fd = openSync(path, "r");
    const ahead = readAhead(fileSource(fd), path, { ...SMALL_RING, startAfterBytes: 4 * CHUNK, now: diskClock() });
    const whole = readFileSync(path);
    try {
      for (let offset = 0; offset < 4 * CHUNK; offset += CHUNK) {
        expect(Buffer.from(ahead.source.read(offset, CHUNK)).equals(whole.subarray(offset, offset + CHUNK))).toBe(true);
        // A look back does not start it either.
        ahead.source.read(0, 10);
      }
      expect(ahead.ringReads).toBe(0);
      ahead.source.read(4 * CHUNK, CHUNK);
      expect(await ahead.started).toBe(true);
      for (let offset = 5 * CHUNK; offset < whole.length; offset += CHUNK) {
        expect(Buffer.from(ahead.source.read(offset, CHUNK)).equals(whole.subarray(offset, offset + CHUNK))).toBe(true);
      }
      expect(ahead.ringReads).toBe(7);
    } finally {
      ahead.close();
      closeSync(fd);
    }
  });

  it.each([
    { name: "every stretch from the disk", stretchMs: [100, 100, 100], startsAt: 4 },
    { name: "every stretch from the page cache", stretchMs: [1, 1, 1], startsAt: undefined },
    { name: "the first stretch from the page cache, the second from the disk", stretchMs: [1, 100, 100], startsAt: 8 },
    { name: "the first two from the page cache, the third from the disk", stretchMs: [1, 1, 100], startsAt: 12 },
  ])("starts the worker after the first stretch read slower than the page cache: $name", async ({ stretchMs, startsAt }) => {
    const path = patternFile("stretches.bin", 16 * CHUNK);
    const fd = openSync(path, "r");
    // Stretches of four chunks (256 KB); the clock, asked before and after each read until the worker starts, says
    // that stretch k took stretchMs[k] / 2: 256 KB in 0.5 ms is 0.5 GB/s, above the threshold of 0.1 GB/s set here;
    // in 50 ms, 5 MB/s.
    let clock = 0;
    let asked = 0;
    const now = (): number => (clock += stretchMs[Math.min(stretchMs.length - 1, Math.floor(asked++ / 8))]! / 8);
    const ahead = readAhead(fileSource(fd), path, { ...SMALL_RING, startAfterBytes: 4 * CHUNK, cachedBytesPerSecond: 1e8, now });
    const whole = readFileSync(path);
    try {
      for (let chunk = 0; chunk < 16; chunk++) {
        expect(Buffer.from(ahead.source.read(chunk * CHUNK, CHUNK)).equals(whole.subarray(chunk * CHUNK, (chunk + 1) * CHUNK))).toBe(true);
        if (chunk === startsAt) expect(await ahead.started).toBe(true);
      }
      // The reads timed are those before the worker started: from then on the ring serves them (but the first).
      expect(asked / 2).toBe(startsAt ?? 16);
      expect(ahead.ringReads).toBe(startsAt === undefined ? 0 : 16 - startsAt - 1);
    } finally {
      ahead.close();
      closeSync(fd);
    }
    expect(await ahead.started).toBe(startsAt !== undefined);
  });

  it("never starts the worker for a dump smaller than where it would start", async () => {
    const path = patternFile("small-dump.bin", 3 * CHUNK);
    const fd = openSync(path, "r");
    const ahead = readAhead(fileSource(fd), path, { chunkBytes: CHUNK });
    try {
      for (let offset = 0; offset < 3 * CHUNK; offset += CHUNK - 5) ahead.source.read(offset, CHUNK);
    } finally {
      ahead.close();
      closeSync(fd);
    }
    expect(await ahead.started).toBe(false);
    await ahead.ended;
    expect(ahead.ringReads).toBe(0);
    // Nothing held beside the digest, for its memory check.
    expect(ahead.heldBytes).toBe(0);
  });

  it("reads from the file itself once closed, however often it is closed, and ends its thread", async () => {
    const path = patternFile("closed.bin", 10 * CHUNK);
    const opened = await openAhead(path);
    try {
      same(opened, 0, CHUNK);
      same(opened, CHUNK - 10, CHUNK);
      const ringReads = opened.ahead.ringReads;
      expect(ringReads).toBe(2);
      opened.ahead.close();
      opened.ahead.close();
      for (let offset = 2 * CHUNK - 20; offset < 10 * CHUNK; offset += CHUNK - 20) same(opened, offset, CHUNK);
      expect(opened.ahead.ringReads).toBe(ringReads);
      expect(await Promise.race([opened.ahead.ended.then(() => "ended"), sleep(5000)])).toBe("ended");
    } finally {
      opened.close();
    }
  });

  it("counts its ring and its thread as held for a file large enough to start it", () => {
    const path = patternFile("held.bin", 12 * CHUNK);
    const fd = openSync(path, "r");
    const ahead = readAhead(fileSource(fd), path, { ...SMALL_RING, startAfterBytes: 4 * CHUNK });
    try {
      // Four chunks of ring (three slots and the wrap's) and more than a megabyte for the thread.
      expect(ahead.heldBytes).toBeGreaterThan(4 * CHUNK + 2 ** 20);
    } finally {
      ahead.close();
      closeSync(fd);
    }
  });

  it.each([
    { name: "cannot open its file", workerPath: () => join(work, "no-such.bin"), starts: false },
    { name: "cannot read its file", workerPath: () => work, starts: true },
  ])("leaves every read to the direct source when the worker $name", async ({ workerPath, starts }) => {
    const path = patternFile("unread.bin", 8 * CHUNK);
    const whole = readFileSync(path);
    const fd = openSync(path, "r");
    const ahead = readAhead(fileSource(fd), workerPath(), SMALL_RING);
    try {
      expect(await ahead.started).toBe(starts);
      for (let offset = 0; offset < whole.length; offset += CHUNK - 1) {
        expect(Buffer.from(ahead.source.read(offset, CHUNK)).equals(whole.subarray(offset, offset + CHUNK))).toBe(true);
      }
      expect(ahead.ringReads).toBe(0);
    } finally {
      ahead.close();
      closeSync(fd);
    }
  });

  it("fails a read the worker could not make with the error the direct read gives", async () => {
    const path = patternFile("write-only.bin", 8 * CHUNK);
    const writeOnly = openSync(path, "a");
    const ahead = readAhead(fileSource(writeOnly), work, SMALL_RING);
    try {
      await ahead.ended;
      const direct = expect.objectContaining({ code: "EBADF", syscall: "read" });
      expect(() => fileSource(writeOnly).read(0, CHUNK)).toThrow(direct);
      expect(() => ahead.source.read(0, CHUNK)).toThrow(direct);
      expect(() => ahead.source.read(CHUNK, CHUNK)).toThrow(direct);
    } finally {
      ahead.close();
      closeSync(writeOnly);
    }
  });

  it.skipIf(process.platform !== "linux")("ends its worker and closes the worker's descriptor when closed", async () => {
    const path = patternFile("closed.bin", 40 * CHUNK);
    const opened = await openAhead(path);
    // Two windows of forty: the worker is left waiting for room in its ring.
    same(opened, 0, CHUNK);
    same(opened, CHUNK, CHUNK);
    // The reader's, the plain source's and the worker's.
    expect(descriptorsOn(path)).toBe(3);
    opened.close();
    expect(await Promise.race([opened.ahead.ended, sleep(20_000)])).toBeUndefined();
    expect(descriptorsOn(path)).toBe(0);
  });

  it.each(["close", "forget"])("lets a process that reads ahead end on its own (dump: %s)", (mode) => {
    const path = patternFile(`child-${mode}.bin`, 40 * CHUNK);
    const child = spawnSync(process.execPath, [childScript, path, mode], { encoding: "utf8", timeout: 30_000 });
    expect(child.stderr).toBe("");
    expect(child.signal, "the child had to be killed: something kept it alive").toBeNull();
    expect(child.status).toBe(0);
    const report = JSON.parse(child.stdout) as { started: boolean; ringReads: number; same: boolean };
    // The worker ran from the bundle, served the windows, and they were the file's bytes.
    expect(report).toEqual({ started: true, ringReads: 3, same: true });
  });
});

describe("the digest of each real Bazel dump", () => {
  const folder = join(FIXTURES_DIR, "bazel-4.2.3", "heap-dump");
  const dumps = readdirSync(folder).filter((file) => file.endsWith(".hprof.gz")).sort();

  it("has dumps to digest", () => {
    expect(dumps).toEqual(["list-lattice.hprof.gz", "reproduction.hprof.gz"]);
  });

  it.each(dumps)("%s: the same read ahead as read from memory", async (file) => {
    const inflated = gunzipSync(readFileSync(join(folder, file)));
    const memory = bytesSource(new Uint8Array(inflated));
    const expected = JSON.stringify(digestHeap(readHeap(memory), memory, { top: DEFAULT_DIGEST_TOP }));
    // As `heap` digests it (openHeapDump: inflated to a temporary file, read ahead).
    expect(JSON.stringify(await digestDumpFile(join(folder, file), { top: DEFAULT_DIGEST_TOP }))).toBe(expected);
    // And with every window of the pass from the ring (the worker started before the first read).
    const plainPath = join(work, file.replace(/\.gz$/, ""));
    writeFileSync(plainPath, inflated);
    const opened = await openAhead(plainPath, { startAfterBytes: 0 });
    try {
      // As heap-dumps.ts does: the read-ahead let go once the pass has read the file; the digest's later reads direct.
      let passEnded = 0;
      let ringReadsAtEnd = -1;
      const heap = readHeap(opened.ahead.source, {
        passEnded: () => {
          passEnded++;
          ringReadsAtEnd = opened.ahead.ringReads;
          opened.ahead.close();
        },
      });
      expect(JSON.stringify(digestHeap(heap, opened.ahead.source, { top: DEFAULT_DIGEST_TOP }))).toBe(expected);
      expect(passEnded).toBe(1);
      expect(ringReadsAtEnd).toBeGreaterThanOrEqual(Math.floor(inflated.length / (2 * 1024 * 1024)));
      expect(opened.ahead.ringReads).toBe(ringReadsAtEnd);
    } finally {
      opened.close();
    }
  });
});
