// The reproduction really reproduces, and it is the aspect's fault: without it the build succeeds at 128 MiB,
// where with it the build runs out of memory (that, and success at 1 GiB, are checked by the default sweep in
// sweep.e2e.test.ts, and at 200m by heap.e2e.test.ts). Runs on the Bazel named by $BAZEL (4.2.3 and 7.7.1).
import { afterEach, describe, expect, it } from "vitest";
import { BazelServer } from "../helpers/bazel.js";

const servers: BazelServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.shutdown()));
});

describe("bazel build //... without the eat aspect", () => {
  it("succeeds with 128 MiB, where the aspect makes it run out of memory", async () => {
    const server = new BazelServer("repro-noaspect-128m", ["--host_jvm_args=-Xmx128m"]);
    servers.push(server);
    const result = await server.run(["build", "--symlink_prefix=/", "//..."]);
    expect(result.exitCode, result.stderr.slice(-3000)).toBe(0);
  });
});
