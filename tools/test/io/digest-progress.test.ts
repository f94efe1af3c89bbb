import { describe, expect, it } from "vitest";
import { DIGEST_PHASES } from "../../src/core/heap/digest-phases.js";
import { digestProgress, noDigestProgress, PROGRESS_DELAY_MS, progressDelayMs, withDigestProgress } from "../../src/io/digest-progress.js";
import { screenAfter } from "../helpers/terminal-screen.js";

const MIB = 2 ** 20;

/** A terminal (or a pipe) that keeps what is written to it, and a clock the test moves. */
function fakeTerminal(isTTY: boolean, columns = 200): { stream: { isTTY: boolean; columns: number; write(text: string): boolean }; writes: string[] } {
  const writes: string[] = [];
  return { stream: { isTTY, columns, write: (text) => writes.push(text) > 0 }, writes };
}

function fakeClock(): { now: () => number; at(ms: number): void } {
  let time = 0;
  return { now: () => time, at: (ms) => void (time = ms) };
}

describe("digestProgress", () => {
  it("shows nothing before the digest has run 2 s", () => {
    const { stream, writes } = fakeTerminal(true);
    const clock = fakeClock();
    const progress = digestProgress({ stream, now: clock.now, delayMs: PROGRESS_DELAY_MS });
    progress.phase("read");
    for (let ms = 100; ms < 2000; ms += 100) {
      clock.at(ms);
      progress.bytesRead(ms * 1000, 4_000_000);
    }
    clock.at(1999);
    progress.phase("resolve");
    progress.done();
    expect(writes).toEqual([]);
  });

  it("after 2 s, one line with the phase, the bytes read of the total and the rate", () => {
    const { stream, writes } = fakeTerminal(true);
    const clock = fakeClock();
    const progress = digestProgress({ stream, now: clock.now, delayMs: 2000 });
    clock.at(100);
    progress.phase("read");
    clock.at(2100);
    progress.bytesRead(100 * MIB, 400 * MIB);
    expect(writes).toHaveLength(1);
    // 100 MiB in the 2 s since the read began.
    expect(screenAfter(writes.join(""))).toEqual(["heap digest 1/6: reading the dump, 100.0 MiB of 400.0 MiB (25%), 50.0 MiB/s"]);
  });

  it("redraws byte counts at most 4 times a second, a new phase at once", () => {
    const { stream, writes } = fakeTerminal(true);
    const clock = fakeClock();
    const progress = digestProgress({ stream, now: clock.now, delayMs: 2000 });
    progress.phase("read");
    // A report every 10 ms for one second past the delay: drawn at 2000, 2250, 2500, 2750 and 3000.
    for (let ms = 2000; ms <= 3000; ms += 10) {
      clock.at(ms);
      progress.bytesRead(ms * MIB, 4000 * MIB);
    }
    expect(writes).toHaveLength(5);
    clock.at(3010);
    progress.phase("resolve");
    expect(writes).toHaveLength(6);
    expect(screenAfter(writes.join(""))).toEqual(["heap digest 2/6: resolving references"]);
  });

  it("a digest that starts showing in a later phase shows that phase, without bytes", () => {
    const { stream, writes } = fakeTerminal(true);
    const clock = fakeClock();
    const progress = digestProgress({ stream, now: clock.now, delayMs: 2000 });
    for (const [index, phase] of DIGEST_PHASES.entries()) {
      clock.at(index * 500);
      progress.phase(phase);
    }
    // read 0, resolve 500, search 1000, stacks 1500, dominators 2000, attribute 2500.
    expect(writes.map((text) => screenAfter(text)[0])).toEqual(["heap digest 5/6: computing the dominator tree", "heap digest 6/6: attributing retained bytes"]);
  });

  it("erases its line at done, leaving nothing on the screen", () => {
    const { stream, writes } = fakeTerminal(true);
    const clock = fakeClock();
    const progress = digestProgress({ stream, now: clock.now, delayMs: 2000 });
    progress.phase("read");
    clock.at(2500);
    progress.bytesRead(MIB, 2 * MIB);
    expect(screenAfter(writes.join(""))).not.toEqual([]);
    progress.done();
    expect(screenAfter(writes.join(""))).toEqual([]);
    // The command's own output then starts at the line's beginning.
    expect(screenAfter(`${writes.join("")}result\n`)).toEqual(["result"]);
  });

  it("erases nothing at done when it drew nothing", () => {
    const { stream, writes } = fakeTerminal(true);
    const progress = digestProgress({ stream, now: fakeClock().now, delayMs: 2000 });
    progress.phase("read");
    progress.done();
    expect(writes).toEqual([]);
  });

  it("writes nothing at all when the stream is not a terminal", () => {
    const { stream, writes } = fakeTerminal(false);
    const clock = fakeClock();
    const progress = digestProgress({ stream, now: clock.now, delayMs: 0 });
    progress.phase("read");
    clock.at(5000);
    progress.bytesRead(MIB, 2 * MIB);
    progress.phase("resolve");
    progress.done();
    expect(writes).toEqual([]);
  });

  it("is never wider than the terminal", () => {
    const { stream, writes } = fakeTerminal(true, 40);
    const clock = fakeClock();
    const progress = digestProgress({ stream, now: clock.now, delayMs: 0 });
    progress.phase("read");
    clock.at(1000);
    progress.bytesRead(3 * MIB, 9 * MIB);
    // Cut one short of the width: a line as wide as the terminal wraps on some, and \r could not redraw it.
    expect(writes.at(-1)).toBe("\r\u001b[2Kheap digest 1/6: reading the dump, 3.0 ");
    expect(screenAfter(writes.join(""))).toHaveLength(1);
  });

  it("measures the rate again when the pass starts over", () => {
    const { stream, writes } = fakeTerminal(true);
    const clock = fakeClock();
    const progress = digestProgress({ stream, now: clock.now, delayMs: 0 });
    progress.phase("read");
    clock.at(4000);
    progress.bytesRead(400 * MIB, 800 * MIB);
    clock.at(5000);
    progress.bytesRead(10 * MIB, 800 * MIB);
    clock.at(6000);
    progress.bytesRead(110 * MIB, 800 * MIB);
    // 100 MiB/s at first; after the restart at 5000, 110 MiB in 1 s.
    expect(screenAfter(writes[1]!)[0]).toMatch(/, 100\.0 MiB\/s$/);
    expect(screenAfter(writes.join(""))).toEqual(["heap digest 1/6: reading the dump, 110.0 MiB of 800.0 MiB (13%), 110.0 MiB/s"]);
  });
});

describe("withDigestProgress", () => {
  it("removes the line when the digest fails", async () => {
    const { stream, writes } = fakeTerminal(true);
    const failure = new Error("cut short");
    const run = withDigestProgress(
      () => digestProgress({ stream, now: () => 0, delayMs: 0 }),
      async (observer) => {
        observer.phase("read");
        throw failure;
      },
    );
    await expect(run).rejects.toBe(failure);
    expect(writes.length).toBe(2);
    expect(screenAfter(writes.join(""))).toEqual([]);
  });

  it("hands the digest's result back", async () => {
    await expect(withDigestProgress(noDigestProgress, async () => 42)).resolves.toBe(42);
  });
});

describe("progressDelayMs", () => {
  it.each([
    { env: {}, expected: PROGRESS_DELAY_MS },
    { env: { MEMORY_ADVENTURE_PROGRESS_DELAY_MS: "0" }, expected: 0 },
    { env: { MEMORY_ADVENTURE_PROGRESS_DELAY_MS: "500" }, expected: 500 },
    { env: { MEMORY_ADVENTURE_PROGRESS_DELAY_MS: "soon" }, expected: PROGRESS_DELAY_MS },
    { env: { MEMORY_ADVENTURE_PROGRESS_DELAY_MS: "-1" }, expected: PROGRESS_DELAY_MS },
  ])("is $expected with $env", ({ env, expected }) => {
    expect(progressDelayMs(env)).toBe(expected);
  });
});
