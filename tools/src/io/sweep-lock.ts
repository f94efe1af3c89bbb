// One sweep at a time writes into a sweep folder (shards of one plan included: they share its output base).
// The lock is the file <out>/sweep.lock, holding who took it:
//
//   {"pid":4242,"startTicks":"123456","host":"ci-7","startedAt":"2025-01-01T10:00:00.000Z","argv":[...],"token":"…"}
//
// - It is created exclusively and whole: written into a temporary file, then hard-linked to sweep.lock
//   (link fails if sweep.lock exists), so no one ever reads a half-written lock.
// - A lock whose process is gone is taken over: the pid alone could name an unrelated process by now (pids
//   are reused), so its start time (field 22 of /proc/<pid>/stat, in clock ticks since boot) must match too.
//   A lock from another host cannot be checked and is never taken over.
// - Two sweeps that find the same dead lock take it over one at a time, under sweep.lock.takeover (taken the
//   same way); the second then finds the first's live lock and refuses.
// - The sweep releases it in a finally block; Ctrl-C and SIGTERM reach that finally (sweep-runner.ts
//   interruptOnSignals), and a sweep killed outright (SIGKILL, a crash) leaves a lock the next one takes over.
import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
import { SWEEP_LOCK_FILE } from "../core/run/run-record.js";

/** Who holds (or held) a sweep folder's lock. */
export interface LockHolder {
  readonly pid: number;
  /** The process's start time from /proc/<pid>/stat: with the pid, it names one process for good. */
  readonly startTicks: string;
  readonly host: string;
  /** When it took the lock (ISO 8601). */
  readonly startedAt: string;
  /** Its command line. */
  readonly argv: readonly string[];
  /** Unique to this taking of the lock, so a holder releases only its own. */
  readonly token: string;
}

/** The folder is in use by another live sweep. */
export class SweepLockedError extends Error {
  override readonly name = "SweepLockedError";
  constructor(
    readonly lockFile: string,
    readonly holder: LockHolder,
    /** The holder runs on another host, where its pid cannot be checked. */
    readonly elsewhere: boolean,
  ) {
    super(`${lockFile} is held by pid ${holder.pid} on ${holder.host}`);
  }
}

/** sweep.lock exists but is not a lock this tool wrote. */
export class UnreadableLockError extends Error {
  override readonly name = "UnreadableLockError";
  constructor(readonly lockFile: string) {
    super(`${lockFile} is not a sweep lock`);
  }
}

export interface SweepLock {
  readonly file: string;
  /** The dead sweep whose lock this one took over, if it did. */
  readonly tookOverFrom: LockHolder | undefined;
  /** Removes the lock if it is still this one's; never throws. */
  release(): Promise<void>;
}

/** How long to wait for another sweep that is taking over a dead lock at the same moment. */
const TAKEOVER_WAIT_MS = 5_000;
const TAKEOVER_POLL_MS = 50;

/**
 * Takes the lock of `out` (created if missing) for this process, or throws SweepLockedError naming the
 * live sweep that holds it (or UnreadableLockError). Writes nothing when it refuses.
 */
export async function acquireSweepLock(out: string, argv: readonly string[]): Promise<SweepLock> {
  const file = join(out, SWEEP_LOCK_FILE);
  const takeoverFile = `${file}.takeover`;
  const me = await currentHolder(argv);
  const text = `${JSON.stringify(me)}\n`;
  const giveUpAt = Date.now() + TAKEOVER_WAIT_MS;
  for (;;) {
    const existing = await readLockFile(file);
    if (existing === undefined) {
      await mkdir(out, { recursive: true });
      if (await linkWhole(file, text)) return heldLock(file, text, undefined);
      continue; // someone took it in between: look at theirs
    }
    const holder = parseHolder(existing);
    if (holder === undefined) throw new UnreadableLockError(file);
    const state = await holderState(holder);
    if (state !== "gone") throw new SweepLockedError(file, holder, state === "elsewhere");
    // Dead: take it over, one taker at a time.
    if (await linkWhole(takeoverFile, text)) {
      try {
        if ((await readLockFile(file)) === existing) {
          await unlink(file).catch(() => undefined);
          if (await linkWhole(file, text)) return heldLock(file, text, holder);
        }
      } finally {
        await unlinkIfSame(takeoverFile, text);
      }
      continue;
    }
    // Another sweep is taking it over right now; or one died doing so.
    const taker = parseHolder((await readLockFile(takeoverFile)) ?? "");
    if (taker !== undefined && (await holderState(taker)) === "gone") {
      await unlinkIfSame(takeoverFile, (await readLockFile(takeoverFile)) ?? "");
    } else if (Date.now() > giveUpAt) {
      throw new SweepLockedError(file, taker ?? holder, false);
    } else {
      await new Promise((resolve) => setTimeout(resolve, TAKEOVER_POLL_MS));
    }
  }
}

/** The start time of a process (field 22 of /proc/<pid>/stat), or undefined if it is gone or a zombie. */
export async function processStartTicks(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  if (stat === undefined) return undefined;
  // Field 2, the command name, is in parentheses and may hold spaces and parentheses itself.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const state = fields[0];
  if (state === "Z" || state === "X") return undefined;
  return fields[22 - 3];
}

/** Whether a lock's holder still runs: here and alive, here and gone, or on another host. */
export async function holderState(holder: LockHolder): Promise<"alive" | "gone" | "elsewhere"> {
  if (holder.host !== hostname()) return "elsewhere";
  return (await processStartTicks(holder.pid)) === holder.startTicks ? "alive" : "gone";
}

async function currentHolder(argv: readonly string[]): Promise<LockHolder> {
  const startTicks = await processStartTicks(process.pid);
  if (startTicks === undefined) throw new Error(`cannot read /proc/${process.pid}/stat`);
  return {
    pid: process.pid,
    startTicks,
    host: hostname(),
    startedAt: new Date().toISOString(),
    argv: [...argv],
    token: randomBytes(8).toString("hex"),
  };
}

function heldLock(file: string, text: string, tookOverFrom: LockHolder | undefined): SweepLock {
  let released = false;
  return {
    file,
    tookOverFrom,
    async release(): Promise<void> {
      if (released) return;
      released = true;
      await unlinkIfSame(file, text);
    },
  };
}

/** Creates `path` with `text`, whole and only if it does not exist yet; returns whether it did. */
async function linkWhole(path: string, text: string): Promise<boolean> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  try {
    await writeFile(temporary, text, { flag: "wx" });
    await link(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

async function unlinkIfSame(path: string, text: string): Promise<void> {
  if ((await readLockFile(path)) === text) await unlink(path).catch(() => undefined);
}

/** The lock file's text, or undefined when there is none. */
async function readLockFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    // A folder by that name is no lock either.
    if (code === "EISDIR") return "";
    throw error;
  }
}

function parseHolder(text: string): LockHolder | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const holder = value as Partial<Record<keyof LockHolder, unknown>>;
  const valid =
    Number.isInteger(holder.pid) &&
    typeof holder.startTicks === "string" &&
    typeof holder.host === "string" &&
    typeof holder.startedAt === "string" &&
    Array.isArray(holder.argv) &&
    holder.argv.every((arg) => typeof arg === "string") &&
    typeof holder.token === "string";
  return valid ? (value as LockHolder) : undefined;
}
