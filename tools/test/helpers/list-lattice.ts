// The list-heavy test workspace (test/workspaces/list_lattice: a rule flattening its deps' lists into its
// provider over a lattice) and what its defs.bzl declares, for the tests that expect its culprit by name.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const LATTICE_WORKSPACE = fileURLToPath(new URL("../workspaces/list_lattice/", import.meta.url));

/** `lattice_node`'s implementation and the provider it returns, as the workspace's defs.bzl declares them. */
export function latticeRule(): { readonly implementation: string; readonly provides: string } {
  const file = join(LATTICE_WORKSPACE, "defs.bzl");
  const text = readFileSync(file, "utf8");
  const start = text.search(/^lattice_node = rule\(/m);
  const call = start < 0 ? "" : text.slice(start);
  const implementation = /\bimplementation = (\w+)/.exec(call)?.[1];
  const provides = /\bprovides = \[(\w+)\]/.exec(call)?.[1];
  if (implementation === undefined || provides === undefined) throw new Error(`${file}: no lattice_node = rule(implementation = …, provides = [...])`);
  return { implementation, provides };
}
