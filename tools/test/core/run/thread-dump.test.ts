// When the thread dump a server writes on SIGQUIT is whole, read from the real one in
// fixtures/bazel-4.2.3/run-status/oom-hang-silent/jvm.out (the 4.2.3 server that hung at 128m, JDK 17),
// whole and cut at every line, as the sweep sees jvm.out grow.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { threadDumpProgress } from "../../../src/core/run/thread-dump.js";

const jvmOut = readFileSync(new URL("../../fixtures/bazel-4.2.3/run-status/oom-hang-silent/jvm.out", import.meta.url), "utf8");
const lines = jvmOut.split("\n");
const lineOf = (pattern: RegExp): number => lines.findIndex((line) => pattern.test(line));
/** The text up to (not including) line `index`. */
const upTo = (index: number): string => lines.slice(0, index).join("\n") + (index > 0 ? "\n" : "");

describe("threadDumpProgress on a real HotSpot thread dump", () => {
  const start = lineOf(/^Full thread dump /);
  const jniRefs = lineOf(/^JNI global refs: /);
  const metaspace = lineOf(/^ Metaspace +used /);
  it("the fixture has the parts the reader looks for, in order", () => {
    expect(start).toBeGreaterThan(0);
    expect(jniRefs).toBeGreaterThan(start);
    expect(lines[lineOf(/^Heap$/)]).toBe("Heap");
    expect(metaspace).toBeGreaterThan(jniRefs);
  });

  it("cut anywhere: threads are in from the JNI line on, the heap summary from its Metaspace line on", () => {
    for (let index = 0; index <= lines.length; index++) {
      expect(threadDumpProgress(upTo(index)), `cut before line ${index + 1}`).toEqual({
        threads: index > jniRefs,
        heapSummary: index > metaspace,
      });
    }
  });

  it.each([
    { why: "nothing written yet", text: "", progress: { threads: false, heapSummary: false } },
    {
      why: "the end line cut in the middle",
      text: jvmOut.slice(0, jvmOut.indexOf("JNI global refs") + 10),
      progress: { threads: false, heapSummary: false },
    },
    {
      why: "the Metaspace line cut in the middle",
      text: jvmOut.slice(0, jvmOut.indexOf(" Metaspace") + 20),
      progress: { threads: true, heapSummary: false },
    },
    {
      why: "a second dump started after a whole one: only the last counts",
      text: `${jvmOut}\n2026-11-21 18:21:40\nFull thread dump OpenJDK 64-Bit Server VM (17.0.15+6-Debian-1deb12u1 mixed mode, sharing):\n\n"main" #1 prio=5\n`,
      progress: { threads: false, heapSummary: false },
    },
    {
      why: "the JVM's other output only (warnings, OutOfMemoryError lines)",
      text: lines.slice(0, start - 1).join("\n"),
      progress: { threads: false, heapSummary: false },
    },
  ])("$why", ({ text, progress }) => {
    expect(threadDumpProgress(text)).toEqual(progress);
  });
});
