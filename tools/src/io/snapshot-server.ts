// The one Bazel server a snapshot runs: in an output base of its own (a fresh temporary folder, so the build is
// cold and nothing of the user's server is touched), one build, then while the server still holds what the build
// left, Bazel's own `info used-heap-size-after-gc` and a live heap dump through the attach protocol (no JDK tool);
// then the server is shut down and the output base deleted.
import { mkdtemp, readFile, realpath } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Interrupter, killServer, runBazelCommand, serverPid, type BazelCommandResult } from "./bazel-process.js";
import { dumpHeap, pathInTarget, type HeapDump } from "./jvm-attach.js";
import { removeTree } from "./sweep-folder.js";

/** A snapshot's server is shut down as soon as its heap is dumped; this only bounds one the snapshot could not stop. */
const MAX_IDLE_SECS = 60;
/** `info` and `shutdown` answer in seconds; a server that does not is not waited for longer. */
const QUICK_COMMAND_TIMEOUT_MS = 2 * 60_000;

export interface BuildOutcome extends BazelCommandResult {
  /** The build's console (stdout and stderr), in the output base until the server is closed. */
  readonly consoleFile: string;
}

export class SnapshotServer {
  private constructor(
    private readonly bazel: string,
    private readonly workspace: string,
    /** Absolute and symlink-free: the server's command line names it, and serverPid finds the server by it. */
    readonly outputBase: string,
    private readonly userStartupFlags: readonly string[],
    private readonly interrupter: Interrupter,
  ) {}

  /** A new, empty output base under the system's temporary folder. */
  static async create(bazel: string, workspace: string, userStartupFlags: readonly string[], interrupter: Interrupter): Promise<SnapshotServer> {
    const outputBase = await realpath(await mkdtemp(join(tmpdir(), "memory-adventure-snapshot-")));
    return new SnapshotServer(bazel, workspace, outputBase, userStartupFlags, interrupter);
  }

  /**
   * The startup flags of every command, identical each time (other ones would restart the server and lose its heap):
   * the output base, the idle limit, no heap dump at an OutOfMemoryError (it would be written into the output base
   * this snapshot deletes; Bazel 4.2.3's client asks for one), then the user's, which win.
   */
  get startupFlags(): string[] {
    return [
      `--output_base=${this.outputBase}`,
      `--max_idle_secs=${MAX_IDLE_SECS}`,
      "--host_jvm_args=-XX:-HeapDumpOnOutOfMemoryError",
      ...this.userStartupFlags,
    ];
  }

  /** The build (`buildArgs` after the command name), its console in the output base. */
  async build(buildArgs: readonly string[]): Promise<BuildOutcome> {
    const consoleFile = join(this.outputBase, "snapshot-console.log");
    const result = await runBazelCommand(
      {
        bazel: this.bazel,
        args: [...this.startupFlags, "build", ...buildArgs],
        cwd: this.workspace,
        outputBase: this.outputBase,
        consoleFile,
        timeoutMs: undefined,
        // A server that hangs after an OutOfMemoryError is stopped 15 s after it says so. No GC log is written
        // (the heap limit is the user's, unknown here), so thrashing is not watched.
        watch: { gcLog: join(this.outputBase, "no-gc-log"), limitBytes: Number.POSITIVE_INFINITY, heapDump: undefined },
      },
      this.interrupter,
    );
    return { ...result, consoleFile };
  }

  /** What `bazel info used-heap-size-after-gc` printed (stdout and stderr), and its exit code. */
  async usedHeapSizeAfterGc(): Promise<{ readonly output: string; readonly exitCode: number | null }> {
    const consoleFile = join(this.outputBase, "snapshot-info.log");
    const result = await this.quick(["info", "used-heap-size-after-gc"], consoleFile);
    return { output: await readFile(consoleFile, "utf8").catch(() => ""), exitCode: result.exitCode };
  }

  /** A live heap dump of the server (a full collection first, reachable objects only) written to `hostPath`. */
  async dumpLiveHeap(hostPath: string): Promise<HeapDump & { readonly pid: number }> {
    const pid = await serverPid(this.outputBase);
    if (pid === undefined) throw new ServerGoneError(this.outputBase);
    return { ...(await dumpHeap(pid, await pathInTarget(pid, hostPath), { live: true })), pid };
  }

  /** Shuts the server down (it is killed if it does not go); its output base stays until close(). */
  async shutdown(): Promise<void> {
    if ((await serverPid(this.outputBase)) === undefined) return;
    await this.quick(["shutdown"], join(this.outputBase, "snapshot-shutdown.log")).catch(() => undefined);
    if ((await serverPid(this.outputBase)) !== undefined) await killServer(this.outputBase);
  }

  /** Shuts the server down if it still runs, then deletes the output base and all in it. */
  async close(): Promise<void> {
    await this.shutdown();
    await removeTree(this.outputBase);
  }

  private quick(args: readonly string[], consoleFile: string): Promise<BazelCommandResult> {
    return runBazelCommand(
      { bazel: this.bazel, args: [...this.startupFlags, ...args], cwd: this.workspace, outputBase: this.outputBase, consoleFile, timeoutMs: QUICK_COMMAND_TIMEOUT_MS, watch: undefined },
      new Interrupter(),
    );
  }
}

/** The server was gone when the snapshot came to dump its heap (killed from outside, or crashed after the build). */
export class ServerGoneError extends Error {
  override readonly name = "ServerGoneError";
  constructor(readonly outputBase: string) {
    super(`the Bazel server of ${outputBase} is gone`);
  }
}
