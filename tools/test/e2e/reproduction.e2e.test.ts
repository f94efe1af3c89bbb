// The reproduction really reproduces: with the eat aspect the build succeeds at 1 GiB of heap and dies of
// OutOfMemoryError (exit 33) at 128 MiB, where the same build without the aspect succeeds. Runs on the
// Bazel named by $BAZEL (tools/test.sh runs it on 4.2.3 and on 7.7.1).
import { afterEach, describe, expect, it } from "vitest";
import { BazelServer } from "../helpers/bazel.js";

// Bazel's exit code for a server that ran out of memory.
const OOM_EXIT_CODE = 33;
const buildFlags = ["build", "--symlink_prefix=/", "//..."];

const servers: BazelServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.shutdown()));
});

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
    const result = await serverWithHeap("repro-128m", "128m").run([...buildFlags, "--config=eat"]);
    expect(result.exitCode, result.stderr.slice(-3000)).toBe(OOM_EXIT_CODE);
    expect(result.stderr).toMatch(/ran out of memory|OutOfMemoryError/);
  });

  it("is the aspect's fault: without it the build succeeds with 128 MiB", async () => {
    const result = await serverWithHeap("repro-noaspect-128m", "128m").run(buildFlags);
    expect(result.exitCode, result.stderr.slice(-3000)).toBe(0);
  });
});
