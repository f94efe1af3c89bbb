// The commit a workspace is checked out at, for a snapshot's record: `git rev-parse HEAD` and whether the checkout
// has changes (`git status --porcelain`: changed tracked files, or files neither tracked nor ignored).
import { spawn } from "node:child_process";
import type { SnapshotCommit } from "../core/heap/snapshot-document.js";

/** The commit of the git checkout `folder` is in; null when it is in none (or git is not installed). */
export async function gitCommit(folder: string): Promise<SnapshotCommit | null> {
  const head = await git(folder, ["rev-parse", "--verify", "HEAD"]);
  const sha = head?.trim();
  if (sha === undefined || !/^[0-9a-f]{40,64}$/.test(sha)) return null;
  const status = await git(folder, ["status", "--porcelain"]);
  return { sha, dirty: status === undefined || status.trim() !== "" };
}

/** git's stdout, or undefined when it fails or cannot run. */
function git(folder: string, args: readonly string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    // Prompts and pagers would hang a non-interactive run; an index lock is not ours to wait for.
    const child = spawn("git", ["-C", folder, ...args], {
      stdio: ["ignore", "pipe", "ignore"],
      env: { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_OPTIONAL_LOCKS: "0", GIT_PAGER: "cat" },
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.on("error", () => resolve(undefined));
    child.on("close", (code) => resolve(code === 0 ? output : undefined));
  });
}
