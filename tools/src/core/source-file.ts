/**
 * How a .bzl file is named to the user: relative to the workspace it belongs to (memory/private/traverse.bzl),
 * as Bazel's labels and a code review would name it; as given when it lies elsewhere (an external repository).
 */
export function workspaceRelative(file: string | undefined, workspace: string | undefined): string | undefined {
  if (file === undefined || workspace === undefined || workspace === "") return file;
  const root = workspace.endsWith("/") ? workspace : `${workspace}/`;
  return file.startsWith(root) ? file.slice(root.length) : file;
}
