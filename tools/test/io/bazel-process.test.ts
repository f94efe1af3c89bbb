// How runBazelCommand stops a server that will never end by itself. A real Bazel reaches these states only
// by chance (the silent hang at 128m that cost a CI run 10 minutes is kept as the fixture
// bazel-4.2.3/run-status/oom-hang-silent), so a stand-in plays the client and the server here:
// fixtures/hanging-server.mjs. The end-to-end tests run the same code against real Bazel.
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { Interrupter, OOM_HANG_GRACE_MS, runBazelCommand, serverPid } from "../../src/io/bazel-process.js";

const HANGING_SERVER = fileURLToPath(new URL("../fixtures/hanging-server.mjs", import.meta.url));
const scratch = await mkdtemp(join(tmpdir(), "memory-adventure-bazel-process-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

async function runHanging(name: string, how: string, timeoutMs = 60_000) {
  const dir = join(scratch, name);
  const outputBase = join(dir, "output_base");
  const gcLog = join(dir, "gc.log");
  const started = Date.now();
  const result = await runBazelCommand(
    {
      bazel: process.execPath,
      args: [HANGING_SERVER, "client", outputBase, how, gcLog],
      cwd: scratch,
      outputBase,
      consoleFile: join(dir, "console.log"),
      timeoutMs,
      watch: { gcLog, limitBytes: 128 * 1024 ** 2 },
    },
    new Interrupter(),
  );
  return { result, seconds: (Date.now() - started) / 1000, outputBase, dir };
}

describe("runBazelCommand stops a server that hangs", () => {
  it("whose OutOfMemoryError shows only in its java.log: after a thread dump, OOM_HANG_GRACE_MS later", async () => {
    const { result, seconds, outputBase, dir } = await runHanging("oom", "oom-in-java-log");
    expect(result).toMatchObject({ stoppedBy: "oom-hang", exitCode: 37 });
    expect(seconds).toBeGreaterThanOrEqual(OOM_HANG_GRACE_MS / 1000);
    expect(seconds).toBeLessThan(OOM_HANG_GRACE_MS / 1000 + 10);
    expect(readFileSync(join(outputBase, "server", "jvm.out"), "utf8")).toContain("Full thread dump");
    expect(readFileSync(join(dir, "console.log"), "utf8")).toContain("Analyzing:");
    expect(await serverPid(outputBase)).toBeUndefined();
  }, 40_000);

  it("whose GC log shows a minute of full collections that free nothing, at the next look", async () => {
    const { result, seconds, outputBase } = await runHanging("thrash", "gc-thrash");
    expect(result).toMatchObject({ stoppedBy: "gc-thrash", exitCode: 37 });
    expect(seconds).toBeLessThan(10);
    expect(readFileSync(join(outputBase, "server", "jvm.out"), "utf8")).toContain("Full thread dump");
    expect(await serverPid(outputBase)).toBeUndefined();
  }, 30_000);

  it("without a sign: only the timeout stops it", async () => {
    const { result, outputBase } = await runHanging("silent", "silent", 3_000);
    expect(result.stoppedBy).toBe("timeout");
    expect(readFileSync(join(outputBase, "server", "jvm.out"), "utf8")).toContain("Full thread dump");
    expect(existsSync(join(outputBase, "java.log"))).toBe(false);
    expect(await serverPid(outputBase)).toBeUndefined();
  }, 40_000);
});
