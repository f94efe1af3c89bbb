// `heap` on a real crash, as a user who just had one meets it: the reproduction runs out of memory on the Bazel
// named by $BAZEL (4.2.3 and 7.7.1 in tools/test.sh), the JVM leaves its heap dump in the output base, and the
// digest of that output base names traverse_impl, holding most of the heap, on the thread that threw.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Interrupter, runBazelCommand } from "../../src/io/bazel-process.js";
import type { HeapDigest } from "../../src/core/heap/heap-digest.js";
import { BAZEL, BazelServer, WORKSPACE_ROOT } from "../helpers/bazel.js";
import { runCli } from "../helpers/cli.js";

/** Low enough to crash quickly on both Bazels, high enough that the aspect is well into its work. */
const CRASH_LIMIT = "200m";

const server = new BazelServer("heap", [
  `--host_jvm_args=-Xmx${CRASH_LIMIT}`,
  // Bazel 4.2.3's client asks for this itself; 7.x's does not. The dump goes into the output base either way.
  "--host_jvm_args=-XX:+HeapDumpOnOutOfMemoryError",
]);
afterAll(() => server.shutdown());

describe("heap on the output base of a build that ran out of memory", () => {
  it("names traverse_impl, holding most of the heap, on the thread that threw", async () => {
    // The JVM writes java_pid<pid>.hprof into its working directory, which is the output base; the startup
    // flags of BazelServer turn dumps off, so turn them on again after them.
    const startup = [...server.startupFlags.filter((flag) => !flag.includes("HeapDumpOnOutOfMemoryError")), "--host_jvm_args=-XX:+HeapDumpOnOutOfMemoryError", `--host_jvm_args=-XX:HeapDumpPath=${server.outputBase}`];
    const result = await runBazelCommand(
      {
        bazel: BAZEL,
        args: [...startup, "build", "--config=eat", "--symlink_prefix=/", "//..."],
        cwd: WORKSPACE_ROOT,
        outputBase: server.outputBase,
        consoleFile: join(server.outputBase, "test-console.log"),
        timeoutMs: 10 * 60_000,
        watch: { gcLog: join(server.outputBase, "no-gc-log"), limitBytes: 200 * 1024 ** 2, heapDump: undefined },
      },
      new Interrupter(),
    );
    expect(result.exitCode === 33 || result.stoppedBy === "oom-hang", `exit ${result.exitCode}, stopped by ${result.stoppedBy}`).toBe(true);
    expect(readdirSync(server.outputBase).filter((name) => /^java_pid\d+\.hprof$/.test(name))).toHaveLength(1);

    const cli = await runCli(["heap", server.outputBase, "--json"], { cwd: WORKSPACE_ROOT });
    expect(cli.exitCode, cli.stderr).toBe(0);
    const [dump] = (JSON.parse(cli.stdout) as { dumps: (HeapDigest & { source: string })[] }).dumps;
    expect(dump!.source).toMatch(/java_pid\d+\.hprof$/);
    expect(dump!.dump.truncated).toBe(false);
    expect(dump!.verdict.kind).toBe("culprit");
    expect(dump!.suspects[0]).toMatchObject({ function: "traverse_impl", file: join(WORKSPACE_ROOT, "memory/private/traverse.bzl") });
    expect(dump!.suspects[0]!.share).toBeGreaterThan(0.5);
    // The thread that ran out of memory was inside traverse_impl (and the builtin it called).
    const thrower = dump!.threads.find((thread) => thread.threwError);
    expect(thrower, JSON.stringify(dump!.threads)).toBeDefined();
    expect(thrower!.frames.filter((frame) => !frame.builtin).map((frame) => frame.function)).toContain("traverse_impl");

    const text = await runCli(["heap", server.outputBase], { cwd: WORKSPACE_ROOT });
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^verdict: culprit: traverse_impl \(memory\/private\/traverse\.bzl\) holds \d+\.\d% of the heap/m);
  });
});
