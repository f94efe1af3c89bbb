// `blame`: which Starlark function ate the heap, from every run of the sweeps given. The sweep's own end and
// the report compute it the same way (blameOf), on the sweep they have loaded already.
import { blame, blameRun, givesEvidence, type BlameResult, type SignalName } from "../core/blame/blame.js";
import { ExitCode } from "../core/exit-codes.js";
import { terminalDigestProgress } from "../io/digest-progress.js";
import { checkOutputPath, writeOutputFile } from "../io/output-file.js";
import { loadSweep, type LoadedSweep } from "../io/run-folders.js";
import { blameText, blameWritten, unreadableRunSkipped } from "../render/blame.js";

export interface BlameRequest {
  /** Sweep folders (or run folders), blamed together; .bzl files are named relative to the first one's workspace. */
  readonly sweeps: readonly string[];
  readonly without: ReadonlySet<SignalName>;
  readonly top: number;
  readonly json: boolean;
  /** Where to write instead of stdout. */
  readonly out: string | undefined;
}

/** Prints (or writes) the blame; exit 1 when no run has usable evidence. */
export async function blameSweeps(request: BlameRequest): Promise<ExitCode> {
  if (request.out !== undefined) await checkOutputPath(request.out);
  const sweeps: LoadedSweep[] = [];
  for (const path of request.sweeps) {
    sweeps.push(
      await loadSweep(path, {
        heapDigests: true,
        onUnreadable: (run) => process.stderr.write(unreadableRunSkipped(run.problem)),
        digestProgress: terminalDigestProgress,
      }),
    );
  }
  const result = blameOf(sweeps, request.without);
  const text = request.json ? `${JSON.stringify(result, null, 2)}\n` : blameText(result, request.top);
  if (request.out === undefined) {
    process.stdout.write(text);
  } else {
    await writeOutputFile(request.out, text);
    process.stderr.write(blameWritten(request.out));
  }
  return result.verdict === "no-evidence" ? ExitCode.findings : ExitCode.ok;
}

/** Blame over every run of the sweeps (loaded with their heap digests) that measured something about the heap. */
export function blameOf(sweeps: readonly LoadedSweep[], without: ReadonlySet<SignalName>): BlameResult {
  const runs = sweeps.flatMap((sweep) =>
    sweep.runs.filter((run) => givesEvidence(run.record)).map((run) => blameRun(run.record, run.summary, run.heap?.digest, run.heap?.unusableDump)),
  );
  return blame(runs, { workspace: sweeps[0]?.workspace, without });
}
