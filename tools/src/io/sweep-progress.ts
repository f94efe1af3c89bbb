// The sweep's progress on stderr: one redrawn line on a terminal, plain lines otherwise (wording: render/sweep.ts).
import type { RunRecord } from "../core/run/run-record.js";
import type { PlannedRun } from "../core/sweep/sweep-plan.js";
import { estimateRemainingBuilds, type SearchConfig } from "../core/sweep/threshold-search.js";
import { progressLine, runFinishedLine, runStartedLine } from "../render/sweep.js";
import type { SweepObserver } from "./sweep-runner.js";

export class SweepProgress implements SweepObserver {
  private readonly started = Date.now();
  private readonly durations: number[] = [];
  private readonly records: RunRecord[] = [];
  private lastStatus: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private drawn = false;
  private runStart = Date.now();

  constructor(
    private readonly tty: boolean,
    private readonly search: SearchConfig | undefined,
  ) {}

  runStarted(position: number, total: number | undefined, run: PlannedRun): void {
    if (!this.tty) {
      process.stderr.write(runStartedLine(position, total, run));
      return;
    }
    const runStart = Date.now();
    this.runStart = runStart;
    const draw = (): void => {
      const mean = this.durations.length === 0 ? undefined : this.durations.reduce((a, b) => a + b, 0) / this.durations.length;
      const remaining = total === undefined ? (this.search === undefined ? undefined : estimateRemainingBuilds(this.search, this.records)) : total - position + 1;
      const eta = mean === undefined || remaining === undefined ? undefined : Math.max(0, remaining * mean - (Date.now() - runStart) / 1000);
      const line = progressLine({ position, total, run, elapsedSeconds: (Date.now() - this.started) / 1000, etaSeconds: eta, lastStatus: this.lastStatus });
      // Never wider than the terminal, or the line would wrap and \r could not redraw it.
      process.stderr.write(`\r\u001b[2K${line.slice(0, Math.max(20, (process.stderr.columns || 120) - 1))}`);
      this.drawn = true;
    };
    clearInterval(this.timer);
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
    process.stderr.write(runFinishedLine(record));
  }

  finish(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.drawn) process.stderr.write("\r\u001b[2K");
    this.drawn = false;
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
  };
}
