// Runs one Bazel client command for the sweep: argument array (never a shell string), console teed to a
// file (and to the terminal when asked), and the three ways the sweep stops a sub-build itself:
//
// - timeout / interrupt: SIGINT to the client (Bazel cancels the build, ~0.3 s on 4.2.3), then, if it
//   is still running after STOP_GRACE_MS, SIGKILL to the server by its pid, then to the client;
// - oom-hang: a server that printed "FATAL: bazel ran out of memory" may hang instead of exiting (seen
//   on 4.2.3 at small heaps: the client waits forever and ignores SIGTERM), so OOM_HANG_GRACE_MS after that
//   line the server is killed by its pid.
//
// The client runs in its own process group (detached), so a Ctrl-C in the terminal reaches only the
// sweep, which forwards exactly one SIGINT; the chroot wrapper of Bazel 7 is in that group too.
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { isServerOomLine, type StopReason } from "../core/run-status.js";

/** How long a sub-build gets to end by itself after SIGINT before its server is killed. */
export const STOP_GRACE_MS = 10_000;
/** How long a server that announced its OutOfMemoryError may take to exit before it counts as hung. */
export const OOM_HANG_GRACE_MS = 15_000;

export interface BazelCommand {
  readonly bazel: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** The output base of the server the command talks to (its server/server.pid.txt names the server). */
  readonly outputBase: string;
  /** The console (stdout and stderr, as they arrive) is appended here. */
  readonly consoleFile: string;
  /** Also shown live here, when set. */
  readonly live?: NodeJS.WritableStream;
  /** Stop the command after this long (undefined: never). */
  readonly timeoutMs?: number;
  /** Stop on OOM hang. */
  readonly watchOomHang: boolean;
}

export interface BazelCommandResult {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stoppedBy: StopReason | undefined;
  readonly startedAt: Date;
  readonly endedAt: Date;
}

/** Lets the sweep interrupt whatever command is running (Ctrl-C). */
export class Interrupter {
  private current: ((reason: StopReason) => void) | undefined;
  private requested = false;

  get interrupted(): boolean {
    return this.requested;
  }

  interrupt(): void {
    this.requested = true;
    this.current?.("interrupt");
  }

  /** @internal used by runBazelCommand */
  attach(stop: (reason: StopReason) => void): () => void {
    this.current = stop;
    if (this.requested) stop("interrupt");
    return () => {
      if (this.current === stop) this.current = undefined;
    };
  }
}

export async function runBazelCommand(command: BazelCommand, interrupter: Interrupter): Promise<BazelCommandResult> {
  await mkdir(dirname(command.consoleFile), { recursive: true });
  const consoleStream = createWriteStream(command.consoleFile, { flags: "a" });
  let consoleError: Error | undefined;
  consoleStream.on("error", (error) => (consoleError ??= error));
  const startedAt = new Date();
  const child = spawn(command.bazel, command.args, { cwd: command.cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let stoppedBy: StopReason | undefined;
  const timers: NodeJS.Timeout[] = [];
  let recentText = "";

  const signalClient = (signal: NodeJS.Signals): void => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const stop = (reason: StopReason): void => {
    if (stoppedBy !== undefined) return;
    stoppedBy = reason;
    if (reason === "oom-hang") {
      void killServer(command.outputBase);
    } else {
      signalClient("SIGINT");
      timers.push(setTimeout(() => void killServer(command.outputBase), STOP_GRACE_MS));
    }
    timers.push(setTimeout(() => signalClient("SIGKILL"), STOP_GRACE_MS + 5_000));
  };

  const onOutput = (chunk: Buffer): void => {
    consoleStream.write(chunk);
    command.live?.write(chunk);
    if (!command.watchOomHang || stoppedBy !== undefined) return;
    recentText = (recentText + chunk.toString("utf8")).slice(-4096);
    if (recentText.split("\n").some(isServerOomLine)) {
      recentText = "";
      timers.push(setTimeout(() => stop("oom-hang"), OOM_HANG_GRACE_MS));
    }
  };
  child.stdout.on("data", onOutput);
  child.stderr.on("data", onOutput);
  if (command.timeoutMs !== undefined) timers.push(setTimeout(() => stop("timeout"), command.timeoutMs));
  const detach = interrupter.attach(stop);

  try {
    const { exitCode, signal } = await new Promise<{ exitCode: number | null; signal: string | null }>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code, signalName) => resolve({ exitCode: code, signal: signalName }));
    });
    return { exitCode, signal, stoppedBy, startedAt, endedAt: new Date() };
  } finally {
    detach();
    for (const timer of timers) clearTimeout(timer);
    await new Promise<void>((resolve) => consoleStream.end(resolve));
    if (consoleError !== undefined) throw consoleError;
  }
}

/** The pid of the output base's server, if one is running and really is that output base's server. */
export async function serverPid(outputBase: string): Promise<number | undefined> {
  const text = await readFile(join(outputBase, "server", "server.pid.txt"), "utf8").catch(() => undefined);
  const pid = text === undefined ? NaN : Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  // A stale pid file may name an unrelated process by now: only a JVM started for this output base counts.
  const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  return cmdline.split("\u0000").includes(`--output_base=${outputBase}`) ? pid : undefined;
}

/** SIGKILLs the output base's server, if one runs; returns whether it did. */
export async function killServer(outputBase: string): Promise<boolean> {
  const pid = await serverPid(outputBase);
  if (pid === undefined) return false;
  try {
    process.kill(pid, "SIGKILL");
    return true;
  } catch {
    return false;
  }
}
