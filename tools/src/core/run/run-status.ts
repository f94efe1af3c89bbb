/**
 * How a sub-build ended (run.json's `status`), read from its exit code, its console, the server's own logs
 * (jvm.out, java.log) and its Build Event Protocol file: every one of them can be cut short by the crash we study.
 */
import type { RunStatus, StopReason } from "../vocabulary.js";

export interface RunOutcome {
  /** null when the client died of a signal. */
  readonly exitCode: number | null;
  readonly console: string;
  /**
   * The server's jvm.out and java.log: a JVM dying of OutOfMemoryError too fast to tell the client, or hanging
   * before it could, leaves its trace here.
   */
  readonly serverLog: string;
  /** The --build_event_json_file text, possibly cut mid-line. */
  readonly bep: string;
  readonly stoppedBy: StopReason | undefined;
}

/** Bazel's exit code for "the server ran out of memory". */
export const OOM_EXIT_CODE = 33;
/** Bazel's exit code for a build that failed (as opposed to a crash or an interruption). */
export const BUILD_FAILURE_EXIT_CODE = 1;
/**
 * What the Bazel client exits with when its server went away mid-command (it prints "Server terminated
 * abruptly"): the server died of OutOfMemoryError too fast to say so, or was killed from outside, or crashed.
 */
export const SERVER_GONE_EXIT_CODE = 37;
/** The client's line for a server that went away mid-command, on 4.2.3 and 7.x alike. */
export const SERVER_GONE_PATTERN = /^Server terminated abruptly\b/m;
/** What a process killed by SIGKILL exits with, as a shell and Bazel's sandbox report it. */
export const SIGKILL_EXIT_CODE = 137;

/**
 * The server's own logs (java.log, jvm.out) name the error this way on both generations; while a build
 * runs, the sweep takes it as the start of a crash that may hang.
 */
export const SERVER_LOG_OOM_PATTERN = /java\.lang\.OutOfMemoryError/;

/**
 * Text of a server that ran out of heap: 4.2.3 and 7.x print the first line on the console; 7.x wraps
 * Starlark's error as "OutOfMemoryError thrown during Starlark evaluation"; jvm.out holds the JVM's own
 * "java.lang.OutOfMemoryError" when the server died before it could say anything (client exit 37).
 */
export const SERVER_OOM_PATTERNS: readonly RegExp[] = [
  /^FATAL: bazel ran out of memory/m,
  /OutOfMemoryError thrown during Starlark evaluation/,
  SERVER_LOG_OOM_PATTERN,
];

/**
 * An action that died of SIGKILL (the kernel's OOM killer, a memory-limited CI container): Bazel 4.2.3
 * prints `Action x failed: (Killed)`, and (Exit 137) when a shell reports the signal.
 */
export const ACTION_KILLED_PATTERNS: readonly RegExp[] = [/^ERROR: .* failed: \(Killed\)/m, /^ERROR: .* failed: \(Exit 137\)/m];

/** The facts of a BEP file that decide a status. */
export interface BepFacts {
  /** Some event was aborted with reason OUT_OF_MEMORY, or the build finished with exit code OOM_ERROR. */
  readonly outOfMemory: boolean;
  /** Some action's spawn exited with 137 (killed by SIGKILL). */
  readonly actionKilled: boolean;
}

/** Reads the BEP facts; lines that are not JSON (a crash cuts the file mid-line) are skipped. */
export function bepFacts(bepText: string): BepFacts {
  let outOfMemory = false;
  let actionKilled = false;
  for (const line of bepText.split("\n")) {
    if (line.trim() === "") continue;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      continue;
    }
    if (get(event, ["aborted", "reason"]) === "OUT_OF_MEMORY") outOfMemory = true;
    if (get(event, ["finished", "exitCode", "name"]) === "OOM_ERROR") outOfMemory = true;
    const spawnExit = get(event, ["action", "failureDetail", "spawn", "spawnExitCode"]);
    if (spawnExit === SIGKILL_EXIT_CODE) actionKilled = true;
  }
  return { outOfMemory, actionKilled };
}

/**
 * The status of a finished sub-build. Order matters: an interruption is what the user did; out of memory
 * wins over a timeout (a server that printed its OutOfMemoryError and then hung is an OOM, and so is one
 * the sweep stopped for thrashing in GC: it had run out of heap, only slowly); a killed
 * action only explains a failed build. OOM text counts only when the build did not end normally
 * (exit 0 or 1): an action's own OutOfMemoryError in a failed build is not the server's. A server that
 * went away with no OutOfMemoryError anywhere (SIGKILLed from outside, or crashed otherwise) is
 * `server-died`: not a memory outcome, so it never counts as a crash of the heap.
 */
export function classifyRun(outcome: RunOutcome): RunStatus {
  if (outcome.stoppedBy === "interrupt") return "interrupted";
  const bep = bepFacts(outcome.bep);
  const endedAbnormally = outcome.exitCode !== 0 && outcome.exitCode !== BUILD_FAILURE_EXIT_CODE;
  const oomText = SERVER_OOM_PATTERNS.some((pattern) => pattern.test(outcome.console) || pattern.test(outcome.serverLog));
  const stoppedForMemory = outcome.stoppedBy === "oom-hang" || outcome.stoppedBy === "gc-thrash";
  if (outcome.exitCode === OOM_EXIT_CODE || stoppedForMemory || bep.outOfMemory || (endedAbnormally && oomText)) {
    return "oom";
  }
  if (outcome.stoppedBy === "timeout") return "timeout";
  if (outcome.exitCode === 0) return "ok";
  if (outcome.exitCode === SERVER_GONE_EXIT_CODE && SERVER_GONE_PATTERN.test(outcome.console)) return "server-died";
  if (bep.actionKilled || ACTION_KILLED_PATTERNS.some((pattern) => pattern.test(outcome.console))) return "action-killed";
  return "failed";
}

/** Whether a console line says the server ran out of memory; the runner then watches for a hang. */
export function isServerOomLine(line: string): boolean {
  return /^FATAL: bazel ran out of memory/.test(line);
}

function get(value: unknown, keys: readonly string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (typeof current !== "object" || current === null || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
