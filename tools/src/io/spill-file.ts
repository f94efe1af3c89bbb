// The heap digest's SpillStore (core/heap/spill.ts) as a file of its own: in the folder the user names
// (--state-dir), else beside the dump (on the dump's disk, where a /tmp may be memory), else in the system's temp
// folder when the dump's folder takes no new files.
// Unlinked as soon as it is opened, so that nothing is left behind, even by a process killed mid-digest.
import { closeSync, openSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { InputError } from "../core/exit-codes.js";
import type { SpillStore } from "../core/heap/spill.js";
import { stateDirProblem, stateFileProblem, stateRoomProblem } from "../render/heap.js";
import { BlockCache, readAtFile } from "./block-cache.js";
import { isNoSpaceError } from "./disk-space.js";

/** What the dump's folder answers when it takes no new files: read-only, not ours, gone. */
const NOT_WRITABLE = new Set(["EACCES", "EPERM", "EROFS", "ENOENT", "ENOTDIR"]);

/** Files opened by this process so far: each name is new even within one millisecond. */
let opened = 0;

export class SpillFile implements SpillStore {
  private size = 0;
  /** What the digest said it would write in all, at most (expect()). */
  private expectedSize = 0;
  /** The ids the digest looks up after the pass are read here a few bytes at a time (block-cache.ts). */
  private readonly cache: BlockCache;

  private constructor(
    private readonly fd: number,
    /** The folder it is in, for what a full disk says. */
    readonly folder: string,
  ) {
    this.cache = new BlockCache(readAtFile(fd));
  }

  /**
   * A new, already unlinked file in `stateDir` when the user names one (--state-dir), else beside `dumpPath`,
   * else in the system's temp folder when the dump's folder takes no files. InputError (one line) when none can.
   */
  static open(dumpPath: string, stateDir?: string): SpillFile {
    const name = `.memory-adventure-digest-${process.pid}-${Date.now().toString(36)}-${opened++}`;
    const folders = stateDir !== undefined ? [stateDir] : [dirname(dumpPath), tmpdir()];
    for (const [index, folder] of folders.entries()) {
      const path = join(folder, name);
      let fd: number;
      try {
        fd = openSync(path, "wx+", 0o600);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? String(error);
        if (NOT_WRITABLE.has(code) && index < folders.length - 1) continue;
        if (stateDir !== undefined && (code === "ENOENT" || code === "ENOTDIR")) throw new InputError(stateDirProblem(stateDir));
        throw new InputError(stateFileProblem(folder, code));
      }
      unlinkSync(path);
      return new SpillFile(fd, folder);
    }
    throw new Error("unreachable: the last folder either opens or throws");
  }

  write(bytes: Uint8Array): number {
    const offset = this.size;
    try {
      for (let done = 0; done < bytes.length; ) done += writeSync(this.fd, bytes, done, bytes.length - done, offset + done);
    } catch (error) {
      // No room: a full disk or quota, or a file size limit (ulimit -f).
      if (!isNoSpaceError(error) && (error as NodeJS.ErrnoException).code !== "EFBIG") throw error;
      const needed = { bytes: Math.max(this.expectedSize, offset + bytes.length), atMost: this.expectedSize >= offset + bytes.length, written: offset };
      throw new InputError(stateRoomProblem(this.folder, needed, (error as NodeJS.ErrnoException).code ?? "no space"));
    }
    this.size += bytes.length;
    this.cache.forgetFrom(offset);
    return offset;
  }

  expect(moreBytes: number): void {
    this.expectedSize = this.size + moreBytes;
  }

  read(offset: number, into: Uint8Array): void {
    const got = this.cache.readInto(offset, into);
    if (got < into.length) throw new RangeError(`the digest's state file ends at ${offset + got}, before the ${into.length} bytes asked at ${offset}`);
  }

  close(): void {
    closeSync(this.fd);
  }
}
