// How runBazelCommand stops a server that will never end by itself, and waits for its thread dump. A real
// Bazel reaches these states only by chance (the silent hang at 128m that cost a CI run 10 minutes is kept
// as the fixture bazel-4.2.3/run-status/oom-hang-silent), so a stand-in plays the client and the server
// here: fixtures/hanging-server.mjs, whose dumps copy that fixture's. The end-to-end tests run the same code
// against real Bazel.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { threadDumpProgress } from "../../src/core/run/thread-dump.js";
import { heapDumpWriting } from "../../src/core/run/jvm-heap-dump.js";
import { HEAP_DUMP_STALL_MS, Interrupter, killOrphanClients, killServer, OOM_HANG_GRACE_MS, runBazelCommand, serverPid, THREAD_DUMP_DEADLINE_MS } from "../../src/io/bazel-process.js";

const HANGING_SERVER = fileURLToPath(new URL("../fixtures/hanging-server.mjs", import.meta.url));
const PRINT_ARGV = fileURLToPath(new URL("../launcher/print_argv.mjs", import.meta.url));
const scratch = await mkdtemp(join(tmpdir(), "memory-adventure-bazel-process-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

async function runHanging(name: string, how: string, options: { timeoutMs?: number; dump?: string; heapDump?: "writing" | "stuck"; interruptAfterMs?: number } = {}) {
  const dir = join(scratch, name);
  const outputBase = join(dir, "output_base");
  const gcLog = join(dir, "gc.log");
  const heapDump = join(dir, "heap.hprof");
  const started = Date.now();
  const interrupter = new Interrupter();
  if (options.interruptAfterMs !== undefined) setTimeout(() => interrupter.interrupt(), options.interruptAfterMs);
  const result = await runBazelCommand(
    {
      bazel: process.execPath,
      args: [HANGING_SERVER, "client", outputBase, how, gcLog, options.dump ?? "whole", options.heapDump ?? "none", heapDump],
      cwd: scratch,
      outputBase,
      consoleFile: join(dir, "console.log"),
      timeoutMs: options.timeoutMs ?? 60_000,
      watch: { gcLog, limitBytes: 128 * 1024 ** 2, heapDump: options.heapDump === undefined ? undefined : heapDump },
    },
    interrupter,
  );
  const jvmOut = readFileSync(join(outputBase, "server", "jvm.out"), "utf8");
  return { result, seconds: (Date.now() - started) / 1000, outputBase, dir, jvmOut, heapDump };
}

/**
 * The server is gone, or goes within seconds: a signalled process ends asynchronously, and on two busy cores
 * the command's result can come before the kernel has removed it (seen with two test workers).
 */
async function expectServerGone(outputBase: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await serverPid(outputBase)) !== undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(await serverPid(outputBase)).toBeUndefined();
}

describe("runBazelCommand stops a server that hangs", () => {
  it("whose OutOfMemoryError shows only in its java.log: after a thread dump, OOM_HANG_GRACE_MS later", async () => {
    const { result, seconds, outputBase, dir, jvmOut } = await runHanging("oom", "oom-in-java-log");
    expect(result).toMatchObject({ stoppedBy: "oom-hang", exitCode: 37, threadDumpTaken: true });
    expect(seconds).toBeGreaterThanOrEqual(OOM_HANG_GRACE_MS / 1000);
    expect(seconds).toBeLessThan(OOM_HANG_GRACE_MS / 1000 + 10);
    expect(threadDumpProgress(jvmOut)).toEqual({ threads: true, heapSummary: true });
    expect(readFileSync(join(dir, "console.log"), "utf8")).toContain("Analyzing:");
    await expectServerGone(outputBase);
  }, 40_000);

  it("whose GC log shows a minute of full collections that free nothing, at the next look", async () => {
    const { result, seconds, outputBase, jvmOut } = await runHanging("thrash", "gc-thrash");
    expect(result).toMatchObject({ stoppedBy: "gc-thrash", exitCode: 37, threadDumpTaken: true });
    expect(seconds).toBeLessThan(10);
    expect(threadDumpProgress(jvmOut)).toEqual({ threads: true, heapSummary: true });
    await expectServerGone(outputBase);
  }, 30_000);

  it("without a sign: only the timeout stops it", async () => {
    const { result, outputBase, jvmOut } = await runHanging("silent", "silent", { timeoutMs: 3_000 });
    expect(result).toMatchObject({ stoppedBy: "timeout", threadDumpTaken: true });
    expect(threadDumpProgress(jvmOut).threads).toBe(true);
    expect(existsSync(join(outputBase, "java.log"))).toBe(false);
    await expectServerGone(outputBase);
  }, 40_000);
});

describe("runBazelCommand waits for the thread dump, within a deadline", () => {
  it("a dump written slowly (as by a JVM between long GC pauses) is waited for, heap summary included", async () => {
    const { result, seconds, outputBase, jvmOut } = await runHanging("slow-dump", "gc-thrash", { dump: "slow" });
    expect(result).toMatchObject({ stoppedBy: "gc-thrash", threadDumpTaken: true });
    // The heap summary came 3 s after the SIGQUIT: a fixed wait of 2 s would have killed the server first.
    expect(jvmOut).toContain(" Metaspace       used");
    expect(seconds).toBeGreaterThanOrEqual(3);
    expect(seconds).toBeLessThan(THREAD_DUMP_DEADLINE_MS / 1000);
    await expectServerGone(outputBase);
  }, 40_000);

  it("a server that never writes one is killed after THREAD_DUMP_DEADLINE_MS, and the result says so", async () => {
    const { result, seconds, outputBase, jvmOut } = await runHanging("no-dump", "gc-thrash", { dump: "none" });
    expect(result).toMatchObject({ stoppedBy: "gc-thrash", exitCode: 37, threadDumpTaken: false });
    expect(jvmOut).not.toContain("Full thread dump");
    expect(seconds).toBeGreaterThanOrEqual(THREAD_DUMP_DEADLINE_MS / 1000);
    expect(seconds).toBeLessThan(THREAD_DUMP_DEADLINE_MS / 1000 + 10);
    await expectServerGone(outputBase);
  }, 60_000);

  it("Ctrl-C asks for no dump", async () => {
    const { result, outputBase, jvmOut } = await runHanging("interrupt", "silent", { interruptAfterMs: 1_000 });
    await killServer(outputBase);
    expect(result.stoppedBy).toBe("interrupt");
    expect(result.threadDumpTaken).toBeUndefined();
    expect(jvmOut).not.toContain("Full thread dump");
  }, 30_000);
});

describe("runBazelCommand never cuts a heap dump short", () => {
  it("a server stopped while it writes its heap dump is killed only once jvm.out says the dump is done", async () => {
    const { result, seconds, outputBase, jvmOut, heapDump } = await runHanging("dump-writing", "gc-thrash", { heapDump: "writing" });
    expect(result).toMatchObject({ stoppedBy: "gc-thrash", exitCode: 37, threadDumpTaken: true });
    // 12 s of writing: longer than the stall limit, so the wait followed the file's growth to its end.
    expect(seconds).toBeGreaterThanOrEqual(12);
    expect(heapDumpWriting(jvmOut)).toBe(false);
    expect(jvmOut).toContain(`Heap dump file created [${12 * 1024 ** 2} bytes`);
    expect(statSync(heapDump).size).toBe(12 * 1024 ** 2);
    await expectServerGone(outputBase);
  }, 60_000);

  it("a Ctrl-C while the heap dump is written ends the wait: the user's stop outranks the dump", async () => {
    const { result, seconds, outputBase, heapDump } = await runHanging("dump-interrupted", "gc-thrash", { heapDump: "writing", interruptAfterMs: 5_000 });
    expect(result).toMatchObject({ stoppedBy: "gc-thrash", exitCode: 37 });
    expect(seconds).toBeLessThan(12);
    expect(statSync(heapDump).size).toBeLessThan(12 * 1024 ** 2);
    await expectServerGone(outputBase);
  }, 60_000);

  it("a heap dump that stops growing is given up after HEAP_DUMP_STALL_MS, and the server killed", async () => {
    const { result, seconds, outputBase, jvmOut, heapDump } = await runHanging("dump-stuck", "gc-thrash", { heapDump: "stuck" });
    expect(result).toMatchObject({ stoppedBy: "gc-thrash", exitCode: 37, threadDumpTaken: true });
    expect(seconds).toBeGreaterThanOrEqual(HEAP_DUMP_STALL_MS / 1000);
    expect(seconds).toBeLessThan(HEAP_DUMP_STALL_MS / 1000 + 15);
    expect(heapDumpWriting(jvmOut)).toBe(true);
    expect(statSync(heapDump).size).toBe(0);
    await expectServerGone(outputBase);
  }, 60_000);
});

describe("runBazelCommand passes arguments as they are", () => {
  it("never through a shell: metacharacters reach the program literally and run nothing", async () => {
    const dir = join(scratch, "argv");
    const marker = join(dir, "touched");
    const args = ["//foo;rm -rf x", `$(touch ${marker})`, "`touch ${marker}`", "a b", "'quoted'", "*", "--", "-"];
    const result = await runBazelCommand(
      { bazel: process.execPath, args: [PRINT_ARGV, ...args], cwd: scratch, outputBase: join(dir, "output_base"), consoleFile: join(dir, "console.log"), watch: undefined },
      new Interrupter(),
    );
    expect(result).toMatchObject({ exitCode: 0, stoppedBy: undefined, threadDumpTaken: undefined });
    expect((JSON.parse(readFileSync(join(dir, "console.log"), "utf8")) as { argv: string[] }).argv).toEqual(args);
    expect(existsSync(marker)).toBe(false);
  });
});

describe("killOrphanClients", () => {
  it("kills the client a sweep killed outright left running, never the server or another output base's client", async () => {
    const outputBase = join(scratch, "orphans", "output_base");
    const client = spawn(process.execPath, [HANGING_SERVER, "client", outputBase, "silent"], { stdio: "ignore" });
    const clientEnded = new Promise((resolve) => client.on("close", resolve));
    let server: number | undefined;
    while ((server = await serverPid(outputBase)) === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
    // Clients as Bazel's are: the output base is a startup flag on their command line.
    const idle = ["-e", "setTimeout(() => {}, 30000)", "--"];
    const orphan = spawn(process.execPath, [...idle, `--output_base=${outputBase}`, "build", "//..."], { stdio: "ignore" });
    const orphanEnded = new Promise((resolve) => orphan.on("close", (_code, signal) => resolve(signal)));
    const other = spawn(process.execPath, [...idle, `--output_base=${outputBase}-other`, "build"], { stdio: "ignore" });
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(await killOrphanClients(outputBase)).toEqual([orphan.pid]);
    expect(await orphanEnded).toBe("SIGKILL");
    expect(await serverPid(outputBase)).toBe(server);
    expect(other.exitCode).toBeNull();
    other.kill("SIGKILL");
    await killServer(outputBase);
    await clientEnded;
  }, 20_000);
});
