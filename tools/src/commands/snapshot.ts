// `snapshot [--workspace DIR] [--targets P]... [--bazel B] [--mode M] [--config C]... [--build-flag F]...
// [--startup-flag F]... [--out FILE] [--keep-heap-dumps] [--budget FILE] [--pprof FILE] [--html FILE] [--json]`: one cold build,
// then the heap it leaves in the live server, digested. The build options are the sweep's (build-options.ts).
import { Command, Option } from "commander";
import { ExitCode, ExitWith } from "../core/exit-codes.js";
import { BUILD_MODES, type BuildMode } from "../core/vocabulary.js";
import { takeSnapshot } from "../flows/snapshot.js";
import { defaultMeasurementsDir, resolveUserPath } from "../io/invocation.js";
import { PPROF_OPTION_HELP } from "../render/pprof.js";
import { HEAP_HTML_OPTION_HELP } from "../render/treemap.js";
import { SNAPSHOT_DESCRIPTION, SNAPSHOT_HELP_FOOTER, SNAPSHOT_OPTION_HELP as HELP, SNAPSHOT_SUMMARY } from "../render/snapshot.js";
import { collect, parseBuildOptions, type BuildOptionValues } from "./build-options.js";

/** Analysis only: the Starlark memory is spent there, and a snapshot then costs no execution. */
export const DEFAULT_SNAPSHOT_MODE: BuildMode = "nobuild";

interface SnapshotOptions extends BuildOptionValues {
  readonly mode: BuildMode;
  readonly out?: string;
  readonly keepHeapDumps?: boolean;
  readonly budget?: string;
  readonly pprof?: string;
  readonly html?: string;
  readonly json?: boolean;
}

export function snapshotCommand(): Command {
  return new Command("snapshot")
    .description(SNAPSHOT_DESCRIPTION)
    .summary(SNAPSHOT_SUMMARY)
    .option("--workspace <dir>", HELP.workspace)
    .option("--targets <pattern>", HELP.targets, collect)
    .option("--bazel <path>", HELP.bazel, "bazel")
    .addOption(new Option("--mode <mode>", HELP.mode).choices(BUILD_MODES).default(DEFAULT_SNAPSHOT_MODE))
    .option("--config <name>", HELP.config, collect)
    .option("--build-flag <flag>", HELP.buildFlag, collect)
    .option("--startup-flag <flag>", HELP.startupFlag, collect)
    .option("--out <file>", HELP.out)
    .option("--keep-heap-dumps", HELP.keepHeapDumps)
    .option("--budget <file>", HELP.budget)
    .option("--pprof <file>", PPROF_OPTION_HELP)
    .option("--html <file>", HEAP_HTML_OPTION_HELP)
    .option("--json", HELP.json)
    .addHelpText("after", SNAPSHOT_HELP_FOOTER)
    .action(async (options: SnapshotOptions) => {
      const build = await parseBuildOptions(options);
      const code = await takeSnapshot({
        build,
        mode: options.mode,
        out: options.out === undefined ? { kind: "default", folder: defaultMeasurementsDir() } : { kind: "file", path: resolveUserPath(options.out) },
        keepHeapDumps: options.keepHeapDumps === true,
        budget: options.budget === undefined ? undefined : resolveUserPath(options.budget),
        pprof: options.pprof === undefined ? undefined : resolveUserPath(options.pprof),
        html: options.html === undefined ? undefined : resolveUserPath(options.html),
        json: options.json === true,
      });
      if (code !== ExitCode.ok) throw new ExitWith(code);
    });
}
