// The typed view of real Bazel 4.2.3 and 7.7.1 profiles, checked against plain-text counts of the
// same files (Bazel writes one event a line), and the whole-profile summary `stats` uses.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ProfileSummaryBuilder } from "../../../src/core/profile/profile-summary.js";
import {
  jvmMemoryUsedBytes,
  threadRole,
  typedEvents,
  type CounterSample,
  type GcEvent,
  type Span,
  type SpanKind,
} from "../../../src/core/profile/trace-events.js";
import { TraceScanner } from "../../../src/core/profile/trace-scanner.js";
import {
  BAZEL_VERSIONS,
  crashProfile,
  gunzippedText,
  inflatablePrefix,
  OOM_PROFILE,
  okProfile,
  type BazelVersion,
} from "../../helpers/fixtures.js";

interface Collected {
  spans: Span[];
  gcs: GcEvent[];
  counters: CounterSample[];
  threads: Map<number, string>;
}

function collect(text: string): Collected {
  const collected: Collected = { spans: [], gcs: [], counters: [], threads: new Map() };
  const scanner = new TraceScanner(
    typedEvents({
      span: (span) => collected.spans.push(span),
      gc: (gc) => collected.gcs.push(gc),
      counter: (counter) => collected.counters.push(counter),
      threadName: (tid, name) => collected.threads.set(tid, name),
    }),
  );
  scanner.push(text);
  scanner.finish();
  return collected;
}

/** Lines holding one whole event (a crash may have cut the last one). */
const eventLines = (text: string): string[] =>
  text.split("\n").filter((line) => {
    const trimmed = line.trim().replace(/,$/, "");
    if (!trimmed.startsWith("{")) return false;
    try {
      JSON.parse(trimmed);
      return true;
    } catch {
      return false;
    }
  });
const linesWith = (text: string, fragment: string): string[] => eventLines(text).filter((line) => line.includes(fragment));

const GENERATION: Record<BazelVersion, { main: string; gc: string }> = {
  "4.2.3": { main: "grpc-command-0", gc: "Notification Thread" },
  "7.7.1": { main: "Main Thread", gc: "Garbage Collector" },
};

describe.each(BAZEL_VERSIONS)("typed events of real Bazel %s profiles", (version) => {
  const profiles = {
    ok: gunzippedText(okProfile(version)),
    [OOM_PROFILE[version]]: inflatablePrefix(readFileSync(crashProfile(version, OOM_PROFILE[version]))),
  };

  describe.each(Object.entries(profiles))("the %s profile", (_, text) => {
    const collected = collect(text);

    it("has every GC event, minor and major, with or without dur", () => {
      const gcLines = linesWith(text, '"cat":"gc notification"');
      expect(gcLines.length).toBeGreaterThan(0);
      expect(collected.gcs).toHaveLength(gcLines.length);
      expect(collected.gcs.filter((gc) => gc.major)).toHaveLength(gcLines.filter((line) => line.includes('"name":"major GC"')).length);
      expect(collected.gcs.filter((gc) => gc.dur === undefined)).toHaveLength(gcLines.filter((line) => !line.includes('"dur":')).length);
    });

    it(`finds GC on "${GENERATION[version].gc}" and the main thread "${GENERATION[version].main}"`, () => {
      const names = [...collected.threads.values()];
      expect(names).toContain(GENERATION[version].main);
      expect(threadRole(GENERATION[version].main)).toBe("main");
      expect(new Set(collected.gcs.map((gc) => threadRole(collected.threads.get(gc.tid) ?? "")))).toEqual(new Set(["gc"]));
      expect(names.some((name) => threadRole(name) === "skyframe")).toBe(true);
    });

    it.each([
      ["starlark-user", "Starlark user function call"],
      ["starlark-builtin", "Starlark builtin function call"],
      ["skyfunction", "skyfunction"],
    ] as [SpanKind, string][])("has every %s span", (kind, category) => {
      const expected = linesWith(text, `"cat":"${category}"`).filter((line) => line.includes('"ph":"X"')).length;
      expect(expected).toBeGreaterThan(0);
      expect(collected.spans.filter((span) => span.kind === kind)).toHaveLength(expected);
    });

    it("turns every counter value into a number, strings (4.x) and numbers (7.x) alike", () => {
      const counterLines = linesWith(text, '"ph":"C"').filter((line) => !line.includes('"args":{}'));
      expect(collected.counters).toHaveLength(counterLines.length);
      for (const [index, counter] of collected.counters.entries()) {
        const args = (JSON.parse(counterLines[index]!.trim().replace(/,$/, "")) as { args: Record<string, unknown> }).args;
        for (const [key, value] of Object.entries(args)) expect(counter.values[key]).toBe(Number(value));
      }
    });
  });

  it("reads JVM memory from the profile's counters where Bazel writes them (7.x), nowhere else", () => {
    const memory = collect(profiles.ok).counters.map(jvmMemoryUsedBytes).filter((bytes) => bytes !== undefined);
    const memoryLines = linesWith(profiles.ok, '"name":"Memory usage (Bazel)"').filter((line) => line.includes('"memory":'));
    expect(memory).toHaveLength(memoryLines.length);
    expect(memoryLines.length > 0).toBe(version === "7.7.1");
    for (const [index, line] of memoryLines.entries()) {
      const megabytes = (JSON.parse(line.trim().replace(/,$/, "")) as { args: { memory: number } }).args.memory;
      expect(memory[index]).toBe(Math.round(megabytes * 1024 * 1024));
    }
  });

  it("summarizes the profile as the original stats.sh measured it", () => {
    const summary = new ProfileSummaryBuilder();
    const scanner = new TraceScanner(typedEvents(summary));
    scanner.push(profiles.ok);
    const result = summary.build(scanner.finish());
    // stats.sh: the first and the last "ts" in file order, in microseconds.
    const timestamps = [...profiles.ok.matchAll(/"ts":(-?\d+)/g)].map((match) => Number(match[1]));
    expect(result.durationMicros).toBe(timestamps[timestamps.length - 1]! - timestamps[0]!);
    const gcLines = linesWith(profiles.ok, '"cat":"gc notification"');
    expect(result.gcCount).toBe(gcLines.length);
    expect(result.gcMicros).toBe(gcLines.reduce((sum, line) => sum + Number(/"dur":(\d+)/.exec(line)?.[1] ?? 0), 0));
    expect(result.truncated).toBe(false);
  });
});
