// Runs `bazel cquery` with analysis/output_groups.cquery in a Bazel server of memory-adventure's own.
//
// The server has its own output base outside every workspace (so it neither disturbs the user's server
// nor lets `//...` of any workspace descend into it), a short --max_idle_secs, and is shut down by
// close(). A fresh server matters: cquery also prints configured targets that earlier commands left in
// the server (on Bazel 4.2.3 and 7.7.1 alike), so a label can come back in several configurations.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { firstBazelError } from "../core/run/bazel-messages.js";
import { CqueryOutputError, parseOutputGroupsText, type TargetReport } from "../core/cquery/cquery-output.js";
import { UsageError } from "../core/exit-codes.js";
import {
  bazelEndedBySignal,
  cannotRunBazel,
  cqueryFailed,
  outputGroupsCqueryFailed,
  outputGroupsCqueryMissing,
  severalConfiguredTargets,
  noConfiguredTarget,
  notBazel,
  unreadableCqueryOutput,
} from "../render/compare.js";
import type { Invocation } from "./invocation.js";

/** Where analysis/output_groups.cquery is, relative to the repository that holds this CLI. */
export const OUTPUT_GROUPS_CQUERY = "analysis/output_groups.cquery";

/**
 * The output_groups.cquery of the repository this CLI comes from. The bundle is tools/dist/memory-adventure.mjs
 * (the sources are one level deeper), and node runs it from its real path, also under `bazel run`, where
 * the runfiles tree holds a symlink to it: so the file is found in the source tree, whichever workspace
 * is being compared (and when this repository is an external one, in its extracted copy).
 */
export function outputGroupsCqueryPath(moduleUrl: string = import.meta.url): string {
  const searched: string[] = [];
  for (let directory = dirname(fileURLToPath(moduleUrl)), level = 0; level < 4; directory = dirname(directory), level += 1) {
    const candidate = join(directory, OUTPUT_GROUPS_CQUERY);
    if (statSync(candidate, { throwIfNoEntry: false })?.isFile()) return candidate;
    searched.push(candidate);
  }
  throw new Error(outputGroupsCqueryMissing(searched));
}

/** ${XDG_CACHE_HOME:-$HOME/.cache}/memory-adventure: per-user state that is safe to delete. */
export function memoryAdventureCacheDir(invocation: Pick<Invocation, "env">): string {
  const xdg = invocation.env["XDG_CACHE_HOME"];
  // The XDG spec says to ignore a relative XDG_CACHE_HOME.
  const cacheHome = xdg && isAbsolute(xdg) ? xdg : join(invocation.env["HOME"] || homedir(), ".cache");
  return join(cacheHome, "memory-adventure");
}

/** The output base compare uses for this workspace and Bazel binary: one per pair, reused between runs. */
export function compareOutputBase(invocation: Pick<Invocation, "env">, workspace: string, bazel: string): string {
  const key = createHash("sha256").update(`${workspace}\n${bazel}`).digest("hex").slice(0, 16);
  return join(memoryAdventureCacheDir(invocation), "compare", key);
}

export interface CquerySessionOptions {
  /** A command name looked up on PATH, or a path. */
  readonly bazel: string;
  /** Where Bazel runs: the workspace or a directory inside it (relative labels are read from there). */
  readonly cwd: string;
  readonly outputBase: string;
  /** Names given to --config, in order. */
  readonly configs: readonly string[];
  /** The output_groups.cquery to run. */
  readonly cqueryFile: string;
}

interface ProcessResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

export class CquerySession {
  private started = false;

  constructor(private readonly options: CquerySessionOptions) {}

  /**
   * What `label` returns, as output_groups.cquery prints it. Throws UsageError when Bazel cannot analyse
   * it (the one line says why, in Bazel's words) or when it is not exactly one configured target.
   */
  async report(label: string): Promise<TargetReport> {
    let { reports, stderr } = await this.query(label);
    if (reports.length > 1) {
      // Most likely configured targets left over from the other label's query: ask a fresh server.
      await this.close();
      ({ reports, stderr } = await this.query(label));
    }
    if (reports.length === 0) {
      // cquery exits 0 even when the .cquery file fails on a target, and says so on stderr: our bug.
      const why = firstBazelError(stderr);
      if (why?.startsWith("Starlark evaluation error")) throw new Error(outputGroupsCqueryFailed(label, why));
      throw new UsageError(noConfiguredTarget(label, why));
    }
    if (reports.length > 1) throw new UsageError(severalConfiguredTargets(label, reports.length));
    return reports[0]!;
  }

  /** Shuts the server down, if this session started one. */
  async close(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.bazel(["shutdown"]);
  }

  private async query(label: string): Promise<{ reports: TargetReport[]; stderr: string }> {
    this.started = true;
    const result = await this.bazel([
      "cquery",
      "--output=starlark",
      `--starlark:file=${this.options.cqueryFile}`,
      // No convenience symlinks from this server into the workspace.
      "--symlink_prefix=/",
      "--color=no",
      "--curses=no",
      ...this.options.configs.map((config) => `--config=${config}`),
      // Everything after "--" is the query, even if it starts with "-".
      "--",
      label,
    ]);
    if (result.exitCode !== 0) {
      throw new UsageError(cqueryFailed(label, result.exitCode, firstBazelError(result.stderr)));
    }
    try {
      return { reports: parseOutputGroupsText(result.stdout), stderr: result.stderr };
    } catch (error) {
      if (!(error instanceof CqueryOutputError)) throw error;
      // Bazel prints what output_groups.cquery formats: output that is not that is our bug, or --bazel is no Bazel.
      if (!(await this.answersLikeBazel())) throw new UsageError(notBazel(this.options.bazel, result.stdout));
      throw new Error(unreadableCqueryOutput(label, error.message));
    }
  }

  /** Whether `--version` (no server) says "bazel <version>", as every Bazel does ("bazel no_version" included). */
  private async answersLikeBazel(): Promise<boolean> {
    const printed = await runProcess(this.options.bazel, ["--version"], this.options.cwd).catch(() => undefined);
    return printed !== undefined && printed.exitCode === 0 && /^bazel \S+/m.test(printed.stdout);
  }

  private bazel(args: readonly string[]): Promise<ProcessResult> {
    // The same startup flags every time: different ones would make Bazel restart its server.
    const startupFlags = [`--output_base=${this.options.outputBase}`, "--max_idle_secs=60"];
    return runProcess(this.options.bazel, [...startupFlags, ...args], this.options.cwd);
  }
}

function runProcess(file: string, args: readonly string[], cwd: string): Promise<ProcessResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (error: NodeJS.ErrnoException) => {
      reject(error.code === "ENOENT" || error.code === "EACCES" ? new UsageError(cannotRunBazel(file, error.code)) : error);
    });
    child.on("close", (exitCode, signal) => {
      const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString("utf8");
      if (exitCode === null) reject(new Error(bazelEndedBySignal(file, String(signal))));
      else resolvePromise({ stdout: text(stdout), stderr: text(stderr), exitCode });
    });
  });
}
