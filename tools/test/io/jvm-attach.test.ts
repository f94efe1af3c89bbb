// The attach client against real JVMs (test/fixtures/attach/AttachTarget.java in source-launcher mode), with no JDK
// tool on PATH while it works: the client must need none. Heap dumps with and without garbage that readHeap parses,
// a thread dump, a diagnostic command, and the one-line errors: not a JVM (left alive: no SIGQUIT sent), a dead pid,
// attach disabled, a stale socket at the JVM's pid (left by a process that died: deleted, and the JVM's own
// opened), a JVM in its own pid and mount namespaces (its NSpid and its private /tmp), root attaching to
// another user's JVM (HotSpot allows root since JDK 11), and another user attaching to root's JVM (it does not).
// Skipped, saying so, only where `java` is absent; the namespace and user cases need root and say so when skipped.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { accessSync, chmodSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readHeap, type Heap } from "../../src/core/heap/hprof.js";
import { openHeapDump } from "../../src/io/hprof-file.js";
import { AttachError, dumpHeap, jcmd, pathInTarget, removeAttachSocket, threadDump, type AttachProblem } from "../../src/io/jvm-attach.js";
import { FIXTURES_DIR } from "../helpers/fixtures.js";

const FIXTURE = join(FIXTURES_DIR, "attach", "AttachTarget.java");
/** Small and quick: serial GC, C1 only. */
const SMALL_JVM = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx128m"];
/** The JDK's own attach tools: none may be on PATH while the client works. */
const JDK_TOOLS = ["java", "javac", "jcmd", "jmap", "jstack", "jhsdb", "jinfo", "jps"];
const NOBODY = 65534;

/** The absolute path of `name` on PATH, symlinks resolved, or undefined. */
function onPath(name: string, path = process.env["PATH"] ?? ""): string | undefined {
  for (const dir of path.split(delimiter).filter((entry) => entry !== "")) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return realpathSync(join(dir, name));
    } catch {
      // not here
    }
  }
  return undefined;
}

// Resolved while PATH still has them: everything the tests start is started by absolute path.
const JAVA = onPath("java");
const SLEEP = onPath("sleep");
const UNSHARE = onPath("unshare");
const SETPRIV = onPath("setpriv");
const AS_ROOT = process.geteuid!() === 0;
const NO_JAVA = "java is not on PATH: these tests attach to a real JVM they start";
const NEEDS_ROOT = "needs root (and unshare/setpriv) to start a JVM in its own namespaces or as another user";

const work = mkdtempSync(join(tmpdir(), "jvm-attach-test-"));
const savedPath = process.env["PATH"];

interface StartedJvm {
  readonly child: ChildProcess;
  /** The JVM's pid on this host. */
  readonly pid: number;
  /** The pid it printed: its own, inside its pid namespace. */
  readonly ownPid: number;
  /** What it printed on stdout so far. */
  stdout(): string;
}

/**
 * Runs its arguments (a JVM, its source file last) with a private, empty /tmp. A checkout under /tmp (as CI's
 * clone may be) is hidden by that mount, so the source file is opened before it and copied back to its own path
 * inside the new /tmp when the mount hid it.
 */
const PRIVATE_TMP_SCRIPT = 'for source; do :; done; exec 3<"$source"; mount -t tmpfs tmpfs /tmp || exit; [ -e "$source" ] || { mkdir -p "${source%/*}" && cat <&3 >"$source"; } || exit; exec 3<&-; exec "$@"';

const started: ChildProcess[] = [];

/** Starts AttachTarget under `prefix` (a command that execs the rest) and waits for its "ready <pid>". */
function startJvm(prefix: readonly string[], flags: readonly string[] = [], cwd = work): Promise<StartedJvm> {
  const [file, ...args] = [...prefix, JAVA!, ...SMALL_JVM, ...flags, FIXTURE];
  const child = spawn(file!, args, { cwd, stdio: ["pipe", "pipe", "pipe"] });
  started.push(child);
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const ready = /^ready (\d+)$/m.exec(stdout);
      if (ready === null) return;
      // Under unshare, the JVM is the child of the unshare we started.
      const pid = prefix[0] === UNSHARE ? childPid(child.pid!) : child.pid!;
      resolve({ child, pid, ownPid: Number(ready[1]), stdout: () => stdout });
    });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`${args.join(" ")} exited with ${code} before it was ready: ${stderr}`)));
  });
}

function childPid(pid: number): number {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).map(Number);
  expect(children).toHaveLength(1);
  return children[0]!;
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 3000);
    child.on("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.stdin!.end("\n"); // AttachTarget waits on stdin
  });
}

/** The AttachError a call fails with; fails the test if it succeeds or fails otherwise. */
async function attachError(call: Promise<unknown>): Promise<AttachError> {
  const error = await call.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(AttachError);
  return error as AttachError;
}

function expectOneLine(error: AttachError, problem: AttachProblem, pid: number): void {
  expect(error.problem, error.message).toBe(problem);
  expect(error.message).not.toContain("\n");
  expect(error.message).toContain(String(pid));
}

async function parsed(path: string): Promise<Heap> {
  const dump = await openHeapDump(path);
  try {
    return readHeap(dump.source);
  } finally {
    dump.close();
  }
}

const instances = (heap: Heap, name: string): number => heap.classByName.get(name)?.count ?? 0;

let target: StartedJvm;
let disabled: StartedJvm;
let namespaced: StartedJvm | undefined;
let otherUser: StartedJvm | undefined;

beforeAll(async () => {
  if (JAVA === undefined) return;
  const privileged = AS_ROOT && UNSHARE !== undefined && SETPRIV !== undefined;
  // The other user's JVM runs in a folder of its own, as its working directory.
  const nobodyHome = join(work, "nobody");
  if (privileged) {
    mkdirSync(nobodyHome);
    chmodSync(work, 0o755);
    chmodSync(nobodyHome, 0o777);
  }
  // Started together: each takes a second or two to compile the fixture.
  [target, disabled, namespaced, otherUser] = await Promise.all([
    startJvm([]),
    startJvm([], ["-XX:+DisableAttachMechanism"]),
    privileged
      ? // Its own pid namespace, and a private /tmp where its attach socket goes.
        startJvm([UNSHARE, "--mount", "--pid", "--fork", "--kill-child", "--mount-proc", "sh", "-c", PRIVATE_TMP_SCRIPT, "sh"])
      : Promise.resolve(undefined),
    privileged ? startJvm([SETPRIV, `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups"], [], nobodyHome) : Promise.resolve(undefined),
  ]);
  // From here on, no JDK tool can be found: whatever the client did, it did without one.
  process.env["PATH"] = (savedPath ?? "")
    .split(delimiter)
    .filter((dir) => !JDK_TOOLS.some((tool) => existsSync(join(dir, tool))))
    .join(delimiter);
}, 60_000);

afterAll(async () => {
  process.env["PATH"] = savedPath;
  await Promise.all(started.map(stop));
  rmSync(work, { recursive: true, force: true });
});

describe("attaching to a live JVM without a JDK on PATH", () => {
  it("finds no JDK tool on PATH", (context) => {
    context.skip(JAVA === undefined, NO_JAVA);
    for (const tool of JDK_TOOLS) expect(onPath(tool), tool).toBeUndefined();
  });

  it("dumps the heap with garbage (-all) and without (-live), and readHeap parses both", async (context) => {
    context.skip(JAVA === undefined, NO_JAVA);
    const all = await dumpHeap(target.pid, join(work, "all.hprof"), { live: false });
    const live = await dumpHeap(target.pid, join(work, "live.hprof"), { live: true });
    for (const dump of [all, live]) {
      expect(statSync(dump.path).size).toBe(dump.bytes);
      expect(statSync(dump.readablePath).size).toBe(dump.bytes);
    }
    const allHeap = await parsed(all.path);
    const liveHeap = await parsed(live.path);
    for (const heap of [allHeap, liveHeap]) {
      expect(heap.truncated).toBe(false);
      expect(instances(heap, "AttachTargetMarker")).toBe(1234);
    }
    expect(instances(allHeap, "AttachTargetGarbage")).toBe(5000);
    expect(instances(liveHeap, "AttachTargetGarbage")).toBe(0);
    expect(liveHeap.objectCount).toBeLessThan(allHeap.objectCount);

    // The trigger file that started the attach listener is gone.
    expect(readdirSync(work).filter((name) => name.startsWith(".attach_pid"))).toEqual([]);
    // The JVM never overwrites a dump: refused before asking it.
    const again = await attachError(dumpHeap(target.pid, all.path, { live: true }));
    expect(again.problem).toBe("bad-argument");
    expect(again.message).toBe(`${all.path} already exists, and the JVM does not overwrite a heap dump; delete it or give another file name`);
    // A file the JVM cannot create: it says why in its output, under a status of 0 on JDK 25.
    const nowhere = join(work, "no-such-folder", "dump.hprof");
    const unwritable = await attachError(dumpHeap(target.pid, nowhere, { live: false }));
    expectOneLine(unwritable, "command-failed", target.pid);
    expect(unwritable.message).toContain(`${nowhere}: No such file or directory`);
  });

  it("takes a thread dump with the main thread waiting on stdin", async (context) => {
    context.skip(JAVA === undefined, NO_JAVA);
    const dump = await threadDump(target.pid);
    expect(dump).toMatch(/^Full thread dump /m);
    expect(dump).toMatch(/^"main" .*\n\s+java\.lang\.Thread\.State: RUNNABLE\n(\s+(at|-) .*\n)*?\s+at AttachTarget\.main\(AttachTarget\.java:\d+\)/m);
    expect(dump).toMatch(/^"Attach Listener" /m);
  });

  it("runs a diagnostic command, and reports an unknown one in one line", async (context) => {
    context.skip(JAVA === undefined, NO_JAVA);
    // Serial GC: the young generation is "def new generation" up to JDK 21, "DefNew" from 22 on.
    expect(await jcmd(target.pid, "GC.heap_info")).toMatch(/(def new generation|DefNew)\s+total \d+K, used \d+K/);
    const unknown = await attachError(jcmd(target.pid, "No.such_command"));
    expectOneLine(unknown, "command-failed", target.pid);
    expect(unknown.message).toContain("Unknown diagnostic command");
  });

  it("leaves a process that is not a JVM alone and says so", async (context) => {
    context.skip(JAVA === undefined, NO_JAVA);
    const sleeper = spawn(SLEEP!, ["60"], { stdio: "ignore" });
    try {
      await new Promise((resolve) => sleeper.on("spawn", resolve));
      const error = await attachError(threadDump(sleeper.pid!));
      expectOneLine(error, "not-a-jvm", sleeper.pid!);
      expect(error.message).toContain("(sleep)");
      // SIGQUIT would have killed it: none was sent.
      expect(sleeper.exitCode).toBeNull();
      expect(sleeper.signalCode).toBeNull();
      expect(existsSync(`/proc/${sleeper.pid}`)).toBe(true);
    } finally {
      sleeper.kill();
    }
  });

  it("says when the process does not exist", async (context) => {
    context.skip(JAVA === undefined, NO_JAVA);
    const gone = spawn(SLEEP!, ["0"], { stdio: "ignore" });
    await new Promise((resolve) => gone.on("exit", resolve));
    expectOneLine(await attachError(threadDump(gone.pid!)), "no-such-process", gone.pid!);
    expectOneLine(await attachError(dumpHeap(gone.pid!, join(work, "gone.hprof"), { live: true })), "no-such-process", gone.pid!);
    expect((await attachError(jcmd(0, "GC.heap_info"))).problem).toBe("no-such-process");
  });

  it("says when the JVM has attach disabled, without signalling it", async (context) => {
    context.skip(JAVA === undefined, NO_JAVA);
    const error = await attachError(threadDump(disabled.pid));
    expectOneLine(error, "attach-disabled", disabled.pid);
    expect(error.message).toContain("-XX:+DisableAttachMechanism");
    // A SIGQUIT would have made it print a thread dump on its stdout.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(disabled.stdout()).not.toContain("Full thread dump");
  });

  it("attaches to a JVM in its own pid and mount namespaces", async (context) => {
    context.skip(JAVA === undefined, NO_JAVA);
    context.skip(namespaced === undefined, NEEDS_ROOT);
    const jvm = namespaced!;
    expect(jvm.ownPid).not.toBe(jvm.pid);
    expect(await threadDump(jvm.pid)).toMatch(/at AttachTarget\.main\(AttachTarget\.java:\d+\)/);
    // Its /tmp is not ours: a dump there is reached through /proc/<pid>/root only.
    const dump = await dumpHeap(jvm.pid, "/tmp/namespaced.hprof", { live: true });
    expect(existsSync("/tmp/namespaced.hprof")).toBe(false);
    expect(readFileSync(dump.readablePath).subarray(0, 18).toString("latin1")).toBe("JAVA PROFILE 1.0.2");
    expectOneLine(await attachError(pathInTarget(jvm.pid, join(work, "shared.hprof"))), "bad-argument", jvm.pid);
    expect(await pathInTarget(target.pid, join(work, "shared.hprof"))).toBe(join(work, "shared.hprof"));
  });

  it("attaches through a stale socket that a process which died left at the JVM's pid, and deletes its socket before a kill", async (context) => {
    context.skip(JAVA === undefined, NO_JAVA);
    // A JVM of its own, so that no other test has started its attach listener yet.
    const jvm = await startJvm([]);
    const socket = `/tmp/.java_pid${jvm.pid}`;
    try {
      // What a process killed with SIGKILL leaves: a socket file nothing listens on.
      const leaveSocket = "require('net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))";
      expect(spawnSync(process.execPath, ["-e", leaveSocket, socket]).signal).toBe("SIGKILL");
      expect(statSync(socket).isSocket()).toBe(true);
      expect(await threadDump(jvm.pid)).toMatch(/at AttachTarget\.main\(AttachTarget\.java:\d+\)/);
      // The JVM's own socket, which answers again.
      expect(await jcmd(jvm.pid, "VM.uptime")).toMatch(/\d+\.\d+ s/);
      await removeAttachSocket(jvm.pid);
      expect(existsSync(socket)).toBe(false);
    } finally {
      rmSync(socket, { force: true });
      await stop(jvm.child);
    }
  });

  it("attaches as root to another user's JVM", async (context) => {
    context.skip(JAVA === undefined, NO_JAVA);
    context.skip(otherUser === undefined, NEEDS_ROOT);
    const status = readFileSync(`/proc/${otherUser!.pid}/status`, "utf8");
    expect(status).toMatch(new RegExp(`^Uid:\\s+${NOBODY}\\s+${NOBODY}`, "m"));
    expect(await threadDump(otherUser!.pid)).toMatch(/at AttachTarget\.main\(AttachTarget\.java:\d+\)/);
    expect(readdirSync(join(work, "nobody")).filter((name) => name.startsWith(".attach_pid"))).toEqual([]);
  });

  it("tells another user that root's JVM answers only root", async (context) => {
    context.skip(JAVA === undefined, NO_JAVA);
    context.skip(otherUser === undefined, NEEDS_ROOT);
    // The client, bundled, run as nobody against the JVM this test runs as root.
    const bundle = join(work, "jvm-attach.mjs");
    await build({
      entryPoints: [fileURLToPath(new URL("../../src/io/jvm-attach.ts", import.meta.url))],
      bundle: true,
      platform: "node",
      format: "esm",
      outfile: bundle,
      logLevel: "warning",
    });
    chmodSync(bundle, 0o644);
    const script = `import(${JSON.stringify(bundle)}).then((m) => m.threadDump(${target.pid})).then(() => console.log("attached"), (e) => console.log(JSON.stringify({ problem: e.problem, message: e.message })))`;
    const run = spawnSync(SETPRIV!, [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", process.execPath, "--input-type=module", "-e", script], {
      cwd: join(work, "nobody"),
      encoding: "utf8",
    });
    expect(run.status, run.stderr).toBe(0);
    const outcome = JSON.parse(run.stdout) as { problem: string; message: string };
    expect(outcome.problem).toBe("permission");
    expect(outcome.message).toMatch(new RegExp(`^process ${target.pid} \\(java\\) runs as uid 0 gid 0, .* this runs as uid ${NOBODY} gid ${NOBODY}`));
  });
});
