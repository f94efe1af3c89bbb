import { CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { InputError, UsageError } from "../../src/core/exit-codes.js";
import { renderError } from "../../src/render/errors.js";

const plain = { color: false, debug: false };

describe("renderError", () => {
  it.each([
    {
      error: new UsageError("--limits: 5x is not a heap size; use a number with k, m or g, e.g. 256m"),
      expected: "memory-adventure: --limits: 5x is not a heap size; use a number with k, m or g, e.g. 256m\n",
    },
    {
      error: new InputError("runs/0256m-r01/run.json is not JSON; delete the run folder and re-run the sweep"),
      expected: "memory-adventure: runs/0256m-r01/run.json is not JSON; delete the run folder and re-run the sweep\n",
    },
    {
      error: new CommanderError(1, "commander.unknownOption", "error: unknown option '--x'"),
      expected: "memory-adventure: unknown option '--x' (see --help)\n",
    },
    {
      error: new CommanderError(1, "commander.excessArguments", "error: too many arguments. Expected 0 arguments but got 1."),
      expected: "memory-adventure: too many arguments. Expected 0 arguments but got 1 (see --help)\n",
    },
    {
      error: new TypeError("cannot read properties of undefined (reading 'limit')"),
      expected:
        "memory-adventure: internal error: cannot read properties of undefined (reading 'limit'); " +
        "this is a bug, rerun with DEBUG=1 to see where it happened\n",
    },
    {
      error: "a thrown string",
      expected: "memory-adventure: internal error: a thrown string; this is a bug, rerun with DEBUG=1 to see where it happened\n",
    },
    { error: new UsageError("two\n  lines"), expected: "memory-adventure: two lines\n" },
  ])("renders $error as one line", ({ error, expected }) => {
    expect(renderError(error, plain)).toBe(expected);
  });

  it.each(["commander.helpDisplayed", "commander.help", "commander.version"])(
    "adds nothing after commander has shown the help or version (%s)",
    (code) => {
      expect(renderError(new CommanderError(0, code, "(outputHelp)"), plain)).toBe("");
    },
  );

  it.each([
    { error: new UsageError("bad flag"), firstLine: "memory-adventure: bad flag" },
    { error: new Error("boom"), firstLine: "memory-adventure: internal error: boom" },
  ])("adds the stack trace after the line only with debug: $firstLine", ({ error, firstLine }) => {
    const debugged = renderError(error, { color: false, debug: true }).split("\n");
    expect(debugged[0]).toBe(firstLine);
    expect(debugged[1]).toBe(error.stack?.split("\n")[0]);
    expect(debugged.length).toBeGreaterThan(3);
    expect(renderError(error, plain).split("\n")).toHaveLength(2);
  });

  it("colours only the prefix, and only when asked", () => {
    const error = new UsageError("bad flag");
    expect(renderError(error, { color: true, debug: false })).toBe("\u001b[31mmemory-adventure:\u001b[39m bad flag\n");
    expect(renderError(error, plain)).not.toContain("\u001b");
  });
});
