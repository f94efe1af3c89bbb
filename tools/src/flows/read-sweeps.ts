// How the commands that only read sweep folders (stats, plot, report) load one: a run.json that cannot be
// read is named on stderr, in one line, and left out; the other runs are read.
import { terminalDigestProgress } from "../io/digest-progress.js";
import { loadSweep, type LoadedSweep } from "../io/run-folders.js";
import { unreadableRunLine } from "../render/report.js";

export function readSweep(path: string, options: { readonly heapDigests: boolean }): Promise<LoadedSweep> {
  return loadSweep(path, {
    heapDigests: options.heapDigests,
    onUnreadable: (run) => process.stderr.write(unreadableRunLine(run.problem)),
    digestProgress: terminalDigestProgress,
  });
}
