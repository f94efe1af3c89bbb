// Golden files of real cquery output, under analysis/goldens/, one per case, shared by the Bazel versions
// whose output is the same:
//
//   analysis/goldens/<case>.txt                 what every Bazel version prints, unless
//   analysis/goldens/<case>.bazel-<version>.txt what that version prints where it truly differs.
//
// `node tools/scripts/update-cquery-goldens.mjs --bazel <bazel>` rewrites them for one Bazel; running it
// for each version splits a golden where the versions differ and merges it back where they agree.
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { delimiter, join, relative, resolve } from "node:path";
import { WORKSPACE_ROOT } from "./bazel.js";

export const GOLDENS_DIR = join(WORKSPACE_ROOT, "analysis/goldens");

/**
 * Output made comparable between machines and runs: the configuration segment of bazel-out paths
 * (`k8-fastbuild`, `k8-fastbuild-ST-26a789e7e4b9`, ...) becomes `<config>`, as does any other
 * configuration hash (`ST-<hex>`).
 */
export function normalizeCqueryOutput(text: string): string {
  return text.replace(/\bbazel-out\/[^/\s]+\//g, "bazel-out/<config>/").replace(/\bST-[0-9a-f]{6,}\b/g, "ST-<hash>");
}

/** The command that rewrites the goldens for the Bazel the tests run with ($BAZEL, else bazel). */
export function regenerateCommand(bazel: string | undefined): string {
  return `node tools/scripts/update-cquery-goldens.mjs${bazel ? ` --bazel ${bazel}` : ""}`;
}

/** The golden files of one case: the shared one and one per Bazel version, as they are on disk. */
export interface GoldenSet {
  readonly shared: string | null;
  /** By Bazel version, e.g. "7.7.1". */
  readonly byVersion: ReadonlyMap<string, string>;
}

/** What a Bazel version is expected to print for a case: its own golden, else the shared one. */
export function expectedOutput(set: GoldenSet, version: string): string | null {
  return set.byVersion.get(version) ?? set.shared;
}

/**
 * The goldens after `version` printed `output`. A version with a golden of its own gets it rewritten; one
 * without keeps reading the shared golden if that says the same, and gets its own if not. Then own goldens
 * that say what the shared one says go, and when two or more versions have the same golden of their own,
 * that is what the versions print now: it becomes the shared golden. Running the update once per version
 * therefore splits a golden where the versions differ and merges it where they agree, in either order.
 */
export function updatedGoldens(set: GoldenSet, version: string, output: string): GoldenSet {
  let shared = set.shared;
  const byVersion = new Map(set.byVersion);
  if (byVersion.has(version)) byVersion.set(version, output);
  else if (shared === null) shared = output;
  else if (shared !== output) byVersion.set(version, output);
  for (const [each, text] of byVersion) if (text === shared) byVersion.delete(each);
  const texts = [...byVersion.values()];
  if (texts.length >= 2 && texts.every((text) => text === texts[0])) return { shared: texts[0]!, byVersion: new Map() };
  return { shared, byVersion };
}

export function readGoldens(caseName: string): GoldenSet {
  const shared = readIfExists(join(GOLDENS_DIR, `${caseName}.txt`));
  const byVersion = new Map<string, string>();
  const prefix = `${caseName}.bazel-`;
  for (const file of readdirSync(GOLDENS_DIR)) {
    if (file.startsWith(prefix) && file.endsWith(".txt")) {
      byVersion.set(file.slice(prefix.length, -".txt".length), readFileSync(join(GOLDENS_DIR, file), "utf8"));
    }
  }
  return { shared, byVersion };
}

/** Makes the files of `caseName` on disk exactly `set` (each written to a temporary file, then renamed). */
export function writeGoldens(caseName: string, set: GoldenSet): void {
  const wanted = new Map<string, string>();
  if (set.shared !== null) wanted.set(`${caseName}.txt`, set.shared);
  for (const [version, text] of set.byVersion) wanted.set(`${caseName}.bazel-${version}.txt`, text);
  for (const [file, text] of wanted) {
    const path = join(GOLDENS_DIR, file);
    writeFileSync(`${path}.tmp`, text);
    renameSync(`${path}.tmp`, path);
  }
  for (const file of readdirSync(GOLDENS_DIR)) {
    const ours = file === `${caseName}.txt` || (file.startsWith(`${caseName}.bazel-`) && file.endsWith(".txt"));
    if (ours && !wanted.has(file)) rmSync(join(GOLDENS_DIR, file));
  }
}

/** The golden a version reads, relative to the workspace, for messages. */
export function goldenPathFor(caseName: string, set: GoldenSet, version: string): string {
  const file = set.byVersion.has(version) ? `${caseName}.bazel-${version}.txt` : `${caseName}.txt`;
  return relative(WORKSPACE_ROOT, join(GOLDENS_DIR, file));
}

/**
 * The version of a Bazel binary, e.g. "7.7.1": from `bazel --version`, or, for a Bazel that does not
 * know its version (Debian's bazel-bootstrap 4.2.3 prints "bazel no_version"), from the Debian package
 * that installed it. Throws when neither tells.
 */
export function bazelVersion(bazel: string): string {
  const printed = spawnSync(bazel, ["--version"], { cwd: WORKSPACE_ROOT, encoding: "utf8" });
  const fromBazel = /^bazel (\d+\.\d+\.\d+)/m.exec(printed.stdout ?? "");
  if (fromBazel) return fromBazel[1]!;
  const binary = bazel.includes("/") ? resolve(WORKSPACE_ROOT, bazel) : onPath(bazel);
  const owner = binary && spawnSync("dpkg-query", ["-S", realpathSync(binary)], { encoding: "utf8" });
  const packageName = owner && owner.status === 0 ? owner.stdout.split(":")[0]!.trim() : null;
  const packageVersion = packageName && spawnSync("dpkg-query", ["-W", "-f=${Version}", packageName], { encoding: "utf8" });
  const fromPackage = packageVersion && packageVersion.status === 0 ? /^(?:\d+:)?(\d+\.\d+\.\d+)/.exec(packageVersion.stdout) : null;
  if (fromPackage) return fromPackage[1]!;
  throw new Error(
    `cannot tell which version ${bazel} is: '${bazel} --version' printed ${JSON.stringify((printed.stdout ?? "").trim())} ` +
      `and no Debian package owns it; the cquery goldens are kept per Bazel version`,
  );
}

function onPath(command: string): string | null {
  for (const directory of (process.env["PATH"] ?? "").split(delimiter)) {
    const candidate = join(directory, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

function readIfExists(path: string): string | null {
  return existsSync(path) ? readFileSync(path, "utf8") : null;
}
