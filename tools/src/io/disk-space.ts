// A full disk under the sweep folder: the sweep stops at once instead of recording runs that failed only
// because nothing could be written (the output base, where Bazel writes, is inside the folder too).
import { statfs } from "node:fs/promises";

/** The disk (or the user's quota) under the sweep folder is full. */
export class DiskFullError extends Error {
  override readonly name = "DiskFullError";
  constructor(
    readonly out: string,
    options?: ErrorOptions,
  ) {
    super(`the disk of ${out} is full`, options);
  }
}

/**
 * Below this much free space a run is not started: its console, logs, run.json and the server's output
 * base need a few MiB even for a tiny build (a profile needs far more, but a run that then fills the
 * disk shows it in its logs: NO_SPACE_PATTERN).
 */
export const MIN_FREE_BYTES = 8 * 1024 * 1024;

/** How a JVM, a shell or Bazel reports a write that found the disk or quota full. */
export const NO_SPACE_PATTERN = /No space left on device|Disk quota exceeded/;

const NO_SPACE_CODES = new Set(["ENOSPC", "EDQUOT"]);

/** Whether `error` (or an error it wraps) is a write that found no space. */
export function isNoSpaceError(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current instanceof DiskFullError) return true;
    if (NO_SPACE_CODES.has((current as NodeJS.ErrnoException).code ?? "")) return true;
  }
  return false;
}

/** Bytes free for this user on the disk of `path`; undefined when that cannot be asked. */
export async function freeBytes(path: string): Promise<number | undefined> {
  const info = await statfs(path).catch(() => undefined);
  return info === undefined ? undefined : info.bavail * info.bsize;
}

/** Throws DiskFullError when the disk of `out` has less than MIN_FREE_BYTES free. */
export async function checkFreeSpace(out: string): Promise<void> {
  const free = await freeBytes(out);
  if (free !== undefined && free < MIN_FREE_BYTES) throw new DiskFullError(out);
}
