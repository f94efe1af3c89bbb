// `snapshot` on real builds with $BAZEL (4.2.3 and 7.7.1 in tools/test.sh), and the CI gate built on it
// (tools/scripts/heap-gate.sh). Cold builds are the cost, so cases share them: the test workspace
// flatten_or_depset is committed twice into a scratch git repository (state A: its rule flattens its
// dependencies' lists into its provider; state B: the same rule with depsets), and the gate snapshots both commits
// once, with no JDK on PATH, into a cache that its reverse run and `diff` read again. Then one snapshot of this
// repository's reproduction (top holders, Bazel's heap figure, a budget, pprof, the kept dump) and one build that
// fails. Four cold builds in all.
import { spawnSync } from "node:child_process";
import { accessSync, constants, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { heapAgreement, SNAPSHOT_AGREEMENT, type SnapshotDocument } from "../../src/core/heap/snapshot-document.js";
import { BAZEL, WORKSPACE_ROOT, runProcess, type ProcessResult } from "../helpers/bazel.js";
import { BUNDLE_PATH, cliEnvironment, runCli } from "../helpers/cli.js";

const scratch = realpathSync(await mkdtemp(join(tmpdir(), "memory-adventure-e2e-snapshot-")));
afterAll(async () => {
  await runProcess("chmod", ["-R", "u+w", scratch]);
  await rm(scratch, { recursive: true, force: true });
});

const TEST_WORKSPACE = fileURLToPath(new URL("../workspaces/flatten_or_depset/", import.meta.url));
const HEAP_GATE = fileURLToPath(new URL("../../scripts/heap-gate.sh", import.meta.url));
/** $BAZEL as a path: the runs without the JDK on PATH must still find it. */
const bazel = binaryPath(BAZEL);

/** The implementation function a .bzl file's rule (or aspect) names, and the provider it declares it provides. */
function implementationIn(bzlText: string, kind: "rule" | "aspect"): { readonly implementation: string; readonly provider: string } {
  const match = new RegExp(`=\\s*${kind}\\(\\s*implementation\\s*=\\s*(\\w+)[\\s\\S]*?provides\\s*=\\s*\\[(\\w+)\\]`).exec(bzlText);
  if (match === null) throw new Error(`no ${kind} with an implementation and provides in the file`);
  return { implementation: match[1]!, provider: match[2]! };
}

const RULE = implementationIn(readFileSync(join(TEST_WORKSPACE, "defs.bzl"), "utf8"), "rule");
if (implementationIn(readFileSync(join(TEST_WORKSPACE, "defs_depset.bzl"), "utf8"), "rule").implementation !== RULE.implementation) {
  throw new Error("defs.bzl and defs_depset.bzl must name the same implementation: diff matches functions by name");
}

/** The reproduction's aspect, read from memory/**\/*.bzl: its implementation and provider. */
const EAT = (() => {
  const files = (readdirSync(join(WORKSPACE_ROOT, "memory"), { recursive: true, encoding: "utf8" }) as string[]).filter((name) => name.endsWith(".bzl"));
  for (const name of files) {
    try {
      return { ...implementationIn(readFileSync(join(WORKSPACE_ROOT, "memory", name), "utf8"), "aspect"), file: `memory/${name}` };
    } catch {
      // not this file
    }
  }
  throw new Error("no aspect in memory/**/*.bzl");
})();

function binaryPath(name: string): string {
  if (isAbsolute(name)) return name;
  // A relative $BAZEL is read from the workspace root, as helpers/bazel.ts runs it.
  if (name.includes("/")) return join(WORKSPACE_ROOT, name);
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  throw new Error(`${name} is not on PATH`);
}

/**
 * An environment with no JDK on PATH, and a Bazel that runs in it: PATH is one folder of links to every command
 * on PATH except the JDK's tools (every name in the bin folder of the JDK that `java` runs; the JDK's own links
 * share /usr/bin with what Bazel needs). Bazel itself needs a JDK for its server (Debian's 4.2.3 and 7.7.1 find
 * it through javac on PATH), so it is run through a launcher that gives Bazel alone the original PATH: the
 * toolkit and the gate script never see one.
 */
function withoutJdk(): { readonly env: NodeJS.ProcessEnv; readonly bazel: string } {
  const bin = join(scratch, "no-jdk-bin");
  mkdirSync(bin);
  let jdkTools = new Set<string>();
  try {
    jdkTools = new Set(readdirSync(dirname(realpathSync(binaryPath("java")))));
  } catch {
    // no java on PATH: nothing to leave out
  }
  for (const dir of (process.env["PATH"] ?? "").split(delimiter).filter(isAbsolute)) {
    for (const name of existsSync(dir) ? readdirSync(dir) : []) {
      if (jdkTools.has(name) || existsSync(join(bin, name))) continue;
      symlinkSync(join(dir, name), join(bin, name));
    }
  }
  expect(spawnSync("sh", ["-c", "command -v java javac jcmd jmap jstack"], { env: { PATH: bin } }).stdout.toString()).toBe("");
  const launcher = join(scratch, "bazel-with-its-jdk");
  writeFileSync(launcher, '#!/bin/sh\nPATH="$SNAPSHOT_TEST_BAZEL_PATH" exec "$SNAPSHOT_TEST_BAZEL" "$@"\n', { mode: 0o755 });
  return { env: cliEnvironment({ PATH: bin, SNAPSHOT_TEST_BAZEL_PATH: process.env["PATH"], SNAPSHOT_TEST_BAZEL: bazel }), bazel: launcher };
}

function git(repo: string, ...args: string[]): string {
  const result = spawnSync("git", ["-C", repo, "-c", "user.name=test", "-c", "user.email=test@example.invalid", ...args], { encoding: "utf8" });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.trim();
}

function readSnapshot(path: string): SnapshotDocument {
  return JSON.parse(readFileSync(path, "utf8")) as SnapshotDocument;
}

/** The snapshot's reachable heap agrees with Bazel's used-heap-size-after-gc as measured (SNAPSHOT_AGREEMENT). */
function expectAgreement(document: SnapshotDocument): void {
  const figure = document.snapshot.usedHeapSizeAfterGc;
  expect(figure, "Bazel gave no used-heap-size-after-gc").not.toBeNull();
  const reachable = document.dumps[0]!.dump.reachableBytes;
  // Never more than Bazel counts (its figure is truncated to whole units), and short of it by at most the bound.
  expect(reachable).toBeLessThanOrEqual(figure!.bytes + figure!.resolutionBytes);
  expect(heapAgreement(reachable, figure!).shortfallBytes).toBeLessThanOrEqual(SNAPSHOT_AGREEMENT.maxShortfallBytes);
}

/** The output base a snapshot said it built in is gone, and no process names it any more. */
function expectCleanedUp(stderr: string): void {
  const outputBases = [...stderr.matchAll(/in the output base (\S+)$/gm)].map((match) => match[1]!);
  expect(outputBases.length, stderr).toBeGreaterThan(0);
  for (const outputBase of outputBases) {
    expect(existsSync(outputBase), outputBase).toBe(false);
    expect(spawnSync("pgrep", ["-f", `--output_base=${outputBase}`]).stdout.toString()).toBe("");
  }
}

function gate(args: readonly string[], env: NodeJS.ProcessEnv): Promise<ProcessResult> {
  return runProcess("bash", [HEAP_GATE, ...args], { cwd: scratch, env });
}

describe(`snapshot and the heap gate on a rule that flattens lists, then uses depsets (${BAZEL})`, () => {
  const repo = join(scratch, "repo");
  const cache = join(scratch, "cache");
  const kept = join(scratch, "gate-a-to-b");
  let shaA = "";
  let shaB = "";
  let noJdk: { readonly env: NodeJS.ProcessEnv; readonly bazel: string } = { env: {}, bazel };

  beforeAll(() => {
    cpSync(TEST_WORKSPACE, repo, { recursive: true });
    git(repo, "init", "--quiet");
    git(repo, "add", ".");
    git(repo, "commit", "--quiet", "-m", "state A: flatten");
    shaA = git(repo, "rev-parse", "HEAD");
    copyFileSync(join(repo, "defs_depset.bzl"), join(repo, "defs.bzl"));
    git(repo, "commit", "--quiet", "-am", "state B: depsets");
    shaB = git(repo, "rev-parse", "HEAD");
    noJdk = withoutJdk();
  });

  it("A→B passes the gate, naming the rule's implementation as shrinking; each snapshot is taken with no JDK on PATH", async () => {
    const result = await gate(["--repo", repo, "--base", shaA, "--new", shaB, "--cache", cache, "--out", kept, "--", "--bazel", noJdk.bazel], noJdk.env);
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/^heap-gate: PASS$/m);
    expect(result.stdout).toMatch(new RegExp(`^ +-[\\d.]+ [KM]iB .* ${RULE.implementation} \\(defs\\.bzl\\), -\\d+\\.\\d%$`, "m"));
    expect(result.stdout).toMatch(/^fail-over 10%: no function grew /m);
    // Each snapshot printed its top holders: the rule's provider on its 100 targets.
    expect(result.stdout).toMatch(new RegExp(`^ +[\\d.]+ [KM]iB +[\\d.]+%  ${RULE.provider} returned by ${RULE.implementation} \\(defs\\.bzl\\) \\(rule\\), \\d+ instances on 100 targets`, "m"));
    expectCleanedUp(result.stderr);
    expect(git(repo, "worktree", "list").split("\n")).toHaveLength(1);

    for (const [role, sha] of [["base", shaA], ["new", shaB]] as const) {
      const document = readSnapshot(join(kept, `${role}.json`));
      expect(document.schema).toBe(1);
      expect(document.snapshot).toMatchObject({ schema: 1, mode: "nobuild", targets: ["//..."], commit: { sha, dirty: false } });
      expect(document.snapshot.heapDump).toMatchObject({ live: true, keptAt: null });
      expect(document.dumps).toHaveLength(1);
      expect(document.dumps[0]!.suspects[0]).toMatchObject({ function: RULE.implementation, file: "defs.bzl" });
      expectAgreement(document);
    }
  });

  it("diff names the rule's implementation as the change, shrinking, and the reverse trips --fail-over 10%", async () => {
    const forward = await runCli(["diff", join(kept, "base.json"), join(kept, "new.json"), "--json"]);
    expect(forward.exitCode, forward.stderr).toBe(0);
    const changes = (JSON.parse(forward.stdout) as { functions: { function: string; file: string; baseBytes: number; deltaBytes: number }[] }).functions;
    expect(changes[0]).toMatchObject({ function: RULE.implementation, file: "defs.bzl" });
    expect(changes[0]!.deltaBytes).toBeLessThan(-(2 ** 20));

    const reverse = await runCli(["diff", join(kept, "new.json"), join(kept, "base.json"), "--fail-over", "10%"]);
    expect(reverse.exitCode, reverse.stderr).toBe(1);
    expect(reverse.stdout).toMatch(new RegExp(`^FAIL fail-over 10%: 1 function grew .*\\n  ${RULE.implementation} \\(defs\\.bzl\\): \\+`, "m"));
  });

  it("B→A fails the gate with --fail-over 10%, naming the rule's implementation, from the cached snapshots", async () => {
    const result = await gate(["--repo", repo, "--base", shaB, "--new", shaA, "--cache", cache, "--fail-over", "10%", "--", "--bazel", noJdk.bazel], noJdk.env);
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(1);
    expect(result.stdout.match(/: snapshot from the cache /g)).toHaveLength(2);
    expect(result.stdout).toMatch(new RegExp(`^  ${RULE.implementation} \\(defs\\.bzl\\): \\+[\\d.]+ [KM]iB \\(\\+\\d+\\.\\d%\\)`, "m"));
    expect(result.stdout).toMatch(/^heap-gate: FAIL: /m);
  });
});

describe(`snapshot of this repository's reproduction (${BAZEL})`, () => {
  it("names the eat aspect's providers among the top holders, agrees with Bazel's heap figure, checks a budget", async () => {
    const out = join(scratch, "repro", "snapshot.json");
    const budget = join(scratch, "repro-budget.json");
    writeFileSync(budget, JSON.stringify({ functions: [{ function: EAT.implementation, file: EAT.file, max: "1m" }], providers: [{ provider: "NoSuchInfo", max: "1m" }] }));
    const result = await runCli(["snapshot", "--bazel", bazel, "--out", out, "--budget", budget, "--pprof", join(scratch, "repro.pb.gz"), "--html", join(scratch, "repro.html"), "--keep-heap-dumps"], { cwd: WORKSPACE_ROOT });
    // The budget is exceeded: exit 1, naming the function; the snapshot is written all the same.
    expect(result.exitCode, result.stderr).toBe(1);
    const holders = result.stdout.slice(result.stdout.indexOf("Who holds the heap"));
    expect(holders).toMatch(new RegExp(`^ +[\\d.]+ MiB +[\\d.]+%  ${EAT.provider} returned by ${EAT.implementation} \\(${EAT.file.replaceAll(".", "\\.")}\\) \\(aspect\\)`, "m"));
    expect(result.stdout).toMatch(/^  Bazel's used-heap-size-after-gc: \d+MB \([\d.]+ MiB\); the dump's reachable heap is [\d.]+% of it \([\d.]+ [KM]iB less\)$/m);
    expect(result.stdout).toMatch(new RegExp(`^FAIL budget .*: 1 limit exceeded:\\n  over    ${EAT.implementation} \\(${EAT.file.replaceAll(".", "\\.")}\\): `, "m"));
    expect(result.stdout).toMatch(/^  within  provider NoSuchInfo: 0 B, budget 1m \(nothing in the dump matches/m);
    expectCleanedUp(result.stderr);

    const document = readSnapshot(out);
    expect(document.snapshot).toMatchObject({ configs: ["eat"], targets: ["//..."], mode: "nobuild", workspace: WORKSPACE_ROOT.replace(/\/$/, "") });
    expect(document.snapshot.commit?.sha).toMatch(/^[0-9a-f]{40}$/);
    expectAgreement(document);
    const digest = document.dumps[0]!;
    expect(digest.suspects[0]).toMatchObject({ function: EAT.implementation, file: EAT.file });
    expect(JSON.stringify(digest)).not.toContain(`${WORKSPACE_ROOT.replace(/\/$/, "")}/`);
    // The kept dump is the one digested (its size as the JVM reported it), and the profile was written.
    expect(document.snapshot.heapDump.keptAt).toBe(join(scratch, "repro", "snapshot.hprof"));
    expect(statSync(document.snapshot.heapDump.keptAt!).size).toBe(document.snapshot.heapDump.fileBytes);
    expect(statSync(join(scratch, "repro.pb.gz")).size).toBeGreaterThan(0);
    // The picture names the culprit in its largest cell (laid out and checked in a browser by test/cli/heap-picture.test.ts).
    expect(readFileSync(join(scratch, "repro.html"), "utf8")).toContain(`${EAT.implementation} `);
    await rm(document.snapshot.heapDump.keptAt!);
  });
});

describe(`snapshot of a build that fails (${BAZEL})`, () => {
  it("exits 1, writes no snapshot, and keeps the build's console beside where the snapshot would be", async () => {
    const broken = join(scratch, "broken");
    mkdirSync(join(broken, "pkg"), { recursive: true });
    writeFileSync(join(broken, "WORKSPACE.bazel"), "");
    writeFileSync(join(broken, "pkg", "BUILD.bazel"), 'genrule(name = "g", outs = ["g.txt"], cmd = "true")\nthis is not Starlark\n');
    const out = join(scratch, "broken-snapshot.json");
    const result = await runProcess(process.execPath, [BUNDLE_PATH, "snapshot", "--workspace", broken, "--bazel", bazel, "--out", out], { cwd: scratch, env: cliEnvironment() });
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stdout).toBe("");
    const console = join(scratch, "broken-snapshot.console.log");
    expect(result.stderr).toMatch(new RegExp(`^snapshot: the build failed \\(exit 1\\): .*; no snapshot written; its console is in ${console.replaceAll(".", "\\.")}$`, "m"));
    expect(existsSync(out)).toBe(false);
    expect(readFileSync(console, "utf8")).toMatch(/^ERROR: .*pkg\/BUILD\.bazel/m);
    expectCleanedUp(result.stderr);
  });
});
