// Finds out which Bazel a binary is, as cheaply as possible, once per binary per process.
//
// 1. `bazel --version` (no server): "bazel 7.7.1". Debian's 4.2.3 prints "bazel no_version", and
//    `bazel version` and `bazel info release` ("development version") do not help either.
// 2. Otherwise a flag probe, in a server of its own (the sweep's dedicated output base, shut down after):
//    `bazel canonicalize-flags --for_command=build -- <flag>` exits 0 for a flag the version has and 2 for
//    one it lacks; the markers of core/run/bazel-flags.ts give the lowest major version, which is all the flag
//    table needs. It must run inside a workspace (outside, 4.2.3 crashes in batch mode). ~2-3 s here.
// 3. For run.json's label, the version of the distribution package that installed the binary
//    (dpkg: "4.2.3+ds-9"), used only when its major version agrees with the probe.
import { spawn } from "node:child_process";
import { access, constants, realpath } from "node:fs/promises";
import { delimiter, isAbsolute, join } from "node:path";
import {
  parsePackageVersion,
  parseVersionOutput,
  VERSION_MARKERS,
  versionFromProbe,
  type BazelVersion,
} from "../core/run/bazel-flags.js";

export interface ProbeContext {
  /** A workspace to run the probe in. */
  readonly workspace: string;
  /** Startup flags that give the probe its own server (e.g. the sweep's --output_base, --max_idle_secs). */
  readonly startupFlags: readonly string[];
}

const cache = new Map<string, Promise<BazelVersion>>();

/** The version of `bazel` (a path or a name on PATH), cached per binary for the life of the process. */
export function detectBazelVersion(bazel: string, probe: ProbeContext): Promise<BazelVersion> {
  const key = `${bazel}\u0000${probe.workspace}`;
  let pending = cache.get(key);
  if (pending === undefined) {
    pending = detect(bazel, probe);
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
  }
  return pending;
}

async function detect(bazel: string, probe: ProbeContext): Promise<BazelVersion> {
  const printed = await capture(bazel, ["--version"], probe.workspace);
  const fromVersion = printed.exitCode === 0 ? parseVersionOutput(printed.output) : undefined;
  if (fromVersion !== undefined) return fromVersion;
  try {
    // Something that accepts every flag (a stub such as /bin/true) or none is not Bazel, whatever it printed.
    if (!(await acceptsFlags(bazel, probe, [EVERY_BAZEL_FLAG])) || (await acceptsFlags(bazel, probe, [NO_BAZEL_FLAG]))) {
      throw new NotBazelError(bazel, printed.output);
    }
    let accepted: string | undefined;
    for (const marker of VERSION_MARKERS) {
      if (await acceptsFlags(bazel, probe, [marker.flag])) {
        accepted = marker.flag;
        break;
      }
    }
    const probed = versionFromProbe(accepted);
    const packaged = await packageVersion(bazel);
    return packaged !== undefined && packaged.major === probed.major ? packaged : probed;
  } finally {
    await capture(bazel, [...probe.startupFlags, "shutdown"], probe.workspace);
  }
}

async function acceptsFlags(bazel: string, probe: ProbeContext, flags: readonly string[]): Promise<boolean> {
  const result = await capture(bazel, [...probe.startupFlags, "canonicalize-flags", "--for_command=build", "--", ...flags], probe.workspace);
  if (result.exitCode === 0) return true;
  if (result.exitCode === 2) return false;
  throw new BazelProbeError(bazel, result.exitCode, result.output);
}

/** A build flag every Bazel has, and one none has: what a flag probe of a real Bazel accepts and refuses. */
const EVERY_BAZEL_FLAG = "--keep_going";
const NO_BAZEL_FLAG = "--memory_adventure_no_such_flag";

/** The binary answers the flag probe as no Bazel does. */
export class NotBazelError extends Error {
  override readonly name = "NotBazelError";
  constructor(
    readonly bazel: string,
    /** What `<bazel> --version` printed. */
    readonly versionOutput: string,
  ) {
    super(`${bazel} is not Bazel`);
  }
}

/** Bazel itself failed while being probed (not a missing flag): no server, a broken installation. */
export class BazelProbeError extends Error {
  override readonly name = "BazelProbeError";
  constructor(
    readonly bazel: string,
    readonly exitCode: number | null,
    readonly output: string,
  ) {
    super(`${bazel} failed while probing its flags (exit ${exitCode})`);
  }
}

/** dpkg's version of the package that installed the binary, if dpkg knows it; never throws. */
async function packageVersion(bazel: string): Promise<BazelVersion | undefined> {
  const path = await whichBinary(bazel);
  if (path === undefined) return undefined;
  const owner = await capture("dpkg-query", ["--search", path], "/").catch(() => undefined);
  const packageName = owner?.exitCode === 0 ? /^([^:\s]+)(?::[^:\s]+)?: /.exec(owner.output)?.[1] : undefined;
  if (packageName === undefined) return undefined;
  const shown = await capture("dpkg-query", ["--show", "--showformat=${Version}", packageName], "/").catch(() => undefined);
  return shown?.exitCode === 0 ? parsePackageVersion(shown.output) : undefined;
}

/** The binary's real path (following links), searching PATH for a bare name. */
export async function whichBinary(bazel: string): Promise<string | undefined> {
  const candidates = bazel.includes("/") ? [bazel] : (process.env["PATH"] ?? "").split(delimiter).filter(isAbsolute).map((dir) => join(dir, bazel));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return await realpath(candidate);
    } catch {
      // not this one
    }
  }
  return undefined;
}

interface Captured {
  readonly exitCode: number | null;
  readonly output: string;
}

function capture(file: string, args: readonly string[], cwd: string): Promise<Captured> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.on("error", reject);
    child.on("close", (exitCode) => resolve({ exitCode, output }));
  });
}
