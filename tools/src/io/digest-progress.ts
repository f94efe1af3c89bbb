// A heap digest's progress on a terminal (issue 18): one line, redrawn in place, naming the phase and, while the
// dump is read, the bytes read and the rate (wording: render/digest-progress.ts). Nothing until the digest has
// run PROGRESS_DELAY_MS, so small digests print nothing; nothing at all when the stream is not a terminal, so
// logs and CI stay clean; the line is erased when the digest ends, so the command's output follows cleanly.
//
// The digest is synchronous: no timer can fire while it runs, so the line is redrawn only when the digest reports
// (each phase, each 2 MB window read). A terminal's stderr is written synchronously, so those draws show at once.
import { UNOBSERVED, type DigestObserver } from "../core/heap/digest-phases.js";
import { digestProgressText, type DigestProgressState } from "../render/digest-progress.js";
import { StatusLine, type TerminalStream } from "./status-line.js";

/** How long a digest runs before its progress line appears. */
export const PROGRESS_DELAY_MS = 2000;
/**
 * Sets that delay in milliseconds (0: at once), for tests that watch the line through a pseudo-terminal on a
 * dump that digests in well under 2 s. Not for users: they have no reason to want the line sooner.
 */
export const PROGRESS_DELAY_VARIABLE = "MEMORY_ADVENTURE_PROGRESS_DELAY_MS";
/** Byte counts are redrawn at most this often (4 times a second); a new phase is drawn at once. */
const REDRAW_INTERVAL_MS = 250;

/** Watches one digest; `done()` (call it in a finally) removes whatever it showed. */
export interface DigestProgress extends DigestObserver {
  done(): void;
}

/** Makes the progress of one digest. */
export type DigestProgressFactory = () => DigestProgress;

/** Shows nothing. */
export const noDigestProgress: DigestProgressFactory = () => ({ ...UNOBSERVED, done: () => undefined });

export interface DigestWatchOptions {
  /** Milliseconds on a monotonic clock (default: performance.now). */
  readonly now?: () => number;
  /** Default: PROGRESS_DELAY_MS, or the environment's PROGRESS_DELAY_VARIABLE. */
  readonly delayMs?: number;
}

/**
 * The progress of one digest handed to `show` once it is worth drawing: from `delayMs` after the watch began,
 * each new phase at once and byte counts at most every REDRAW_INTERVAL_MS. `hide` is called at done() when
 * `show` was. The sweep draws the state inside its own line; digestProgress draws it on a line of its own.
 */
export function watchDigest(show: (state: DigestProgressState) => void, hide: () => void, options: DigestWatchOptions = {}): DigestProgress {
  const now = options.now ?? (() => performance.now());
  const delayMs = options.delayMs ?? progressDelayMs();
  const started = now();
  let state: DigestProgressState | undefined;
  let readStarted = started;
  let lastDone = 0;
  let shownAt: number | undefined;
  const offer = (at: number, newPhase: boolean): void => {
    if (state === undefined || at - started < delayMs) return;
    if (!newPhase && shownAt !== undefined && at - shownAt < REDRAW_INTERVAL_MS) return;
    shownAt = at;
    show(state);
  };
  return {
    phase(name) {
      const at = now();
      if (name === "read") {
        readStarted = at;
        lastDone = 0;
      }
      state = { phase: name };
      offer(at, true);
    },
    bytesRead(done, total) {
      const at = now();
      // The pass starts over (a dump with more classes than its first try makes room for): so does the rate.
      if (done < lastDone) readStarted = at;
      lastDone = done;
      const seconds = (at - readStarted) / 1000;
      state = { phase: "read", bytes: { done, total, perSecond: seconds > 0 ? done / seconds : undefined } };
      offer(at, false);
    },
    done() {
      if (shownAt !== undefined) hide();
      shownAt = undefined;
      state = undefined;
    },
  };
}

export interface DigestProgressOptions extends DigestWatchOptions {
  /** Default: process.stderr. */
  readonly stream?: TerminalStream;
}

/** A progress line of its own on `stream` for one digest; shows nothing when the stream is not a terminal. */
export function digestProgress(options: DigestProgressOptions = {}): DigestProgress {
  const stream = options.stream ?? process.stderr;
  if (stream.isTTY !== true) return noDigestProgress();
  const line = new StatusLine(stream);
  return watchDigest(
    (state) => line.draw(digestProgressText(state)),
    () => line.erase(),
    options,
  );
}

/** For a command run by a person: a progress line on stderr, with the default delay. */
export const terminalDigestProgress: DigestProgressFactory = () => digestProgress();

/** Runs one digest with a fresh progress from `progress`, removed however the digest ends. */
export async function withDigestProgress<T>(progress: DigestProgressFactory, digest: (observer: DigestObserver) => Promise<T>): Promise<T> {
  const watch = progress();
  try {
    return await digest(watch);
  } finally {
    watch.done();
  }
}

/** PROGRESS_DELAY_MS, unless the environment sets PROGRESS_DELAY_VARIABLE to a whole number of milliseconds. */
export function progressDelayMs(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const text = env[PROGRESS_DELAY_VARIABLE];
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : PROGRESS_DELAY_MS;
}
