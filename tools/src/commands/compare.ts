// `compare`: runs analysis/output_groups.cquery for two targets and prints them side by side.
import { Command } from "commander";
import { statSync } from "node:fs";
import { join, relative } from "node:path";
import { ExitCode, ExitWith, UsageError } from "../core/exit-codes.js";
import { compareTwoTargets } from "../flows/compare.js";
import {
  WORKSPACE_MARKERS,
  currentInvocation,
  defaultWorkspace,
  resolveUserPath,
  userDirectory,
  type Invocation,
} from "../io/invocation.js";
import {
  COMPARE_ARGUMENTS,
  COMPARE_DESCRIPTION,
  COMPARE_HELP_FOOTER,
  COMPARE_OPTIONS,
  notAWorkspace,
} from "../render/compare.js";

interface CompareOptions {
  readonly bazel: string;
  readonly workspace?: string;
  readonly config?: readonly string[];
}

export function compareCommand(): Command {
  return new Command("compare")
    .description(COMPARE_DESCRIPTION)
    .argument("<left>", COMPARE_ARGUMENTS.left)
    .argument("<right>", COMPARE_ARGUMENTS.right)
    .option("--bazel <path>", COMPARE_OPTIONS.bazel, "bazel")
    .option("--workspace <dir>", COMPARE_OPTIONS.workspace)
    .option("--config <name>", COMPARE_OPTIONS.config, (name: string, names: string[] | undefined) => [...(names ?? []), name])
    .addHelpText("after", COMPARE_HELP_FOOTER)
    .action(compare);
}

async function compare(left: string, right: string, options: CompareOptions): Promise<void> {
  const invocation = currentInvocation();
  const { workspace, cwd } = placeToRun(options.workspace, invocation);
  // A bare name is looked up on PATH by spawn; anything with a slash is a path the user typed.
  const bazel = options.bazel.includes("/") ? resolveUserPath(options.bazel, invocation) : options.bazel;
  const code = await compareTwoTargets({ left, right, bazel, workspace, cwd, configs: options.config ?? [] });
  if (code !== ExitCode.ok) throw new ExitWith(code);
}

/**
 * The workspace and the directory to run Bazel in: --workspace's top folder, or else the directory the
 * user is in (so that relative labels such as `:lock_1` mean what they mean to Bazel there).
 */
function placeToRun(workspaceOption: string | undefined, invocation: Invocation): { workspace: string; cwd: string } {
  if (workspaceOption !== undefined) {
    const workspace = resolveUserPath(workspaceOption, invocation);
    if (!WORKSPACE_MARKERS.some((marker) => statSync(join(workspace, marker), { throwIfNoEntry: false })?.isFile())) {
      throw new UsageError(notAWorkspace(workspace, WORKSPACE_MARKERS));
    }
    return { workspace, cwd: workspace };
  }
  const workspace = defaultWorkspace(invocation);
  const here = userDirectory(invocation);
  const inside = !relative(workspace, here).startsWith("..");
  return { workspace, cwd: inside ? here : workspace };
}
