// `sweep` as users see it, without Bazel: its help, and every mistake it refuses before any build runs
// (one line on stderr, exit 2, nothing written). Real builds are in test/e2e/sweep.e2e.test.ts.
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processStartTicks } from "../../src/io/sweep-lock.js";
import { BUNDLE_PATH, cliEnvironment, runCli } from "../helpers/cli.js";

const scratch = mkdtempSync(join(tmpdir(), "memory-adventure-cli-sweep-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const workspace = join(scratch, "ws");
mkdirSync(workspace);
writeFileSync(join(workspace, "WORKSPACE.bazel"), "");

describe("sweep --help", () => {
  it("shows every option and an example", async () => {
    const result = await runCli(["sweep", "--help"]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe("");
    for (const option of [
      "--workspace",
      "--targets",
      "--limits",
      "--runs",
      "--warmup",
      "--mode",
      "--config",
      "--build-flag",
      "--startup-flag",
      "--bazel",
      "--out",
      "--timeout",
      "--search",
      "--resolution",
      "--shard",
      "--force",
      "--profile",
      "--evidence-runs",
      "--no-heap-dumps",
      "--keep-heap-dumps",
      "--show-console",
    ]) {
      expect(result.stdout).toContain(option);
    }
    expect(result.stdout).toContain("bazel run //analysis:sweep -- --limits 155m..180m:1m,190m..250m:5m,300m,1g --runs 5 --warmup 1");
  });
});

describe("sweep refuses, in one line and before any build", () => {
  it.each([
    { args: ["--limits", "5x"], message: `--limits: "5x" has the unit "x"; use k, m, g or t (KiB, MiB, GiB, TiB)` },
    { args: ["--limits", "0m"], message: `--limits: "0m" is zero; a heap limit must be at least 16m` },
    { args: ["--limits", "-5m"], message: `--limits: "-5m" is negative; heap sizes and steps are positive, e.g. 256m or 5m` },
    { args: ["--limits", "1.5g"], message: `--limits: "1.5g" has a fraction, which -Xmx does not take; write 1536m` },
    { args: ["--limits", "180m..155m:5m"], message: `--limits: the range "180m..155m:5m" goes down; write it upwards: 155m..180m:5m` },
    { args: ["--limits", "155m..180m:0m"], message: `--limits: the range "155m..180m:0m" has a zero step; use a positive step, e.g. 5m` },
    {
      args: ["--limits", "256m,155m..180m:10m"],
      message: `--limits: the step of "155m..180m:10m" does not land on its end; end at 175m or 185m, or choose a step that divides the range`,
    },
    { args: ["--limits", "256m,,1g"], message: "--limits: item 2 is empty; remove the extra comma" },
    { args: ["--timeout", "soon"], message: `--timeout: "soon" is not a duration; write e.g. 90s, 10m or 1h` },
    { args: ["--shard", "4/3"], message: `--shard: "4/3" is out of range; i goes from 1 to n, e.g. 1/3, 2/3, 3/3` },
    { args: ["--shard", "half"], message: `--shard: "half" is not i/n; write e.g. --shard 2/3 for the second of three shards` },
    { args: ["--search", "--shard", "1/2"], message: "--shard cannot be combined with --search: a search decides each build from the ones before it" },
    { args: ["--resolution", "5m"], message: "--resolution only applies to --search; add --search, or leave --resolution out" },
    { args: ["--search", "--resolution", "5"], message: `--resolution: "5" is not a heap size step; write a whole number with k, m or g, e.g. 5m` },
    { args: ["--runs", "0", "--warmup", "0"], message: "--runs 0 and --warmup 0 plan no builds; ask for at least one run" },
    { args: ["--runs", "two"], message: `--runs: "two" is not a whole number of at least 0` },
    { args: ["--mode", "fast"], message: `option '--mode <mode>' argument 'fast' is invalid. Allowed choices are regular, nobuild, skymeld (see --help)` },
  ])("$args", async ({ args, message }) => {
    const out = join(scratch, `out-${args.join("_").replace(/[^a-z0-9]/gi, "")}`);
    const result = await runCli(["sweep", "--workspace", workspace, "--out", out, ...args], { cwd: scratch });
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(`memory-adventure: ${message}\n`);
    expect(existsSync(out)).toBe(false);
  });

  it("a folder that is not a workspace", async () => {
    const result = await runCli(["sweep", "--workspace", scratch, "--out", join(scratch, "never")], { cwd: scratch });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(`memory-adventure: --workspace: ${scratch} is not a Bazel workspace (no MODULE.bazel, WORKSPACE.bazel or WORKSPACE); give the workspace's root folder\n`);
  });

  it("an --out folder that holds other files", async () => {
    const out = join(scratch, "someone-elses");
    mkdirSync(out);
    writeFileSync(join(out, "notes.txt"), "mine");
    const result = await runCli(["sweep", "--workspace", workspace, "--out", out], { cwd: scratch });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(`memory-adventure: --out: ${out} already holds other files and no sweep.json; choose a new or empty folder\n`);
    expect(readdirSync(out)).toEqual(["notes.txt"]);
  });

  it("an --out folder that holds another plan, naming what differs", async () => {
    const out = join(scratch, "other-plan");
    mkdirSync(out);
    const settings = { workspace, bazel: "bazel", targets: ["//..."], limits: ["256m"], runs: 3, warmup: 0, mode: "regular", configs: [], buildFlags: [], startupFlags: [], timeoutSeconds: 600, search: null, profile: "light", evidenceRuns: 2 };
    writeFileSync(join(out, "sweep.json"), JSON.stringify({ schema: 1, fingerprint: "0000000000000000", settings }));
    const result = await runCli(["sweep", "--workspace", workspace, "--out", out, "--limits", "256m", "--runs", "2"], { cwd: scratch });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      `memory-adventure: ${out} already holds a sweep with other settings (runs differ); use another --out, repeat the earlier command to resume it, or delete the folder to start over\n`,
    );
    expect(readdirSync(out)).toEqual(["sweep.json"]);
  });

  it("a Bazel that cannot be run", async () => {
    const out = join(scratch, "no-bazel");
    const result = await runCli(["sweep", "--workspace", workspace, "--out", out, "--bazel", "/nonexistent/bazel"], { cwd: scratch });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(`memory-adventure: cannot run Bazel "/nonexistent/bazel" (not found or not executable); install Bazel or give its path with --bazel\n`);
  });

  it("an output base inside the workspace that .bazelignore does not cover", async () => {
    const result = await runCli(["sweep", "--workspace", workspace, "--out", join(workspace, "results")], { cwd: scratch });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      `memory-adventure: the sweep's output base ${join(workspace, "results", "output_base")} is inside the workspace ${workspace} but not in its .bazelignore, ` +
        `so //... would find Bazel's own files there; add the line "results" to .bazelignore, or choose an --out outside the workspace\n`,
    );
    expect(existsSync(join(workspace, "results"))).toBe(false);
  });
});

describe("one sweep at a time in a folder", () => {
  // Stands in for Bazel where none may run: it answers --version, and every other command (the first is
  // the run's `bazel clean`) waits until it is interrupted, as a long build does.
  const standIn = join(scratch, "slow-bazel.sh");
  writeFileSync(standIn, '#!/bin/sh\ncase "$*" in *--version*) echo "bazel 7.7.1"; exit 0;; esac\nsleep 60\n');
  chmodSync(standIn, 0o755);
  const args = (out: string): string[] => ["sweep", "--workspace", workspace, "--bazel", standIn, "--limits", "256m,512m", "--out", out];

  it("refuses a second sweep and a shard into a folder a sweep is writing, naming it; SIGTERM releases the lock", async () => {
    const out = join(scratch, "busy");
    const first = spawn(process.execPath, [BUNDLE_PATH, ...args(out)], { cwd: scratch, env: cliEnvironment(), stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    first.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => first.on("close", (code) => resolve(code)));
    // Its first run's clean is running: the lock is held.
    while (!existsSync(join(out, "runs", "0256m-r01", "clean.log"))) await new Promise((resolve) => setTimeout(resolve, 100));
    const lock = JSON.parse(readFileSync(join(out, "sweep.lock"), "utf8")) as { pid: number; startedAt: string };
    expect(lock.pid).toBe(first.pid);

    const before = readdirSync(out).sort();
    for (const extra of [[], ["--shard", "2/2"]]) {
      const second = await runCli([...args(out), ...extra], { cwd: scratch });
      expect(second.exitCode).toBe(2);
      expect(second.stdout).toBe("");
      expect(second.stderr).toBe(
        `memory-adventure: --out: ${out} is in use by another sweep (pid ${first.pid}, started ${lock.startedAt}: ` +
          `memory-adventure.mjs ${args(out).join(" ")}); wait for it to finish, or choose another --out\n`,
      );
      expect(readdirSync(out).sort()).toEqual(before);
    }

    first.kill("SIGTERM");
    expect(await exited, stderr).toBe(1);
    expect(stderr).toContain("sweep: interrupted; finished runs are kept");
    expect(existsSync(join(out, "sweep.lock"))).toBe(false);
    expect(JSON.parse(readFileSync(join(out, "runs", "0256m-r01", "run.json"), "utf8"))).toMatchObject({ status: "interrupted", stoppedBy: "interrupt" });
  }, 60_000);

  it("takes over the lock of a sweep that died, says so in one line, and leaves nothing when it then stops", async () => {
    const out = join(scratch, "stale");
    mkdirSync(out);
    // A process that held the lock and is gone: its pid and start time, read while it ran.
    const gone = spawn("sleep", ["30"]);
    const startTicks = await processStartTicks(gone.pid!);
    gone.kill("SIGKILL");
    await new Promise((resolve) => gone.on("close", resolve));
    writeFileSync(
      join(out, "sweep.lock"),
      JSON.stringify({ pid: gone.pid, startTicks, host: hostname(), startedAt: "2025-06-01T10:00:00.000Z", argv: ["node", "memory-adventure.mjs", "sweep"], token: "t" }),
    );
    const result = await runCli(["sweep", "--workspace", workspace, "--bazel", join(scratch, "no-such-bazel"), "--out", out], { cwd: scratch });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      `sweep: the sweep that locked ${out} is gone (pid ${gone.pid}, started 2025-06-01T10:00:00.000Z); taking its lock over\n` +
        `memory-adventure: cannot run Bazel "${join(scratch, "no-such-bazel")}" (not found or not executable); install Bazel or give its path with --bazel\n`,
    );
    expect(readdirSync(out)).toEqual([]);
  });
});

describe("a whole sweep, with a stand-in for Bazel", () => {
  // Answers --version like Bazel 7.7.1; a build at -Xmx256m ends as one that ran out of memory does (Bazel's exit
  // code 33), every other command succeeds at once. So a grid of 256m and 512m finds the threshold at 512m, and
  // the two evidence runs go below it.
  const standIn = join(scratch, "oom-below-512m.sh");
  writeFileSync(
    standIn,
    '#!/bin/sh\ncase "$*" in *--version*) echo "bazel 7.7.1"; exit 0;; esac\ncase "$*" in *-Xmx256m*" build "*) echo "FATAL: out of memory"; exit 33;; esac\nexit 0\n',
  );
  chmodSync(standIn, 0o755);
  const args = (out: string): string[] => ["sweep", "--workspace", workspace, "--bazel", standIn, "--limits", "256m,512m", "--out", out];

  it("numbers the evidence runs on from the plan's, then prints the table, the threshold, the verdict and the report", async () => {
    const out = join(scratch, "whole");
    const result = await runCli(args(out), { cwd: scratch });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr.split("\n").filter((line) => line.startsWith("sweep: run "))).toEqual([
      "sweep: run 1 of 2: 0256m-r01, limit 256m",
      "sweep: run 2 of 2: 0512m-r01, limit 512m",
      "sweep: run 3 of 4: 0256m-e01, limit 256m",
      "sweep: run 4 of 4: 0256m-e02, limit 256m",
    ]);
    const lines = result.stdout.split("\n");
    expect(lines.slice(1, 5).map((line) => line.split(/ +/).slice(0, 4).join(" "))).toEqual([
      "0256m-r01 256m oom 33",
      "0512m-r01 512m ok 0",
      "0256m-e01 256m oom 33",
      "0256m-e02 256m oom 33",
    ]);
    expect(lines[5]).toBe("threshold: 512m (every build succeeded from 512m up; a build failed at 256m)");
    expect(lines[6]).toMatch(/^verdict: /);
    expect(result.stdout).toContain(`outputs: ${out}\n`);
    expect(result.stdout.endsWith(`report: ${join(out, "report.html")}\n`)).toBe(true);
    expect(readFileSync(join(out, "report.html"), "utf8")).toContain(">0256m-e02</a>");
    // The index, kept run by run, lists every run.json in id order.
    const ids = readFileSync(join(out, "runs.jsonl"), "utf8").trimEnd().split("\n").map((line) => (JSON.parse(line) as { id: string }).id);
    expect(ids).toEqual(["0256m-e01", "0256m-e02", "0256m-r01", "0512m-r01"]);
    expect(readFileSync(join(out, "runs.csv"), "utf8").trimEnd().split("\n").map((line) => line.split(",")[0])).toEqual(["id", ...ids]);

    // Run again, it has nothing left to do and says the same.
    const again = await runCli(args(out), { cwd: scratch });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).toContain(`sweep: resuming the sweep in ${out}`);
    expect(again.stderr).not.toContain("sweep: run ");
    expect(again.stdout).toBe(result.stdout);
  }, 120_000);
});

describe("sweep into a full disk", () => {
  const full = join(scratch, "full");
  beforeAll(() => {
    mkdirSync(full);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", full]);
  });
  afterAll(() => execFileSync("umount", [full]));

  it("stops with one line saying so, exit 2, and leaves nothing behind", async () => {
    try {
      writeFileSync(join(full, "filler"), Buffer.alloc(2 * 1024 * 1024));
    } catch {
      // full now
    }
    const out = join(full, "sweep");
    const result = await runCli(["sweep", "--workspace", workspace, "--bazel", join(scratch, "no-such-bazel"), "--out", out], { cwd: scratch });
    expect(result).toEqual({ exitCode: 2, stdout: "", stderr: `memory-adventure: the disk of ${out} is full; free some space, or choose an --out on another disk\n` });
    expect(readdirSync(full)).toEqual(["filler"]);
  });
});
