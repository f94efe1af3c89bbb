// The incremental trace scanner on real Bazel profiles (4.2.3 and 7.7.1), whole, in any chunking,
// cut at many offsets, reformatted; and on inputs that are not traces.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  MAX_VALUE_CHARS,
  TraceScanner,
  TraceSyntaxError,
  type RawTraceEvent,
  type TraceScanResult,
} from "../../../src/core/profile/trace-scanner.js";
import {
  BAZEL_VERSIONS,
  crashProfile,
  eventEndOffsets,
  gunzippedText,
  inflatablePrefix,
  okProfile,
  sweepFixture,
} from "../../helpers/fixtures.js";

function scan(text: string, chunkSize = text.length || 1): { events: RawTraceEvent[]; result: TraceScanResult } {
  const events: RawTraceEvent[] = [];
  const scanner = new TraceScanner((event) => events.push(event));
  for (let at = 0; at < text.length; at += chunkSize) scanner.push(text.slice(at, at + chunkSize));
  return { events, result: scanner.finish() };
}

/** Offsets to cut at: spread evenly, plus the interesting edges of the document. */
function cutOffsets(text: string, ends: readonly number[], spread: number): number[] {
  const offsets = new Set<number>([0, 1, 2, text.indexOf("[") + 1, ends[0]! - 1, ends[0]!, ends[0]! + 1]);
  for (let i = 1; i < spread; i++) offsets.add(Math.floor((text.length * i) / spread));
  for (const end of ends.slice(-3)) for (const delta of [-1, 0, 1, 2]) offsets.add(end + delta);
  for (const delta of [1, 2, 3]) offsets.add(text.length - delta);
  return [...offsets].filter((offset) => offset >= 0 && offset < text.length).sort((a, b) => a - b);
}

describe.each(BAZEL_VERSIONS)("TraceScanner on a real Bazel %s profile", (version) => {
  const text = gunzippedText(okProfile(version));
  const oracle = (JSON.parse(text) as { traceEvents: RawTraceEvent[] }).traceEvents;

  it("reads every event of a complete profile, equal to JSON.parse of the whole file", () => {
    const { events, result } = scan(text);
    expect(events).toEqual(oracle);
    expect(result).toMatchObject({ events: oracle.length, truncated: false });
    expect(result.otherData).toEqual((JSON.parse(text) as { otherData: unknown }).otherData);
  });

  it.each([1, 3, 64, 4096, 65536])("gives the same events when fed in chunks of %i characters", (chunkSize) => {
    const { events, result } = scan(text, chunkSize);
    expect(events).toEqual(oracle);
    expect(result.truncated).toBe(false);
  });

  it("reads the same events when the profile is minified or in the bare-array form", () => {
    const document = JSON.parse(text) as { traceEvents: RawTraceEvent[] };
    expect(scan(JSON.stringify(document), 1000).events).toEqual(oracle);
    expect(scan(JSON.stringify(document, null, 3), 1000).events).toEqual(oracle);
    const bare = scan(JSON.stringify(document.traceEvents), 1000);
    expect(bare.events).toEqual(oracle);
    expect(bare.result.truncated).toBe(false);
  });

  const ends = eventEndOffsets(text);
  it("finds as many events as the line-based oracle", () => {
    expect(ends.length).toBe(oracle.length);
  });

  const cuts = cutOffsets(text, ends, 150);
  it.each(cuts)("recovers every event that ends before a cut at character %i and says it was truncated", (cut) => {
    const { events, result } = scan(text.slice(0, cut), 8192);
    const complete = ends.filter((end) => end <= cut).length;
    expect(result).toMatchObject({ events: complete, truncated: true });
    expect(events).toEqual(oracle.slice(0, complete));
  });
});

describe("TraceScanner on crashed builds' profiles", () => {
  it("reads an OOM build's profile that Bazel 4.2.3 still wrote completely", () => {
    const text = gunzippedText(crashProfile("4.2.3", "oom-complete"));
    const { events, result } = scan(text, 65536);
    expect(events).toEqual((JSON.parse(text) as { traceEvents: unknown[] }).traceEvents);
    expect(result.truncated).toBe(false);
  });

  it.each([
    ["7.7.1", "oom-json-cut"],
    ["4.2.3", "crash-truncated"],
    ["7.7.1", "crash-truncated"],
  ] as const)("recovers every complete event of the Bazel %s %s profile", (version, name) => {
    const text = inflatablePrefix(readFileSync(crashProfile(version, name)));
    const ends = eventEndOffsets(text);
    expect(ends.length).toBeGreaterThan(100);
    const { events, result } = scan(text, 65536);
    expect(result).toMatchObject({ events: ends.length, truncated: true });
    expect(events.at(-1)).toEqual(JSON.parse(text.slice(text.lastIndexOf("{", ends.at(-1)! - 1), ends.at(-1))));
  });
});

describe("TraceScanner on tricky but valid JSON", () => {
  const event = (name: string): string => JSON.stringify({ cat: "c", name, ph: "X", ts: 1, dur: 2, pid: 1, tid: 3, args: { x: { y: [name] } } });
  const names = ['a "quoted" name', "braces } { ] [ inside", "back\\slash\\", 'ends with \\"}', "ünïcödé ✓ 🚀", "}", "{"];
  const document = `\uFEFF{"otherData":{"k":"]}"},"displayTimeUnit":"ns","traceEvents":[${names.map(event).join(" ,\n ")}],"x":[1,{"y":"}"}]}\n`;

  it.each([1, 2, 5, 1000])("reads every event in chunks of %i characters", (chunkSize) => {
    const { events, result } = scan(document, chunkSize);
    expect(events.map((e) => e["name"])).toEqual(names);
    expect(result).toEqual({ events: names.length, truncated: false, otherData: { k: "]}" } });
  });

  it("reads an empty trace", () => {
    expect(scan('{"traceEvents":[]}').result).toEqual({ events: 0, truncated: false, otherData: undefined });
    expect(scan("[]").result).toEqual({ events: 0, truncated: false, otherData: undefined });
  });

  it.each(["", "   \n", '{"otherData":{"build_id":"x"', '{"othe', '{"otherData":{},"traceEvents"', "["])(
    "calls %j a truncated trace with no events",
    (text) => {
      expect(scan(text).result).toMatchObject({ events: 0, truncated: true });
    },
  );
});

describe("TraceScanner on text that is not a trace", () => {
  const fixtureText = (relative: string): string => readFileSync(join(sweepFixture("4.2.3"), relative), "utf8");
  it.each([
    { what: "a console log", text: fixtureText("runs/0256m-r01/console.log"), message: /not JSON: it starts with 'S'/ },
    { what: "a BEP file", text: fixtureText("runs/0256m-r01/bep.json"), message: /without a traceEvents array|after the end of the trace/ },
    { what: "a run.json", text: fixtureText("runs/0256m-r01/run.json"), message: /JSON without a traceEvents array/ },
    { what: "a cut JSON object with foreign keys", text: '{"schema":1,"id":"x', message: /no traceEvents array/ },
    { what: "traceEvents that is not an array", text: '{"traceEvents":{"a":1}}', message: /traceEvents is not an array/ },
    { what: "an array of numbers", text: "[1,2,3]", message: /expected an event object/ },
    { what: "a malformed event", text: '{"traceEvents":[{"name":"a",}]}', message: /malformed JSON/ },
    { what: "binary bytes", text: "\u0000\u0001\u0002", message: /not JSON: it starts with character U\+0000/ },
    { what: "text after the trace", text: '{"traceEvents":[]} {"traceEvents":[]}', message: /unexpected '\{' after the end of the trace/ },
  ])("rejects $what", ({ text, message }) => {
    expect(() => scan(text, 4096)).toThrow(TraceSyntaxError);
    expect(() => scan(text, 4096)).toThrow(message);
  });

  it.each([
    { what: "an event", prefix: '{"traceEvents":[{"name":"' },
    { what: "a top-level value", prefix: '{"samples":["' },
  ])("stops at $what longer than any Bazel writes instead of buffering it", ({ prefix }) => {
    const scanner = new TraceScanner(() => undefined);
    scanner.push(prefix);
    const chunk = "x".repeat(1 << 20);
    expect(() => {
      for (let pushed = 0; pushed <= MAX_VALUE_CHARS; pushed += chunk.length) scanner.push(chunk);
    }).toThrow(/longer than 16777216 characters/);
  });
});
