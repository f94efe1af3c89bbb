// `sweep` on a server that spirals, with real Bazel ($BAZEL): one run of the spiral workspace
// (test/workspaces/spiral), analysis only, at the limit where it spirals on this Bazel (fixtures/spiral-workspace.mjs),
// its young-collection spiral (the kind Bazel's own detector never counts), under a --timeout of 10 minutes. The
// server neither finishes nor throws there; the sweep must tell the spiral from its GC log (core/run/gc-log.ts
// gcSpiral), ask the live server for a heap dump over the attach protocol, stop it, record the run as out of memory
// (gc-thrash) within SPIRAL_STOP_GOAL_SECONDS of the spiral's first collection, and digest the dump, so that
// `heap` and `blame` name the implementation that holds the heap. Both 4.2.3 (JDK 17) and 7.7.1 (JDK 25) spiral
// there. About 100 s.
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { BlameResult } from "../../src/core/blame/blame.js";
import { gcSpiral, parseGcLog, SPIRAL_STOP_GOAL_SECONDS } from "../../src/core/run/gc-log.js";
import type { RunRecord } from "../../src/core/run/run-record.js";
import { SPIRAL_LIMITS, SPIRAL_WORKSPACE } from "../fixtures/spiral-workspace.mjs";
import { BAZEL, runProcess } from "../helpers/bazel.js";
import { runCli } from "../helpers/cli.js";
import { bazelVersion } from "../helpers/goldens.js";

const scratch = await mkdtemp(join(tmpdir(), "memory-adventure-e2e-spiral-"));
afterAll(async () => {
  await runProcess("chmod", ["-R", "u+w", scratch]);
  await rm(scratch, { recursive: true, force: true });
});

const version = bazelVersion(BAZEL);
const limit = (SPIRAL_LIMITS as Readonly<Record<string, string>>)[version];
const TIMEOUT_SECONDS = 600;

describe(`a sweep of a build that spirals (${BAZEL}, Bazel ${version})`, () => {
  it("stops the server a minute into its spiral, out of memory, with the heap dump it asked for, and names who holds the heap", async (context) => {
    context.skip(limit === undefined, `no limit is known at which the spiral workspace spirals on Bazel ${version} (fixtures/spiral-workspace.mjs)`);
    const out = join(scratch, "young");
    const started = Date.now();
    const sweep = await runCli(
      ["sweep", "--bazel", BAZEL, "--workspace", SPIRAL_WORKSPACE, "--targets", "//:young", "--limits", limit!, "--mode", "nobuild"].concat(
        ["--evidence-runs", "0", "--timeout", `${TIMEOUT_SECONDS}s`, "--out", out],
      ),
      { cwd: SPIRAL_WORKSPACE },
    );
    const sweepSeconds = (Date.now() - started) / 1000;
    // Out of memory is a measurement: exit 0.
    expect(sweep.exitCode, sweep.stderr).toBe(0);
    const runIds = readdirSync(join(out, "runs"));
    expect(runIds).toHaveLength(1);
    const runDir = join(out, "runs", runIds[0]!);
    const record = JSON.parse(readFileSync(join(runDir, "run.json"), "utf8")) as RunRecord;
    expect(record).toMatchObject({ status: "oom", stoppedBy: "gc-thrash", threadDumpTaken: true, spiralHeapDump: { taken: true } });
    expect(record.spiralHeapDump!.problem).toBeUndefined();
    expect(sweep.stderr).toMatch(/stopped by the sweep \(gc-thrash, heap dump taken in \d+\.\d s\)/);
    // Well before its --timeout: the minute of the rule, the dumps and the stop.
    expect(record.wallSeconds).toBeLessThan(TIMEOUT_SECONDS / 4);

    // From the spiral's first collection to the stop (the server's last logged collection), by the GC log's uptimes.
    const pauses = parseGcLog(readFileSync(join(runDir, record.artifacts.gcLog!), "utf8"));
    const spiral = gcSpiral(pauses, record.limitBytes);
    expect(spiral, "the run's gc.log holds the spiral that stopped it").toBeDefined();
    const stopSeconds = pauses.at(-1)!.uptimeSeconds - spiral!.sinceUptimeSeconds;
    expect(stopSeconds).toBeLessThanOrEqual(SPIRAL_STOP_GOAL_SECONDS);

    // The attach dump was digested like a crash's, and deleted.
    expect(record.artifacts.heapDigest).toBe("heap-digest.json");
    expect(record.artifacts.heapDump).toBeUndefined();
    const heap = await runCli(["heap", runDir]);
    expect(heap.exitCode, heap.stderr).toBe(0);
    expect(heap.stdout).toMatch(/^verdict: culprit: _creep_impl \(.*defs\.bzl\)/m);
    const blame = await runCli(["blame", out, "--json"]);
    expect(blame.exitCode, blame.stderr).toBe(0);
    const result = JSON.parse(blame.stdout) as BlameResult;
    expect(result.verdict).toBe("culprit");
    expect(result.runs).toMatchObject({ crashed: 1, withDigest: 1 });
    expect(result.suspects[0]).toMatchObject({ function: "_creep_impl" });
    process.stdout.write(`spiral e2e (Bazel ${version}, ${limit}): sweep ${sweepSeconds.toFixed(0)} s, run ${record.wallSeconds} s, spiral to stop ${stopSeconds.toFixed(1)} s, heap dump ${record.spiralHeapDump!.seconds} s\n`);
  });
});
