// `blame` on real sweeps, on the host Bazel (4.2.3). The reproduction without heap dumps: the other signals
// alone must name traverse_impl. The test workspaces of test/workspaces (host Bazel only: they
// cost minutes and test the attribution, not the Bazel version), one crash each: a rule hoarding in its
// providers while decoys burn more CPU, a hog in a helper function, a macro eating memory while its package
// loads, and a control whose memory is spread over ten rule kinds. The default sweep with heap dumps is
// test/e2e/sweep.e2e.test.ts's.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { BlameResult } from "../../src/core/blame/blame.js";
import { BAZEL, WORKSPACE_ROOT, isHostBazel, runProcess } from "../helpers/bazel.js";
import { expectNamedWithoutDumps } from "../helpers/blame.js";
import { runCli } from "../helpers/cli.js";

const scratch = await mkdtemp(join(tmpdir(), "memory-adventure-e2e-blame-"));
afterAll(async () => {
  await runProcess("chmod", ["-R", "u+w", scratch]);
  await rm(scratch, { recursive: true, force: true });
});

const WORKSPACES = fileURLToPath(new URL("../workspaces/", import.meta.url));

/** blame's JSON; exit 0 with a verdict, 1 when no run had usable evidence (verdict no-evidence). */
async function blameOf(out: string, ...extra: string[]): Promise<BlameResult> {
  const result = await runCli(["blame", out, "--json", ...extra]);
  expect([0, 1], result.stderr).toContain(result.exitCode);
  const parsed = JSON.parse(result.stdout) as BlameResult;
  expect(result.exitCode).toBe(parsed.verdict === "no-evidence" ? 1 : 0);
  return parsed;
}

// Host Bazel only (4.2.3, whose OOM traces have Java frames only, so the crashed profiles are all the stacks
// there are); on 7.x, sweep.e2e.test.ts checks blame without the heap signal, where the OOM traces name frames.
describe.runIf(isHostBazel())("blame on the reproduction swept without heap dumps", () => {
  it("names traverse_impl first from the other signals, and accuses nothing else", async () => {
    const out = join(scratch, "repro-no-dumps");
    // One evidence run: two crashes in all (the fewest that can corroborate), and 1g as the GC baseline.
    const sweep = await runCli(["sweep", "--bazel", BAZEL, "--no-heap-dumps", "--limits", "256m,1g", "--evidence-runs", "1", "--out", out], { cwd: WORKSPACE_ROOT });
    expect(sweep.exitCode, sweep.stderr).toBe(0);
    expect(sweep.stdout).toMatch(/^verdict: (culprit|no single culprit): /m);
    const result = await blameOf(out);
    expect(result.runs).toMatchObject({ crashed: 2, withDigest: 0 });
    expectNamedWithoutDumps(result);
  });
});

/** blame's reason and first suspects, the run's record and its digest's summary, as one line for a failure's message. */
async function evidenceOf(out: string, blame: BlameResult): Promise<string> {
  const runDir = join(out, "runs", "0128m-r01");
  const json = async (name: string): Promise<unknown> => JSON.parse(await readFile(join(runDir, name), "utf8").catch((error: Error) => JSON.stringify(error.message)));
  const run = (await json("run.json")) as Record<string, unknown>;
  const digest = (await json("heap-digest.json")) as Record<string, unknown>;
  return JSON.stringify({
    blame: { verdict: blame.verdict, reason: blame.reason, suspects: blame.suspects.slice(0, 3) },
    run: { status: run.status, exitCode: run.exitCode, wallSeconds: run.wallSeconds },
    digest: { dump: digest.dump, verdict: digest.verdict, suspects: (digest.suspects as unknown[] | undefined)?.slice(0, 3), errorThread: digest.errorThread },
  });
}

/**
 * Whether the run's dump was written when a thread outside Starlark threw, with under 1% of the heap Starlark's:
 * the JVM's race, not the digest's reading (a digest that misread a dump of the hoard would find the thread that
 * threw running Starlark, or a large Starlark share).
 */
async function dumpCaughtBazelBeforeTheHoard(out: string): Promise<boolean> {
  const text = await readFile(join(out, "runs", "0128m-r01", "heap-digest.json"), "utf8").catch(() => undefined);
  if (text === undefined) return false;
  const digest = JSON.parse(text) as { errorThread?: { inStarlark: boolean }; verdict?: { kind: string; starlarkShare?: number } };
  const starlarkShare = digest.verdict?.kind === "no-starlark" ? 0 : (digest.verdict?.starlarkShare ?? 1);
  return digest.errorThread?.inStarlark === false && starlarkShare < 0.01;
}

/** A shape: its workspace, the limit it runs out of memory at (fast), and what blame must say of it. */
const SHAPES = [
  { name: "provider_hoard", culprit: "_hoard_impl", file: "defs.bzl" },
  { name: "helper_hog", culprit: "_expand", file: "defs.bzl" },
  { name: "macro_hog", culprit: "tables", file: "macros.bzl" },
  { name: "spread_thin", culprit: undefined, file: undefined },
] as const;

describe.runIf(isHostBazel())("blame on the test workspaces' shapes", () => {
  it.each(SHAPES)("$name", async ({ name, culprit, file }) => {
    const workspace = join(WORKSPACES, name);
    const swept = async (out: string): Promise<void> => {
      const sweep = await runCli(["sweep", "--bazel", BAZEL, "--workspace", workspace, "--limits", "128m", "--evidence-runs", "0", "--out", out], { cwd: workspace });
      expect(sweep.exitCode, sweep.stderr).toBe(0);
      expect(sweep.stdout).toMatch(/^0128m-r01 +128m +oom /m);
    };
    let out = join(scratch, name);
    await swept(out);
    if (culprit !== undefined && (await dumpCaughtBazelBeforeTheHoard(out))) {
      // Seen on 4.2.3 (CI, 2026-12-06, macro_hog): the JVM's first OutOfMemoryError, the one it dumps at, thrown
      // in a thread of Bazel's own (the Starlark CPU profiler's SIGPROF router) with 14 MB of the 128m heap
      // reachable and the hoard not in the dump. No digest can name a culprit the dump does not hold: sweep again,
      // once; the second dump is held to the same test.
      process.stderr.write(`blame e2e ${name}: the dump caught Bazel outside Starlark with nearly nothing of it; sweeping again\n`);
      out = join(scratch, `${name}-again`);
      await swept(out);
    }

    const withDump = await blameOf(out);
    // What a failure needs to be read later (the test's folder is deleted): blame's reason and suspects, the
    // run's record and what its digest said.
    const evidence = await evidenceOf(out, withDump);
    expect(withDump.runs.withDigest, evidence).toBe(1);
    if (culprit === undefined) {
      expect(withDump.verdict, evidence).toBe("no-single-culprit");
      expect(withDump.reason.kind, evidence).toBe("memory-spread");
    } else {
      expect(withDump.verdict, evidence).toBe("culprit");
      expect(withDump.suspects[0], evidence).toMatchObject({ function: culprit, file });
    }
    // The other signals alone: one crash run at one limit, no heap dump. A crash stack alone accuses no one (it
    // needs a second crash, or more GC in its calls than at a higher limit, which this sweep has not), so they
    // name no culprit, right or wrong: the verdict is "no single culprit" for want of heap dumps, or no evidence.
    const alone = await blameOf(out, "--without", "heap");
    expect(alone.runs).toMatchObject({ crashed: 1 });
    expect(alone.suspects.every((suspect) => suspect.heap === undefined)).toBe(true);
    expect([
      "no-single-culprit: crash-stacks-uncorroborated",
      "no-single-culprit: crash-stacks-disagree",
      "no-single-culprit: indirect-only",
      "no-evidence: no-function-evidence",
    ]).toContain(`${alone.verdict}: ${alone.reason.kind}`);
  });
});
