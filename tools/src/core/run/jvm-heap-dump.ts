/**
 * What the server's jvm.out says about the heap dump -XX:+HeapDumpOnOutOfMemoryError writes (JDK 17 and
 * 25, as in fixtures/bazel-7.7.1/jvm-heap-dump/): the JVM prints
 *
 *   Dumping heap to /…/heap.hprof ...
 *
 * when it starts, and one of these when it is done:
 *
 *   Heap dump file created [257138874 bytes in 0.860 secs]
 *   Dump file is incomplete: <why>
 *   Unable to create /…/heap.hprof: <why>
 *
 * A server killed between the two leaves an empty or cut-short dump, so whoever stops a hung server asks
 * this first.
 */
const STARTED = /^Dumping heap to .* \.\.\.$/;
const ENDED = /^(Heap dump file created \[|Dump file is incomplete: |Unable to create )/;

/** Whether the last heap dump jvm.out announces is still being written. */
export function heapDumpWriting(jvmOut: string): boolean {
  let writing = false;
  for (const line of jvmOut.split("\n")) {
    const text = line.trimEnd();
    if (STARTED.test(text)) writing = true;
    else if (ENDED.test(text)) writing = false;
  }
  return writing;
}
