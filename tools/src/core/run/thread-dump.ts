/**
 * How far the JVM got with the thread dump it writes into the server's jvm.out on SIGQUIT. HotSpot writes
 * (JDK 17, as in fixtures/bazel-4.2.3/run-status/oom-hang-silent/jvm.out):
 *
 *   2026-11-21 18:21:22
 *   Full thread dump OpenJDK 64-Bit Server VM (17.0.15+6-Debian-1deb12u1 mixed mode, sharing):
 *   ... one block a thread ...
 *   JNI global refs: 20, weak refs: 0            <- the end of the thread dump proper
 *   (Found one Java-level deadlock: ...)         <- only when there is one
 *   Heap                                          <- the heap summary, printed right after
 *    garbage-first heap   total 131072K, used 129047K [...]
 *    Metaspace       used 41128K, committed 41536K, reserved 1114112K
 *     class space    used 4682K, committed 4864K, reserved 1048576K
 *
 * The "JNI global refs" line ends every HotSpot thread dump (JDK 8 to 25); the heap summary follows only
 * after another safepoint, which a JVM busy in GC may reach late, and only with PrintHeapAtSIGBREAK (the
 * default). Pure: the caller reads what the server wrote after its SIGQUIT.
 */

export interface ThreadDumpProgress {
  /** A "Full thread dump" line and, after it, the "JNI global refs" line: every thread is in. */
  readonly threads: boolean;
  /** The heap summary after the threads is in too (its Metaspace line, whole). */
  readonly heapSummary: boolean;
}

const DUMP_START = /^Full thread dump /m;
const DUMP_END = /^JNI global refs: .*\n/m;
const HEAP_SUMMARY_END = /^Heap\n(?:.*\n)*? Metaspace +used .*\n/m;

/** What `text` (jvm.out from where it ended before the SIGQUIT) holds of the last thread dump in it. */
export function threadDumpProgress(text: string): ThreadDumpProgress {
  const starts = [...text.matchAll(new RegExp(DUMP_START.source, "gm"))];
  const start = starts.at(-1)?.index;
  if (start === undefined) return { threads: false, heapSummary: false };
  const afterStart = text.slice(start);
  const end = DUMP_END.exec(afterStart);
  if (end === null) return { threads: false, heapSummary: false };
  return { threads: true, heapSummary: HEAP_SUMMARY_END.test(afterStart.slice(end.index)) };
}
