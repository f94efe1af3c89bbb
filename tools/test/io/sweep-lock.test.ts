// The sweep folder's lock, held and fought over by real processes: test/io/lock-holder.ts (the real
// io/sweep-lock.ts, bundled here with esbuild) runs as separate node processes that hold it, die holding
// it, or race for a lock whose holder died.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SWEEP_LOCK_FILE } from "../../src/core/run/run-record.js";
import { acquireSweepLock, holderState, processStartTicks, SweepLockedError, UnreadableLockError, type LockHolder } from "../../src/io/sweep-lock.js";

const scratch = await mkdtemp(join(tmpdir(), "memory-adventure-sweep-lock-"));
const holderScript = join(scratch, "lock-holder.mjs");
const children: ChildProcess[] = [];
beforeAll(async () => {
  await build({
    entryPoints: [fileURLToPath(new URL("./lock-holder.ts", import.meta.url))],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile: holderScript,
    logLevel: "warning",
  });
});
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await rm(scratch, { recursive: true, force: true });
});

interface HolderSays {
  readonly locked: boolean;
  readonly pid?: number;
  readonly tookOverFrom?: number | null;
  readonly holder?: number;
}

/** Starts a holder process; resolves with the process and its one line once it said it. */
function startHolder(out: string, mode: "hold" | "die" | "race", startAt?: number): Promise<{ child: ChildProcess; says: HolderSays; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [holderScript, out, mode, ...(startAt === undefined ? [] : [String(startAt)])], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let text = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      text += chunk;
      if (text.includes("\n")) resolve({ child, says: JSON.parse(text.split("\n")[0]!) as HolderSays, exited });
    });
    child.on("close", () => {
      if (!text.includes("\n")) reject(new Error(`lock-holder ${mode} said nothing`));
    });
  });
}

/** Every entry under `dir` with its size and modification time: what "writes nothing" is checked against. */
function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .sort()
    .map((name) => {
      const info = statSync(join(dir, name));
      return `${name} ${info.size} ${info.mtimeMs}`;
    });
}

let folders = 0;
function newFolder(): string {
  const dir = join(scratch, `out-${++folders}`);
  mkdirSync(dir);
  return dir;
}

const lockOf = (out: string): LockHolder => JSON.parse(readFileSync(join(out, SWEEP_LOCK_FILE), "utf8")) as LockHolder;

describe("processStartTicks", () => {
  it("reads a live process's start time, the same every time, and nothing for a pid that is gone", async () => {
    const ticks = await processStartTicks(process.pid);
    expect(ticks).toMatch(/^\d+$/);
    expect(await processStartTicks(process.pid)).toBe(ticks);
    const { child, exited } = await startHolder(newFolder(), "die");
    await exited;
    expect(await processStartTicks(child.pid!)).toBeUndefined();
  });

  it("reads the start time even when the command name has spaces and parentheses", async () => {
    // /proc/<pid>/stat names the command "(name)"; a name like "x) 1 2 (y" fools a parser that splits on spaces.
    const oddName = join(scratch, "x) 1 2 (y");
    copyFileSync("/bin/sleep", oddName);
    chmodSync(oddName, 0o755);
    const [odd, plain] = [spawn(oddName, ["5"], { stdio: "ignore" }), spawn("/bin/sleep", ["5"], { stdio: "ignore" })];
    children.push(odd, plain);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(readFileSync(`/proc/${odd.pid}/stat`, "utf8")).toContain("(x) 1 2 (y)");
    const [oddTicks, plainTicks] = [Number(await processStartTicks(odd.pid!)), Number(await processStartTicks(plain.pid!))];
    // Started together: their start times (clock ticks since boot, 100 a second) are close.
    expect(Math.abs(oddTicks - plainTicks)).toBeLessThan(100);
    expect(oddTicks).toBeGreaterThanOrEqual(Number(await processStartTicks(process.pid)));
    odd.kill("SIGKILL");
    plain.kill("SIGKILL");
  });
});

describe("acquireSweepLock", () => {
  it("takes the lock of a new folder, names this process in it, and releases only its own", async () => {
    const out = join(newFolder(), "deeper", "out");
    const lock = await acquireSweepLock(out, ["node", "memory-adventure.mjs", "sweep"]);
    expect(lock.tookOverFrom).toBeUndefined();
    expect(lockOf(out)).toMatchObject({ pid: process.pid, startTicks: await processStartTicks(process.pid), host: hostname(), argv: ["node", "memory-adventure.mjs", "sweep"] });
    // No temporary file is left beside it.
    expect(readdirSync(out)).toEqual([SWEEP_LOCK_FILE]);
    await lock.release();
    expect(readdirSync(out)).toEqual([]);
    // A release after someone else took the lock leaves theirs alone.
    const again = await acquireSweepLock(out, ["first"]);
    const theirs = `${JSON.stringify({ ...lockOf(out), token: "someone-else" })}\n`;
    writeFileSync(join(out, SWEEP_LOCK_FILE), theirs);
    await again.release();
    expect(readFileSync(join(out, SWEEP_LOCK_FILE), "utf8")).toBe(theirs);
  });

  it("refuses while another live process holds it, naming it, and writes nothing", async () => {
    const out = newFolder();
    const { child, says, exited } = await startHolder(out, "hold");
    expect(says).toEqual({ locked: true, pid: child.pid, tookOverFrom: null });
    const before = snapshot(out);
    const error = await acquireSweepLock(out, ["second"]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SweepLockedError);
    expect((error as SweepLockedError).holder).toMatchObject({ pid: child.pid, argv: [process.execPath, holderScript, out, "hold"] });
    expect((error as SweepLockedError).elsewhere).toBe(false);
    expect(snapshot(out)).toEqual(before);
    // SIGTERM: the holder releases it on its way out, and the folder is free again.
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(readdirSync(out)).toEqual([]);
    await (await acquireSweepLock(out, ["third"])).release();
  });

  it("takes over the lock of a process that died holding it, and says whose", async () => {
    const out = newFolder();
    const { child, says, exited } = await startHolder(out, "die");
    expect(says.locked).toBe(true);
    await exited;
    expect(lockOf(out).pid).toBe(child.pid);
    const lock = await acquireSweepLock(out, ["after"]);
    expect(lock.tookOverFrom?.pid).toBe(child.pid);
    expect(lockOf(out).pid).toBe(process.pid);
    expect(readdirSync(out)).toEqual([SWEEP_LOCK_FILE]);
    await lock.release();
  });

  it("takes over a lock whose pid now belongs to another process (a reused pid): the start time differs", async () => {
    const out = newFolder();
    const { child } = await startHolder(newFolder(), "hold");
    const reused: LockHolder = { pid: child.pid!, startTicks: "1", host: hostname(), startedAt: "2020-01-01T00:00:00.000Z", argv: ["old"], token: "t" };
    expect(await holderState(reused)).toBe("gone");
    writeFileSync(join(out, SWEEP_LOCK_FILE), JSON.stringify(reused));
    const lock = await acquireSweepLock(out, ["new"]);
    expect(lock.tookOverFrom).toEqual(reused);
    await lock.release();
    child.kill("SIGTERM");
  });

  it("of several processes racing for a dead holder's lock, exactly one gets it; the others name it", async () => {
    const out = newFolder();
    await (await startHolder(out, "die")).exited;
    const startAt = Date.now() + 2_000;
    const racers = await Promise.all(Array.from({ length: 6 }, () => startHolder(out, "race", startAt)));
    const winners = racers.filter((racer) => racer.says.locked);
    expect(winners).toHaveLength(1);
    for (const loser of racers.filter((racer) => !racer.says.locked)) expect(loser.says.holder).toBe(winners[0]!.says.pid);
    await Promise.all(racers.map((racer) => racer.exited));
    expect(readdirSync(out)).toEqual([]);
  }, 30_000);

  it("never takes over a lock from another host, whose pid it cannot check", async () => {
    const out = newFolder();
    const elsewhere: LockHolder = { pid: 1, startTicks: "1", host: `${hostname()}-not`, startedAt: "2020-01-01T00:00:00.000Z", argv: ["x"], token: "t" };
    writeFileSync(join(out, SWEEP_LOCK_FILE), JSON.stringify(elsewhere));
    const error = await acquireSweepLock(out, ["here"]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SweepLockedError);
    expect((error as SweepLockedError).elsewhere).toBe(true);
  });

  it("refuses a folder named sweep.lock", async () => {
    const out = newFolder();
    mkdirSync(join(out, SWEEP_LOCK_FILE));
    await expect(acquireSweepLock(out, ["x"])).rejects.toBeInstanceOf(UnreadableLockError);
  });

  it.each([
    { why: "empty", text: "" },
    { why: "not JSON", text: "pid=12" },
    { why: "JSON without a start time", text: '{"pid":12,"host":"h"}' },
  ])("refuses a lock file it did not write ($why), and leaves it", async ({ text }) => {
    const out = newFolder();
    writeFileSync(join(out, SWEEP_LOCK_FILE), text);
    await expect(acquireSweepLock(out, ["x"])).rejects.toBeInstanceOf(UnreadableLockError);
    expect(readFileSync(join(out, SWEEP_LOCK_FILE), "utf8")).toBe(text);
  });
});
