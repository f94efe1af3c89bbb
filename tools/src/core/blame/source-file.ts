/**
 * How a .bzl file is named to the user: relative to the workspace it belongs to (memory/private/traverse.bzl),
 * as Bazel's labels and a code review would name it; a file of an external repository relative to the output
 * base (external/bazel_tools/tools/build_defs/repo/local.bzl), wherever that was; as given otherwise.
 */
export function workspaceRelative(file: string | undefined, workspace: string | undefined): string | undefined {
  if (file === undefined) return file;
  if (workspace !== undefined && workspace !== "") {
    const root = workspace.endsWith("/") ? workspace : `${workspace}/`;
    if (file.startsWith(root)) return file.slice(root.length);
  }
  // <output_base>/external/<repository>/<path>: Bazel's own layout of fetched repositories.
  const external = /\/(external\/[^/]+\/.+)$/.exec(file);
  return external === null ? file : external[1];
}
