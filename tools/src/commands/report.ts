// `report RUNS_DIR [--out report.html]`: the sweep on one self-contained page.
import { Command } from "commander";
import { REPORT_FILE } from "../core/run/run-record.js";
import { reportSweep } from "../flows/report.js";
import { resolveUserPath } from "../io/invocation.js";
import { REPORT_DESCRIPTION, REPORT_HELP_FOOTER } from "../render/report.js";

export function reportCommand(): Command {
  return new Command("report")
    .description(REPORT_DESCRIPTION)
    .argument("<RUNS_DIR>", "the sweep folder (the sweep's --out)")
    .option("--out <file>", `where to write the page (default: ${REPORT_FILE} in RUNS_DIR)`)
    .addHelpText("after", REPORT_HELP_FOOTER)
    .action(async (runsDir: string, options: { readonly out?: string }) => {
      await reportSweep({ sweep: resolveUserPath(runsDir), out: options.out === undefined ? undefined : resolveUserPath(options.out), name: runsDir });
    });
}
