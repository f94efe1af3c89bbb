// The digest's state file: beside the dump, invisible from the start (unlinked when opened), in the system's
// temp folder when the dump's folder takes no files; reads back what was written.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SpillFile } from "../../src/io/spill-file.js";

const work = mkdtempSync(join(tmpdir(), "spill-file-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("SpillFile", () => {
  it("keeps its bytes beside the dump in a file no one sees", () => {
    const spill = SpillFile.open(join(work, "java_pid1.hprof"));
    try {
      expect(spill.folder).toBe(work);
      const big = Uint8Array.from({ length: 100_000 }, (_, i) => i % 251);
      const first = spill.write(Uint8Array.of(9, 8, 7));
      const second = spill.write(big);
      expect(readdirSync(work)).toEqual([]);
      const into = new Uint8Array(3);
      spill.read(first, into);
      expect([...into]).toEqual([9, 8, 7]);
      const tail = new Uint8Array(1000);
      spill.read(second + 99_000, tail);
      expect([...tail]).toEqual([...big.subarray(99_000)]);
      expect(() => spill.read(second + 99_500, tail)).toThrow(/ends at/);
    } finally {
      spill.close();
    }
  });

  it("reads what a later write appended to a block it had read before", () => {
    const spill = SpillFile.open(join(work, "java_pid2.hprof"));
    try {
      const into = new Uint8Array(2);
      spill.read(spill.write(Uint8Array.of(1, 2)), into);
      expect([...into]).toEqual([1, 2]);
      // The same 64 KiB block, cached with the file's first two bytes only.
      spill.read(spill.write(Uint8Array.of(3, 4)), into);
      expect([...into]).toEqual([3, 4]);
    } finally {
      spill.close();
    }
  });

  it("goes to the folder the user names, and only there", () => {
    const named = mkdtempSync(join(work, "state-"));
    const spill = SpillFile.open(join(work, "gone", "java_pid1.hprof"), named);
    try {
      expect(spill.folder).toBe(named);
      expect(readdirSync(named)).toEqual([]);
    } finally {
      spill.close();
    }
    expect(() => SpillFile.open(join(work, "java_pid1.hprof"), join(work, "no-such-folder"))).toThrow(/^--state-dir: .*no-such-folder is not a folder/);
  });

  it("goes to the system's temp folder when the dump's folder takes no files", () => {
    const spill = SpillFile.open(join(work, "gone", "java_pid1.hprof"));
    try {
      expect(spill.folder).toBe(tmpdir());
      const offset = spill.write(Uint8Array.of(1, 2));
      const into = new Uint8Array(2);
      spill.read(offset, into);
      expect([...into]).toEqual([1, 2]);
    } finally {
      spill.close();
    }
  });
});
