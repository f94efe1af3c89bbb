// Writes a finished output file in one step: into a temporary file beside it, then renamed over the
// target, so a failure never leaves a partial or clobbered output behind.
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { InputError } from "../core/exit-codes.js";

export async function writeOutputFile(path: string, content: string | Uint8Array): Promise<void> {
  const directory = dirname(path);
  const temporary = join(directory, `.${basename(path)}.${process.pid}.tmp`);
  try {
    await mkdir(directory, { recursive: true });
    await writeFile(temporary, content);
    await rename(temporary, path);
  } catch (error) {
    // (rm fails too when the folder is a file: ENOTDIR.)
    await rm(temporary, { force: true }).catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    const hint = WRITE_ERROR_HINTS[code];
    // The cause keeps the error code for callers that act on it (the sweep stops on a full disk).
    throw new InputError(`cannot write ${path} (${code}${hint === undefined ? "" : `: ${hint}`})`, { cause: error });
  }
}

/**
 * Refuses, before any work, an output path that cannot be a file: an existing folder, or a path through a
 * file. A command checks its --out first, so bad input leaves nothing behind (not even the run summaries the
 * readers would have cached on the way).
 */
export async function checkOutputPath(path: string): Promise<void> {
  const fail = (code: string): never => {
    throw new InputError(`cannot write ${path} (${code}: ${WRITE_ERROR_HINTS[code]})`);
  };
  if ((await stat(path).catch(() => undefined))?.isDirectory()) fail("EISDIR");
  for (let parent = dirname(path); parent !== dirname(parent); parent = dirname(parent)) {
    const info = await stat(parent).catch(() => undefined);
    if (info === undefined) continue;
    if (!info.isDirectory()) fail("ENOTDIR");
    break;
  }
}

/** What to do about the usual reasons a write fails. */
const WRITE_ERROR_HINTS: Readonly<Record<string, string>> = {
  EISDIR: "that is a folder; give a file name",
  ENOTDIR: "part of that path is a file; give a path through folders",
  // mkdir's answer when part of the path exists as a file.
  EEXIST: "part of that path is a file; give a path through folders",
  EACCES: "no permission; choose a place you can write",
  EPERM: "no permission; choose a place you can write",
  EROFS: "read-only file system; choose another place",
  ENOSPC: "the disk is full; free some space or write elsewhere",
  EDQUOT: "the disk quota is used up; free some space or write elsewhere",
};
