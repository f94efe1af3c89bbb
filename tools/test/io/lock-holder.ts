// A process that takes a sweep folder's lock with the real io/sweep-lock.ts, for test/io/sweep-lock.test.ts
// (bundled by the test with esbuild and run with node, so the lock is held by a real, separate process).
//
//   node lock-holder.mjs <out> hold    take the lock, say so, hold it until SIGTERM (then release it)
//   node lock-holder.mjs <out> die     take the lock, say so, and die of SIGKILL holding it
//   node lock-holder.mjs <out> race T  at time T (ms since the epoch), take the lock or be refused, say which,
//                                      hold it for 3 s, release it (racers started apart all try at once)
//
// It prints one JSON line: {"locked":true,"pid":…,"tookOverFrom":pid|null} or {"locked":false,"holder":pid}.
import { acquireSweepLock, SweepLockedError } from "../../src/io/sweep-lock.js";

const [out = "", mode = "hold", startAt = "0"] = process.argv.slice(2);
const say = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));

try {
  const lock = await acquireSweepLock(out, process.argv);
  say({ locked: true, pid: process.pid, tookOverFrom: lock.tookOverFrom?.pid ?? null });
  if (mode === "die") process.kill(process.pid, "SIGKILL");
  if (mode === "race") setTimeout(() => void lock.release(), 3_000);
  if (mode === "hold") {
    const keepAlive = setInterval(() => undefined, 1_000);
    process.on("SIGTERM", () => {
      clearInterval(keepAlive);
      void lock.release();
    });
  }
} catch (error) {
  if (!(error instanceof SweepLockedError)) throw error;
  say({ locked: false, holder: error.holder.pid });
}
