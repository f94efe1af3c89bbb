// Runs the BUILT bundle (dist/memory-adventure.mjs) as a subprocess, as users and the launcher do,
// so CLI tests see exactly what ships. tools/test.sh checks the bundle is fresh before the tests run.
import { fileURLToPath } from "node:url";
import { runProcess } from "./bazel.js";

export const BUNDLE_PATH = fileURLToPath(new URL("../../dist/memory-adventure.mjs", import.meta.url));

export interface CliResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

export interface CliOptions {
  /** Added to (or, when undefined, removed from) the test environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
}

/**
 * The environment the CLI runs in: this process's, without settings that would change its output
 * (colour, stack traces, a surrounding `bazel run`), with NO_COLOR=1, then `overrides`.
 */
export function cliEnvironment(overrides: CliOptions["env"] = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  for (const name of ["FORCE_COLOR", "CLICOLOR_FORCE", "DEBUG", "BUILD_WORKING_DIRECTORY", "BUILD_WORKSPACE_DIRECTORY"]) {
    delete env[name];
  }
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** Runs `node dist/memory-adventure.mjs ...args` to completion; rejects if it dies of a signal. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return runProcess(process.execPath, [BUNDLE_PATH, ...args], { cwd: options.cwd ?? process.cwd(), env: cliEnvironment(options.env) });
}
