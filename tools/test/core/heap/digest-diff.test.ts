// diff's core on real digests of the reproduction's crash dumps, and copies of them grown on purpose.
import { describe, expect, it } from "vitest";
import { withRelativeFiles } from "../../../src/core/heap/digest-document.js";
import { diffDigests, GateSyntaxError, NOISE_FLOOR_BYTES, overGate, parseGrowthGate, type GrowthGate } from "../../../src/core/heap/digest-diff.js";
import type { HeapDigest } from "../../../src/core/heap/heap-digest.js";
import { BAZEL_VERSIONS } from "../../helpers/fixtures.js";
import { DIGEST_RUNS, fixtureDigest, fixtureWorkspace, grown, moved } from "../../helpers/digests.js";

const MIB = 2 ** 20;
const relative = (digest: HeapDigest, workspace = fixtureWorkspace("4.2.3")): HeapDigest => withRelativeFiles(digest, workspace);
const base = relative(fixtureDigest("4.2.3", "0256m-e01"));
/** The function holding most in the base dump, and a small one (a rule that only registers a few actions). */
const top = base.suspects[0]!;
const small = base.suspects.find((suspect) => suspect.retainedBytes > 10_000 && suspect.retainedBytes < 100_000)!;
const gate = (text: string): GrowthGate => parseGrowthGate(text);

describe("diffDigests", () => {
  it.each(BAZEL_VERSIONS.flatMap((version) => DIGEST_RUNS[version].map((run) => [version, run] as const)))(
    "finds no change between a digest (%s %s) and itself, and matches every function",
    (version, run) => {
      const digest = relative(fixtureDigest(version, run), fixtureWorkspace(version));
      const diff = diffDigests(digest, digest);
      expect(diff.commonFunctions).toBe(digest.suspects.length);
      expect(diff.functions.every((change) => change.deltaBytes === 0 && change.breakdown.every((part) => part.deltaBytes === 0))).toBe(true);
      expect(diff.functions.length).toBe(digest.suspects.filter((suspect) => suspect.retainedBytes > 0).length);
      expect(overGate(diff, gate("0%"))).toEqual([]);
    },
  );

  it("compares two crash dumps of one sweep per function, largest change first, each function's parts adding up", () => {
    const next = relative(fixtureDigest("4.2.3", "0256m-r01"));
    const diff = diffDigests(base, next);
    const changes = diff.functions.map((change) => Math.abs(change.deltaBytes));
    expect(changes).toEqual([...changes].sort((a, b) => b - a));
    for (const change of diff.functions) {
      const before = base.suspects.find((suspect) => suspect.function === change.function && suspect.file === change.file)?.retainedBytes ?? 0;
      const after = next.suspects.find((suspect) => suspect.function === change.function && suspect.file === change.file)?.retainedBytes ?? 0;
      expect(change).toMatchObject({ baseBytes: before, newBytes: after, deltaBytes: after - before });
      expect(change.breakdown.reduce((sum, part) => sum + part.deltaBytes, 0)).toBe(change.deltaBytes);
      expect(change.file).not.toMatch(/^\//);
    }
    expect(diff.base).toMatchObject({ reachableBytes: base.dump.reachableBytes, starlarkBytes: base.suspects.reduce((sum, suspect) => sum + suspect.retainedBytes, 0) });
  });

  it("splits a grown function into the provider, locals and actions that grew", () => {
    const provider = top.evidence.find((evidence) => evidence.kind === "providers");
    if (provider?.kind !== "providers") throw new Error("the fixture's top function returns no provider");
    const next = grown(grown(grown(base, top.function, "providers", 3 * MIB, provider.provider), top.function, "in-flight", 2 * MIB), top.function, "actions", MIB);
    const [first, ...rest] = diffDigests(base, next).functions;
    expect(first).toMatchObject({ function: top.function, file: top.file, deltaBytes: 6 * MIB });
    expect(first!.breakdown.slice(0, 3)).toEqual([
      expect.objectContaining({ kind: "provider", provider: provider.provider, deltaBytes: 3 * MIB }),
      // frame-locals and in-flight are one part: what the function's calls in flight keep alive.
      expect.objectContaining({ kind: "locals", deltaBytes: 2 * MIB }),
      expect.objectContaining({ kind: "actions", deltaBytes: MIB }),
    ]);
    expect(rest.every((change) => change.deltaBytes === 0)).toBe(true);
  });

  it("matches functions by workspace-relative file across checkouts, and external repositories by external/<repo>/…", () => {
    const workspace = fixtureWorkspace("4.2.3");
    const original = fixtureDigest("4.2.3", "0256m-e01");
    const external = (root: string): HeapDigest => ({
      ...original,
      suspects: [...original.suspects, { function: "_fetched_impl", file: `${root}/external/rules_fetched/private/fetched.bzl`, retainedBytes: 4096, share: 0, evidence: [{ kind: "analysis", bytes: 4096 }] }],
    });
    const baseDigest = withRelativeFiles(external("/home/ci/.cache/bazel/_bazel_ci/0123/"), workspace);
    const elsewhere = withRelativeFiles(moved(external("/tmp/other-output-base"), workspace, "/builds/7/checkout"), "/builds/7/checkout");
    const diff = diffDigests(baseDigest, elsewhere);
    expect(diff.commonFunctions).toBe(baseDigest.suspects.length);
    expect(diff.functions.every((change) => change.deltaBytes === 0)).toBe(true);
    expect(diff.functions.find((change) => change.function === "_fetched_impl")?.file).toBe("external/rules_fetched/private/fetched.bzl");
  });

  it("shares no function between digests of unrelated code", () => {
    const unrelated: HeapDigest = { ...base, suspects: base.suspects.map((suspect) => ({ ...suspect, function: `other_${suspect.function}` })) };
    const diff = diffDigests(base, unrelated);
    expect(diff.commonFunctions).toBe(0);
    expect(diff.functions.length).toBe(2 * diff.base.functions);
  });
});

describe("overGate", () => {
  it("trips a percentage on a function that grew past it by at least the noise floor", () => {
    const extra = Math.ceil(top.retainedBytes * 0.1);
    const trips = overGate(diffDigests(base, relative(grown(base, top.function, "frame-locals", extra))), gate("5%"));
    expect(trips).toEqual([{ change: expect.objectContaining({ function: top.function, deltaBytes: extra }), growth: extra / top.retainedBytes }]);
    expect(overGate(diffDigests(base, grown(base, top.function, "frame-locals", extra)), gate("10.5%"))).toEqual([]);
  });

  it("does not trip a percentage on a small function's growth below the noise floor, however large in percent", () => {
    const analysis = small.evidence.find((evidence) => evidence.kind === "analysis" || evidence.kind === "actions")!;
    const tripled = grown(base, small.function, analysis.kind, 2 * small.retainedBytes);
    expect(2 * small.retainedBytes).toBeLessThan(NOISE_FLOOR_BYTES);
    expect(overGate(diffDigests(base, tripled), gate("5%"))).toEqual([]);
    // A size gate has no floor: the size is the user's own.
    expect(overGate(diffDigests(base, tripled), gate("64k"))).toEqual([expect.objectContaining({ change: expect.objectContaining({ function: small.function }) })]);
    const overFloor = grown(base, small.function, analysis.kind, NOISE_FLOOR_BYTES);
    expect(overGate(diffDigests(base, overFloor), gate("5%")).map((trip) => trip.change.function)).toEqual([small.function]);
  });

  it("trips a size gate only past the size, and counts a function new in NEW as grown without bound", () => {
    const next = grown(base, top.function, "frame-locals", 65 * MIB);
    expect(overGate(diffDigests(base, next), gate("64m")).map((trip) => trip.change.function)).toEqual([top.function]);
    expect(overGate(diffDigests(base, next), gate("65m"))).toEqual([]);
    const added: HeapDigest = { ...base, suspects: [...base.suspects, { function: "new_impl", file: "new/new.bzl", retainedBytes: 2 * MIB, share: 0, evidence: [{ kind: "actions", bytes: 2 * MIB, count: 1 }] }] };
    expect(overGate(diffDigests(base, added), gate("1000%"))).toEqual([{ change: expect.objectContaining({ function: "new_impl", baseBytes: 0 }), growth: Infinity }]);
  });
});

describe("parseGrowthGate", () => {
  it("reads percentages and sizes as --limits writes them", () => {
    expect(gate("5%")).toEqual({ kind: "percent", percent: 5, text: "5%" });
    expect(gate(" 2.5% ")).toEqual({ kind: "percent", percent: 2.5, text: "2.5%" });
    expect(gate("64m")).toEqual({ kind: "bytes", bytes: 64 * MIB, text: "64m" });
    expect(gate("1G")).toMatchObject({ bytes: 1024 * MIB });
    // Below --limits' 16m floor for a JVM heap, which a growth gate does not have.
    expect(gate("512k")).toMatchObject({ bytes: 512 * 1024 });
  });

  it.each([
    ["5", { kind: "no-unit" }],
    ["1.5m", { kind: "size", problem: { kind: "fraction", token: "1.5m", suggestion: "1536k" } }],
    ["64mb", { kind: "size", problem: { kind: "unknown-unit", token: "64mb", unit: "mb", suggestion: "64m" } }],
    ["-5%", { kind: "not-a-gate" }],
    ["lots", { kind: "not-a-gate" }],
  ])("refuses %s", (text, problem) => {
    expect(() => gate(text)).toThrow(GateSyntaxError);
    try {
      gate(text);
    } catch (error) {
      expect((error as GateSyntaxError).problem).toEqual(problem);
    }
  });
});
