// `sweep` with real Bazel ($BAZEL, default `bazel`) when something breaks from outside: the sub-build's server
// SIGKILLed mid-build, the sweep itself SIGKILLed mid-run and run again, the output folder's disk full, and a
// run.json corrupted by hand. Every sweep runs the built CLI with its own --out in a temporary folder, in the
// test workspace of fixtures/sweep-workspace.mjs (one copy a test: //:slow_once leaves a marker), and leaves
// no server behind. The disk-full test mounts a tmpfs (we run as root) and unmounts it in afterAll.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { RunRecord } from "../../src/core/run/run-record.js";
import { killOrphanClients, killServer, serverPid } from "../../src/io/bazel-process.js";
import { writeSweepWorkspace } from "../fixtures/sweep-workspace.mjs";
import { BAZEL, isHostBazel, runProcess } from "../helpers/bazel.js";
import { BUNDLE_PATH, cliEnvironment, runCli, type CliResult } from "../helpers/cli.js";

const scratch = await mkdtemp(join(tmpdir(), "memory-adventure-e2e-faults-"));
/** Every sweep folder a test used, so afterAll can stop what a failed test left running there. */
const outs: string[] = [];
const mounts: string[] = [];
afterAll(async () => {
  for (const out of outs) {
    const outputBase = join(out, "output_base");
    if (!existsSync(outputBase)) continue;
    await killOrphanClients(realpathSync(outputBase));
    await killServer(realpathSync(outputBase));
  }
  for (const mount of mounts) {
    // Lazily, if a process still has a file open there.
    if (spawnOk("umount", [mount])) continue;
    execFileSync("umount", ["-l", mount]);
  }
  await runProcess("chmod", ["-R", "u+w", scratch]);
  await rm(scratch, { recursive: true, force: true });
});

function spawnOk(file: string, args: readonly string[]): boolean {
  try {
    execFileSync(file, args, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** A fresh copy of the test workspace. */
async function workspace(name: string): Promise<{ dir: string; slowOnceMarker: string }> {
  const dir = join(scratch, `ws-${name}`);
  const { slowOnceMarker } = await writeSweepWorkspace(dir);
  return { dir, slowOnceMarker };
}

function outFolder(path: string): string {
  outs.push(path);
  return path;
}

function sweep(args: readonly string[], cwd: string): Promise<CliResult> {
  return runCli(["sweep", "--bazel", BAZEL, ...args], { cwd });
}

/** A sweep running in the background, as a user's terminal or CI job runs it. */
function startSweep(args: readonly string[], cwd: string) {
  const child = spawn(process.execPath, [BUNDLE_PATH, "sweep", "--bazel", BAZEL, ...args], { cwd, env: cliEnvironment(), stdio: ["ignore", "pipe", "pipe"] });
  const output = { stdout: "", stderr: "" };
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output.stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output.stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, output, exited };
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 5 * 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs / 1000} s for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function record(out: string, id: string): RunRecord {
  return JSON.parse(readFileSync(join(out, "runs", id, "run.json"), "utf8")) as RunRecord;
}

async function expectNothingLeft(out: string): Promise<void> {
  if (existsSync(join(out, "output_base"))) expect(await serverPid(realpathSync(join(out, "output_base")))).toBeUndefined();
  expect(existsSync(join(out, "sweep.lock"))).toBe(false);
}

/** The folder's files with their size and time: what "untouched" is checked against. */
function snapshot(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, encoding: "utf8" }) as string[]).sort().map((name) => {
    const info = lstatSync(join(dir, name));
    return info.isDirectory() ? `${name}/` : `${name} ${info.size} ${info.mtimeMs}`;
  });
}

// Host Bazel only: what is tested is the sweep surviving, the same on every Bazel (tools/test.sh's budget).
describe.runIf(isHostBazel())("sweep when something breaks from outside", () => {
  it("the sub-build's server SIGKILLed mid-build: the run says so, is left out, and the next run starts cleanly", async () => {
    const ws = await workspace("server-killed");
    const out = outFolder(join(scratch, "server-killed"));
    const running = startSweep(["--workspace", ws.dir, "--targets", "//:slow_once", "--limits", "256m,512m", "--out", out], ws.dir);
    // The first run's slow action is running: its server is in the middle of a build.
    await waitFor("the slow action", () => existsSync(ws.slowOnceMarker));
    const server = await serverPid(realpathSync(join(out, "output_base")));
    expect(server).toBeDefined();
    process.kill(server!, "SIGKILL");

    expect(await running.exited, running.output.stderr).toBe(1);
    const killed = record(out, "0256m-r01");
    expect(killed).toMatchObject({ status: "server-died", exitCode: 37, signal: null });
    expect(killed.stoppedBy).toBeUndefined();
    expect(killed.threadDumpTaken).toBeUndefined();
    expect(readFileSync(join(out, "runs", "0256m-r01", "console.log"), "utf8")).toMatch(/^Server terminated abruptly/m);
    expect(running.output.stdout).toMatch(/^0256m-r01 +256m +server-died +37 +[\d.]+ +left out: the Bazel server died without running out of memory/m);
    // The next run had a server of its own, and //:slow_once is fast the second time.
    expect(record(out, "0512m-r01")).toMatchObject({ status: "ok", exitCode: 0 });
    expect(running.output.stdout).toContain("threshold: at most 512m: every build succeeded, even at the lowest limit; 1 run left out, see the table");
    await expectNothingLeft(out);
  });

  it("the sweep itself SIGKILLed mid-run: run again, it takes over the lock, repairs runs.jsonl and redoes only the unfinished run", async () => {
    const ws = await workspace("sweep-killed");
    const out = outFolder(join(scratch, "sweep-killed"));
    const args = ["--workspace", ws.dir, "--targets", "//:slow_once", "--limits", "256m,512m", "--out", out];
    // The first run is fast (the marker is there); the second is slow (the marker is gone by then).
    writeFileSync(ws.slowOnceMarker, "");
    const running = startSweep(args, ws.dir);
    await waitFor("the first run", () => existsSync(join(out, "runs", "0256m-r01", "run.json")));
    rmSync(ws.slowOnceMarker);
    await waitFor("the second run's slow action", () => existsSync(ws.slowOnceMarker));
    running.child.kill("SIGKILL");
    await running.exited;

    // What a sweep killed outright leaves: its lock, the unfinished run's folder, its Bazel client and server.
    expect(existsSync(join(out, "sweep.lock"))).toBe(true);
    expect(existsSync(join(out, "runs", "0512m-r01"))).toBe(true);
    expect(existsSync(join(out, "runs", "0512m-r01", "run.json"))).toBe(false);
    const finished = record(out, "0256m-r01");
    // A runs.jsonl cut in its last line, as a crash of a non-atomic copy leaves it.
    const jsonl = readFileSync(join(out, "runs.jsonl"), "utf8");
    writeFileSync(join(out, "runs.jsonl"), jsonl.slice(0, Math.floor(jsonl.length / 2)));

    const resumed = await sweep(args, ws.dir);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`^sweep: the sweep that locked ${out} is gone \\(pid ${running.child.pid}, started [^)]+\\); taking its lock over$`, "m"));
    expect(resumed.stderr).toContain(`sweep: resuming the sweep in ${out}`);
    expect(resumed.stderr).toContain("sweep: run 1 of 1: 0512m-r01");
    expect(resumed.stderr).not.toContain("0256m-r01, limit");
    expect(record(out, "0256m-r01")).toEqual(finished);
    expect(record(out, "0512m-r01")).toMatchObject({ status: "ok" });
    const lines = readFileSync(join(out, "runs.jsonl"), "utf8").trimEnd().split("\n");
    expect(lines.map((line) => (JSON.parse(line) as RunRecord).id)).toEqual(["0256m-r01", "0512m-r01"]);
    expect(readdirSync(out).filter((name) => name.endsWith(".tmp"))).toEqual([]);
    await expectNothingLeft(out);
  });

  it("the output folder's disk full: the sweep stops with one line, exit 2, finished runs intact, and goes on once there is space", async () => {
    const full = join(scratch, "disk");
    mkdirSync(full);
    // Room for the output base and the first run (a tmpfs takes memory only for what is written).
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1g", "tmpfs", full]);
    mounts.push(full);
    const ws = await workspace("disk-full");
    const out = outFolder(join(full, "sweep"));
    const args = ["--workspace", ws.dir, "--targets", "//:grow", "--limits", "256m,512m", "--timeout", "3m", "--out", out];
    const running = startSweep(args, ws.dir);
    await waitFor("the first run", () => existsSync(join(out, "runs", "0256m-r01", "run.json")));
    const finished = record(out, "0256m-r01");
    // Fill what is left, 1 MiB at a time: the second run finds the disk full before or while it writes.
    for (let part = 0; ; part++) {
      try {
        writeFileSync(join(full, `filler-${part}`), Buffer.alloc(1024 * 1024));
      } catch (error) {
        expect((error as NodeJS.ErrnoException).code).toBe("ENOSPC");
        break;
      }
    }

    expect(await running.exited, running.output.stderr).toBe(2);
    expect(running.output.stderr.trimEnd().split("\n").at(-1)).toBe(
      `memory-adventure: the disk of ${out} is full; finished runs are kept and the unfinished one was deleted: free some space, then run the same command again to go on`,
    );
    expect(running.output.stderr).not.toMatch(/^\s+at /m);
    expect(record(out, "0256m-r01")).toEqual(finished);
    expect(existsSync(join(out, "runs", "0512m-r01"))).toBe(false);
    await expectNothingLeft(out);

    for (const name of readdirSync(full).filter((entry) => entry.startsWith("filler"))) rmSync(join(full, name));
    const resumed = await sweep(args, ws.dir);
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(record(out, "0256m-r01")).toEqual(finished);
    expect(record(out, "0512m-r01")).toMatchObject({ status: "ok" });
    await expectNothingLeft(out);
  });

  it("a run.json corrupted by hand: stats and report name it and go on; the sweep refuses to resume, naming it", async () => {
    const ws = await workspace("corrupted");
    const out = outFolder(join(scratch, "corrupted"));
    const args = ["--workspace", ws.dir, "--targets", "//:grow", "--limits", "256m,512m", "--out", out];
    expect((await sweep(args, ws.dir)).exitCode).toBe(0);
    const broken = join(out, "runs", "0512m-r01", "run.json");
    writeFileSync(broken, readFileSync(broken, "utf8").replace(/"status": "ok"/, '"status": "fine"'));
    const problem = `${broken}: not a run record ("status" must be one of ok, oom, action-killed, failed, timeout, server-died, interrupted); it should be a run.json written by the sweep`;

    const stats = await runCli(["stats", "--format", "json", out], { cwd: ws.dir });
    expect(stats.exitCode).toBe(0);
    expect(stats.stderr).toBe(`memory-adventure: ${problem}; that run is left out, the others are read\n`);
    expect((JSON.parse(stats.stdout) as { id: string }[]).map((row) => row.id)).toEqual(["0256m-r01"]);
    const report = await runCli(["report", out], { cwd: ws.dir });
    expect(report.exitCode).toBe(0);
    expect(report.stderr.split("\n")[0]).toBe(`memory-adventure: ${problem}; that run is left out, the others are read`);

    const before = snapshot(out);
    const resumed = await sweep(args, ws.dir);
    expect(resumed).toEqual({
      exitCode: 2,
      stdout: "",
      stderr: `memory-adventure: ${problem}; move that run folder away (or delete it) to redo the run\n`,
    });
    expect(snapshot(out)).toEqual(before);
  });
});
