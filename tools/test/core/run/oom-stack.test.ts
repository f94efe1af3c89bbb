// OutOfMemoryErrors in what real Bazel 4.2.3 and 7.7.1 servers left behind (the run-status fixtures and the
// reproduction's crashes), plus cut and edited copies.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { FunctionProfileBuilder } from "../../../src/core/profile/function-profile.js";
import { oomTraces, TOP_JAVA_FRAMES, type OomTrace } from "../../../src/core/run/oom-stack.js";
import { typedEvents } from "../../../src/core/profile/trace-events.js";
import { TraceScanner } from "../../../src/core/profile/trace-scanner.js";
import { FIXTURES_DIR, inflatablePrefix } from "../../helpers/fixtures.js";

/** A fixture's text; `.gz` files inflated. */
function text(relative: string): string {
  const bytes = readFileSync(join(FIXTURES_DIR, relative));
  return relative.endsWith(".gz") ? gunzipSync(bytes).toString("utf8") : bytes.toString("utf8");
}

const CRASH_FULL_PROFILE = "bazel-4.2.3/evidence/crash-full-profile-200m";
const WRITER_TOP_FRAME_4 = "java.base/java.nio.CharBuffer.wrap(CharBuffer.java:408)";
const GROW_FRAME = { function: "_grow_impl", file: "/tmp/sweep-status-capture-gS2JXq/ws/defs.bzl", line: 9 };

/** A trace with nothing known but where it came from. */
const bare = (source: string, fields: Partial<OomTrace> = {}): OomTrace => ({
  source,
  thread: undefined,
  threadId: undefined,
  starlarkFrames: [],
  target: undefined,
  builtin: undefined,
  inStarlark: false,
  topJavaFrames: [],
  ...fields,
});
/** Frames that include `frame` (an asymmetric matcher, typed as the frames it stands for). */
const framesIncluding = (frame: string): string[] => expect.arrayContaining([frame]) as unknown as string[];
const handlerOoms = (source: string, threads: string[]): OomTrace[] => threads.map((thread) => bare(source, { thread }));

describe("OOM traces in real texts", () => {
  it.each<{ file: string; expected: (source: string) => OomTrace[] }>([
    // The 4.2.3 console: the profile writer's thread ran out of heap (Java frames only).
    {
      file: "bazel-4.2.3/run-status/oom/console.log",
      expected: (source) => [bare(source, { topJavaFrames: framesIncluding(WRITER_TOP_FRAME_4) })],
    },
    { file: "bazel-4.2.3/run-status/oom/jvm.out", expected: (source) => handlerOoms(source, ["SIGPROF router"]) },
    // The console said only the error's name before the server hung.
    { file: "bazel-4.2.3/run-status/oom-hang/console.log", expected: (source) => [bare(source)] },
    {
      file: "bazel-4.2.3/run-status/oom-silent-console/jvm.out",
      expected: (source) =>
        handlerOoms(source, [
          "cli-update-thread",
          "SIGPROF router",
          "bep-local-writer",
          "Thread-2",
          "profile-writer-thread",
          "pid-file-watcher",
          "globbing pool-0",
          "skyframe-evaluator-0",
        ]),
    },
    // A thread dump follows these, and is no OOM.
    {
      file: "bazel-4.2.3/run-status/oom-hang-silent/jvm.out",
      expected: (source) => handlerOoms(source, ["SIGPROF router", "Thread-2", "profile-writer-thread", "bep-local-writer", "pid-file-watcher", "cli-update-thread"]),
    },
    { file: "bazel-4.2.3/run-status/startup-oom/console.log", expected: (source) => handlerOoms(source, ["main"]) },
    // Bazel 7: the Starlark stack and the target.
    {
      file: "bazel-7.7.1/run-status/oom/console.log",
      expected: (source) => [bare(source, { starlarkFrames: [GROW_FRAME], target: "//:grow0", inStarlark: true })],
    },
    {
      // The Skyframe worker (thread 280) logged it; the command thread's copy and crash handling carry no number.
      file: "bazel-7.7.1/run-status/oom/java.log.gz",
      expected: (source) => [
        bare(source, { threadId: 280, starlarkFrames: [GROW_FRAME], target: "//:grow0", inStarlark: true }),
        bare(source, { starlarkFrames: [GROW_FRAME], target: "//:grow0", inStarlark: true }),
        bare(source, { starlarkFrames: [GROW_FRAME], target: "//:grow0", inStarlark: true }),
      ],
    },
    { file: "bazel-7.7.1/run-status/oom/jvm.out", expected: (source) => handlerOoms(source, ["SIGPROF router", "profile-writer-thread"]) },
    {
      file: "bazel-7.7.1/run-status/oom-hang/console.log",
      expected: (source) => [
        bare(source, { topJavaFrames: framesIncluding("com.google.devtools.build.lib.profiler.Profiler$TaskData.writeTraceData(Profiler.java:179)") }),
      ],
    },
    { file: "bazel-7.7.1/run-status/startup-oom/console.log", expected: (source) => handlerOoms(source, ["main"]) },
    // The reproduction at 200m with the full profile: the writer's OOM, then threads 56 and 57 (no stack).
    {
      file: `${CRASH_FULL_PROFILE}/console.log`,
      expected: (source) => [bare(source, { topJavaFrames: framesIncluding(WRITER_TOP_FRAME_4) })],
    },
    {
      file: `${CRASH_FULL_PROFILE}/java.log.gz`,
      expected: (source) => [
        bare(source, { topJavaFrames: framesIncluding(WRITER_TOP_FRAME_4) }),
        bare(source, { threadId: 56 }),
        bare(source, { threadId: 57 }),
        bare(source),
      ],
    },
    // The JVM's own line before its heap dump; the thread dump after it is no OOM.
    { file: `${CRASH_FULL_PROFILE}/jvm.out`, expected: (source) => [bare(source)] },
    // The reproduction at 200m without profiles: in Starlark, in the builtin string join (4.2.3: Java frames only).
    {
      file: "bazel-4.2.3/evidence/crash-no-profile-200m/console.log",
      expected: (source) => [
        bare(source, {
          builtin: "join",
          inStarlark: true,
          topJavaFrames: [
            "java.base/java.util.Arrays.copyOf(Arrays.java:3537)",
            "java.base/java.lang.AbstractStringBuilder.ensureCapacityInternal(AbstractStringBuilder.java:228)",
            "java.base/java.lang.AbstractStringBuilder.append(AbstractStringBuilder.java:582)",
            "java.base/java.lang.StringBuilder.append(StringBuilder.java:179)",
            "java.base/java.lang.StringBuilder.append(StringBuilder.java:91)",
            "java.base/java.lang.AbstractStringBuilder.append(AbstractStringBuilder.java:622)",
            "java.base/java.lang.StringBuilder.append(StringBuilder.java:209)",
            "java.base/java.lang.StringBuilder.append(StringBuilder.java:91)",
          ],
        }),
      ],
    },
  ])("$file", ({ file, expected }) => {
    expect(oomTraces(text(file), file)).toEqual(expected(file));
  });

  it.each([
    ...["ok", "failed", "action-killed", "interrupted", "timeout", "thrash-finishes"].flatMap((name) => [
      `bazel-4.2.3/run-status/${name}/console.log`,
      `bazel-4.2.3/run-status/${name}/jvm.out`,
    ]),
    "bazel-4.2.3/run-status/thrash-finishes/java.log.gz",
    "bazel-4.2.3/run-status/oom-hang-silent/java.log.gz",
    ...["ok", "failed", "action-killed", "interrupted", "timeout"].flatMap((name) => [`bazel-7.7.1/run-status/${name}/console.log`, `bazel-7.7.1/run-status/${name}/jvm.out`]),
    "bazel-7.7.1/run-status/ok/java.log.gz",
    "bazel-4.2.3/evidence/ok-light-profile-1g/console.log",
  ])("no OOM in %s", (file) => {
    expect(oomTraces(text(file), file)).toEqual([]);
  });

  it("keeps the first Java frames only", () => {
    const [trace] = oomTraces(text(`${CRASH_FULL_PROFILE}/console.log`), "console");
    expect(trace!.topJavaFrames).toHaveLength(TOP_JAVA_FRAMES);
  });
});

it("the reproduction: java.log's OOM threads are the trace profile's threads with the aspect in flight", () => {
  const threadIds = oomTraces(text(`${CRASH_FULL_PROFILE}/java.log.gz`), "java.log").flatMap((trace) => trace.threadId ?? []);
  const builder = new FunctionProfileBuilder();
  const scanner = new TraceScanner(typedEvents(builder));
  scanner.push(inflatablePrefix(readFileSync(join(FIXTURES_DIR, CRASH_FULL_PROFILE, "profile.json.gz"))));
  scanner.finish();
  const inFlight = builder.build().inFlight;
  expect(threadIds).toEqual([56, 57]);
  expect(inFlight.map((call) => [call.tid, call.function])).toEqual([
    [56, "traverse_impl"],
    [57, "traverse_impl"],
  ]);
});

describe("cut and edited copies", () => {
  const crashes = ["bazel-4.2.3/evidence/crash-no-profile-200m/console.log", "bazel-7.7.1/run-status/oom/java.log.gz", `${CRASH_FULL_PROFILE}/java.log.gz`];

  it.each(crashes)("%s cut after every line: the same traces up to the cut, never a throw", (file) => {
    const lines = text(file).split("\n");
    const full = oomTraces(lines.join("\n"), file);
    for (let count = 0; count <= lines.length; count++) {
      const cut = oomTraces(lines.slice(0, count).join("\n"), file);
      expect(cut.length).toBeLessThanOrEqual(full.length);
      // Every trace but the last one found is whole.
      expect(cut.slice(0, -1)).toEqual(full.slice(0, Math.max(0, cut.length - 1)));
    }
  });

  it.each(crashes)("%s with Windows line ends", (file) => {
    expect(oomTraces(text(file).replaceAll("\n", "\r\n"), file)).toEqual(oomTraces(text(file), file));
  });

  it("a frame line cut mid-way still reads", () => {
    const file = "bazel-4.2.3/evidence/crash-no-profile-200m/console.log";
    const whole = text(file);
    const cut = whole.slice(0, whole.indexOf("StringModule.java") + 3);
    expect(oomTraces(cut, file)).toMatchObject([{ inStarlark: true, builtin: undefined }]);
  });

  it("an uncaught OOM names its thread", () => {
    const file = "bazel-4.2.3/evidence/crash-no-profile-200m/console.log";
    const edited = text(file).replace("java.lang.OutOfMemoryError: Java heap space", 'Exception in thread "skyframe-evaluator-3" java.lang.OutOfMemoryError: Java heap space');
    expect(oomTraces(edited, file)).toMatchObject([{ thread: "skyframe-evaluator-3", builtin: "join", inStarlark: true }]);
  });

  it("a builtin reached through method handles instead of reflection", () => {
    const file = "bazel-4.2.3/evidence/crash-no-profile-200m/console.log";
    const edited = text(file)
      .replace("jdk.internal.reflect.GeneratedMethodAccessor21.invoke(Unknown Source)", "java.base/java.lang.invoke.LambdaForm$DMH/0x0000000800c10000.invokeVirtual(LambdaForm$DMH)")
      .replace("net.starlark.java.eval.StringModule.join(StringModule.java:158)", "net.starlark.java.eval.StarlarkList.extend(StarlarkList.java:400)");
    expect(oomTraces(edited, file)).toMatchObject([{ builtin: "extend", inStarlark: true }]);
  });

  it("empty and unrelated text", () => {
    expect(oomTraces("", "empty")).toEqual([]);
    expect(oomTraces("java.lang.IllegalStateException: not an OOM\n\tat a.b.C.d(C.java:1)\n", "other")).toEqual([]);
    expect(oomTraces('  throwable_class: "java.lang.OutOfMemoryError"\nmessage: "Crashed: (java.lang.OutOfMemoryError) Java heap space"', "proto")).toEqual([]);
  });
});
