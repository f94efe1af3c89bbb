// `compare`: what two targets return (analysis/output_groups.cquery in a Bazel server of its own), side by side.
import { compareTargets } from "../core/cquery/compare.js";
import { ExitCode } from "../core/exit-codes.js";
import { CquerySession, compareOutputBase, outputGroupsCqueryPath } from "../io/cquery.js";
import { currentInvocation } from "../io/invocation.js";
import { colorEnabled } from "../io/terminal.js";
import { renderComparison } from "../render/compare.js";

export interface CompareRequest {
  readonly left: string;
  readonly right: string;
  /** A command name looked up on PATH, or an absolute path. */
  readonly bazel: string;
  /** The workspace (its server's output base is keyed by it) and the directory Bazel runs in. */
  readonly workspace: string;
  readonly cwd: string;
  readonly configs: readonly string[];
}

/** Prints the comparison; exit 1 when the targets differ. */
export async function compareTwoTargets(request: CompareRequest): Promise<ExitCode> {
  const session = new CquerySession({
    bazel: request.bazel,
    cwd: request.cwd,
    outputBase: compareOutputBase(currentInvocation(), request.workspace, request.bazel),
    configs: request.configs,
    cqueryFile: outputGroupsCqueryPath(),
  });
  let comparison;
  try {
    comparison = compareTargets(await session.report(request.left), await session.report(request.right));
  } finally {
    await session.close();
  }
  process.stdout.write(renderComparison(comparison, { color: colorEnabled(process.stdout) }));
  return comparison.differences > 0 ? ExitCode.findings : ExitCode.ok;
}
