// The launcher (//analysis:defs.bzl) under real Bazel: `bazel run` and bazel-bin/<target> run the
// checked-in bundle. The launcher's other behaviour is tested by the Bazel test //tools/test:launcher_test.
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BazelServer, WORKSPACE_ROOT, runProcess } from "../helpers/bazel.js";
import { cliEnvironment, runCli } from "../helpers/cli.js";

const bazel = new BazelServer("launcher");
afterAll(() => bazel.shutdown());

// --symlink_prefix=/ keeps the test from replacing the user's bazel-bin and friends.
const buildFlags = ["--symlink_prefix=/"];

describe("memory_adventure_command launchers", () => {
  it("run the bundle under `bazel run` from a subdirectory of the workspace", async () => {
    const expected = await runCli(["--help"]);
    const result = await bazel.run(["run", ...buildFlags, "//tools/test:root_help_launcher"], {
      cwd: join(WORKSPACE_ROOT, "tools"),
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe(expected.stdout);
  });

  it("run the bundle when executed directly as bazel-bin/<package>/<name>, from any directory", async () => {
    const expected = await runCli(["--help"]);
    const info = await bazel.run(["info", ...buildFlags, "bazel-bin"]);
    expect(info.exitCode, info.stderr).toBe(0);
    const launcher = join(info.stdout.trim(), "tools/test/root_help_launcher");
    const result = await runProcess(launcher, [], { cwd: tmpdir(), env: cliEnvironment() });
    expect(result).toEqual({ stdout: expected.stdout, stderr: "", exitCode: 0 });
  });
});
