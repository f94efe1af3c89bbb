// Wording of the errors of the JVM attach client (io/jvm-attach.ts): each one line, naming the process, what
// went wrong and what to do about it, so a command can print it as it is.
import { formatDuration } from "../core/duration.js";

/** A process as the messages name it: its pid and, when known, its command name. */
export interface NamedProcess {
  readonly pid: number;
  readonly name?: string;
}

export interface Credentials {
  readonly uid: number;
  readonly gid: number;
}

const SERVER_PID_HINT = "for a Bazel server's pid run: bazel info server_pid";

function named(process: NamedProcess): string {
  return process.name === undefined ? `process ${process.pid}` : `process ${process.pid} (${process.name})`;
}

function jvm(process: NamedProcess): string {
  return process.name === undefined ? `JVM ${process.pid}` : `JVM ${process.pid} (${process.name})`;
}

function seconds(ms: number): string {
  return formatDuration(Math.max(1, ms / 1000));
}

export const attachProblems = {
  unsupportedPlatform: (platform: string): string =>
    `attaching to a running JVM works on Linux only (it goes through /proc and HotSpot's attach socket); this is ${platform}`,

  badPid: (pid: number): string => `${pid} is not a process id; give the pid of a running JVM (${SERVER_PID_HINT})`,

  noSuchProcess: (pid: number): string => `no process ${pid} (it has exited, or the pid is wrong); ${SERVER_PID_HINT}`,

  exitedWhileAttaching: (process: NamedProcess): string => `${named(process)} exited while attaching to it`,

  notAJvm: (process: NamedProcess): string =>
    `${named(process)} is not a HotSpot JVM (it has no libjvm.so mapped); give the pid of a running JVM (${SERVER_PID_HINT})`,

  attachDisabled: (process: NamedProcess): string =>
    `${jvm(process)} was started with -XX:+DisableAttachMechanism, so it answers no attach requests; start it without that flag`,

  ignoresQuit: (process: NamedProcess, socket: string): string =>
    `${jvm(process)} has no attach socket (${socket}) and does not catch SIGQUIT, so its attach listener cannot be started ` +
    `(was it started with -Xrs and its socket deleted since?)`,

  otherUser: (process: NamedProcess, target: Credentials, self: Credentials): string =>
    `${named(process)} runs as uid ${target.uid} gid ${target.gid}, and HotSpot answers attach requests only from that same ` +
    `user and group or from root; this runs as uid ${self.uid} gid ${self.gid}: run it as the JVM's user or as root`,

  cannotInspect: (process: NamedProcess, code: string): string =>
    `cannot read /proc/${process.pid} of ${named(process)} (${code}): it belongs to another user; run this as its user or as root`,

  cannotSignal: (process: NamedProcess, code: string): string =>
    `cannot send SIGQUIT to ${named(process)} (${code}) to start its attach listener; run this as its user or as root`,

  cannotCreateAttachFile: (process: NamedProcess, paths: readonly string[], code: string): string =>
    `cannot create the attach trigger file for ${jvm(process)} (${code}) at ${paths.join(" or ")}; run this as its user or as root`,

  listenerTimeout: (process: NamedProcess, socket: string, ms: number): string =>
    `${jvm(process)} did not open its attach socket ${socket} within ${seconds(ms)} of SIGQUIT: attach may be disabled ` +
    `(-XX:+DisableAttachMechanism given where this cannot see it, such as an @argfile), or the JVM is too busy (a long ` +
    `full GC) to start its attach listener; try again`,

  socketRefused: (process: NamedProcess, socket: string, code: string): string =>
    `${jvm(process)} does not answer on its attach socket ${socket} (${code}), not even after it was deleted and the ` +
    `JVM asked to open it again: its attach listener may have stopped; try again, or restart the JVM`,

  cannotConnect: (process: NamedProcess, socket: string, code: string): string =>
    `cannot connect to the attach socket ${socket} of ${jvm(process)} (${code}); try again, or restart the JVM`,

  staleSocket: (process: NamedProcess, socket: string, code: string): string =>
    `the attach socket ${socket} of ${jvm(process)} is stale (left by a process that died with the same pid) and ` +
    `cannot be deleted (${code}): delete it as its owner or as root (rm ${socket}) and try again`,

  closedWithoutAnswer: (process: NamedProcess, command: string, target: Credentials, asRoot: boolean): string =>
    asRoot && target.uid !== 0
      ? `${jvm(process)} closed the attach connection without answering ${command}: JVMs older than JDK 11 take attach ` +
        `requests only from their own user (uid ${target.uid} gid ${target.gid}), not from root; run this as that user`
      : `${jvm(process)} closed the attach connection without answering ${command}; it may be shutting down`,

  protocolMismatch: (process: NamedProcess): string =>
    `${jvm(process)} does not speak version 1 of HotSpot's attach protocol; it is not a HotSpot JVM this can attach to`,

  garbledReply: (process: NamedProcess, command: string, head: string): string =>
    `${jvm(process)} answered ${command} with ${JSON.stringify(head)}, not a status line; is it a HotSpot JVM?`,

  replyTimeout: (process: NamedProcess, command: string, ms: number): string =>
    `${jvm(process)} did not finish ${command} within ${seconds(ms)}; it may still be at it (a heap dump of a large heap ` +
    `takes minutes, a JVM deep in full GCs reaches a safepoint late): give it more time`,

  commandFailed: (process: NamedProcess, command: string, status: number, message: string): string =>
    `${jvm(process)} failed ${command} (status ${status})${message === "" ? "" : `: ${message}`}`,

  argumentTooLong: (command: string, bytes: number, limit: number): string =>
    `an argument of the attach command ${command} is ${bytes} bytes long; HotSpot's attach protocol takes at most ${limit}`,

  dumpPathNotAbsolute: (path: string): string =>
    `heap dump path ${path} is not absolute; the JVM would resolve it against its own working directory; give an absolute path`,

  dumpExists: (path: string): string =>
    `${path} already exists, and the JVM does not overwrite a heap dump; delete it or give another file name`,

  dumpNotWritten: (process: NamedProcess, path: string, message: string): string =>
    `${jvm(process)} did not write the heap dump ${path}${message === "" ? "" : `: ${message}`}`,

  folderNotShared: (process: NamedProcess, folder: string, root: string): string =>
    `${jvm(process)} does not see ${folder} (it runs in its own root, ${root}, or mount namespace); write the dump to a ` +
    `folder the JVM sees too`,

  folderMissing: (folder: string, code: string): string => `cannot write a heap dump into ${folder} (${code}); give an existing folder`,
} as const;
