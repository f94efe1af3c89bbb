// `sweep` as users see it, without Bazel: its help, and every mistake it refuses before any build runs
// (one line on stderr, exit 2, nothing written). Real builds are in test/e2e/sweep.e2e.test.ts.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

const scratch = mkdtempSync(join(tmpdir(), "memory-adventure-cli-sweep-"));
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
      "--heap-dumps",
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
    const settings = { workspace, bazel: "bazel", targets: ["//..."], limits: ["256m"], runs: 3, warmup: 0, mode: "regular", configs: [], buildFlags: [], startupFlags: [], timeoutSeconds: 600, search: null };
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
