// Real Bazel for end-to-end tests. Each BazelServer has its own output base and a short --max_idle_secs,
// so it never touches the user's server or another test's; call shutdown() when done (it also deletes
// the output base).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { killServer } from "../../src/io/bazel-process.js";

/** The root of this repository's Bazel workspace. */
export const WORKSPACE_ROOT = fileURLToPath(new URL("../../..", import.meta.url));

/** The Bazel to test with: $BAZEL (e.g. tools/bazel7/bazel), else `bazel` from PATH. */
export const BAZEL = process.env["BAZEL"] || "bazel";

export interface ProcessResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/** Runs `file args` to completion without a shell; rejects if it dies of a signal. */
export function runProcess(
  file: string,
  args: readonly string[],
  options: { readonly cwd?: string; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<ProcessResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (exitCode, signal) => {
      if (exitCode === null) reject(new Error(`${file} ${args.join(" ")} died of ${signal}`));
      else resolvePromise({ stdout, stderr, exitCode });
    });
  });
}

export class BazelServer {
  readonly outputBase: string;

  /** `extraStartupFlags` come after the defaults, e.g. `--host_jvm_args=-Xmx128m`. */
  constructor(name: string, private readonly extraStartupFlags: readonly string[] = []) {
    this.outputBase = mkdtempSync(join(tmpdir(), `memory-adventure-e2e-${name}-`));
  }

  /** Startup flags that keep this server separate, short-lived and free of heap dumps. */
  get startupFlags(): string[] {
    return [
      `--output_base=${this.outputBase}`,
      "--max_idle_secs=60",
      "--host_jvm_args=-XX:-HeapDumpOnOutOfMemoryError",
      ...this.extraStartupFlags,
    ];
  }

  /** `bazel <startup flags> <args>` in `cwd` (default: the workspace root). */
  run(args: readonly string[], options: { readonly cwd?: string } = {}): Promise<ProcessResult> {
    return runProcess(BAZEL, [...this.startupFlags, ...args], { cwd: options.cwd ?? WORKSPACE_ROOT });
  }

  /**
   * Stops the server and deletes its output base (Bazel leaves read-only files there). A server that hung
   * after running out of memory does not answer `shutdown`: after a minute it is killed by its pid.
   */
  async shutdown(): Promise<void> {
    const minute = new Promise((resolvePromise) => setTimeout(resolvePromise, 60_000).unref());
    await Promise.race([this.run(["shutdown"]).catch(() => undefined), minute]);
    await killServer(this.outputBase);
    spawnSync("chmod", ["-R", "u+w", this.outputBase]);
    rmSync(this.outputBase, { recursive: true, force: true });
  }
}

/**
 * Whether $BAZEL is the host's Bazel (not tools/bazel7/bazel): the end-to-end tests that exercise the toolkit's
 * own logic on several workspaces, not a Bazel version's behaviour, run once, on it (tools/test.sh's budget).
 */
export function isHostBazel(): boolean {
  return !BAZEL.includes("bazel7");
}
