// `compare` as users run it (the built bundle as a subprocess), for everything that needs no Bazel server;
// real cquery runs, and what compare makes of a failing one, are in tools/test/e2e/cquery.e2e.test.ts.
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { WORKSPACE_ROOT } from "../helpers/bazel.js";
import { runCli } from "../helpers/cli.js";

const scratch = mkdtempSync(join(tmpdir(), "compare-cli-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("memory-adventure compare", () => {
  it("prints its help with examples and exits 0", async () => {
    const result = await runCli(["compare", "--help"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatchInlineSnapshot(`
      "Usage: memory-adventure compare [options] <left> <right>

      Show side by side which providers, output groups and files two targets return,
      marking what only one has.

      Arguments:
        left               the first target, e.g. //cpu:lock_1
        right              the second target, e.g. //memory/aspect_results:lock_1

      Options:
        --bazel <path>     the Bazel to run: a command on PATH or a path (default:
                           "bazel")
        --workspace <dir>  the top folder of the Bazel workspace the labels are in
                           (default: the one you are in)
        --config <name>    pass --config=<name> to cquery; repeat for several
        -h, --help         display help for command

      Examples:
        What the eat aspect adds to a lock (the aspect's result is a target of its own):
          bazel run //analysis:compare -- //cpu:lock_1 //memory/aspect_results:lock_1
        Two locks, with Bazel 7 through this repository's wrapper:
          bazel run //analysis:compare -- //cpu:lock_1 //cpu:lock_2 --bazel tools/bazel7/bazel
        The same without bazel run (needs only Node.js 18 or newer):
          node tools/dist/memory-adventure.mjs compare //cpu:lock_1 //cpu:lock_2

      Runs bazel cquery with analysis/output_groups.cquery (see that file to print one target)
      for each label, in a Bazel server of its own: its output base is under
      \${XDG_CACHE_HOME:-~/.cache}/memory-adventure/compare/ and it is shut down at the end.
      In the table, < marks what only the first target has, > what only the second has,
      and | what both have under the same name but with different contents.
      Exit codes: 0 no differences, 1 the targets differ, 2 usage error or a target that Bazel
      cannot analyse, 3 internal error.
      "
    `);
  });

  it.each([
    { why: "no target", args: ["compare"], message: "missing required argument 'left'" },
    { why: "one target", args: ["compare", "//cpu:lock_1"], message: "missing required argument 'right'" },
    { why: "three targets", args: ["compare", "//a:a", "//b:b", "//c:c"], message: "too many arguments for 'compare'. Expected 2 arguments but got 3" },
    { why: "--bazel without a value", args: ["compare", "//a:a", "//b:b", "--bazel"], message: "option '--bazel <path>' argument missing" },
  ])("refuses $why with one line and exit 2", async ({ args, message }) => {
    const result = await runCli(args, { cwd: WORKSPACE_ROOT });
    expect(result).toEqual({ stdout: "", stderr: `memory-adventure: ${message} (see --help)\n`, exitCode: 2 });
  });

  it("refuses a --workspace that is not a workspace's top folder, naming it", async () => {
    const result = await runCli(["compare", "//a:a", "//b:b", "--workspace", "tools"], { cwd: WORKSPACE_ROOT });
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      `memory-adventure: --workspace ${join(WORKSPACE_ROOT, "tools")} is not the top folder of a Bazel workspace ` +
        "(none of MODULE.bazel, REPO.bazel, WORKSPACE.bazel, WORKSPACE in it); name that folder\n",
    );
  });

  it("says outside any workspace that there is none", async () => {
    const result = await runCli(["compare", "//a:a", "//b:b"], { cwd: scratch });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^memory-adventure: no Bazel workspace at or above [^\n]+; run this from inside a Bazel workspace, or with bazel run\n$/);
  });

  it.each([
    { why: "does not exist", setup: () => join(scratch, "no-such-bazel"), reason: "there is no such file or command" },
    {
      why: "is not executable",
      setup: () => {
        const path = join(scratch, "not-executable-bazel");
        writeFileSync(path, "#!/bin/sh\n");
        chmodSync(path, 0o644);
        return path;
      },
      reason: "it is not executable",
    },
  ])("says in one line that a --bazel that $why cannot run, and exits 2", async ({ setup, reason }) => {
    const bazel = setup();
    const result = await runCli(["compare", "//a:a", "//b:b", "--bazel", bazel], { cwd: WORKSPACE_ROOT });
    expect(result).toEqual({
      stdout: "",
      stderr: `memory-adventure: cannot run Bazel as '${bazel}': ${reason}; install Bazel or point --bazel at it\n`,
      exitCode: 2,
    });
  });
});
