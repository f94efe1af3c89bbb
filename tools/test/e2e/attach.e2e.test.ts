// The attach client (src/io/jvm-attach.ts) on a live Bazel server ($BAZEL: 4.2.3 on the host's JDK, 7.7.1 on the
// JDK of its Debian sid chroot, whose /tmp is the host's bound in), as the sweep's stop of a spiralling server and
// `snapshot` use it: while the reproduction's analysis runs Starlark, a thread dump and a live heap dump of the
// server with no JDK tool on PATH; the dump digests (io/heap-dumps.ts) with the Starlark threads at work; and the
// server, attached to twice, finishes its build.
import { existsSync, rmSync } from "node:fs";
import { delimiter, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_DIGEST_TOP, type HeapDigest } from "../../src/core/heap/heap-digest.js";
import { digestDumpFile } from "../../src/io/heap-dumps.js";
import { dumpHeap, pathInTarget, threadDump } from "../../src/io/jvm-attach.js";
import { BAZEL, BazelServer } from "../helpers/bazel.js";

/** Roomy: the reproduction needs about 350 MB; the build must end by itself, after the dump. */
const server = new BazelServer("attach", ["--host_jvm_args=-Xmx1g"]);
/** The JDK's own attach tools: none may be on PATH while the client works. */
const JDK_TOOLS = ["java", "jcmd", "jmap", "jstack", "jhsdb", "jinfo", "jps"];
const savedPath = process.env["PATH"];

afterAll(async () => {
  process.env["PATH"] = savedPath;
  await server.shutdown();
});

/** Runs `work` with every folder that holds a JDK tool taken off PATH. */
async function withoutJdkOnPath<T>(work: () => Promise<T>): Promise<T> {
  process.env["PATH"] = (savedPath ?? "")
    .split(delimiter)
    .filter((dir) => !JDK_TOOLS.some((tool) => existsSync(join(dir, tool))))
    .join(delimiter);
  try {
    return await work();
  } finally {
    process.env["PATH"] = savedPath;
  }
}

describe(`attaching to a live Bazel server (${BAZEL})`, () => {
  it("dumps the heap of a server at work in Starlark, live, with no JDK on PATH, and the digest has its threads", async () => {
    // Start the server (a quick analysis-only build) and learn its pid.
    const warm = await server.run(["build", "--config=nobuild", "--symlink_prefix=/", "//memory/..."]);
    expect(warm.exitCode, warm.stderr).toBe(0);
    const info = await server.run(["info", "server_pid"]);
    expect(info.exitCode, info.stderr).toBe(0);
    const pid = Number(info.stdout.trim());
    expect(Number.isSafeInteger(pid) && pid > 0, info.stdout).toBe(true);

    // The reproduction's analysis: Starlark on the server's threads for a while. Spawned before PATH is stripped.
    let buildEnded = false;
    const build = server.run(["build", "--config=eat", "--config=nobuild", "--symlink_prefix=/", "//..."]).finally(() => (buildEnded = true));

    const digest = await withoutJdkOnPath(async (): Promise<HeapDigest | undefined> => {
      // Dump only while a thread dump shows Starlark at work, and again if the analysis moved on meanwhile.
      for (let attempt = 1; !buildEnded; attempt++) {
        const stacks = await threadDump(pid);
        expect(stacks).toMatch(/^Full thread dump /m);
        if (!/^\s+at net\.starlark\.java\.eval\./m.test(stacks)) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          continue;
        }
        const hostPath = join(server.outputBase, `attach-${attempt}.hprof`);
        const dump = await dumpHeap(pid, await pathInTarget(pid, hostPath), { live: true });
        expect(dump.bytes).toBeGreaterThan(0);
        const digested = await digestDumpFile(hostPath, { top: DEFAULT_DIGEST_TOP });
        expect(digested.dump.truncated).toBe(false);
        expect(digested.dump.rootsInferred).toBe(false);
        if (digested.threads.length > 0) return digested;
        rmSync(hostPath);
      }
      return undefined;
    });

    expect(digest, "the build ended before a heap dump caught a Starlark thread at work").toBeDefined();
    expect(digest!.threads.some((thread) => thread.frames.length > 0)).toBe(true);
    // The server took the attaches in its stride.
    const built = await build;
    expect(built.exitCode, built.stderr).toBe(0);
  });
});
