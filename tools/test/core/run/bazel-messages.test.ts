// Bazel's reason for a failed command, from stderr captured from real cquery runs of both versions.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { firstBazelError } from "../../../src/core/run/bazel-messages.js";

const stderrOf = (version: string, name: string) =>
  readFileSync(new URL(`../../fixtures/bazel-${version}/cquery/${name}.stderr.txt`, import.meta.url), "utf8");

describe("firstBazelError", () => {
  it.each([
    {
      name: "no_such_target",
      expected:
        "no such target '//cpu:no_such_target': target 'no_such_target' not declared in package 'cpu' defined by /work/main/cpu/BUILD.bazel",
    },
    {
      name: "no_such_package",
      expected:
        "no such package 'no/such/package': BUILD file not found in any of the following directories. " +
        "Add a BUILD file to a directory to mark it as a package. - /work/main/no/such/package",
    },
    { name: "undefined_config", expected: "Config value 'no_such_config' is not defined in any .rc file" },
  ])("says why cquery failed: $name", ({ name, expected }) => {
    // Both versions word these the same; 7.7.1 prints its warning first and ends with "ERROR: Build did NOT complete".
    expect(firstBazelError(stderrOf("4.2.3", name))).toBe(expected);
    expect(firstBazelError(stderrOf("7.7.1", name))).toBe(expected);
  });

  it.each(["4.2.3", "7.7.1"])("finds nothing in the stderr of a successful cquery (Bazel %s)", (version) => {
    expect(firstBazelError(stderrOf(version, "output_groups.three_targets"))).toBeNull();
  });

  it("falls back on a consequence line when Bazel printed nothing better", () => {
    expect(firstBazelError("INFO: x\nERROR: Build did NOT complete successfully\n")).toBe("Build did NOT complete successfully");
  });
});
