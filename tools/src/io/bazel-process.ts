// Runs one Bazel client command for the sweep: argument array (never a shell string), console teed to a
// file (and to the terminal when asked), and the three ways the sweep stops a sub-build itself:
//
// - timeout / interrupt: SIGINT to the client (Bazel cancels the build, ~0.3 s on 4.2.3), then, if it
//   is still running after STOP_GRACE_MS, SIGKILL to the server by its pid, then to the client;
// - oom-hang: a server that printed "FATAL: bazel ran out of memory" may hang instead of exiting (seen
//   on 4.2.3 at small heaps: the client waits forever and ignores SIGTERM), so OOM_HANG_GRACE_MS after that
//   line the server is killed by its pid. The line may never reach the console (a CI run sat silent for
//   10 minutes at 128m), so the server's own logs (java.log, jvm.out) are watched for the error too;
// - gc-thrash: the server's GC log shows it spiralling: collection after collection, young or full, frees
//   almost nothing (core/run/gc-log.ts gcSpiral). Such a server never throws, so it writes no heap dump of its
//   own: before it is stopped, the sweep asks it for one over the attach protocol (io/jvm-attach.ts), within
//   bounds (ATTACH_DUMP_START_MS to begin, HEAP_DUMP_STALL_MS without growth), and says whether it came.
//
// A server stopped for a hang or a spiral may be writing its heap dump (-XX:+HeapDumpOnOutOfMemoryError;
// a 256 MB heap takes a second, tens of GB take minutes): it is killed only once jvm.out says the dump is
// done, or the dump has stopped growing for HEAP_DUMP_STALL_MS, so a slow dump is never cut short.
//
// Before the sweep stops a server for a timeout, a hang or a spiral, the server prints a thread dump into
// its jvm.out (SIGQUIT): what it was doing is evidence the run folder keeps. That is best effort: the sweep
// waits until the dump's end is in jvm.out (core/run/thread-dump.ts) or THREAD_DUMP_DEADLINE_MS passed, and
// the result says whether it got one (run.json's threadDumpTaken).
//
// The client runs in its own process group (detached), so a Ctrl-C in the terminal reaches only the
// sweep, which forwards exactly one SIGINT; the chroot wrapper of Bazel 7 is in that group too.
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, open, readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { gcSpiral, GC_SPIRAL_RULE, parseGcPause, type GcPause } from "../core/run/gc-log.js";
import { heapDumpWriting } from "../core/run/jvm-heap-dump.js";
import type { SpiralHeapDump } from "../core/run/run-record.js";
import { isServerOomLine, SERVER_LOG_OOM_PATTERN } from "../core/run/run-status.js";
import { threadDumpProgress } from "../core/run/thread-dump.js";
import type { StopReason } from "../core/vocabulary.js";
import { spiralDumpProblems } from "../render/sweep.js";
import { AttachError, dumpHeap, pathInTarget, removeAttachSocket } from "./jvm-attach.js";

// Timing on a 2-core machine whose cores are both busy (the build's own threads and GC on one server,
// a second Bazel server or a CI neighbour on the other): every wait below is the longest a healthy
// server plausibly needs under that load, because waiting too little loses evidence or kills a server
// that was about to end, while waiting too long only costs time on runs that are already lost.

/** How long a sub-build gets to end by itself after SIGINT before its server is killed. */
export const STOP_GRACE_MS = 10_000;
/** How long a server that announced its OutOfMemoryError may take to exit before it counts as hung. */
export const OOM_HANG_GRACE_MS = 15_000;
/** How often the server's logs are read while a command runs. */
const WATCH_INTERVAL_MS = 2_000;
/**
 * The most a server gets to write its thread dump after SIGQUIT. The JVM writes it at a safepoint, which a
 * server busy in back-to-back full collections reaches only between pauses (up to ~1 s each for heaps of a
 * few GB on two busy cores), and a Bazel 7 server has a few hundred threads to print; normally the dump is
 * in jvm.out within a second and the wait ends as soon as it is. Past the deadline the dump is given up.
 */
export const THREAD_DUMP_DEADLINE_MS = 15_000;
/** Once the threads are in, how long to wait for the heap summary that follows them (another safepoint). */
const HEAP_SUMMARY_GRACE_MS = 2_000;
/** How long a heap dump being written may go without growing before it counts as stuck (and is given up). */
export const HEAP_DUMP_STALL_MS = 10_000;
/** The most a heap dump being written is waited for: tens of GB on a slow disk. */
export const HEAP_DUMP_DEADLINE_MS = 15 * 60_000;
/** How often a heap dump being written is looked at. */
const HEAP_DUMP_POLL_MS = 1_000;
/** How often jvm.out is read while waiting for the dump. */
const THREAD_DUMP_POLL_MS = 100;
/**
 * How long a spiralling server gets to start writing the heap dump the sweep asks for: its attach listener
 * starts within 10 s of SIGQUIT (the JDK's own tools wait as long), and a JVM collecting back to back reaches
 * the dump's safepoint between two collections. Once the dump grows, HEAP_DUMP_STALL_MS without growth ends
 * the wait, and HEAP_DUMP_DEADLINE_MS bounds it all.
 */
export const ATTACH_DUMP_START_MS = 30_000;
/**
 * The attach dump holds every object, garbage included (jmap's -all, as -XX:+HeapDumpOnOutOfMemoryError writes),
 * not only live ones. A live dump first runs a full collection: one more on a server that does little else, the
 * longest pause of all on a large heap, and for nothing, since a spiralling heap is 90% or more live and the dump's
 * digest (core/heap) finds what is reachable itself. Measured on the spiral workspace at 128m (Bazel 7.7.1, both
 * dumps of one spiralling server, in either order): -all 0.5-0.9 s, 155-157 MB, 2.5-4.6 MB of it unreachable;
 * live 0.3-0.8 s, 153-154 MB, its forced full collection 76-99 ms freeing 0-1M; both digests named the same
 * culprit with the same share (76%).
 */
const ATTACH_DUMP_LIVE = false;

/** What to watch of the server while a build runs. */
export interface ServerWatch {
  /** The gc.log the server writes (-Xlog:gc), read as it grows. */
  readonly gcLog: string;
  /** The server's -Xmx, which a spiral is judged against. */
  readonly limitBytes: number;
  /**
   * The -XX:HeapDumpPath the server writes its heap dump to on OutOfMemoryError, and where the sweep has a
   * spiralling server write one before stopping it; undefined when the sweep takes no heap dumps.
   */
  readonly heapDump: string | undefined;
}

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
  /** Watch for an OOM hang and a GC spiral; undefined for commands that build nothing (shutdown). */
  readonly watch: ServerWatch | undefined;
}

export interface BazelCommandResult {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stoppedBy: StopReason | undefined;
  /** Whether jvm.out got the server's complete thread dump; undefined when none was asked for. */
  readonly threadDumpTaken: boolean | undefined;
  /** The heap dump asked of a spiralling server (gc-thrash) before its stop; undefined when none was asked for. */
  readonly spiralHeapDump: SpiralHeapDump | undefined;
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
  // A console that cannot be written (a full disk) makes the run worthless: stop it now, fail after.
  consoleStream.on("error", (error) => {
    consoleError ??= error;
    stop("interrupt");
  });
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
  // Set once the command has ended: from then on the output base may hold the next command's server,
  // which no stop of this one may touch.
  let ended = false;
  const killThisServer = (): void => {
    if (!ended) void killServer(command.outputBase);
  };
  let threadDump: Promise<boolean> | undefined;
  let spiralHeapDump: Promise<SpiralHeapDump | undefined> | undefined;
  function stop(reason: StopReason): void {
    if (stoppedBy !== undefined) return;
    stoppedBy = reason;
    if (reason === "interrupt") {
      signalClient("SIGINT");
      timers.push(setTimeout(killThisServer, STOP_GRACE_MS));
    } else if (reason === "timeout") {
      threadDump = dumpThreads(command.outputBase);
      void threadDump.then(() => {
        if (ended) return;
        signalClient("SIGINT");
        timers.push(setTimeout(killThisServer, STOP_GRACE_MS));
      });
    } else {
      // A hung or spiralling server answers no cancellation: once its heap dump is written (a spiralling one is
      // asked for it), and after its thread dump, it is killed.
      // A Ctrl-C meanwhile ends the wait: the user's stop outranks the dump.
      const giveUp = (): boolean => interrupter.interrupted;
      const heapDump = command.watch?.heapDump;
      spiralHeapDump = heapDumpDone(command.outputBase, heapDump, giveUp).then(() =>
        reason === "gc-thrash" && heapDump !== undefined && !ended && !giveUp() ? dumpSpiralHeap(command.outputBase, heapDump, giveUp) : undefined,
      );
      threadDump = spiralHeapDump.then(() => (ended ? false : dumpThreads(command.outputBase)));
      void threadDump.then(killThisServer);
      void threadDump.then(armClientKill);
      return;
    }
    armClientKill();
  }
  // The client is killed last, in case it outlives its server's stop.
  function armClientKill(): void {
    if (!ended) timers.push(setTimeout(() => signalClient("SIGKILL"), THREAD_DUMP_DEADLINE_MS + STOP_GRACE_MS + 5_000));
  }
  let oomHangArmed = false;
  const armOomHang = (): void => {
    if (oomHangArmed) return;
    oomHangArmed = true;
    timers.push(setTimeout(() => stop("oom-hang"), OOM_HANG_GRACE_MS));
  };

  const onOutput = (chunk: Buffer): void => {
    consoleStream.write(chunk);
    command.live?.write(chunk);
    if (command.watch === undefined || stoppedBy !== undefined) return;
    recentText = (recentText + chunk.toString("utf8")).slice(-4096);
    if (recentText.split("\n").some(isServerOomLine)) {
      recentText = "";
      armOomHang();
    }
  };
  child.stdout.on("data", onOutput);
  child.stderr.on("data", onOutput);
  if (command.timeoutMs !== undefined) timers.push(setTimeout(() => stop("timeout"), command.timeoutMs));
  let watcher: ServerWatcher | undefined;
  if (command.watch !== undefined) {
    watcher = new ServerWatcher(command.watch, command.outputBase, {
      onServerOom: armOomHang,
      onSpiral: () => stop("gc-thrash"),
    });
    watcher.start();
  }
  const detach = interrupter.attach(stop);

  try {
    const { exitCode, signal } = await new Promise<{ exitCode: number | null; signal: string | null }>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code, signalName) => resolve({ exitCode: code, signal: signalName }));
    });
    const endedAt = new Date();
    // The client may end while the server still writes its dump (it crashed on its own meanwhile).
    const threadDumpTaken = threadDump === undefined ? undefined : await threadDump;
    return { exitCode, signal, stoppedBy, threadDumpTaken, spiralHeapDump: await spiralHeapDump, startedAt, endedAt };
  } finally {
    ended = true;
    detach();
    watcher?.stop();
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

/**
 * Asks the output base's server for a thread dump into its jvm.out (SIGQUIT) and waits until the dump is
 * there (its heap summary too, briefly), the server is gone, or THREAD_DUMP_DEADLINE_MS passed. Returns
 * whether jvm.out holds the whole thread dump.
 */
export async function dumpThreads(outputBase: string): Promise<boolean> {
  const pid = await serverPid(outputBase);
  if (pid === undefined) return false;
  const jvmOut = join(outputBase, "server", "jvm.out");
  // Only what the server writes from now on is this dump.
  const offset = (await stat(jvmOut).catch(() => undefined))?.size ?? 0;
  try {
    process.kill(pid, "SIGQUIT");
  } catch {
    return false;
  }
  const deadline = Date.now() + THREAD_DUMP_DEADLINE_MS;
  let threadsSince: number | undefined;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, THREAD_DUMP_POLL_MS));
    const progress = threadDumpProgress(await readFrom(jvmOut, offset));
    if (progress.heapSummary) return true;
    if (progress.threads) threadsSince ??= Date.now();
    const now = Date.now();
    if (threadsSince !== undefined && now - threadsSince >= HEAP_SUMMARY_GRACE_MS) return true;
    if (now >= deadline || !isAlive(pid)) return progress.threads;
  }
}

/**
 * Waits while the output base's server writes a heap dump to `heapDump` (jvm.out announced it and has not
 * said it is done), until it is done, the server is gone, the dump stopped growing for HEAP_DUMP_STALL_MS,
 * HEAP_DUMP_DEADLINE_MS passed, or `giveUp` says so. The JDK 21+ parallel dumper first writes segment files
 * beside it (heap.hprof.p0, …), so every file whose name starts with the dump's counts.
 */
export async function heapDumpDone(outputBase: string, heapDump: string | undefined, giveUp: () => boolean = () => false): Promise<void> {
  if (heapDump === undefined) return;
  const jvmOut = join(outputBase, "server", "jvm.out");
  const deadline = Date.now() + HEAP_DUMP_DEADLINE_MS;
  let bytes = -1;
  let grewAt = Date.now();
  while (Date.now() < deadline && !giveUp()) {
    if (!heapDumpWriting(await readFile(jvmOut, "utf8").catch(() => ""))) return;
    const pid = await serverPid(outputBase);
    if (pid === undefined || !isAlive(pid)) return;
    const now = await bytesWritten(heapDump);
    if (now !== bytes) {
      bytes = now;
      grewAt = Date.now();
    } else if (Date.now() - grewAt >= HEAP_DUMP_STALL_MS) return;
    await new Promise((resolve) => setTimeout(resolve, HEAP_DUMP_POLL_MS));
  }
}

/**
 * Asks the output base's server, which spirals and so will never write a heap dump of its own, for one at
 * `heapDump` over the attach protocol, and waits until it is written, or it has not begun after
 * ATTACH_DUMP_START_MS, or stopped growing for HEAP_DUMP_STALL_MS, or the server is gone, or `giveUp` says
 * so. Undefined (nothing asked) when a dump is there already: the server's own, at an OutOfMemoryError.
 */
export async function dumpSpiralHeap(outputBase: string, heapDump: string, giveUp: () => boolean = () => false): Promise<SpiralHeapDump | undefined> {
  if ((await bytesWritten(heapDump)) > 0) return undefined;
  const started = Date.now();
  const outcome = (problem?: string): SpiralHeapDump => ({
    taken: problem === undefined,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    ...(problem === undefined ? {} : { problem }),
  });
  const pid = await serverPid(outputBase);
  if (pid === undefined) return outcome(spiralDumpProblems.serverGone);
  let settled = false;
  const request = pathInTarget(pid, heapDump)
    .then((path) => dumpHeap(pid, path, { live: ATTACH_DUMP_LIVE, timeoutMs: HEAP_DUMP_DEADLINE_MS }))
    .then(
      () => undefined,
      (error: unknown) => (error instanceof AttachError ? error.message : String(error)),
    )
    .finally(() => (settled = true));
  // The request's own answer, or the first sign that waiting longer is pointless.
  const watch = (async (): Promise<string | undefined> => {
    let bytes = 0;
    let grewAt = Date.now();
    while (!settled) {
      await new Promise((resolve) => setTimeout(resolve, HEAP_DUMP_POLL_MS));
      if (settled) return undefined;
      if (giveUp()) return spiralDumpProblems.interrupted;
      if (!isAlive(pid)) return spiralDumpProblems.serverGone;
      const now = await bytesWritten(heapDump);
      if (now !== bytes) {
        bytes = now;
        grewAt = Date.now();
      } else if (bytes === 0 && Date.now() - started >= ATTACH_DUMP_START_MS) {
        return spiralDumpProblems.notStarted(ATTACH_DUMP_START_MS);
      } else if (bytes > 0 && Date.now() - grewAt >= HEAP_DUMP_STALL_MS) {
        return spiralDumpProblems.stalled(bytes, HEAP_DUMP_STALL_MS);
      }
      if (Date.now() - started >= HEAP_DUMP_DEADLINE_MS) return spiralDumpProblems.deadline(HEAP_DUMP_DEADLINE_MS);
    }
    return undefined;
  })();
  const problem = await Promise.race([request, watch.then((reason) => (reason === undefined ? request : reason))]);
  return outcome(problem);
}

/** The bytes of a heap dump being written: the file and its segment files. */
async function bytesWritten(heapDump: string): Promise<number> {
  const prefix = basename(heapDump);
  let total = 0;
  for (const name of await readdir(dirname(heapDump)).catch(() => [] as string[])) {
    if (name.startsWith(prefix)) total += (await stat(join(dirname(heapDump), name)).catch(() => undefined))?.size ?? 0;
  }
  return total;
}

/** The text of a file from `offset` on; "" when it cannot be read. */
async function readFrom(path: string, offset: number): Promise<string> {
  const handle = await open(path, "r").catch(() => undefined);
  if (handle === undefined) return "";
  try {
    const { size } = await handle.stat();
    if (size <= offset) return "";
    const buffer = Buffer.alloc(size - offset);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
    return buffer.subarray(0, bytesRead).toString("utf8");
  } finally {
    await handle.close();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Reads the server's logs as they grow, every WATCH_INTERVAL_MS: its GC log for a spiral, and its
 * java.log and jvm.out for an OutOfMemoryError that the console may never show.
 */
class ServerWatcher {
  private readonly gcLog: GrowingFile;
  private readonly serverLogs: GrowingFile[];
  private pauses: GcPause[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly watch: ServerWatch,
    outputBase: string,
    private readonly on: { readonly onServerOom: () => void; readonly onSpiral: () => void },
  ) {
    this.gcLog = new GrowingFile(watch.gcLog);
    this.serverLogs = [new GrowingFile(join(outputBase, "java.log")), new GrowingFile(join(outputBase, "server", "jvm.out"))];
  }

  start(): void {
    const tick = async (): Promise<void> => {
      await this.check();
      if (this.timer !== undefined) this.timer = setTimeout(() => void tick(), WATCH_INTERVAL_MS);
    };
    this.timer = setTimeout(() => void tick(), WATCH_INTERVAL_MS);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async check(): Promise<void> {
    for (const log of this.serverLogs) {
      const lines = await log.newLines();
      // Both callbacks act once, however often they are called.
      if (lines.some((line) => SERVER_LOG_OOM_PATTERN.test(line))) this.on.onServerOom();
    }
    const newPauses = (await this.gcLog.newLines()).flatMap((line) => parseGcPause(line) ?? []);
    if (newPauses.length === 0) return;
    const latest = newPauses.at(-1)!.uptimeSeconds;
    // Only the window matters; a long build's log is not kept in memory.
    this.pauses = [...this.pauses, ...newPauses].filter((pause) => pause.uptimeSeconds > latest - 2 * GC_SPIRAL_RULE.windowSeconds);
    if (gcSpiral(this.pauses, this.watch.limitBytes) !== undefined) this.on.onSpiral();
  }
}

/** A log file read from where the last read ended; yields whole lines only. */
class GrowingFile {
  private offset = 0;
  private partial = "";

  constructor(private readonly path: string) {}

  async newLines(): Promise<string[]> {
    const handle = await open(this.path, "r").catch(() => undefined);
    if (handle === undefined) return [];
    try {
      const { size } = await handle.stat();
      // A new server (the same output base, the next command) starts its log afresh.
      if (size < this.offset) {
        this.offset = 0;
        this.partial = "";
      }
      if (size === this.offset) return [];
      const buffer = Buffer.alloc(size - this.offset);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
      this.offset += bytesRead;
      const lines = (this.partial + buffer.subarray(0, bytesRead).toString("utf8")).split("\n");
      this.partial = lines.pop() ?? "";
      return lines;
    } finally {
      await handle.close();
    }
  }
}

/**
 * SIGKILLs every Bazel client of the output base (a process with its --output_base on the command line,
 * other than its server); returns their pids. A sweep killed outright leaves its client running the build
 * (clients run detached), holding the output base's client lock, so the next sweep's `bazel shutdown`
 * would wait for it. Call it only while no command of this sweep runs.
 */
export async function killOrphanClients(outputBase: string): Promise<number[]> {
  const server = await serverPid(outputBase);
  const flag = `--output_base=${outputBase}`;
  const killed: number[] = [];
  for (const name of await readdir("/proc").catch(() => [] as string[])) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid || pid === server) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (!cmdline.split("\u0000").includes(flag)) continue;
    try {
      process.kill(pid, "SIGKILL");
      killed.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return killed;
}

/** SIGKILLs the output base's server, if one runs, and deletes the attach socket it would leave; returns whether it did. */
export async function killServer(outputBase: string): Promise<boolean> {
  const pid = await serverPid(outputBase);
  if (pid === undefined) return false;
  await removeAttachSocket(pid);
  try {
    process.kill(pid, "SIGKILL");
    return true;
  } catch {
    return false;
  }
}
