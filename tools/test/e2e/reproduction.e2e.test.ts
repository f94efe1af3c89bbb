// The reproduction really reproduces: with the eat aspect the build succeeds at 1 GiB of heap and dies of
// OutOfMemoryError (exit 33) at 128 MiB, where the same build without the aspect succeeds. Runs on the
// Bazel named by $BAZEL (tools/test.sh runs it on 4.2.3 and on 7.7.1).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Interrupter, runBazelCommand } from "../../src/io/bazel-process.js";
import { BAZEL, BazelServer, WORKSPACE_ROOT } from "../helpers/bazel.js";

// Bazel's exit code for a server that ran out of memory.
const OOM_EXIT_CODE = 33;
const buildFlags = ["build", "--symlink_prefix=/", "//..."];

const servers: BazelServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.shutdown()));
});

function readFileSafely(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

function serverWithHeap(name: string, heap: string): BazelServer {
  const server = new BazelServer(name, [`--host_jvm_args=-Xmx${heap}`]);
  servers.push(server);
  return server;
}

describe("bazel build --config=eat //...", () => {
  it("succeeds with 1 GiB of heap", async () => {
    const result = await serverWithHeap("repro-1g", "1g").run([...buildFlags, "--config=eat"]);
    expect(result.exitCode, result.stderr.slice(-3000)).toBe(0);
  });

  it("runs out of memory with 128 MiB of heap, and says so", async () => {
    // Through the sweep's own runner: a server whose crash handler runs out of memory too hangs without a
    // word on the console (seen at 128m), and only the runner's watch on its logs ends that.
    const server = serverWithHeap("repro-128m", "128m");
    // In the output base, which shutdown() deletes.
    const consoleFile = join(server.outputBase, "test-console.log");
    const result = await runBazelCommand(
      {
        bazel: BAZEL,
        args: [...server.startupFlags, ...buildFlags, "--config=eat"],
        cwd: WORKSPACE_ROOT,
        outputBase: server.outputBase,
        consoleFile,
        timeoutMs: 10 * 60_000,
        watch: { gcLog: join(server.outputBase, "no-gc-log"), limitBytes: 128 * 1024 ** 2 },
      },
      new Interrupter(),
    );
    const consoleText = readFileSync(consoleFile, "utf8");
    const serverLogs = ["server/jvm.out", "java.log"].map((file) => readFileSafely(join(server.outputBase, file))).join("\n");
    if (result.stoppedBy === undefined) {
      expect(result.exitCode, consoleText.slice(-3000)).toBe(OOM_EXIT_CODE);
      expect(consoleText).toMatch(/ran out of memory|OutOfMemoryError/);
    } else {
      expect(result.stoppedBy, consoleText.slice(-3000)).toBe("oom-hang");
      expect(`${consoleText}\n${serverLogs}`).toMatch(/ran out of memory|java\.lang\.OutOfMemoryError/);
    }
  });

  it("is the aspect's fault: without it the build succeeds with 128 MiB", async () => {
    const result = await serverWithHeap("repro-noaspect-128m", "128m").run(buildFlags);
    expect(result.exitCode, result.stderr.slice(-3000)).toBe(0);
  });
});
