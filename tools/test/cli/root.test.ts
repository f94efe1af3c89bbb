// The root command as users see it: the built bundle run as a subprocess.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BUNDLE_PATH, runCli } from "../helpers/cli.js";

describe("memory-adventure (root command)", () => {
  it("is bundled in ASCII, which Node keeps as one byte a character (scripts/bundle.mjs: asciiOnly)", () => {
    const source = readFileSync(BUNDLE_PATH, "latin1");
    const outside = source.search(/[^\0-\x7f]/);
    expect(outside === -1 ? "" : source.slice(Math.max(0, outside - 60), outside + 20)).toBe("");
  });

  it("prints its help with examples on stdout and exits 0", async () => {
    const result = await runCli(["--help"]);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatchInlineSnapshot(`
      "Usage: memory-adventure [options] [command]

      Find the Starlark code that makes the Bazel server run out of memory.

      Options:
        -h, --help                        display help for command

      Commands:
        sweep [options]                   Build at several heap limits, each build
                                          cold, keeping profiles; or find the lowest
                                          heap that succeeds.
        stats [options] <RUNS_DIR...>     Summarize a sweep's runs: one row a run with
                                          its limit, status, profile duration, GC and
                                          peak heap.
        plot [options] <SERIES...>        Plot build duration and GC count against the
                                          heap limit for one or two series of runs.
        report [options] <RUNS_DIR>       Write one self-contained HTML page about a
                                          sweep: parameters, threshold, plots and
                                          every run.
        compare [options] <left> <right>  Show side by side which providers, output
                                          groups and files two targets return, marking
                                          what only one has.
        heap [options] <PATH>             Digest a heap dump of a crashed Bazel
                                          server: the Starlark code that holds the
                                          heap.
        blame [options] <SWEEP_DIR...>    Name the Starlark function that eats the
                                          heap, from every signal a sweep left.
        diff [options] <BASE> [NEW]       Compare two heap digests per Starlark
                                          function; gate growth and check heap
                                          budgets.
        snapshot [options]                Build once, cold, and digest the heap the
                                          build leaves in the live Bazel server.
        help [command]                    display help for command

      Examples:
        Sweep this workspace's reproduction across heap limits:
          bazel run //analysis:sweep
        Show the sweep's options:
          bazel run //analysis:sweep -- --help
        Who held the heap when a build just ran out of memory (its output base holds the JVM's heap dump):
          bazel run //analysis:heap -- $(bazel info output_base)
        Which Starlark function to blame, from every signal a sweep left:
          bazel run //analysis:blame -- measurements/sweep-<id>
        Run the same CLI without Bazel (needs only Node.js 18 or newer):
          node tools/dist/memory-adventure.mjs --help

      Every command takes --help. Relative paths are read from the directory you ran the
      command in; outputs go under <workspace>/measurements/ unless you say otherwise.
      Exit codes: 0 ok, 1 findings or failed runs, 2 usage error, 3 internal error.
      Set DEBUG=1 to see stack traces, NO_COLOR=1 to turn colours off.
      "
    `);
  });

  it("prints the same help for -h", async () => {
    const [long, short] = await Promise.all([runCli(["--help"]), runCli(["-h"])]);
    expect(short).toEqual(long);
  });

  it.each([
    { args: ["no-such-command"], why: "an unknown command" },
    { args: ["--no-such-option"], why: "an unknown option" },
    { args: ["--no-such-option", "and more"], why: "an unknown option followed by other arguments" },
  ])("refuses $why with one line on stderr and exit 2", async ({ args }) => {
    const result = await runCli(args);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^memory-adventure: [^\n]+ \(see --help\)\n$/);
  });

  it("names what is wrong in the one line", async () => {
    const [command, option] = await Promise.all([runCli(["no-such-command"]), runCli(["--no-such-option"])]);
    expect(command.stderr).toMatchInlineSnapshot(`
      "memory-adventure: unknown command 'no-such-command' (see --help)
      "
    `);
    expect(option.stderr).toMatchInlineSnapshot(`
      "memory-adventure: unknown option '--no-such-option' (see --help)
      "
    `);
  });

  it.each([
    { env: { FORCE_COLOR: "1", NO_COLOR: undefined }, coloured: true },
    { env: { FORCE_COLOR: "1", NO_COLOR: "1" }, coloured: false },
    { env: { NO_COLOR: "1" }, coloured: false },
  ])("colours the error line only when allowed: $env", async ({ env, coloured }) => {
    const result = await runCli(["--no-such-option"], { env });
    expect(result.exitCode).toBe(2);
    expect(result.stderr.includes("\u001b[")).toBe(coloured);
  });

  it("prints no stack trace for a command-line mistake, even with DEBUG set", async () => {
    const result = await runCli(["--no-such-option"], { env: { DEBUG: "1" } });
    expect(result.stderr.split("\n")).toHaveLength(2);
  });
});
