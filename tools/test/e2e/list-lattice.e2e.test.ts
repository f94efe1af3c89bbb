// The list-heavy shape on real Bazel ($BAZEL: 4.2.3 and 7.7.1 in tools/test.sh): test/workspaces/list_lattice, a
// rule that flattens its deps' lists into its provider over a 5×16 lattice, runs out of memory in analysis at
// CRASH_LIMITS. A cold build leaves the JVM's heap dump in the output base, and `heap OUTPUT_BASE` (the bundle, as a
// user runs it) names the rule's implementation as the culprit, holding the heap in its provider; a sweep of the
// workspace (one limit that crashes, one that builds, no evidence runs) has blame name the same function. The
// implementation and provider are read from the workspace's defs.bzl. About 1 minute per Bazel version.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { BlameResult } from "../../src/core/blame/blame.js";
import type { HeapDigest } from "../../src/core/heap/heap-digest.js";
import { classifyRun } from "../../src/core/run/run-status.js";
import { Interrupter, runBazelCommand } from "../../src/io/bazel-process.js";
import { BAZEL, BazelServer, runProcess } from "../helpers/bazel.js";
import { runCli } from "../helpers/cli.js";
import { bazelVersion } from "../helpers/goldens.js";
import { LATTICE_WORKSPACE, latticeRule } from "../helpers/list-lattice.js";

/**
 * The heap limit each Bazel version's cold build of //... crashes at, deep enough into the top layer that the
 * finished targets' providers alone make the culprit (the digest's verdict needs 10% of the heap in one function's
 * hands), whichever thread threw. Measured here (cold builds and sweeps, default flags otherwise):
 *   4.2.3  builds at 56m. At 40m 11 of 11 crashed (6 builds, 5 sweeps), the culprit holding 43.5–51.2% in the 8
 *          digests looked at; 48m: 54.8–57.1%.
 *   7.7.1  builds at 48m (2 of 2), at 47m once of 2. At 40m 29 of 29 crashed (23 builds, 6 sweeps; one build and
 *          sweep with both cores kept busy), the culprit holding 16.7–23.9% in the 25 digests looked at (LatticeInfo
 *          16.3–20.7%); 44m: 29.5%; 36m: only 13.1%.
 * Which thread throws varies: on 7.7.1 at 40m 3 of 21 crashes threw outside Starlark (the JVM's Notification Thread,
 * the profile writer on the busy machine, an analysis thread between implementations), and their digests named the
 * culprit all the same (17.0–22.0%), from the providers. So this test asks for the culprit from the holders, and
 * for the thrower's frames only when it threw in Starlark. 40m is 16m below 4.2.3's success and 7m below 7.7.1's:
 * no coin toss between crash and build.
 */
const CRASH_LIMITS: Readonly<Record<string, string>> = { "4.2.3": "40m", "7.7.1": "40m" };
/** Where the lattice builds on both versions: the sweep's run without pressure. */
const BUILDS_LIMIT = "256m";

const version = bazelVersion(BAZEL);
const limit = CRASH_LIMITS[version];

const scratch = await mkdtemp(join(tmpdir(), "memory-adventure-e2e-list-lattice-"));
const server = new BazelServer("list-lattice", [`--host_jvm_args=-Xmx${limit ?? "0"}`]);
afterAll(async () => {
  await server.shutdown();
  await runProcess("chmod", ["-R", "u+w", scratch]);
  await rm(scratch, { recursive: true, force: true });
});

const { implementation, provides } = latticeRule();

function readTextIfAny(file: string): string {
  return existsSync(file) ? readFileSync(file, "utf8") : "";
}

const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe(`list_lattice running out of memory (${BAZEL}, Bazel ${version}, -Xmx${limit})`, () => {
  it(`heap OUTPUT_BASE names ${implementation} as the culprit, holding the heap in its provider`, async (context) => {
    context.skip(limit === undefined, `no limit is known at which list_lattice crashes on Bazel ${version} (CRASH_LIMITS)`);
    const started = Date.now();
    // The JVM writes java_pid<pid>.hprof into the output base; BazelServer's flags turn dumps off, so turn them on.
    const startup = [
      ...server.startupFlags.filter((flag) => !flag.includes("HeapDumpOnOutOfMemoryError")),
      "--host_jvm_args=-XX:+HeapDumpOnOutOfMemoryError",
      `--host_jvm_args=-XX:HeapDumpPath=${server.outputBase}`,
    ];
    const result = await runBazelCommand(
      {
        bazel: BAZEL,
        args: [...startup, "build", "--symlink_prefix=/", "//..."],
        cwd: LATTICE_WORKSPACE,
        outputBase: server.outputBase,
        consoleFile: join(scratch, "build-console.log"),
        timeoutMs: 5 * 60_000,
        watch: { gcLog: join(scratch, "no-gc-log"), limitBytes: Number.parseInt(limit!, 10) * 1024 ** 2, heapDump: undefined },
      },
      new Interrupter(),
    );
    // Out of memory as the sweep tells it: exit 33, or (seen on 7.7.1, 2 of 13 crashes of this test) the client's
    // "Server terminated abruptly" (37) when the server halted before its answer reached the client, with the
    // OutOfMemoryError in jvm.out; or a server that hung after it, stopped once its dump was written.
    const buildConsole = readFileSync(join(scratch, "build-console.log"), "utf8");
    const serverLog = ["java.log", "server/jvm.out"].map((file) => readTextIfAny(join(server.outputBase, file))).join("\n");
    const status = classifyRun({ exitCode: result.exitCode, console: buildConsole, serverLog, bep: "", stoppedBy: result.stoppedBy });
    expect(status, `exit ${result.exitCode}, stopped by ${result.stoppedBy}:\n${buildConsole.slice(-2000)}\nserver logs:\n${serverLog.slice(-3000)}`).toBe("oom");
    expect(readdirSync(server.outputBase).filter((name) => /^java_pid\d+\.hprof$/.test(name))).toHaveLength(1);
    const buildSeconds = (Date.now() - started) / 1000;

    const cli = await runCli(["heap", server.outputBase, "--json"], { cwd: LATTICE_WORKSPACE });
    expect(cli.exitCode, cli.stderr).toBe(0);
    const [dump] = (JSON.parse(cli.stdout) as { dumps: (HeapDigest & { source: string })[] }).dumps;
    expect(dump!.dump.truncated).toBe(false);
    const verdict = dump!.verdict;
    if (verdict.kind !== "culprit") throw new Error(`verdict ${verdict.kind}, expected a culprit: ${JSON.stringify(verdict)}\nholders: ${JSON.stringify(dump!.holders)}`);
    expect(verdict.suspect).toMatchObject({ function: implementation, file: join(LATTICE_WORKSPACE, "defs.bzl") });
    expect(verdict.suspect.evidence).toContainEqual(expect.objectContaining({ kind: "providers", provider: provides }));
    expect(dump!.holders[0]).toMatchObject({ kind: "provider", provider: provides, ownerKind: "rule", function: { function: implementation } });
    // The thread that threw: when it was running Starlark, it was inside the implementation (see CRASH_LIMITS).
    const thrower = dump!.threads.find((thread) => thread.threwError);
    if (dump!.errorThread?.inStarlark) expect(thrower?.frames.filter((frame) => !frame.builtin).map((frame) => frame.function)).toContain(implementation);

    const text = await runCli(["heap", server.outputBase], { cwd: LATTICE_WORKSPACE });
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^verdict: culprit: ${escaped(implementation)} \\(defs\\.bzl\\) holds \\d+\\.\\d% of the heap`, "m"));
    process.stdout.write(
      `list-lattice heap e2e (Bazel ${version}, ${limit}): build ${buildSeconds.toFixed(0)} s, exit ${result.exitCode}, culprit ${(verdict.suspect.share * 100).toFixed(1)}%, ` +
        `threw in ${dump!.errorThread?.name ?? "?"}${dump!.errorThread?.inStarlark ? " (Starlark)" : ""}\n`,
    );
  });

  it(`a sweep of it: blame names ${implementation} as the culprit`, async (context) => {
    context.skip(limit === undefined, `no limit is known at which list_lattice crashes on Bazel ${version} (CRASH_LIMITS)`);
    const started = Date.now();
    const out = join(scratch, "sweep");
    // A crash and a build (the fewest that make a threshold), no evidence runs; a run that hangs costs 2 minutes,
    // not the default 10 (each takes 5–20 s here).
    const sweep = await runCli(
      ["sweep", "--bazel", BAZEL, "--workspace", LATTICE_WORKSPACE, "--limits", `${limit},${BUILDS_LIMIT}`, "--evidence-runs", "0", "--timeout", "2m", "--out", out],
      { cwd: LATTICE_WORKSPACE },
    );
    expect(sweep.exitCode, sweep.stderr).toBe(0);
    expect(sweep.stdout).toMatch(new RegExp(`^\\d{4}m-r01 +${limit} +oom `, "m"));
    expect(sweep.stdout).toMatch(new RegExp(`^\\d{4}m-r01 +${BUILDS_LIMIT} +ok `, "m"));
    expect(sweep.stdout).toMatch(new RegExp(`^verdict: culprit: ${escaped(implementation)} \\(defs\\.bzl\\)`, "m"));

    const blame = await runCli(["blame", out, "--json"], { cwd: LATTICE_WORKSPACE });
    expect(blame.exitCode, blame.stderr).toBe(0);
    const result = JSON.parse(blame.stdout) as BlameResult;
    expect(result.verdict).toBe("culprit");
    expect(result.runs).toMatchObject({ crashed: 1, withDigest: 1 });
    expect(result.suspects[0]).toMatchObject({ function: implementation, file: "defs.bzl" });
    expect(result.suspects[0]!.heap).toBeDefined();
    process.stdout.write(
      `list-lattice sweep e2e (Bazel ${version}, ${limit},${BUILDS_LIMIT}): sweep and blame ${((Date.now() - started) / 1000).toFixed(0)} s, ` +
        `culprit ${(result.suspects[0]!.heap!.meanShare * 100).toFixed(1)}% of the heap\n`,
    );
  });
});
