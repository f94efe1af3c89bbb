// How blame and heap name a .bzl file: paths as Bazel 4.2.3 and 7.7.1 put them in stacks and profiles.
import { describe, expect, it } from "vitest";
import { workspaceRelative } from "../../../src/core/blame/source-file.js";

describe("workspaceRelative", () => {
  it.each([
    { file: "/work/main/memory/private/traverse.bzl", workspace: "/work/main", named: "memory/private/traverse.bzl" },
    { file: "/work/main/memory/private/traverse.bzl", workspace: "/work/main/", named: "memory/private/traverse.bzl" },
    { file: "/work/mainline/x.bzl", workspace: "/work/main", named: "/work/mainline/x.bzl" },
    { file: "/tmp/sw/output_base/external/bazel_tools/tools/build_defs/repo/local.bzl", workspace: "/work/main", named: "external/bazel_tools/tools/build_defs/repo/local.bzl" },
    { file: "/root/.cache/bazel/_bazel_root/1f2e/external/rules_cc~/cc/defs.bzl", workspace: undefined, named: "external/rules_cc~/cc/defs.bzl" },
    { file: "/virtual_builtins_bzl/common/cc/semantics.bzl", workspace: "/work/main", named: "/virtual_builtins_bzl/common/cc/semantics.bzl" },
    { file: "memory/private/traverse.bzl", workspace: "/work/main", named: "memory/private/traverse.bzl" },
    { file: undefined, workspace: "/work/main", named: undefined },
  ])("$file in $workspace: $named", ({ file, workspace, named }) => {
    expect(workspaceRelative(file, workspace)).toBe(named);
  });
});
