// Digest files as diff, pprof and pictures read them: digests written before holder groups had objects, shallow
// bytes and bytes per target are still read (schema 1 gains fields); malformed new fields are refused.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { digestDocument, HEAP_JSON_SCHEMA, NotADigestError } from "../../../src/core/heap/digest-document.js";
import { digestPath } from "../../helpers/digests.js";
import { dumpDigest } from "../../helpers/dump-digests.js";

describe("digestDocument", () => {
  it("reads a run's heap-digest.json written before objects, shallow bytes and topTargets", () => {
    const text = readFileSync(digestPath("4.2.3", "0256m-e01"), "utf8");
    expect(text).not.toMatch(/"topTargets"|"objects": \d+, *"shallowBytes"/);
    const document = digestDocument(JSON.parse(text));
    expect(document.kind).toBe("run-digest");
    expect(document.dumps).toHaveLength(1);
    const { digest } = document.dumps[0]!;
    expect(digest.holders.length).toBeGreaterThan(0);
    expect(digest.holders.every((holder) => holder.topTargets === undefined && holder.objects === undefined && holder.topLabels !== undefined)).toBe(true);
  });

  it("reads heap --json with them, and keeps them", () => {
    const digest = dumpDigest("7.7.1", "reproduction");
    const document = digestDocument(JSON.parse(JSON.stringify({ schema: HEAP_JSON_SCHEMA, dumps: [{ source: "dump.hprof", ...digest }] })));
    const read = document.dumps[0]!.digest;
    expect(read.holders).toEqual(digest.holders);
    expect(read.holders.every((holder) => typeof holder.objects === "number" && typeof holder.shallowBytes === "number" && Array.isArray(holder.topTargets))).toBe(true);
    // Schema 1 keeps topLabels beside topTargets for the readers that know only them.
    expect(read.holders.every((holder) => JSON.stringify(holder.topLabels) === JSON.stringify(holder.topTargets!.map((target) => target.label)))).toBe(true);
  });

  it.each([
    { what: "topTargets that are not labels with bytes", change: { topTargets: ["//a:b"] }, message: "holders[0] has topTargets that are not labels with retainedBytes" },
    { what: "objects that are not a number", change: { objects: "many" }, message: "holders[0] has a objects that is not a number" },
  ])("refuses a holder group with $what", ({ change, message }) => {
    const digest = dumpDigest("4.2.3", "reproduction");
    const broken = { ...digest, holders: [{ ...digest.holders[0], ...change }, ...digest.holders.slice(1)] };
    expect(() => digestDocument(broken)).toThrow(new NotADigestError(message));
  });
});
