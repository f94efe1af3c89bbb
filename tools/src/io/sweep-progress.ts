// The sweep's progress on stderr: one redrawn line on a terminal, plain lines otherwise (wording: render/sweep.ts).
// A crash run's heap digest shows its progress inside that line (the digest runs before the run finishes, while
// the line is up): a second line of its own would overwrite it, and the next redraw would overwrite the digest's.
// Lines written while that line is up (a run finished, a dump that could not be digested) go through here, so that
// each starts on a clean line instead of at the end of the progress line.
import type { RunRecord } from "../core/run/run-record.js";
import type { PlannedRun } from "../core/sweep/sweep-plan.js";
import { estimateRemainingBuilds, type SearchConfig } from "../core/sweep/threshold-search.js";
import type { DigestProgressState } from "../render/digest-progress.js";
import { digestFailedLine, progressLine, runFinishedLine, runStartedLine } from "../render/sweep.js";
import { digestProgress, noDigestProgress, watchDigest, type DigestProgress } from "./digest-progress.js";
import { StatusLine, type TerminalStream } from "./status-line.js";
import type { SweepObserver } from "./sweep-runner.js";

export class SweepProgress implements SweepObserver {
  private readonly started = Date.now();
  private readonly durations: number[] = [];
  private readonly records: RunRecord[] = [];
  private lastStatus: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly line: StatusLine;
  private runStart = Date.now();
  /** Redraws the current run's line; undefined while no line is up. */
  private redraw: (() => void) | undefined;
  /** The crash run's digest, while it is shown in the line. */
  private digest: DigestProgressState | undefined;

  /** `tty`: draw the redrawn line on `stream` (else plain lines). */
  constructor(
    private readonly tty: boolean,
    private readonly search: SearchConfig | undefined,
    private readonly stream: TerminalStream = process.stderr,
  ) {
    this.line = new StatusLine(stream);
  }

  runStarted(position: number, total: number | undefined, run: PlannedRun): void {
    if (!this.tty) {
      this.stream.write(runStartedLine(position, total, run));
      return;
    }
    const runStart = Date.now();
    this.runStart = runStart;
    const draw = (): void => {
      const mean = this.durations.length === 0 ? undefined : this.durations.reduce((a, b) => a + b, 0) / this.durations.length;
      const remaining = total === undefined ? (this.search === undefined ? undefined : estimateRemainingBuilds(this.search, this.records)) : total - position + 1;
      const eta = mean === undefined || remaining === undefined ? undefined : Math.max(0, remaining * mean - (Date.now() - runStart) / 1000);
      this.line.draw(
        progressLine({ position, total, run, elapsedSeconds: (Date.now() - this.started) / 1000, etaSeconds: eta, lastStatus: this.lastStatus, digest: this.digest }),
      );
    };
    clearInterval(this.timer);
    this.redraw = draw;
    draw();
    this.timer = setInterval(draw, 1000);
  }

  runFinished(record: RunRecord): void {
    // Whole runs, the clean and the server start included: that is what the remaining runs will take.
    this.durations.push((Date.now() - this.runStart) / 1000);
    this.lastStatus = record.status;
    this.records.push(record);
    // On a terminal, finished runs stay on screen above the progress line (redrawn by the next run).
    if (this.tty) this.finish();
    this.stream.write(runFinishedLine(record));
  }

  /** On a terminal, a line of its own above the run's line, which is drawn again below it; else a plain line. */
  digestFailed(runDir: string, reason: string): void {
    this.line.erase();
    this.stream.write(digestFailedLine(runDir, reason));
    this.redraw?.();
  }

  /**
   * On a terminal, the digest's progress goes into the sweep's line (redrawn by the digest's reports: the timer
   * cannot fire while the digest runs). Otherwise a line of its own, which shows only on a terminal: with
   * --show-console, the build's console has ended when its dump is digested.
   */
  digestProgress(): DigestProgress {
    if (!this.tty) return digestProgress({ stream: this.stream });
    if (this.redraw === undefined) return noDigestProgress();
    return watchDigest(
      (state) => {
        this.digest = state;
        this.redraw?.();
      },
      () => {
        this.digest = undefined;
        this.redraw?.();
      },
    );
  }

  finish(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.redraw = undefined;
    this.digest = undefined;
    this.line.erase();
  }
}

/**
 * A later phase's runs numbered on from the `before` runs of an earlier one: the evidence runs after a plan of
 * two are "run 3 of 4" and "run 4 of 4", not a second "run 1 of 2".
 */
export function numberedAfter(observer: SweepObserver, before: number): SweepObserver {
  return {
    runStarted: (position, total, run) => observer.runStarted(before + position, total === undefined ? undefined : before + total, run),
    runFinished: (record) => observer.runFinished(record),
    digestProgress: () => observer.digestProgress?.() ?? noDigestProgress(),
    digestFailed: (runDir, reason) => observer.digestFailed(runDir, reason),
  };
}
