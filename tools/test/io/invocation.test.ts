import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { UsageError } from "../../src/core/exit-codes.js";
import {
  defaultMeasurementsDir,
  defaultWorkspace,
  findWorkspaceRoot,
  resolveUserPath,
  userDirectory,
  type Invocation,
} from "../../src/io/invocation.js";

// A real directory tree:
//   <root>/module/MODULE.bazel   <root>/module/pkg/sub/
//   <root>/legacy/WORKSPACE      <root>/legacy/pkg/
//   <root>/dotbazel/WORKSPACE.bazel
//   <root>/repo/REPO.bazel
//   <root>/decoy/WORKSPACE/      (a directory, not a file: not a workspace)
//   <root>/nothing/deeper/
let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "invocation-test-"));
  for (const directory of ["module/pkg/sub", "legacy/pkg", "dotbazel", "repo", "decoy/WORKSPACE", "nothing/deeper"]) {
    mkdirSync(join(root, directory), { recursive: true });
  }
  writeFileSync(join(root, "module/MODULE.bazel"), "");
  writeFileSync(join(root, "legacy/WORKSPACE"), "");
  writeFileSync(join(root, "dotbazel/WORKSPACE.bazel"), "");
  writeFileSync(join(root, "repo/REPO.bazel"), "");
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

afterEach(() => {
  vi.unstubAllEnvs();
});

const outsideBazel = (cwd: string): Invocation => ({ env: {}, cwd });
const underBazelRun = (cwd: string, working: string, workspace: string): Invocation => ({
  env: { BUILD_WORKING_DIRECTORY: working, BUILD_WORKSPACE_DIRECTORY: workspace },
  cwd,
});

describe("resolveUserPath", () => {
  it.each([
    { invocation: outsideBazel("/home/u/ws"), typed: "out", expected: "/home/u/ws/out" },
    { invocation: outsideBazel("/home/u/ws"), typed: "../x/y", expected: "/home/u/x/y" },
    { invocation: outsideBazel("/home/u/ws"), typed: "/abs/out", expected: "/abs/out" },
    {
      invocation: underBazelRun("/cache/execroot/sweep.runfiles/memory_adventure", "/home/u/ws/cpu", "/home/u/ws"),
      typed: "out",
      expected: "/home/u/ws/cpu/out",
    },
    {
      invocation: underBazelRun("/cache/execroot/sweep.runfiles/memory_adventure", "/home/u/ws/cpu", "/home/u/ws"),
      typed: "/abs/out",
      expected: "/abs/out",
    },
    {
      invocation: { env: { BUILD_WORKING_DIRECTORY: "" }, cwd: "/home/u/ws" },
      typed: "out",
      expected: "/home/u/ws/out",
    },
  ])("reads $typed from the user's directory: $expected", ({ invocation, typed, expected }) => {
    expect(resolveUserPath(typed, invocation)).toBe(expected);
  });
});

describe("defaultWorkspace and defaultMeasurementsDir", () => {
  it.each([
    { name: "bazel run: BUILD_WORKSPACE_DIRECTORY wins", invocation: () => underBazelRun("/runfiles", join(root, "legacy/pkg"), join(root, "module")), expected: "module" },
    { name: "MODULE.bazel two levels up", invocation: () => outsideBazel(join(root, "module/pkg/sub")), expected: "module" },
    { name: "WORKSPACE one level up", invocation: () => outsideBazel(join(root, "legacy/pkg")), expected: "legacy" },
    { name: "WORKSPACE.bazel here", invocation: () => outsideBazel(join(root, "dotbazel")), expected: "dotbazel" },
    { name: "REPO.bazel here", invocation: () => outsideBazel(join(root, "repo")), expected: "repo" },
    {
      name: "BUILD_WORKING_DIRECTORY alone is where the search starts",
      invocation: () => ({ env: { BUILD_WORKING_DIRECTORY: join(root, "legacy/pkg") }, cwd: join(root, "module") }),
      expected: "legacy",
    },
  ])("$name", ({ invocation, expected }) => {
    expect(defaultWorkspace(invocation())).toBe(join(root, expected));
    expect(defaultMeasurementsDir(invocation())).toBe(join(root, expected, "measurements"));
  });

  it.each(["nothing/deeper", "decoy"])("refuses with a UsageError naming the directory when %s has no workspace above it", (below) => {
    const start = join(root, below);
    // The temp directory must not itself sit inside a workspace, or the search would (rightly) find it.
    expect(() => findWorkspaceRoot(root)).toThrow(UsageError);
    expect(() => defaultWorkspace(outsideBazel(start))).toThrow(UsageError);
    expect(() => defaultWorkspace(outsideBazel(start))).toThrow(`no Bazel workspace at or above ${start} (`);
  });
});

describe("with the real process environment", () => {
  it("follows BUILD_WORKING_DIRECTORY and BUILD_WORKSPACE_DIRECTORY as bazel run sets them", () => {
    vi.stubEnv("BUILD_WORKING_DIRECTORY", join(root, "legacy/pkg"));
    vi.stubEnv("BUILD_WORKSPACE_DIRECTORY", join(root, "legacy"));
    expect(userDirectory()).toBe(join(root, "legacy/pkg"));
    expect(resolveUserPath("sweep-out")).toBe(join(root, "legacy/pkg/sweep-out"));
    expect(defaultWorkspace()).toBe(join(root, "legacy"));
    expect(defaultMeasurementsDir()).toBe(join(root, "legacy/measurements"));
  });

  it("uses the current directory and the workspace above it outside Bazel", () => {
    vi.stubEnv("BUILD_WORKING_DIRECTORY", undefined);
    vi.stubEnv("BUILD_WORKSPACE_DIRECTORY", undefined);
    // vitest runs in tools/, inside this repository's workspace (MODULE.bazel at its root).
    const repositoryRoot = resolve(fileURLToPath(import.meta.url), "../../../..");
    expect(userDirectory()).toBe(process.cwd());
    expect(resolveUserPath("x")).toBe(join(process.cwd(), "x"));
    expect(defaultWorkspace()).toBe(repositoryRoot);
    expect(defaultMeasurementsDir()).toBe(join(repositoryRoot, "measurements"));
  });
});
