/**
 * The OutOfMemoryErrors a crashed server left in its texts (the client's console, the server's java.log and
 * jvm.out), with what their stacks say about Starlark.
 *
 * Seen in real crashes:
 * - Bazel 7 wraps an OOM in Starlark as `net.starlark.java.eval.Starlark$UncheckedEvalError: OutOfMemoryError
 *   thrown during Starlark evaluation (//pkg:target)` with `at <starlark>.fn(file:line)` frames and
 *   `Caused by: java.lang.OutOfMemoryError: Java heap space`;
 * - Bazel 4.2.3 prints Java frames only: Starlark shows as net.starlark.java.eval.* frames, and a builtin as
 *   the method that Starlark's MethodDescriptor.call reached through reflection (StringModule.join);
 * - the OOM may hit a thread that runs no Starlark at all, such as the profiler's writer thread
 *   (Profiler$JsonTraceFileWriter): that says nothing about any Starlark function;
 * - other threads' OOMs without a stack: java.log's `Found critical error in queue visitor` records (its
 *   thread number is the profile's tid), jvm.out's `Exception: java.lang.OutOfMemoryError thrown from the
 *   UncaughtExceptionHandler in thread "name"`, and the JVM's own line before it dumps the heap.
 * A thread dump (jvm.out, asked for when a server hangs) is no OOM and is not read as one.
 */

export interface StarlarkFrame {
  readonly function: string;
  readonly file: string;
  readonly line: number | undefined;
}

export interface OomTrace {
  /** Which text it came from, as the caller labelled it. */
  readonly source: string;
  /** The thread's name, when the text gives it. */
  readonly thread: string | undefined;
  /**
   * The failing thread's number, from a java.log record that only the failing thread logs: the JVM's thread
   * id, which is also the trace profile's tid. undefined when the text does not say.
   */
  readonly threadId: number | undefined;
  /** `at <starlark>.fn(file:line)` frames (Bazel 7), innermost first. */
  readonly starlarkFrames: readonly StarlarkFrame[];
  /** The target whose evaluation threw: "thrown during Starlark evaluation (//pkg:target)" (Bazel 7). */
  readonly target: string | undefined;
  /** The Java method of the Starlark builtin on the Java stack (net.starlark.java.eval.StringModule.join → "join"). */
  readonly builtin: string | undefined;
  /**
   * The failing thread was evaluating Starlark (net.starlark.java.eval frames, Starlark frames, or Bazel 7's
   * wrapper). false also when the trace has no stack at all: then nothing is known (see topJavaFrames).
   */
  readonly inStarlark: boolean;
  /** The first Java frames as printed ("java.base/java.util.Arrays.copyOf(Arrays.java:3537)"); empty: no stack. */
  readonly topJavaFrames: readonly string[];
}

/** How many Java frames a trace keeps for the report. */
export const TOP_JAVA_FRAMES = 8;

const STARLARK_EVAL_PACKAGE = "net.starlark.java.eval.";
/** Starlark's builtin dispatch; the frame it reaches through reflection is the builtin's Java method. */
const BUILTIN_DISPATCH_FRAME = /^net\.starlark\.java\.eval\.MethodDescriptor\.call\(/;
const REFLECTION_FRAME = /^(?:java\.base\/)?(?:jdk\.internal\.reflect\.|java\.lang\.reflect\.|java\.lang\.invoke\.|sun\.reflect\.)/;
/** A Java frame's method: "[module/]package.Class.method(Source.java:1)" → "method". */
const JAVA_FRAME_METHOD = /\.([\w$<>]+)\([^()]*\)$/;

/** A throwable's first line, optionally after `Exception in thread "name" `. */
const THROWABLE_LINE = /^(?:Exception in thread "([^"]*)" )?((?:[A-Za-z_$][\w$]*\.)+[A-Za-z_$][\w$]*)(?:: (.*))?$/;
const CAUSED_BY_LINE = /^Caused by: ((?:[A-Za-z_$][\w$]*\.)+[A-Za-z_$][\w$]*)(?:: (.*))?$/;
const FRAME_LINE = /^\s+at (.+?)\s*$/;
const MORE_FRAMES_LINE = /^\s+\.\.\. \d+ more\s*$/;
const STARLARK_FRAME = /^<starlark>\.(.+?)\((.*?)(?::(\d+))?\)$/;
/** JVM: an OOM thrown while the thread's uncaught-exception handler ran; no stack follows. */
const HANDLER_OOM_LINE = /^Exception: java\.lang\.OutOfMemoryError thrown from the UncaughtExceptionHandler in thread "([^"]*)"/;
/** java.log's record header: "261130 04:29:37.656:WT 56 [class.method] message". */
const JAVA_LOG_RECORD = /^\d{6} \d{2}:\d{2}:\d{2}\.\d{3}:[A-Z]+ (\d+) \[([^\]]*)\]/;
/**
 * The java.log records logged by the failing thread itself: a Skyframe worker's "Found critical error in
 * queue visitor" (Bazel 4.2.3 and 7.7.1). Others are not: the command's thread logs copies of other threads'
 * crashes ("Shutting down due to exception"), and BugReport.handleCrash runs on the failing thread in one
 * crash and on the command's thread in another.
 */
const LOGGED_BY_FAILING_THREAD = /^com\.google\.devtools\.build\.lib\.concurrent\.AbstractQueueVisitor\./;
const STARLARK_EVALUATION_TARGET = /thrown during Starlark evaluation \(([^)]*)\)/;

/** Every OutOfMemoryError in `text`, in the order they appear. */
export function oomTraces(text: string, source: string): OomTrace[] {
  const lines = text.split(/\r?\n/);
  const traces: OomTrace[] = [];
  let recordThreadId: number | undefined;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    const record = JAVA_LOG_RECORD.exec(line);
    if (record !== null) {
      recordThreadId = LOGGED_BY_FAILING_THREAD.test(record[2]!) ? Number(record[1]) : undefined;
      continue;
    }
    const handler = HANDLER_OOM_LINE.exec(line);
    if (handler !== null) {
      traces.push(trace(source, { thread: handler[1], threadId: undefined, messages: [], frames: [] }));
      continue;
    }
    const throwable = THROWABLE_LINE.exec(line);
    if (throwable === null) continue;
    const messages = [`${throwable[2]}: ${throwable[3] ?? ""}`];
    const frames: string[] = [];
    let next = index + 1;
    for (; next < lines.length; next++) {
      const frame = FRAME_LINE.exec(lines[next]!);
      if (frame !== null) {
        frames.push(frame[1]!);
        continue;
      }
      const cause = CAUSED_BY_LINE.exec(lines[next]!);
      if (cause !== null) {
        messages.push(`${cause[1]}: ${cause[2] ?? ""}`);
        continue;
      }
      if (!MORE_FRAMES_LINE.test(lines[next]!)) break;
    }
    index = next - 1;
    // A record's text belongs to the thread of its header; only the record's first throwable follows it.
    const threadId = recordThreadId;
    recordThreadId = undefined;
    if (messages.some((message) => message.includes("OutOfMemoryError"))) {
      traces.push(trace(source, { thread: throwable[1], threadId, messages, frames }));
    }
  }
  return traces;
}

interface RawTrace {
  readonly thread: string | undefined;
  readonly threadId: number | undefined;
  /** "class: message" of the throwable and each cause. */
  readonly messages: readonly string[];
  /** Frame lines without "at ", in printed order (a cause's frames after its effect's). */
  readonly frames: readonly string[];
}

function trace(source: string, raw: RawTrace): OomTrace {
  const starlarkFrames: StarlarkFrame[] = [];
  const javaFrames: string[] = [];
  for (const frame of raw.frames) {
    const starlark = STARLARK_FRAME.exec(frame);
    if (starlark === null) javaFrames.push(frame);
    else starlarkFrames.push({ function: starlark[1]!, file: starlark[2]!, line: starlark[3] === undefined ? undefined : Number(starlark[3]) });
  }
  const target = raw.messages.map((message) => STARLARK_EVALUATION_TARGET.exec(message)?.[1]).find((found) => found !== undefined);
  const inStarlark =
    starlarkFrames.length > 0 ||
    target !== undefined ||
    raw.messages.some((message) => message.startsWith(STARLARK_EVAL_PACKAGE)) ||
    javaFrames.some((frame) => frame.startsWith(STARLARK_EVAL_PACKAGE));
  return {
    source,
    thread: raw.thread,
    threadId: raw.threadId,
    starlarkFrames,
    target,
    builtin: builtinMethod(javaFrames),
    inStarlark,
    topJavaFrames: javaFrames.slice(0, TOP_JAVA_FRAMES),
  };
}

/** The innermost builtin on a Java stack: the frame Starlark's dispatch reached through reflection. */
function builtinMethod(javaFrames: readonly string[]): string | undefined {
  const dispatch = javaFrames.findIndex((frame) => BUILTIN_DISPATCH_FRAME.test(frame));
  for (let index = dispatch - 1; index >= 0; index--) {
    if (REFLECTION_FRAME.test(javaFrames[index]!)) continue;
    return JAVA_FRAME_METHOD.exec(javaFrames[index]!)?.[1];
  }
  return undefined;
}
