// Where the user stands and which workspace they mean, the same under `bazel run` and outside Bazel.
//
// `bazel run` starts the binary inside its runfiles tree, so process.cwd() is useless for paths the user
// typed; Bazel tells us where the user stood (BUILD_WORKING_DIRECTORY) and which workspace they ran it in
// (BUILD_WORKSPACE_DIRECTORY). Outside Bazel the current directory and the workspace above it play those roles.
import { statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { UsageError } from "../core/exit-codes.js";
import { noWorkspaceFound } from "../render/errors.js";

/** What the process was started with. Every function takes one so tests can pass their own. */
export interface Invocation {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** Files whose presence makes a directory a Bazel workspace root (the ones Bazel itself looks for). */
export const WORKSPACE_MARKERS = ["MODULE.bazel", "REPO.bazel", "WORKSPACE.bazel", "WORKSPACE"] as const;

/** Folder, under the workspace, that holds outputs by default; git-ignored. */
export const MEASUREMENTS_DIR = "measurements";

export function currentInvocation(): Invocation {
  return { env: process.env, cwd: process.cwd() };
}

/** The directory the user typed the command in. */
export function userDirectory(invocation: Invocation = currentInvocation()): string {
  return nonEmpty(invocation.env["BUILD_WORKING_DIRECTORY"]) ?? invocation.cwd;
}

/** An absolute path for a path the user typed (relative paths are read from the user's directory). */
export function resolveUserPath(userPath: string, invocation: Invocation = currentInvocation()): string {
  return resolve(userDirectory(invocation), userPath);
}

/**
 * The workspace the user ran the command in: the one `bazel run` was started in, else the nearest
 * directory at or above the user's directory that holds one of WORKSPACE_MARKERS.
 * Throws UsageError when there is none.
 */
export function defaultWorkspace(invocation: Invocation = currentInvocation()): string {
  return nonEmpty(invocation.env["BUILD_WORKSPACE_DIRECTORY"]) ?? findWorkspaceRoot(userDirectory(invocation));
}

/** Where outputs go when the user names no output folder: <default workspace>/measurements. */
export function defaultMeasurementsDir(invocation: Invocation = currentInvocation()): string {
  return join(defaultWorkspace(invocation), MEASUREMENTS_DIR);
}

/** The nearest directory at or above `start` that is a Bazel workspace root; throws UsageError if none. */
export function findWorkspaceRoot(start: string): string {
  const absoluteStart = resolve(start);
  for (let directory = absoluteStart; ; directory = dirname(directory)) {
    if (WORKSPACE_MARKERS.some((marker) => isFile(join(directory, marker)))) return directory;
    if (dirname(directory) === directory) throw new UsageError(noWorkspaceFound(absoluteStart, WORKSPACE_MARKERS));
  }
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
