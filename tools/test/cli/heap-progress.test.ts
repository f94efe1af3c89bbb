// The heap digest's progress line (io/digest-progress.ts) as a person sees it: `heap` from the built bundle on a
// pseudo-terminal (util-linux `script`), the line's delay lowered to 0 so the small checked-in dump shows it
// without any timing. What stays on the screen must be exactly what `heap` prints to a pipe: the line drawn,
// then erased, leaves nothing behind. Without a terminal (logs, CI, every other CLI test) nothing is drawn.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROGRESS_DELAY_VARIABLE } from "../../src/io/digest-progress.js";
import { runProcess } from "../helpers/bazel.js";
import { BUNDLE_PATH, cliEnvironment, runCli } from "../helpers/cli.js";
import { FIXTURES_DIR } from "../helpers/fixtures.js";
import { screenAfter } from "../helpers/terminal-screen.js";

const DUMP = join(FIXTURES_DIR, "hprof", "oom.hprof.gz");
const hasScript = spawnSync("script", ["--version"], { stdio: "ignore" }).status === 0;

describe("heap's progress line", () => {
  it("is not drawn when stderr is not a terminal, even with no delay", async () => {
    const piped = await runCli(["heap", DUMP], { env: { [PROGRESS_DELAY_VARIABLE]: "0" } });
    expect(piped.exitCode).toBe(0);
    expect(piped.stderr).toBe("");
    expect(piped.stdout).not.toContain("\u001b");
  });

  it.skipIf(!hasScript)("on a terminal, is drawn and leaves nothing behind", async () => {
    const piped = await runCli(["heap", DUMP]);
    // `script -c` runs its command through the shell: the command is a constant, the paths come in variables.
    const onTerminal = await runProcess("script", ["-q", "-e", "-c", 'exec "$MA_NODE" "$MA_BUNDLE" heap "$MA_DUMP"', "/dev/null"], {
      env: cliEnvironment({ [PROGRESS_DELAY_VARIABLE]: "0", MA_NODE: process.execPath, MA_BUNDLE: BUNDLE_PATH, MA_DUMP: DUMP }),
    });
    expect(onTerminal.exitCode).toBe(0);
    // Drawn: every phase begins after the (zero) delay, so each is drawn.
    expect(onTerminal.stdout).toContain("heap digest 1/6: reading the dump");
    expect(onTerminal.stdout).toContain("heap digest 6/6: attributing retained bytes");
    // Erased: the screen holds the digest as a pipe gets it, line for line.
    const screen = screenAfter(onTerminal.stdout);
    expect(screen.join("\n")).not.toContain("heap digest");
    expect(screen).toEqual(screenAfter(piped.stdout));
  });
});
