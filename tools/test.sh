#!/usr/bin/env bash
# The test command (README.md, .ci/run): runs every test of memory_adventure, from any directory.
#
#   MEMORY_ADVENTURE_CPU_HOG=1 tools/test.sh   the same with both cores kept busy for the whole run (two busy
#                                              loops that end with the run, at most after 60 minutes): the
#                                              suite must hold on a loaded machine.
#
#   npm ci (only when tools/node_modules is missing or older than package-lock.json), tsc --noEmit,
#   the bundle-freshness check, vitest unit and CLI tests, `bazel test //...` and the end-to-end tests (real
#   Bazel, one file at a time) on the host Bazel, then both again on Bazel 7.7.1 (tools/bazel7).
#
# Every Bazel server started here has its own output base and --max_idle_secs, and is shut down at the
# end even when a step fails. No bazel-* symlinks are written into the workspace (--symlink_prefix=/).
set -euo pipefail

root="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
readonly root
readonly tools="$root/tools"
# Output bases are per checkout and kept between runs, so that their action caches make the next run faster.
checkout_id="$(id -u)-$(printf '%s' "$root" | cksum | cut -d ' ' -f 1)"
readonly checkout_id
readonly bazel_max_idle="--max_idle_secs=60"
readonly bazel_test_flags=("--symlink_prefix=/" "--test_output=errors")

current_step="setup"
steps_passed=0
bazel_servers=() # pairs of (bazel binary, output base) of the servers started, shut down by finish()
# Each test step leaves its counts here (vitest JSON reports, bazel test consoles) for the closing tally.
results="$(mktemp -d)"
readonly results

# Prints "N passed, N failed" over every test run so far: vitest's JSON reports plus bazel test's summaries.
tally() {
    node - "$results" <<'JS'
const { readdirSync, readFileSync } = require("node:fs");
const { join } = require("node:path");
let passed = 0;
let failed = 0;
for (const name of readdirSync(process.argv[2])) {
  const text = readFileSync(join(process.argv[2], name), "utf8");
  if (name.endsWith(".json")) {
    const report = JSON.parse(text);
    passed += report.numPassedTests;
    failed += report.numFailedTests;
  } else {
    const summary = /Executed \d+ out of \d+ tests?: (\d+) tests? pass(?:es)?(?: and (\d+) fails?)?/.exec(text);
    if (summary) {
      passed += Number(summary[1]);
      failed += Number(summary[2] ?? 0);
    }
  }
}
console.log(`${passed} passed, ${failed} failed`);
JS
}

hog_pids=()
finish() {
    local status=$? i
    for i in "${hog_pids[@]}"; do kill "$i" 2>/dev/null || true; done
    for ((i = 0; i < ${#bazel_servers[@]}; i += 2)); do
        # The same startup flags as the server's, or Bazel would kill it and start a new one to shut down.
        "${bazel_servers[i]}" --output_base="${bazel_servers[i + 1]}" "$bazel_max_idle" shutdown >/dev/null 2>&1 || true
    done
    printf '\n'
    tally || true
    rm -rf "$results"
    if ((status == 0)); then
        printf '\ntools/test.sh: PASSED, all %d steps, in %ds\n' "$steps_passed" "$SECONDS"
    else
        printf '\ntools/test.sh: FAILED at step "%s" (exit %d) after %d passed steps, in %ds\n' \
            "$current_step" "$status" "$steps_passed" "$SECONDS" >&2
    fi
}
trap finish EXIT

# step NAME COMMAND...: runs one named step; the first failing step ends the run.
step() {
    current_step="$1"
    shift
    printf '\n==> %s\n' "$current_step"
    "$@"
    steps_passed=$((steps_passed + 1))
}

npm_in_tools() {
    npm --prefix "$tools" "$@"
}

node_modules_stale() {
    # npm writes node_modules/.package-lock.json on every install: it dates the installed tree.
    local installed="$tools/node_modules/.package-lock.json"
    [[ ! -f $installed || $tools/package-lock.json -nt $installed ]]
}

# CI=true: vitest fails on a missing snapshot instead of writing it.
# vitest SCRIPT NAME: runs the npm script SCRIPT, keeping its JSON report as NAME for the tally.
vitest() {
    CI=true npm_in_tools run --silent "$1" -- --reporter=default --reporter=json --outputFile.json="$results/$2.json"
}

# bazel_test BAZEL NAME: `bazel test //...` with that Bazel binary, in a server of its own named NAME.
bazel_test() {
    local output_base="${TMPDIR:-/tmp}/memory-adventure-test-$checkout_id-$2"
    bazel_servers+=("$1" "$output_base")
    "$1" --output_base="$output_base" "$bazel_max_idle" test "${bazel_test_flags[@]}" //... 2>&1 | tee "$results/bazel-$2.log"
}

cd "$root"
if [[ ${MEMORY_ADVENTURE_CPU_HOG:-} == 1 ]]; then
    for _ in 1 2; do
        timeout 3600 node -e 'for (;;) {}' &
        hog_pids+=("$!")
    done
    printf 'tools/test.sh: two busy loops keep both cores loaded (pids %s)\n' "${hog_pids[*]}"
fi
if node_modules_stale; then
    step "npm ci" npm_in_tools ci --no-audit --no-fund
fi
step "tsc --noEmit" npm_in_tools run --silent typecheck
step "bundle is fresh" npm_in_tools run --silent check:bundle
step "vitest: unit and CLI tests" vitest test unit
step "bazel test //... (host Bazel)" bazel_test bazel host

step "vitest: end-to-end tests on the host Bazel (real builds, serially)" vitest test:e2e e2e-host

# The same Bazel-dependent tests on Bazel 7.7.1 from a Debian sid chroot (tools/bazel7). A machine that cannot
# host the chroot (exit 77: no mount permission, no disk) skips them loudly; any other failure fails the run.
readonly bazel7="$tools/bazel7/bazel"
vitest_on_bazel7() {
    local -x BAZEL="$bazel7"
    vitest test:e2e e2e-bazel7
}
bazel7_status=0
"$tools/bazel7/prepare-chroot.sh" || bazel7_status=$?
if ((bazel7_status == 77)); then
    printf '\n!!! SKIPPED: the Bazel 7.7.1 tests (see the line above for why) !!!\n' >&2
elif ((bazel7_status != 0)); then
    current_step="prepare the Bazel 7.7.1 chroot"
    exit "$bazel7_status"
else
    step "bazel test //... (Bazel 7.7.1)" bazel_test "$bazel7" bazel7
    step "vitest: end-to-end tests on Bazel 7.7.1" vitest_on_bazel7
fi
