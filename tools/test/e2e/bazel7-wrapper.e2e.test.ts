// tools/bazel7/bazel, the wrapper that runs Bazel 7.7.1 from its chroot, on working directories its long-lived
// bind mounts could get wrong (only when the tests run on it). `bazel --bazelrc=<relative> --version` is answered
// by the client alone, and only if it finds that file in its working directory: it tells that the directory
// inside the chroot is the host's, not an empty folder of the same name, without starting a server.
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BAZEL, WORKSPACE_ROOT, isHostBazel, runProcess } from "../helpers/bazel.js";

/** The chroot's root, as the wrapper computes it (chroot-lib.sh is the one place that says). */
function chrootRoot(): string {
  const lib = join(WORKSPACE_ROOT, "tools/bazel7/chroot-lib.sh");
  const printed = spawnSync("bash", ["-c", 'source "$1" && printf %s "$BAZEL7_ROOT"', "bash", lib], { encoding: "utf8" });
  if (printed.status !== 0) throw new Error(`sourcing ${lib} failed: ${printed.stderr}`);
  return printed.stdout;
}

/** Runs a command that must succeed (mount, umount); throws with its stderr otherwise. */
function mustRun(file: string, args: readonly string[]): void {
  const result = spawnSync(file, args, { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${file} ${args.join(" ")} failed: ${result.stderr}`);
}

// A top-level folder of its own, as a CI checkout under /check is: the wrapper binds top-level folders.
const topLevel = `/memory-adventure-wrapper-test-${process.pid}`;
const hostMounts: string[] = [];

/** `bazel --version` in `checkout`, reading a bazelrc that exists only there. */
function versionIn(checkout: string) {
  writeFileSync(join(checkout, "only-here.bazelrc"), "startup --max_idle_secs=5\n");
  return runProcess(BAZEL, ["--bazelrc=only-here.bazelrc", "--version"], { cwd: checkout });
}

describe.runIf(!isHostBazel())("the Bazel 7.7.1 wrapper's working directory", () => {
  afterEach(() => {
    for (const mountPoint of hostMounts.splice(0).reverse()) mustRun("umount", [mountPoint]);
    // The wrapper leaves its binds in place; this test's own go with it (deepest first, then the empty folder).
    const insideChroot = chrootRoot() + topLevel;
    spawnSync("umount", ["--recursive", insideChroot]);
    rmSync(insideChroot, { recursive: true, force: true });
    rmSync(topLevel, { recursive: true, force: true });
  });

  it("is found after its top-level folder was deleted and made anew (a fresh checkout where an old one was bound)", async () => {
    const first = join(topLevel, "first-checkout");
    mkdirSync(first, { recursive: true });
    const before = await versionIn(first);
    expect(before.exitCode, before.stderr).toBe(0);
    expect(before.stdout).toMatch(/^bazel 7\./);

    rmSync(topLevel, { recursive: true });
    const second = join(topLevel, "second-checkout");
    mkdirSync(second, { recursive: true });
    const after = await versionIn(second);
    expect(after.exitCode, after.stderr).toBe(0);
    expect(after.stdout).toMatch(/^bazel 7\./);
  });

  it("is found on a file system of its own below a top-level folder (binds are not recursive)", async () => {
    const checkout = join(topLevel, "own-file-system");
    mkdirSync(checkout, { recursive: true });
    mustRun("mount", ["-t", "tmpfs", "tmpfs", checkout]);
    hostMounts.push(checkout);
    const result = await versionIn(checkout);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^bazel 7\./);
  });
});
