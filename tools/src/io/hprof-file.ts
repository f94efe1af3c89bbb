// A heap dump on disk as the core's ByteSource: synchronous reads (the parser asks for 2 MB windows in order, the
// digest for small records here and there, through a few cached blocks), the windows in order read ahead by a
// worker thread when they come from the disk, not from the page cache (read-ahead.ts). A gzipped dump (.hprof.gz, or any file starting with gzip's magic) is first
// inflated into a temporary file beside the system's temp folder: the parser needs random access, and inflating
// twice would cost more than the disk.
import { closeSync, createReadStream, fstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeSync } from "node:fs";
import { freemem, tmpdir } from "node:os";
import { join } from "node:path";
import { createGunzip } from "node:zlib";
import { InputError } from "../core/exit-codes.js";
import type { ByteSource } from "../core/heap/hprof.js";
import { BlockCache, readAtFile } from "./block-cache.js";
import { isNoSpaceError } from "./disk-space.js";
import { readAhead } from "./read-ahead.js";

const GZIP_MAGIC = [0x1f, 0x8b] as const;

export interface OpenedDump {
  readonly source: ByteSource;
  /** Closes the file, stops its read-ahead and removes a temporary inflated copy. */
  close(): void;
  /** Memory the reading holds beside the digest's pass (the read-ahead's), for the digest's memory check. */
  readonly heldBytes: number;
  /** The pass is over: the read-ahead's thread and ring go, later reads (single objects) are direct. */
  passEnded(): void;
}

/** Opens `path` for reading as a heap dump; InputError (one line) when it cannot be read. */
export async function openHeapDump(path: string): Promise<OpenedDump> {
  const fd = openOrFail(path);
  const head = Buffer.alloc(2);
  const headBytes = readSync(fd, head, 0, 2, 0);
  if (headBytes !== 2 || head[0] !== GZIP_MAGIC[0] || head[1] !== GZIP_MAGIC[1]) return openedDump(path, fd, () => undefined);
  closeSync(fd);
  const folder = mkdtempSync(join(tmpdir(), "memory-adventure-hprof-"));
  const removeFolder = (): void => rmSync(folder, { recursive: true, force: true });
  const inflated = join(folder, "dump.hprof");
  try {
    await inflate(path, inflated);
  } catch (error) {
    removeFolder();
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    // No room: a full disk or quota, or a file size limit (ulimit -f).
    if (isNoSpaceError(error) || code === "EFBIG") {
      throw new InputError(
        `${path}: no room in ${tmpdir()} for the inflated heap dump (${code}: the disk, a quota or a file size limit); set TMPDIR to a folder with room for it, or gunzip it there and give the .hprof`,
      );
    }
    throw new InputError(`${path}: cannot inflate the gzipped heap dump (${code ?? String(error)})`);
  }
  return openedDump(inflated, openOrFail(inflated), removeFolder);
}

/**
 * Inflates `from` into `to`, every byte zlib delivers written as it comes: a gzip stream cut short (a dump
 * copied while it was written) inflates to what it had, which the parser reads as a truncated dump.
 */
function inflate(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = openSync(to, "w");
    const gunzip = createGunzip();
    const input = createReadStream(from);
    let finished = false;
    const finish = (error?: unknown): void => {
      if (finished) return;
      finished = true;
      closeSync(out);
      if (error === undefined) resolve();
      else reject(error);
    };
    gunzip.on("data", (chunk: Buffer) => {
      try {
        for (let done = 0; done < chunk.length; ) done += writeSync(out, chunk, done);
      } catch (error) {
        // A write that failed (no room, say) ends the inflation: thrown here it would end the process.
        input.destroy();
        gunzip.destroy();
        finish(error);
      }
    });
    gunzip.on("end", () => finish());
    gunzip.on("error", (error: NodeJS.ErrnoException) => {
      input.destroy();
      // zlib reports a cut stream only after delivering all it could inflate.
      if (error.code === "Z_BUF_ERROR") finish();
      else finish(new InputError(`${from}: corrupt gzip data (${error.message}); give the .hprof or an intact .hprof.gz`));
    });
    input.on("error", (error) => finish(error));
    input.pipe(gunzip);
  });
}

function openOrFail(path: string): number {
  try {
    const fd = openSync(path, "r");
    if (fstatSync(fd).isDirectory()) {
      closeSync(fd);
      throw Object.assign(new Error("is a folder"), { code: "EISDIR" });
    }
    return fd;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new InputError(`${path}: no such file`);
    throw new InputError(`${path}: cannot read it (${code ?? String(error)})`);
  }
}

/** The file at `path`, open as `fd`, read ahead; `cleanup` runs once it is closed. */
function openedDump(path: string, fd: number, cleanup: () => void): OpenedDump {
  const ahead = readAhead(fileSource(fd), path);
  return {
    source: ahead.source,
    heldBytes: ahead.heldBytes,
    passEnded: () => ahead.close(),
    close() {
      ahead.close();
      closeSync(fd);
      cleanup();
    },
  };
}

/**
 * Reads of `fd`: what the read-ahead falls back to for any read that is not the pass's next window (the objects the
 * digest reads one by one after the pass, through a few cached blocks: block-cache.ts).
 */
export function fileSource(fd: number): ByteSource {
  const size = fstatSync(fd).size;
  const cache = new BlockCache(readAtFile(fd));
  return {
    size,
    read: (offset: number, length: number): Uint8Array => cache.read(offset, Math.max(0, Math.min(length, size - offset))),
  };
}

/**
 * Memory the digest may take when the user sets no limit: what new allocations can have without swapping
 * (MemAvailable: free memory and the page cache it can drop), within the process's control group limit when it
 * has one (a container's, a CI job's): there, MemAvailable speaks for the whole host, and a digest it let through
 * would be killed by the limit without a word. Node's process.availableMemory (20.13 and later) answers both;
 * older Nodes read MemAvailable.
 */
export function availableMemoryBytes(): number {
  const nodeAnswer = (process as { availableMemory?: () => number }).availableMemory;
  if (typeof nodeAnswer === "function") return nodeAnswer.call(process);
  try {
    const match = /^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync("/proc/meminfo", "utf8"));
    if (match !== null) return Number(match[1]) * 1024;
  } catch {
    // Not Linux: fall through.
  }
  return freemem();
}
