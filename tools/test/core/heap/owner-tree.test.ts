// A digest as a tree of owners (function → holder → target) for the heap picture: sizes that add up, the culprit
// marked, targets where the digest kept their bytes, and digests written before it did.
import { describe, expect, it } from "vitest";
import type { HeapDigest } from "../../../src/core/heap/heap-digest.js";
import { ownerTree, type OwnerItem } from "../../../src/core/heap/owner-tree.js";
import type { TreemapNode } from "../../../src/core/plot/treemap.js";
import { DIGEST_RUNS, fixtureDigest } from "../../helpers/digests.js";
import { DUMP_CASES, dumpDigest } from "../../helpers/dump-digests.js";
import { BAZEL_VERSIONS } from "../../helpers/fixtures.js";

function* walk(nodes: readonly TreemapNode<OwnerItem>[]): Generator<TreemapNode<OwnerItem>> {
  for (const node of nodes) {
    yield node;
    yield* walk(node.children);
  }
}

const fresh = BAZEL_VERSIONS.flatMap((version) => DUMP_CASES.map((name) => ({ what: `Bazel ${version}'s ${name} dump`, digest: () => dumpDigest(version, name), targets: true })));
const older = BAZEL_VERSIONS.flatMap((version) => DIGEST_RUNS[version].map((run) => ({ what: `Bazel ${version}'s sweep run ${run} (an older digest)`, digest: () => fixtureDigest(version, run), targets: false })));

describe.each([...fresh, ...older])("the owners of $what", ({ digest: load, targets }) => {
  const digest: HeapDigest = load();
  const tree = ownerTree(digest);

  it("adds up: the functions to what Starlark holds (the reachable heap less Bazel's own), each node's parts to it", () => {
    const sum = (nodes: readonly TreemapNode<OwnerItem>[]): number => nodes.reduce((total, node) => total + node.value, 0);
    expect(sum(tree.roots)).toBeCloseTo(tree.starlarkBytes, 6);
    expect(tree.starlarkBytes + tree.bazelBytes).toBeCloseTo(digest.dump.reachableBytes, 6);
    for (const node of walk(tree.roots)) {
      expect(node.value).toBe(node.item.bytes);
      expect(node.item.share).toBeCloseTo(node.value / digest.dump.reachableBytes, 12);
      if (node.children.length > 0) expect(sum(node.children)).toBeCloseTo(node.value, 6);
    }
    expect(tree.roots.map((root) => root.value)).toEqual([...tree.roots.map((root) => root.value)].sort((a, b) => b - a));
  });

  it(`marks ${digest.verdict.kind === "culprit" ? "the culprit, the largest function, and only it" : "no culprit: the digest names none"}`, () => {
    const culprits = [...walk(tree.roots)].filter((node) => node.item.kind === "function" && node.item.culprit);
    if (digest.verdict.kind !== "culprit") {
      expect(culprits).toEqual([]);
      return;
    }
    expect(culprits).toHaveLength(1);
    expect(culprits[0]).toBe(tree.roots[0]);
    expect(culprits[0]!.item).toMatchObject({ function: { function: digest.suspects[0]!.function, file: digest.suspects[0]!.file } });
  });

  it(targets ? "puts the targets the digest kept under their provider, with their bytes" : "draws no targets: the digest kept none of their bytes", () => {
    const provider = tree.roots[0]!.children.find((node) => node.item.kind === "holder" && node.item.holder === "provider");
    const group = digest.holders.find((entry) => entry.kind === "provider" && entry.function?.function === digest.suspects[0]!.function);
    if (!targets) {
      expect([...walk(tree.roots)].some((node) => node.item.kind === "target" || node.item.kind === "other-targets")).toBe(false);
      return;
    }
    expect(group?.topTargets).toBeDefined();
    expect(provider!.children.filter((node) => node.item.kind === "target").map((node) => [node.item.kind === "target" && node.item.label, node.value])).toEqual(
      group!.topTargets!.map((target) => [target.label, target.retainedBytes]),
    );
    const rest = provider!.children.find((node) => node.item.kind === "other-targets");
    expect(rest?.item).toMatchObject({ count: group!.targets - group!.topTargets!.length });
  });
});

describe("functions too small to draw", () => {
  it("are one node, as many as they are", () => {
    const digest = dumpDigest("4.2.3", "reproduction");
    const tree = ownerTree(digest, { maxFunctions: 1, minShare: 0 });
    const functions = digest.suspects.filter((suspect) => suspect.retainedBytes > 0);
    expect(tree.roots.filter((root) => root.item.kind === "function")).toHaveLength(1);
    const others = tree.roots.find((root) => root.item.kind === "other-functions")!;
    expect(others.item).toMatchObject({ count: functions.length - 1 });
    expect(others.value).toBe(functions.slice(1).reduce((sum, suspect) => sum + suspect.retainedBytes, 0));
  });
});
