// Opening heap dumps from disk: plain and gzipped copies of the real fixtures (test/fixtures/hprof) give the same
// bytes and heap; a gzip stream cut short gives a cut dump; corrupt gzip, missing files and folders give one-line
// InputErrors; the inflated copy is removed on close.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/core/exit-codes.js";
import { readHeap, type Heap } from "../../src/core/heap/hprof.js";
import { availableMemoryBytes, openHeapDump } from "../../src/io/hprof-file.js";
import { FIXTURES_DIR } from "../helpers/fixtures.js";

const work = mkdtempSync(join(tmpdir(), "hprof-file-test-"));
// openHeapDump inflates into the system's temp folder: this file's own here, so that what it leaves is ours alone.
const inflateRoot = mkdtempSync(join(tmpdir(), "hprof-file-inflate-"));
const systemTemp = process.env["TMPDIR"];
beforeAll(() => {
  process.env["TMPDIR"] = inflateRoot;
});
afterAll(() => {
  if (systemTemp === undefined) delete process.env["TMPDIR"];
  else process.env["TMPDIR"] = systemTemp;
  rmSync(work, { recursive: true, force: true });
  rmSync(inflateRoot, { recursive: true, force: true });
});

const gzipped = (name: string): string => join(FIXTURES_DIR, "hprof", `${name}.hprof.gz`);
/** The fixture inflated into a plain .hprof file of the test's own. */
function plainCopy(name: string): string {
  const path = join(work, `${name}.hprof`);
  writeFileSync(path, gunzipSync(readFileSync(gzipped(name))));
  return path;
}

/** Temporary inflated copies openHeapDump has not removed. */
function inflatedFolders(): string[] {
  return readdirSync(inflateRoot).filter((name) => name.startsWith("memory-adventure-hprof-"));
}

/** A heap's numbering-independent summary: enough to tell two readings apart. */
function summary(heap: Heap): unknown {
  return {
    objects: heap.objectCount,
    classes: heap.classes.map((heapClass) => `${heapClass.name} ${heapClass.count}`),
    classOf: Buffer.from(heap.classOf.buffer, heap.classOf.byteOffset, heap.classOf.byteLength).toString("base64"),
    shallow: Buffer.from(heap.shallowSizes.toArray().buffer).toString("base64"),
    edges: Buffer.from(heap.edgeTargets.buffer, heap.edgeTargets.byteOffset, heap.edgeTargets.byteLength).toString("base64"),
    roots: [...heap.roots],
    truncated: heap.truncated,
  };
}

describe("openHeapDump", () => {
  it.each(["shapes", "oom"])("gives the same bytes and heap for %s, plain and gzipped, and removes the inflated copy", async (name) => {
    const before = inflatedFolders().length;
    const plain = await openHeapDump(plainCopy(name));
    const packed = await openHeapDump(gzipped(name));
    try {
      expect(inflatedFolders().length).toBe(before + 1);
      expect(packed.source.size).toBe(plain.source.size);
      for (const [offset, length] of [
        [0, 64],
        [plain.source.size - 100, 100],
        [Math.floor(plain.source.size / 2), 5000],
      ] as const) {
        expect(packed.source.read(offset, length).slice()).toEqual(plain.source.read(offset, length).slice());
      }
      expect(summary(readHeap(packed.source))).toEqual(summary(readHeap(plain.source)));
    } finally {
      plain.close();
      packed.close();
    }
    expect(inflatedFolders().length).toBe(before);
  });

  it("reads at most what the file holds, and nothing past its end", async () => {
    const dump = await openHeapDump(plainCopy("shapes"));
    try {
      const size = dump.source.size;
      expect(dump.source.read(size - 10, 100).length).toBe(10);
      expect(dump.source.read(size, 100).length).toBe(0);
      expect(new TextDecoder().decode(dump.source.read(0, 18))).toBe("JAVA PROFILE 1.0.2");
    } finally {
      dump.close();
    }
  });

  it.each([0.1, 0.5, 0.9])("inflates a gzip stream cut at %s of its length into a cut dump", async (fraction) => {
    const bytes = readFileSync(gzipped("shapes"));
    const cut = join(work, `cut-${fraction}.hprof.gz`);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * fraction)));
    const dump = await openHeapDump(cut);
    try {
      const full = gunzipSync(bytes);
      expect(dump.source.size).toBeGreaterThan(0);
      expect(dump.source.size).toBeLessThan(full.length);
      // What it has is the dump's start.
      expect(Buffer.from(dump.source.read(0, 4096))).toEqual(full.subarray(0, Math.min(4096, dump.source.size)));
      const heap = readHeap(dump.source);
      expect(heap.truncated).toBe(true);
    } finally {
      dump.close();
    }
  });

  it.each<{ name: string; write: (path: string) => void; message: RegExp }>([
    {
      name: "corrupt gzip data",
      write: (path) => {
        const bytes = Buffer.from(readFileSync(gzipped("oom")));
        for (let i = 2000; i < 2100; i++) bytes[i] = bytes[i]! ^ 0x5a;
        writeFileSync(path, bytes);
      },
      message: /corrupt gzip data .*; give the \.hprof or an intact \.hprof\.gz$/,
    },
  ])("$name: a one-line InputError, and no inflated copy left", async ({ write, message }) => {
    const path = join(work, "bad.hprof.gz");
    write(path);
    const before = inflatedFolders().length;
    const opened = openHeapDump(path);
    await expect(opened).rejects.toThrow(InputError);
    await expect(opened).rejects.toThrow(message);
    expect(inflatedFolders().length).toBe(before);
  });

  it.each<{ name: string; path: () => string; message: RegExp }>([
    { name: "a missing file", path: () => join(work, "missing.hprof"), message: /missing\.hprof: no such file$/ },
    { name: "a folder", path: () => work, message: /: cannot read it \(EISDIR\)$/ },
  ])("$name: a one-line InputError", async ({ path, message }) => {
    const opened = openHeapDump(path());
    await expect(opened).rejects.toThrow(InputError);
    await expect(opened).rejects.toThrow(message);
  });
});

describe("availableMemoryBytes", () => {
  it("is what the kernel says new allocations can have: positive, at most the machine's memory", () => {
    const available = availableMemoryBytes();
    expect(available).toBeGreaterThan(0);
    expect(available).toBeLessThanOrEqual(totalmem());
  });
});
