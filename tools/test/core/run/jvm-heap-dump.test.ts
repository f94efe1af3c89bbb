// Whether jvm.out says a heap dump is still being written: on real server logs (a dump written by JDK 17 under
// Bazel 4.2.3 and by JDK 25 under 7.7.1, and one JDK 25 never finished before the sweep stopped the hung
// server), and on deliberate cuts and endings of them.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { heapDumpWriting } from "../../../src/core/run/jvm-heap-dump.js";
import { FIXTURES_DIR } from "../../helpers/fixtures.js";

const jvmOut = (version: string, name: string): string => readFileSync(join(FIXTURES_DIR, `bazel-${version}`, "jvm-heap-dump", name, "jvm.out"), "utf8");
const written42 = jvmOut("4.2.3", "written");
const written7 = jvmOut("7.7.1", "written");
const stuck7 = jvmOut("7.7.1", "stuck");
const upToDumping = (text: string): string => text.slice(0, text.indexOf("\n", text.indexOf("Dumping heap to")) + 1);

describe("heapDumpWriting", () => {
  it.each([
    { why: "4.2.3 (JDK 17): the dump was written", text: written42, writing: false },
    { why: "7.7.1 (JDK 25): the dump was written", text: written7, writing: false },
    { why: "7.7.1 (JDK 25): announced, never finished (the thread dump the sweep took follows)", text: stuck7, writing: true },
    { why: "cut right after the announcement", text: upToDumping(written42), writing: true },
    { why: "the announcement still without its line end", text: upToDumping(written42).trimEnd(), writing: true },
    { why: "the JVM gave up on a full disk", text: `${upToDumping(written7)}Dump file is incomplete: No space left on device\n`, writing: false },
    { why: "the JVM could not create the file", text: `${upToDumping(written7)}Unable to create /x/heap.hprof: File exists\n`, writing: false },
    { why: "a second dump announced after a finished one", text: `${written42}${upToDumping(written42)}`, writing: true },
    { why: "a server that dumped nothing", text: written42.replace(/^(Dumping heap|Heap dump file).*\n/gm, ""), writing: false },
    { why: "an empty jvm.out", text: "", writing: false },
  ])("$why: $writing", ({ text, writing }) => {
    expect(heapDumpWriting(text)).toBe(writing);
  });
});
