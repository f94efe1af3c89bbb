// A client of HotSpot's dynamic attach protocol, so the toolkit can ask a live JVM (a Bazel server) for a heap
// dump, a thread dump or a diagnostic command without any JDK tool: official Bazel binaries embed a minimal
// runtime without jcmd, and users may have no JDK at all. It spawns nothing; it speaks to the JVM directly.
//
// The protocol on Linux (OpenJDK's src/jdk.attach/linux/.../VirtualMachineImpl.java and
// src/hotspot/os/posix/attachListener_posix.cpp, unchanged in what is used here from JDK 8 to 25):
//   1. The JVM listens on the UNIX socket /tmp/.java_pid<pid> once its attach listener runs. /tmp and <pid> are
//      the JVM's own: a JVM in a chroot or a container has its /tmp at /proc/<pid>/root/tmp and its pid, inside
//      its pid namespace, on the NSpid line of /proc/<pid>/status (the last number).
//   2. If the socket is absent, the listener is started lazily: create the trigger file .attach_pid<nspid> in
//      the JVM's working directory (or its /tmp), send SIGQUIT, and wait for the socket. The trigger must be owned
//      by the JVM's effective user or root, or the JVM prints a thread dump instead. The trigger is removed after.
//   3. Connect, send "1" (protocol version), the command and exactly three arguments, each NUL-terminated (at most
//      1024 bytes each). The JVM answers a status line ("0" is success) and then the command's output, and closes.
// JDK 24 added a version 2 (any number of arguments of any length), but every JVM still takes version 1, which is
// all the commands here need. JDK 25 streams the output of some commands: their status is "0" as soon as they
// start, and a failure (a heap dump file that cannot be created) shows only in the output, which is checked.
//
// Who may attach: the JVM reads the peer's credentials (SO_PEERCRED) and answers only root or a client with its own
// effective uid and gid (since JDK 11; older JVMs also refuse root and close the connection without a word).
import { lstat, open, readFile, readlink, rm, stat } from "node:fs/promises";
import { createConnection } from "node:net";
import { dirname, isAbsolute } from "node:path";
import { InputError } from "../core/exit-codes.js";
import { attachProblems, type Credentials, type NamedProcess } from "../render/attach.js";

/** Why an attach failed, for callers that treat some failures differently (a sweep gives up on a dead server). */
export type AttachProblem =
  | "unsupported-platform"
  | "no-such-process"
  | "not-a-jvm"
  | "attach-disabled"
  | "permission"
  | "timeout"
  | "no-answer"
  | "command-failed"
  | "bad-argument";

/** An attach that failed; its message is one line a command can print as it is (an InputError: exit 2). */
export class AttachError extends InputError {
  constructor(
    readonly problem: AttachProblem,
    readonly pid: number,
    message: string,
  ) {
    super(message);
  }
}

/** The JVM's answer: its status (0 = success) and the command's output. */
export interface AttachReply {
  readonly status: number;
  readonly output: string;
}

export interface AttachOptions {
  /** The most the whole call may take: starting the attach listener, connecting, and the JVM's answer. */
  readonly timeoutMs?: number;
}

/** What most commands get: a thread dump of a few hundred threads at a late safepoint, a diagnostic command. */
export const DEFAULT_ATTACH_TIMEOUT_MS = 60_000;
/** What a heap dump gets by default: tens of GB written to a slow disk. */
export const HEAP_DUMP_TIMEOUT_MS = 15 * 60_000;
/** The most a JVM gets to open its attach socket after SIGQUIT (the JDK's own attach tools wait 10 s too). */
const LISTENER_START_TIMEOUT_MS = 10_000;
/** Polling the socket: the interval grows by this much each time, up to LISTENER_POLL_MAX_MS. */
const LISTENER_POLL_STEP_MS = 50;
const LISTENER_POLL_MAX_MS = 500;

const PROTOCOL_VERSION = "1";
const ARGUMENT_COUNT = 3;
/** HotSpot's AttachOperation::arg_length_max and name_length_max. */
const ARGUMENT_MAX_BYTES = 1024;
const COMMAND_MAX_BYTES = 16;
/** The status a JVM answers a request of a protocol version it does not know. */
const ATTACH_ERROR_BADVERSION = 101;
/** SIGQUIT (3) in the signal masks of /proc/<pid>/status, whose bit n-1 stands for signal n. */
const SIGQUIT_MASK = 1n << 2n;

/** A process found to be a HotSpot JVM this process may attach to. */
interface Target extends NamedProcess {
  readonly name: string;
  /** Its pid inside its own pid namespace: the number in its socket and trigger file names. */
  readonly nsPid: number;
  readonly credentials: Credentials;
  readonly catchesQuit: boolean;
}

/**
 * Sends `command` with up to three `args` to the JVM `pid` and returns its answer, whatever the status (callers
 * judge it). AttachError for everything that keeps the question from being asked or answered.
 */
export async function attachCommand(
  pid: number,
  command: string,
  args: readonly string[] = [],
  options: AttachOptions = {},
): Promise<AttachReply> {
  requireLinux(pid);
  if (args.length > ARGUMENT_COUNT) throw new TypeError(`attach command ${command}: ${args.length} arguments, at most ${ARGUMENT_COUNT}`);
  const request = encodeRequest(pid, command, args);
  const timeoutMs = options.timeoutMs ?? DEFAULT_ATTACH_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const target = await inspectTarget(pid);
  const socket = `/proc/${target.pid}/root/tmp/.java_pid${target.nsPid}`;
  const limit = { deadline, timeoutMs };
  await startListener(target, socket, deadline);
  let answer = await exchange(target, socket, command, request, limit);
  if (answer === STALE_SOCKET) {
    // Nothing listens there: a JVM that died left it, and this one got its pid. Ours starts once it is gone.
    await removeStaleSocket(target, socket);
    await startListener(target, socket, deadline);
    answer = await exchange(target, socket, command, request, limit);
    if (answer === STALE_SOCKET) throw connectError(target, socket, "ECONNREFUSED");
  }
  return parseReply(target, command, answer);
}

/** Where a heap dump was written. */
export interface HeapDump {
  /** The file as the JVM named it. */
  readonly path: string;
  /** The same file as this process reaches it while the JVM lives: through /proc/<pid>/root. */
  readonly readablePath: string;
  /** Its size, as the JVM reported it. */
  readonly bytes: number;
}

/**
 * Has the JVM write an HPROF heap dump to `path`, an absolute path as the JVM sees it (a chrooted or containerized
 * JVM has its own root: see pathInTarget). `live` forces a full GC first and writes reachable objects only; without
 * it, garbage not yet collected is in the dump too. The JVM never overwrites a file: `path` must not exist.
 */
export async function dumpHeap(pid: number, path: string, options: AttachOptions & { readonly live: boolean }): Promise<HeapDump> {
  requireLinux(pid);
  if (!isAbsolute(path)) throw new AttachError("bad-argument", pid, attachProblems.dumpPathNotAbsolute(path));
  const readablePath = `/proc/${pid}/root${path}`;
  if (await exists(readablePath)) throw new AttachError("bad-argument", pid, attachProblems.dumpExists(path));
  const reply = await attachCommand(pid, "dumpheap", [path, options.live ? "-live" : "-all", ""], {
    timeoutMs: options.timeoutMs ?? HEAP_DUMP_TIMEOUT_MS,
  });
  // "Dumping heap to <path> ..." then "Heap dump file created [<n> bytes in <s> secs]", or why not.
  const created = /^Heap dump file created \[(\d+) bytes/m.exec(reply.output);
  if (reply.status !== 0 || created === null) {
    const why = reply.output.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("Dumping heap to "));
    throw new AttachError("command-failed", pid, attachProblems.dumpNotWritten({ pid }, path, why.join(" ").trim()));
  }
  return { path, readablePath, bytes: Number(created[1]) };
}

/** The JVM's thread dump, as jstack prints it ("Full thread dump …", every thread's stack, deadlocks). */
export async function threadDump(pid: number, options: AttachOptions = {}): Promise<string> {
  const reply = await attachCommand(pid, "threaddump", [""], options);
  return succeeded(pid, "threaddump", reply);
}

/** The output of a diagnostic command, e.g. jcmd(pid, "GC.heap_info"): the command line as jcmd takes it. */
export async function jcmd(pid: number, commandLine: string, options: AttachOptions = {}): Promise<string> {
  const reply = await attachCommand(pid, "jcmd", [commandLine], options);
  return succeeded(pid, `jcmd ${commandLine}`, reply);
}

/**
 * The path under which the JVM `pid` sees `hostPath` (a file to be written, in a folder that exists): the same path
 * when its root shows that folder there (no chroot, or a chroot that bind-mounts it, as tools/bazel7 does with /tmp),
 * else the path inside its root directory. AttachError when the JVM cannot see the folder at all.
 */
export async function pathInTarget(pid: number, hostPath: string): Promise<string> {
  requireLinux(pid);
  if (!isAbsolute(hostPath)) throw new AttachError("bad-argument", pid, attachProblems.dumpPathNotAbsolute(hostPath));
  const folder = dirname(hostPath);
  const here = await stat(folder).catch((error: NodeJS.ErrnoException) => {
    throw new AttachError("bad-argument", pid, attachProblems.folderMissing(folder, error.code ?? error.message));
  });
  const targetRoot = `/proc/${pid}/root`;
  const root = await readlink(targetRoot).catch((error: NodeJS.ErrnoException) => {
    throw procError(error, { pid });
  });
  const candidates = [hostPath];
  if (root !== "/" && hostPath.startsWith(`${root}/`)) candidates.push(hostPath.slice(root.length));
  for (const candidate of candidates) {
    const there = await stat(`${targetRoot}${dirname(candidate)}`).catch(() => undefined);
    if (there !== undefined && there.dev === here.dev && there.ino === here.ino) return candidate;
  }
  throw new AttachError("bad-argument", pid, attachProblems.folderNotShared({ pid }, folder, root));
}

function succeeded(pid: number, command: string, reply: AttachReply): string {
  if (reply.status === 0) return reply.output;
  const message = reply.output.split("\n").find((line) => line.trim() !== "") ?? "";
  throw new AttachError("command-failed", pid, attachProblems.commandFailed({ pid }, command, reply.status, message.trim()));
}

function requireLinux(pid: number): void {
  if (process.platform !== "linux") throw new AttachError("unsupported-platform", pid, attachProblems.unsupportedPlatform(process.platform));
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new AttachError("no-such-process", pid, attachProblems.badPid(pid));
}

/** <version>\0<command>\0<arg>\0<arg>\0<arg>\0, missing arguments sent empty. */
function encodeRequest(pid: number, command: string, args: readonly string[]): Buffer {
  const parts = [PROTOCOL_VERSION, command, ...Array.from({ length: ARGUMENT_COUNT }, (_, index) => args[index] ?? "")];
  const encoded = parts.map((part) => Buffer.from(part, "utf8"));
  if (encoded[1]!.length > COMMAND_MAX_BYTES || command.includes("\0")) throw new TypeError(`not an attach command: ${JSON.stringify(command)}`);
  for (const [index, part] of encoded.entries()) {
    if (index < 2) continue;
    if (part.length > ARGUMENT_MAX_BYTES) throw new AttachError("bad-argument", pid, attachProblems.argumentTooLong(command, part.length, ARGUMENT_MAX_BYTES));
    if (part.includes(0)) throw new TypeError(`attach command ${command}: an argument holds a NUL byte`);
  }
  return Buffer.concat(encoded.flatMap((part) => [part, Buffer.of(0)]));
}

/**
 * Who `pid` is, from /proc: AttachError when it does not exist, is not a HotSpot JVM (no libjvm.so mapped), has
 * attach disabled, or belongs to a user whose JVM would not answer this process.
 */
async function inspectTarget(pid: number): Promise<Target> {
  const status = parseStatus(await readFile(`/proc/${pid}/status`, "utf8").catch((error: NodeJS.ErrnoException) => {
    throw procError(error, { pid });
  }));
  const name = status.get("Name") ?? "?";
  const subject: NamedProcess = { pid, name };
  // A thread's id also has a /proc entry; the JVM is its thread group.
  const threadGroup = Number(status.get("Tgid"));
  if (Number.isSafeInteger(threadGroup) && threadGroup > 0 && threadGroup !== pid) return inspectTarget(threadGroup);
  if (/^[ZX]/.test(status.get("State") ?? "")) throw new AttachError("no-such-process", pid, attachProblems.noSuchProcess(pid));

  const credentials: Credentials = { uid: effectiveId(status.get("Uid")), gid: effectiveId(status.get("Gid")) };
  const self: Credentials = { uid: process.geteuid!(), gid: process.getegid!() };
  if (self.uid !== 0 && (self.uid !== credentials.uid || self.gid !== credentials.gid)) {
    throw new AttachError("permission", pid, attachProblems.otherUser(subject, credentials, self));
  }

  const maps = await readFile(`/proc/${pid}/maps`, "utf8").catch((error: NodeJS.ErrnoException) => {
    throw procError(error, subject);
  });
  if (!/\/libjvm\.so$/m.test(maps)) throw new AttachError("not-a-jvm", pid, attachProblems.notAJvm(subject));
  if (await attachDisabled(pid)) throw new AttachError("attach-disabled", pid, attachProblems.attachDisabled(subject));

  const mask = (field: string): bigint => BigInt(`0x${status.get(field)?.trim() || "0"}`);
  return {
    pid,
    name,
    nsPid: namespacePid(pid, status),
    credentials,
    catchesQuit: (mask("SigCgt") & SIGQUIT_MASK) !== 0n && (mask("SigIgn") & SIGQUIT_MASK) === 0n,
  };
}

/** The pid of `pid` inside its own pid namespace: the last number of its NSpid line. */
function namespacePid(pid: number, status: Map<string, string>): number {
  const nsPid = (status.get("NSpid") ?? "").trim().split(/\s+/).map(Number).at(-1);
  // Kernels before 4.1 have no NSpid line: the process is in this pid namespace then.
  return nsPid !== undefined && Number.isSafeInteger(nsPid) && nsPid > 0 ? nsPid : pid;
}

/**
 * Deletes the attach socket of the JVM `pid`, if it opened one, for whoever is about to kill it with SIGKILL: a
 * killed JVM leaves its socket in /tmp, where it would stand in the way of the next process given the same pid.
 * Best effort: a JVM that is gone, or a socket this process may not delete, is left as it is.
 */
export async function removeAttachSocket(pid: number): Promise<void> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => undefined);
  if (status === undefined) return;
  const socket = `/proc/${pid}/root/tmp/.java_pid${namespacePid(pid, parseStatus(status))}`;
  if (await isSocket(socket)) await rm(socket, { force: true }).catch(() => undefined);
}

function parseStatus(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}

/** The effective id of a Uid:/Gid: line (real, effective, saved, filesystem). */
function effectiveId(line: string | undefined): number {
  return Number((line ?? "").split(/\s+/)[1] ?? NaN);
}

/**
 * Whether the JVM was started with -XX:+DisableAttachMechanism (the last of its options wins), from its command line
 * and the environment variables the JVM and its launcher read options from. Known before any signal is sent: such a
 * JVM answers SIGQUIT with a thread dump on its stdout, which would land in a Bazel server's jvm.out.
 */
async function attachDisabled(pid: number): Promise<boolean> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  const environ = await readFile(`/proc/${pid}/environ`, "utf8").catch(() => "");
  const env = new Map(environ.split("\0").map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]));
  const words = (name: string): string[] => (env.get(name) ?? "").split(/\s+/);
  // The order in which HotSpot applies them: JAVA_TOOL_OPTIONS, then the command line, then _JAVA_OPTIONS.
  const options = [...words("JAVA_TOOL_OPTIONS"), ...words("JDK_JAVA_OPTIONS"), ...cmdline.split("\0"), ...words("_JAVA_OPTIONS")];
  let disabled = false;
  for (const option of options) {
    const flag = /^-XX:([+-])DisableAttachMechanism$/.exec(option);
    if (flag !== null) disabled = flag[1] === "+";
  }
  return disabled;
}

/** Starts the JVM's attach listener if its socket is not there yet: trigger file, SIGQUIT, wait for the socket. */
async function startListener(target: Target, socket: string, deadline: number): Promise<void> {
  if (await isSocket(socket)) return;
  if (!target.catchesQuit) throw new AttachError("attach-disabled", target.pid, attachProblems.ignoresQuit(target, socket));
  const trigger = await createTrigger(target);
  try {
    const started = Date.now();
    const timeoutMs = Math.max(0, Math.min(LISTENER_START_TIMEOUT_MS, deadline - started));
    sendQuit(target);
    let resent = false;
    let interval = 0;
    for (;;) {
      interval = Math.min(interval + LISTENER_POLL_STEP_MS, LISTENER_POLL_MAX_MS);
      await new Promise((resolve) => setTimeout(resolve, interval));
      if (await isSocket(socket)) return;
      if (!(await isAlive(target.pid))) throw new AttachError("no-such-process", target.pid, attachProblems.exitedWhileAttaching(target));
      const waited = Date.now() - started;
      if (waited >= timeoutMs) throw new AttachError("timeout", target.pid, attachProblems.listenerTimeout(target, socket, waited));
      // Like the JDK's own tools: a second SIGQUIT halfway, in case the first came while the JVM was starting up.
      if (!resent && waited >= timeoutMs / 2) {
        sendQuit(target);
        resent = true;
      }
    }
  } finally {
    if (trigger !== undefined) await rm(trigger, { force: true });
  }
}

/**
 * Creates .attach_pid<nspid> in the JVM's working directory, else in its /tmp, and returns the path to remove
 * afterwards; undefined when one is there already (another client's, attaching at the same time: it triggers the
 * listener for us too, and is theirs to remove).
 */
async function createTrigger(target: Target): Promise<string | undefined> {
  const name = `.attach_pid${target.nsPid}`;
  const places = [`/proc/${target.pid}/cwd/${name}`, `/proc/${target.pid}/root/tmp/${name}`];
  let lastCode = "";
  for (const path of places) {
    try {
      await (await open(path, "wx")).close();
      return path;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      if (code === "EEXIST") return undefined;
      if (code === "ENOENT" && !(await isAlive(target.pid))) throw new AttachError("no-such-process", target.pid, attachProblems.exitedWhileAttaching(target));
      lastCode = code;
    }
  }
  throw new AttachError("permission", target.pid, attachProblems.cannotCreateAttachFile(target, places, lastCode));
}

function sendQuit(target: Target): void {
  try {
    process.kill(target.pid, "SIGQUIT");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    if (code === "ESRCH") throw new AttachError("no-such-process", target.pid, attachProblems.exitedWhileAttaching(target));
    throw new AttachError("permission", target.pid, attachProblems.cannotSignal(target, code));
  }
}

/** What exchange answers when nothing listens on the socket (ECONNREFUSED): a file a dead process left behind. */
const STALE_SOCKET = Symbol("stale attach socket");

/**
 * Removes a socket nothing listens on. A JVM that died without cleaning up (SIGKILL) leaves its socket, and a new
 * JVM given the same pid would otherwise be taken for a listener that does not answer; nor can that JVM replace a
 * file another user owns in a sticky /tmp.
 */
async function removeStaleSocket(target: Target, socket: string): Promise<void> {
  await rm(socket, { force: true }).catch((error: NodeJS.ErrnoException) => {
    throw new AttachError("permission", target.pid, attachProblems.staleSocket(target, socket, error.code ?? error.message));
  });
}

/**
 * Sends the request and reads the whole answer (the JVM closes the connection after it); STALE_SOCKET when the
 * connection is refused before it is made.
 */
function exchange(
  target: Target,
  socket: string,
  command: string,
  request: Buffer,
  limit: { readonly deadline: number; readonly timeoutMs: number },
): Promise<Buffer | typeof STALE_SOCKET> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let connected = false;
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const connection = createConnection({ path: socket });
    const timer = setTimeout(() => {
      connection.destroy();
      settle(() => reject(new AttachError("timeout", target.pid, attachProblems.replyTimeout(target, command, limit.timeoutMs))));
    }, Math.max(0, limit.deadline - Date.now()));
    connection.on("connect", () => {
      connected = true;
      connection.end(request);
    });
    connection.on("data", (chunk: Buffer) => chunks.push(chunk));
    connection.on("error", (error: NodeJS.ErrnoException) => {
      const code = error.code ?? error.message;
      // After connecting, a reset or a broken pipe is the JVM hanging up: judged by what it said before (parseReply).
      if (connected && (code === "ECONNRESET" || code === "EPIPE")) return settle(() => resolve(Buffer.concat(chunks)));
      if (!connected && code === "ECONNREFUSED") return settle(() => resolve(STALE_SOCKET));
      settle(() => reject(connectError(target, socket, code)));
    });
    connection.on("close", () => settle(() => resolve(Buffer.concat(chunks))));
  });
}

function connectError(target: Target, socket: string, code: string): AttachError {
  if (code === "EACCES" || code === "EPERM") return new AttachError("permission", target.pid, attachProblems.cannotInspect(target, code));
  if (code === "ENOENT") return new AttachError("no-such-process", target.pid, attachProblems.exitedWhileAttaching(target));
  if (code === "ECONNREFUSED") return new AttachError("no-answer", target.pid, attachProblems.socketRefused(target, socket, code));
  return new AttachError("no-answer", target.pid, attachProblems.cannotConnect(target, socket, code));
}

function parseReply(target: Target, command: string, data: Buffer): AttachReply {
  if (data.length === 0) {
    const asRoot = process.geteuid!() === 0;
    throw new AttachError("no-answer", target.pid, attachProblems.closedWithoutAnswer(target, command, target.credentials, asRoot));
  }
  const text = data.toString("utf8");
  const newline = text.indexOf("\n");
  const head = newline < 0 ? text : text.slice(0, newline);
  if (!/^-?\d+$/.test(head)) throw new AttachError("no-answer", target.pid, attachProblems.garbledReply(target, command, head.slice(0, 40)));
  const status = Number(head);
  if (status === ATTACH_ERROR_BADVERSION) throw new AttachError("no-answer", target.pid, attachProblems.protocolMismatch(target));
  return { status, output: newline < 0 ? "" : text.slice(newline + 1) };
}

function procError(error: NodeJS.ErrnoException, subject: NamedProcess): AttachError {
  const code = error.code ?? error.message;
  if (code === "ENOENT" || code === "ESRCH") return new AttachError("no-such-process", subject.pid, attachProblems.noSuchProcess(subject.pid));
  return new AttachError("permission", subject.pid, attachProblems.cannotInspect(subject, code));
}

async function isSocket(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined))?.isSocket() ?? false;
}

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined)) !== undefined;
}

async function isAlive(pid: number): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => undefined);
  return status !== undefined && !/^State:\s*[ZX]/m.test(status);
}
