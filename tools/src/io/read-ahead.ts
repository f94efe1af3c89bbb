// A read-ahead for the digest's one sequential pass over a dump file (issue 18: the second core where it pays). A
// worker thread reads the file's chunks in order, ahead of the pass, into a small ring of shared memory; the pass's
// next window is then a view of the ring instead of a read, and when the dump is not in the page cache the disk
// works while the pass parses (measured on real dumps not in the page cache, second core idle: 0.86× the digest's
// time at 5 GB, 0.88–0.96× at 1.4 GB; in the page cache the same time, with the copy's CPU on the other core; the
// thread's start costs 50–100 ms of CPU, so it starts only once the pass is well into a big file, and only when the
// pass's own reads of the last stretch of it came slower than the page cache gives them: 2–9 GB/s here, where this
// machine's disk gives 0.2–0.8 GB/s. A thread that ran leaves memory behind, which the C library keeps for the
// process: 11 MB more at the digest's peak on the 1.43 GB string-heavy dump, 0.344× of it, 0.335× without). The
// core stays synchronous: the ByteSource here serves a read from the ring when it continues the sequence (waiting
// with Atomics.wait when the worker is behind) and hands every other read (the digest's later reads of single
// objects, a look back at the names) to the direct source, unchanged.
//
// The ring: `slots` chunks of `chunkBytes` (the pass's window), chunk k in slot k % slots, plus one more chunk after
// the last slot holding a copy of slot 0, so that a window starting anywhere in a chunk and running into the next
// is one contiguous view even where the ring wraps. The reader says which chunk it still needs (`wanted`, only
// ever growing); the worker writes chunk k only while k < wanted + slots, so no view the reader holds is
// overwritten before its next read (ByteSource's contract), and skips chunks below `wanted` (the pass jumped over
// a large primitive array).
import { Worker } from "node:worker_threads";
import { WINDOW_BYTES } from "../core/heap/hprof-cursor.js";
import type { ByteSource } from "../core/heap/hprof.js";

/** Chunks read ahead: enough to keep reading while the pass parses a window, little memory (8 MB + the copy). */
const DEFAULT_SLOTS = 4;
/**
 * Where in the file the pass must be before the worker starts: a smaller dump is read directly, its digest would
 * only lose the thread's start (measured on a 40 MB dump: +80 ms of 0.9 s).
 */
const DEFAULT_START_AFTER_BYTES = 64 * 1024 * 1024;
/**
 * How long the reader waits for a chunk while the worker gives no sign at all before reading for itself: a thread
 * that died without a word (its isolate could not start) must not hang the digest; a disk this slow would hang
 * the direct read as well.
 */
const STALL_MS = 10_000;
/**
 * Sequential reads at least this fast come from the page cache: no thread to read ahead (a fast NVMe disk may read
 * as fast; the pass then loses at most the overlap, a few percent at its own 450 MB/s).
 */
const CACHED_BYTES_PER_SECOND = 1e9;
/** What a worker thread adds to the process, idle (10.4 MiB measured on Node 20), with room. */
const WORKER_BYTES = 12 * 2 ** 20;

// The worker's states.
const STARTING = 0;
const RUNNING = 1;
const ENDED = 2;

/** Where each shared word is in the control array. */
const WORD = {
  /** The lowest chunk the reader may still ask for (set by the reader). */
  wanted: 0,
  /** Bumped by the reader on every change of `wanted` or `stop`: the worker waits on it. */
  toWorker: 1,
  /** 1 once the reader is closed. */
  stop: 2,
  /** The worker's next chunk: every chunk from `wanted` below it is in the ring (set by the worker). */
  produced: 3,
  /** Bumped by the worker on every chunk and change of state: the reader waits on it. */
  toReader: 4,
  state: 5,
} as const;
const WORDS = 6;

/** What the worker is given. */
interface ReadAheadJob {
  readonly path: string;
  readonly size: number;
  readonly chunkBytes: number;
  readonly slots: number;
  readonly ring: SharedArrayBuffer;
  readonly control: SharedArrayBuffer;
  readonly word: typeof WORD;
  readonly running: number;
  readonly ended: number;
}

/**
 * The worker's whole program. The CLI is one bundled file, so there is no worker file to point `new Worker` at:
 * the worker runs this function's source text (`eval: true`). Written as a function rather than a string so that
 * tsc checks it; it must therefore use nothing from outside itself (a bundler renames or wraps outer names, and
 * turns `require` into a shim): its modules and constants come in as arguments and in workerData.
 */
function readAheadWorker(threads: typeof import("node:worker_threads"), fs: typeof import("node:fs")): void {
  const job = threads.workerData as ReadAheadJob;
  const { size, chunkBytes, slots, word } = job;
  const control = new Int32Array(job.control);
  const ring = new Uint8Array(job.ring);
  const chunks = Math.ceil(size / chunkBytes);
  const tellReader = (): void => {
    Atomics.add(control, word.toReader, 1);
    Atomics.notify(control, word.toReader);
  };
  let fd = -1;
  try {
    // Its own descriptor, opened here: Node closes what a worker opened when the worker ends, however it ends.
    fd = fs.openSync(job.path, "r");
    Atomics.store(control, word.state, job.running);
    tellReader();
    threads.parentPort?.postMessage("running");
    for (let next = 0; ; ) {
      const seen = Atomics.load(control, word.toWorker);
      if (Atomics.load(control, word.stop) !== 0) break;
      const wanted = Atomics.load(control, word.wanted);
      next = Math.max(next, wanted);
      if (next >= chunks) break;
      if (next >= wanted + slots) {
        Atomics.wait(control, word.toWorker, seen);
        continue;
      }
      const slot = next % slots;
      const start = next * chunkBytes;
      const length = Math.min(chunkBytes, size - start);
      let done = 0;
      while (done < length) {
        const bytes = fs.readSync(fd, ring, slot * chunkBytes + done, length - done, start + done);
        if (bytes === 0) break;
        done += bytes;
      }
      // The file is shorter than when it was opened: the reader's own read gives what it has.
      if (done < length) break;
      if (slot === 0) ring.copyWithin(slots * chunkBytes, 0, length);
      next++;
      Atomics.store(control, word.produced, next);
      tellReader();
    }
  } catch {
    // A read error: the reader reads that chunk itself and meets the error there, as it would without a worker.
  } finally {
    if (fd >= 0) fs.closeSync(fd);
    Atomics.store(control, word.state, job.ended);
    tellReader();
  }
}

const WORKER_SOURCE = `(${readAheadWorker.toString()})(require("node:worker_threads"), require("node:fs"));`;

/**
 * The reads in sequence before the worker starts, timed stretch by stretch: `cameFromDisk` once a stretch of
 * `stretchBytes` has been read, slower than the page cache gives it (the stretch then starts over).
 */
function timedStretches(
  direct: ByteSource,
  stretchBytes: number,
  cachedBytesPerSecond: number,
  now: () => number = () => performance.now(),
): { read(offset: number, length: number): Uint8Array; cameFromDisk(): boolean } {
  let bytesRead = 0;
  let readMs = 0;
  return {
    read(offset, length) {
      const before = now();
      const bytes = direct.read(offset, length);
      readMs += now() - before;
      bytesRead += bytes.length;
      return bytes;
    },
    cameFromDisk() {
      if (bytesRead < stretchBytes) return false;
      const fromDisk = bytesRead * 1000 < cachedBytesPerSecond * readMs;
      bytesRead = 0;
      readMs = 0;
      return fromDisk;
    },
  };
}

/** A ByteSource reading ahead on a worker thread. */
export interface ReadAhead {
  readonly source: ByteSource;
  /** Reads served from the ring so far (the others went to the direct source). */
  readonly ringReads: number;
  /**
   * True once the worker reads (or has read and ended); false when it could not start or open the file, or when
   * it never had to start (closed before the pass had read `startAfterBytes`, or with every stretch read from the
   * page cache).
   */
  readonly started: Promise<boolean>;
  /** Settles when the worker's thread has ended and its descriptor is closed (at once if it never started). */
  readonly ended: Promise<void>;
  /** Stops the worker (it ends on its own at once, or after the chunk it is reading); reads go direct from here. */
  close(): void;
  /** The most memory it holds for this file: its ring and its thread, if the file is large enough to start it. */
  readonly heldBytes: number;
}

export interface ReadAheadOptions {
  /** Bytes per chunk: the largest read served from the ring. The pass's window by default. */
  readonly chunkBytes?: number;
  readonly slots?: number;
  /**
   * The worker starts after the reads in sequence have read a stretch this long, at once when they read it slower
   * than `cachedBytesPerSecond`, else after the next stretch read slower (0: at once, whatever the speed).
   */
  readonly startAfterBytes?: number;
  /** Default: CACHED_BYTES_PER_SECOND. */
  readonly cachedBytesPerSecond?: number;
  /** Milliseconds on a monotonic clock, to time the reads (default: performance.now). */
  readonly now?: () => number;
}

/**
 * Reads `direct`'s bytes ahead from `path`, the same file, which the worker opens for itself. Reads that do not
 * continue the sequence, and every read once the worker has failed or stalled, go to `direct`, so a read error is
 * the direct read's own.
 */
export function readAhead(direct: ByteSource, path: string, options: ReadAheadOptions = {}): ReadAhead {
  const chunkBytes = options.chunkBytes ?? WINDOW_BYTES;
  const slots = Math.max(2, options.slots ?? DEFAULT_SLOTS);
  const startAfterBytes = options.startAfterBytes ?? DEFAULT_START_AFTER_BYTES;
  const size = direct.size;
  const controlBuffer = new SharedArrayBuffer(WORDS * Int32Array.BYTES_PER_ELEMENT);
  const control = new Int32Array(controlBuffer);
  let ring: SharedArrayBuffer | undefined;
  let startedWith: (running: boolean) => void = () => undefined;
  const started = new Promise<boolean>((resolve) => (startedWith = resolve));
  let endedWith: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (endedWith = resolve));
  /** The worker is gone, or will never come. */
  const finished = (): void => {
    Atomics.store(control, WORD.state, ENDED);
    startedWith(false);
    endedWith();
  };
  /** Starts the worker from the chunk the reader wants now. */
  const startWorker = (): void => {
    ring = new SharedArrayBuffer((slots + 1) * chunkBytes);
    const job: ReadAheadJob = { path, size, chunkBytes, slots, ring, control: controlBuffer, word: WORD, running: RUNNING, ended: ENDED };
    let worker: Worker;
    try {
      worker = new Worker(WORKER_SOURCE, { eval: true, workerData: job });
    } catch {
      finished();
      return;
    }
    // The worker never keeps the process alive: a digest that forgot to close, or one ended by an error, exits.
    worker.unref();
    worker.once("message", () => startedWith(true));
    // Node hands over a worker's messages before its exit: a worker that ran has said so already.
    worker.once("exit", finished);
    // The worker catches its own errors; one it cannot (out of memory at start) ends it, and reads go direct.
    worker.on("error", () => undefined);
  };
  if (startAfterBytes <= 0) startWorker();

  let live = true;
  let lowest = 0;
  let ringReads = 0;
  const tellWorker = (): void => {
    Atomics.add(control, WORD.toWorker, 1);
    Atomics.notify(control, WORD.toWorker);
  };
  const stop = (): void => {
    if (!live) return;
    live = false;
    Atomics.store(control, WORD.stop, 1);
    tellWorker();
    if (ring === undefined) finished();
    // Reads go direct from here: the ring's memory goes once the views already handed out are gone.
    ring = undefined;
  };
  /** Whether chunk `last` (and the ones from `lowest` up to it) is in the ring, waiting while the worker reads it. */
  const arrived = (last: number): boolean => {
    for (;;) {
      const signal = Atomics.load(control, WORD.toReader);
      if (Atomics.load(control, WORD.produced) > last) return true;
      const state = Atomics.load(control, WORD.state);
      // Not running yet (a thread takes 40–200 ms to start on a busy machine): read now rather than wait for it;
      // it starts from the chunk the reader is at.
      if (state === STARTING) return false;
      if (state === ENDED || Atomics.wait(control, WORD.toReader, signal, STALL_MS) === "timed-out") {
        stop();
        return false;
      }
    }
  };
  const beforeTheWorker = timedStretches(direct, startAfterBytes, options.cachedBytesPerSecond ?? CACHED_BYTES_PER_SECOND, options.now);
  const source: ByteSource = {
    size,
    read(offset: number, length: number): Uint8Array {
      const bytes = Math.min(length, size - offset);
      if (!live || bytes <= 0 || bytes > chunkBytes) return direct.read(offset, length);
      const first = Math.floor(offset / chunkBytes);
      if (first < lowest) return direct.read(offset, length);
      if (first > lowest) {
        lowest = first;
        Atomics.store(control, WORD.wanted, first);
        tellWorker();
      }
      if (ring === undefined) {
        if (!beforeTheWorker.cameFromDisk()) return beforeTheWorker.read(offset, length);
        startWorker();
      }
      if (ring === undefined || !arrived(Math.floor((offset + bytes - 1) / chunkBytes))) return direct.read(offset, length);
      ringReads++;
      return new Uint8Array(ring, (first % slots) * chunkBytes + (offset - first * chunkBytes), bytes);
    },
  };
  return {
    source,
    get ringReads() {
      return ringReads;
    },
    started,
    ended,
    close: stop,
    heldBytes: size > startAfterBytes ? (slots + 1) * chunkBytes + WORKER_BYTES : 0,
  };
}
