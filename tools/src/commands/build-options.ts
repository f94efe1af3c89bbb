// Not a subcommand: the options `sweep` and `snapshot` share to say what to build and with which Bazel
// (--workspace, --targets, --config, --build-flag, --startup-flag, --bazel), parsed and checked in one place so
// both read them alike and refuse the same mistakes in the same words (render/sweep.ts).
import { stat } from "node:fs/promises";
import { UsageError } from "../core/exit-codes.js";
import type { BuildChoice } from "../flows/build-choice.js";
import { defaultWorkspace, findWorkspaceRoot, resolveUserPath } from "../io/invocation.js";
import { notAWorkspace, targetProblemMessage } from "../render/sweep.js";

/** What `sweep` and `snapshot` build with no arguments: this repository's reproduction. */
export const DEFAULT_BUILD = { configs: ["eat"], targets: ["//..."] } as const;

/** The shared options as commander hands them over. */
export interface BuildOptionValues {
  readonly workspace?: string;
  readonly targets?: string[];
  readonly config?: string[];
  readonly buildFlag?: string[];
  readonly startupFlag?: string[];
  readonly bazel: string;
}


/** Commander's collector for options given several times. */
export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Checks the shared options and fills in the defaults; every mistake is one UsageError. */
export async function parseBuildOptions(options: BuildOptionValues): Promise<BuildChoice> {
  for (const target of options.targets ?? []) {
    // Patterns go to Bazel as arguments, never through a shell; none has whitespace, so one that does
    // is several patterns in one --targets (or a command line pasted by mistake).
    if (target.trim() === "" || /[\s\u0000-\u001f]/.test(target)) throw new UsageError(targetProblemMessage(target));
  }
  const workspace = options.workspace === undefined ? defaultWorkspace() : await workspaceRoot(resolveUserPath(options.workspace));
  return {
    workspace,
    bazel: options.bazel.includes("/") ? resolveUserPath(options.bazel) : options.bazel,
    targets: options.targets ?? [...DEFAULT_BUILD.targets],
    // The reproduction's config only for the reproduction: another workspace has no --config=eat.
    configs: options.config ?? (options.workspace === undefined ? [...DEFAULT_BUILD.configs] : []),
    buildFlags: options.buildFlag ?? [],
    startupFlags: options.startupFlag ?? [],
  };
}

/** `path` itself must be a workspace's root folder (a folder inside one is refused, not silently widened). */
async function workspaceRoot(path: string): Promise<string> {
  if (!(await stat(path).catch(() => undefined))?.isDirectory()) throw new UsageError(notAWorkspace(path));
  try {
    const root = findWorkspaceRoot(path);
    if (root !== path) throw new UsageError(notAWorkspace(path));
    return root;
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(notAWorkspace(path));
    throw error;
  }
}
