// The heap dump the sweep asks a spiralling server for before stopping it (io/bazel-process.ts dumpSpiralHeap),
// against a real JVM that plays the server of an output base (test/fixtures/attach/AttachTarget.java, given
// `--output_base=` on its command line and named in server/server.pid.txt, as a Bazel server is): the dump is
// written where the sweep expects it, with garbage (-all); a dump already there (the server's own, at an
// OutOfMemoryError) is not asked for again; the server killed after leaves no attach socket; and when none can be
// had, the result says why in one line.
// Skipped, saying so, only where `java` is absent. The sweep's use of it on a real spiralling Bazel is
// test/e2e/spiral.e2e.test.ts's.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readHeap } from "../../src/core/heap/hprof.js";
import { dumpSpiralHeap, killServer } from "../../src/io/bazel-process.js";
import { openHeapDump } from "../../src/io/hprof-file.js";
import { spiralDumpProblems } from "../../src/render/sweep.js";
import { FIXTURES_DIR } from "../helpers/fixtures.js";

const JAVA = spawnSync("java", ["-version"]).status === 0 ? "java" : undefined;
const NO_JAVA = "java is not on PATH: these tests attach to a real JVM they start";
const work = mkdtempSync(join(tmpdir(), "spiral-heap-dump-test-"));
const started: ChildProcess[] = [];

afterAll(() => {
  for (const child of started) child.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
});

/** An output base whose server is `argv` (started with `--output_base=<it>` last), once it printed "ready". */
async function outputBaseServedBy(name: string, argv: readonly string[]): Promise<string> {
  const outputBase = join(work, name, "output_base");
  mkdirSync(join(outputBase, "server"), { recursive: true });
  const child = spawn(argv[0]!, [...argv.slice(1), `--output_base=${outputBase}`], { stdio: ["pipe", "pipe", "inherit"] });
  started.push(child);
  await new Promise<void>((resolve, reject) => {
    let stdout = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      if (/^ready\b/m.test(stdout)) resolve();
    });
    child.on("exit", (code) => reject(new Error(`${argv.join(" ")} exited with ${code} before it was ready`)));
  });
  writeFileSync(join(outputBase, "server", "server.pid.txt"), String(child.pid));
  return outputBase;
}

describe("dumpSpiralHeap", () => {
  it("has the server write its heap, garbage and all, where the sweep expects the dump", async (context) => {
    context.skip(JAVA === undefined, NO_JAVA);
    const outputBase = await outputBaseServedBy("jvm", [JAVA!, "-XX:+UseSerialGC", "-Xmx64m", join(FIXTURES_DIR, "attach", "AttachTarget.java")]);
    const heapDump = join(work, "jvm", "heap.hprof");
    const result = await dumpSpiralHeap(outputBase, heapDump);
    expect(result).toMatchObject({ taken: true });
    expect(result!.problem).toBeUndefined();
    expect(result!.seconds).toBeGreaterThan(0);
    const dump = await openHeapDump(heapDump);
    try {
      const heap = readHeap(dump.source);
      expect(heap.truncated).toBe(false);
      // -all: the garbage AttachTarget dropped is in it; a live dump would have collected it first.
      expect(heap.classByName.get("AttachTargetGarbage")?.count).toBe(5000);
    } finally {
      dump.close();
    }
    // A dump already there is the server's own (at an OutOfMemoryError): nothing is asked.
    expect(await dumpSpiralHeap(outputBase, heapDump)).toBeUndefined();
    // The sweep then kills the server, and deletes first the attach socket it would leave in /tmp (a JVM given its
    // pid later would be taken for a listener that does not answer).
    const socket = `/tmp/.java_pid${readFileSync(join(outputBase, "server", "server.pid.txt"), "utf8")}`;
    expect(existsSync(socket)).toBe(true);
    expect(await killServer(outputBase)).toBe(true);
    expect(existsSync(socket)).toBe(false);
  });

  it("says in one line why it got none from a server that is not a JVM", async () => {
    const outputBase = await outputBaseServedBy("node", [process.execPath, "-e", 'console.log("ready"); setTimeout(() => {}, 60_000)', "--"]);
    const result = await dumpSpiralHeap(outputBase, join(work, "node", "heap.hprof"));
    expect(result).toMatchObject({ taken: false });
    expect(result!.problem).toMatch(/is not a HotSpot JVM/);
    expect(result!.problem).not.toContain("\n");
  });

  it("says so when the output base has no server", async () => {
    const outputBase = join(work, "none", "output_base");
    mkdirSync(outputBase, { recursive: true });
    expect(await dumpSpiralHeap(outputBase, join(work, "none", "heap.hprof"))).toMatchObject({ taken: false, problem: spiralDumpProblems.serverGone });
  });
});
