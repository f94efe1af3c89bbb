// A full disk under the sweep folder, for real: a 1 MiB tmpfs filled to the last byte (the tests run as
// root; `mount` failing here is a failure, not a skip). What the sweep's writers throw there, and how the
// sweep recognises it.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkFreeSpace, DiskFullError, freeBytes, isNoSpaceError, MIN_FREE_BYTES } from "../../src/io/disk-space.js";
import { writeOutputFile } from "../../src/io/output-file.js";
import { writeRunIndexes } from "../../src/io/sweep-folder.js";

const scratch = await mkdtemp(join(tmpdir(), "memory-adventure-disk-space-"));
const full = join(scratch, "full");

beforeAll(() => {
  mkdirSync(full);
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", full]);
  mkdirSync(join(full, "out"));
  // Fill it: one write that cannot fit takes every block there is.
  try {
    writeFileSync(join(full, "filler"), Buffer.alloc(2 * 1024 * 1024));
  } catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe("ENOSPC");
  }
});
afterAll(async () => {
  execFileSync("umount", [full]);
  await rm(scratch, { recursive: true, force: true });
});

describe("a full disk", () => {
  it("has no space left, and checkFreeSpace says so", async () => {
    expect(await freeBytes(full)).toBe(0);
    await expect(checkFreeSpace(join(full, "out"))).rejects.toBeInstanceOf(DiskFullError);
  });

  it("a roomy one passes checkFreeSpace", async () => {
    expect(await freeBytes(scratch)).toBeGreaterThan(MIN_FREE_BYTES);
    await expect(checkFreeSpace(scratch)).resolves.toBeUndefined();
  });

  it.each([
    { why: "a plain write", write: () => writeFile(join(full, "out", "console.log"), "x".repeat(10_000)) },
    { why: "writeOutputFile (its InputError keeps the cause)", write: () => writeOutputFile(join(full, "out", "run.json"), "x".repeat(10_000)) },
    { why: "the run indexes (a header is enough)", write: () => writeRunIndexes(join(full, "out"), [], undefined) },
  ])("$why fails with an error isNoSpaceError recognises", async ({ write }) => {
    const error = await write().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeDefined();
    expect(isNoSpaceError(error)).toBe(true);
  });

  it("other errors are not a full disk", async () => {
    const error = await writeOutputFile(join(scratch, "no", "\u0000"), "x").catch((caught: unknown) => caught);
    expect(isNoSpaceError(error)).toBe(false);
    expect(isNoSpaceError(new Error("No space left on device"))).toBe(false);
    expect(isNoSpaceError(new DiskFullError("/x"))).toBe(true);
  });
});
