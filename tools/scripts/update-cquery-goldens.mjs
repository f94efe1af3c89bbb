// Rewrites the golden outputs in analysis/goldens/ from real cquery runs, for one or more Bazels:
//
//   node tools/scripts/update-cquery-goldens.mjs [--bazel PATH]...
//
// Without --bazel it uses `bazel` from PATH. For each Bazel it runs the golden test
// (tools/test/e2e/cquery.e2e.test.ts) with UPDATE_CQUERY_GOLDENS=1, which writes the goldens instead of
// comparing them; the test keeps one golden per case where the versions agree and one per version where
// they differ (see tools/test/helpers/goldens.ts). Review the result with `git diff analysis/goldens`.
import { spawnSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const toolsDir = dirname(dirname(fileURLToPath(import.meta.url)));
const vitest = join(toolsDir, "node_modules/vitest/vitest.mjs");

function parseArguments(args) {
  const bazels = [];
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index];
    if (arg === "--bazel" && index + 1 < args.length) bazels.push(args[++index]);
    else if (arg.startsWith("--bazel=")) bazels.push(arg.slice("--bazel=".length));
    else return { error: `unknown argument ${arg}; usage: node tools/scripts/update-cquery-goldens.mjs [--bazel PATH]...` };
  }
  return { bazels: bazels.length > 0 ? bazels : ["bazel"] };
}

function main(args) {
  const { bazels, error } = parseArguments(args);
  if (error) {
    process.stderr.write(`update-cquery-goldens: ${error}\n`);
    return 2;
  }
  for (const bazel of bazels) {
    process.stdout.write(`update-cquery-goldens: running the cquery goldens test with ${bazel}\n`);
    // A path is read from where you ran this; a bare name is looked up on PATH.
    const bazelForTest = bazel.includes("/") ? resolve(bazel) : bazel;
    const result = spawnSync(process.execPath, [vitest, "run", "--project", "e2e", "test/e2e/cquery.e2e.test.ts"], {
      cwd: toolsDir,
      env: { ...process.env, BAZEL: bazelForTest, UPDATE_CQUERY_GOLDENS: "1" },
      stdio: "inherit",
    });
    if (result.status !== 0) {
      process.stderr.write(`update-cquery-goldens: the test failed with ${bazel} (exit ${result.status}); goldens may be partly updated\n`);
      return 1;
    }
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
