#!/usr/bin/env bash
# Tests the launcher made by memory_adventure_command (//analysis:defs.bzl): it finds its bundle in
# runfiles however it is started, passes every argument through unchanged, and refuses a missing or
# too old Node.js in one line with exit code 2.
set -euo pipefail

runfiles="${TEST_SRCDIR:?run me with bazel test}/${TEST_WORKSPACE:?}"
print_argv_launcher="$runfiles/tools/test/print_argv_launcher"
root_help_launcher="$runfiles/tools/test/root_help_launcher"
print_argv_script="$runfiles/tools/test/launcher/print_argv.mjs"
bundle_runfiles_path="$TEST_WORKSPACE/tools/test/launcher/print_argv.mjs"
real_node="$(command -v node)" || {
    echo "launcher_test: needs node on PATH" >&2
    exit 1
}
scratch="$(mktemp -d "${TEST_TMPDIR:-/tmp}/launcher_test.XXXXXX")"
mkdir -p "$scratch/empty" "$scratch/bin"

failures=0
case_name=""

# run COMMAND...: runs it, keeping its stdout in $out, stderr in $err and exit code in $status.
run() {
    local code=0
    "$@" >"$scratch/stdout" 2>"$scratch/stderr" || code=$?
    status=$code
    out="$(cat "$scratch/stdout")"
    err="$(cat "$scratch/stderr")"
}

fail() {
    printf 'FAIL %s: %s\n  status: %s\n  stdout: %s\n  stderr: %s\n' "$case_name" "$1" "$status" "$out" "$err" >&2
    failures=$((failures + 1))
}

# expect_output JSON: the launcher exited 0, printed JSON on stdout and nothing on stderr.
expect_output() {
    [[ $status == 0 ]] || fail "expected exit 0"
    [[ $out == "$1" ]] || fail "expected stdout $1"
    [[ -z $err ]] || fail "expected nothing on stderr"
}

# expect_refusal TEXT: exit 2, nothing on stdout, exactly one line on stderr that contains TEXT.
expect_refusal() {
    [[ $status == 2 ]] || fail "expected exit 2"
    [[ -z $out ]] || fail "expected nothing on stdout"
    [[ $err != *$'\n'* ]] || fail "expected one line on stderr"
    [[ $err == "memory-adventure: "*"$1"* ]] || fail "expected stderr to contain: $1"
}

printed() { # printed CWD VIA_WRAPPER ARG...: the JSON print_argv.mjs prints.
    local cwd="$1" via="$2" json="" arg
    shift 2
    for arg in some-command "$@"; do
        json+="${json:+,}\"${arg//\"/\\\"}\""
    done
    printf '{"execArgv":["--max-semi-space-size=4"],"argv":[%s],"cwd":"%s","viaWrapper":%s}' "$json" "$cwd" "$via"
}

case_name="passes every argument through unchanged"
run "$print_argv_launcher" 'a b' '' '--flag=$HOME' '*' "it's" '"quoted"'
expect_output "$(printed "$PWD" null 'a b' '' '--flag=$HOME' '*' "it's" '"quoted"')"

case_name="keeps the caller's working directory"
run bash -c 'cd "$1" && exec "$2" x' _ "$scratch" "$print_argv_launcher"
expect_output "$(printed "$scratch" null x)"

case_name="finds the bundle by its own path when RUNFILES_DIR is unset"
run env -u RUNFILES_DIR -u RUNFILES_MANIFEST_FILE "$print_argv_launcher" x
expect_output "$(printed "$PWD" null x)"

case_name="finds the bundle when started by a relative path"
launcher_dir="$(dirname "$print_argv_launcher")"
run env -u RUNFILES_DIR -u RUNFILES_MANIFEST_FILE bash -c 'cd "$1" && exec ./print_argv_launcher x' _ "$launcher_dir"
expect_output "$(printed "$launcher_dir" null x)"

case_name="ignores a RUNFILES_DIR that does not hold the bundle"
run env RUNFILES_DIR="$scratch/empty" "$print_argv_launcher" x
expect_output "$(printed "$PWD" null x)"

# A launcher with its own runfiles tree next to it, as bazel-bin/<target> and `bazel run` have,
# reached through a symlink from elsewhere (e.g. ~/bin/sweep).
mkdir -p "$scratch/out/launcher.runfiles/$(dirname "$bundle_runfiles_path")" "$scratch/linked"
cp "$print_argv_launcher" "$scratch/out/launcher"
cp "$print_argv_script" "$scratch/out/launcher.runfiles/$bundle_runfiles_path"
ln -s "$scratch/out/launcher" "$scratch/linked/sweep"

case_name="finds <launcher>.runfiles next to itself"
run env -u RUNFILES_DIR -u RUNFILES_MANIFEST_FILE "$scratch/out/launcher" x
expect_output "$(printed "$PWD" null x)"

case_name="finds <launcher>.runfiles through a symlink to the launcher"
run env -u RUNFILES_DIR -u RUNFILES_MANIFEST_FILE "$scratch/linked/sweep" x
expect_output "$(printed "$PWD" null x)"

# A launcher copied out of any runfiles tree: only a runfiles manifest can lead it to the bundle.
mkdir -p "$scratch/lone"
cp "$print_argv_launcher" "$scratch/lone/launcher"
printf 'other/file /nowhere\n%s %s\n' "$bundle_runfiles_path" "$print_argv_script" >"$scratch/MANIFEST"

case_name="finds the bundle through RUNFILES_MANIFEST_FILE"
run env -u RUNFILES_DIR RUNFILES_MANIFEST_FILE="$scratch/MANIFEST" "$scratch/lone/launcher" x
expect_output "$(printed "$PWD" null x)"

case_name="refuses when the bundle is nowhere to be found"
run env -u RUNFILES_DIR -u RUNFILES_MANIFEST_FILE "$scratch/lone/launcher" x
expect_refusal "cannot find $bundle_runfiles_path in the runfiles of $scratch/lone/launcher; run it with bazel run"

# Node.js: from $NODE or PATH, version 18 or newer.
write_node() { # write_node NAME VERSION: a node that reports VERSION and otherwise runs the real node.
    # An absolute bash: some cases run with a PATH that has no bash on it.
    printf '#!%s\nif [[ ${1:-} == --version ]]; then echo %s; exit 0; fi\nexport VIA_NODE_WRAPPER=%s\nexec "%s" "$@"\n' \
        "$BASH" "$2" "$1" "$real_node" >"$scratch/bin/$1"
    chmod +x "$scratch/bin/$1"
}
write_node node16 v16.20.2
write_node node17 v17.9.1
write_node node18 v18.0.0
write_node node100 v100.1.0
write_node not-node "hello"
touch "$scratch/bin/not-executable"

case_name="refuses when there is no node on PATH"
run env -u NODE PATH="$scratch/empty" "$BASH" "$print_argv_launcher" x
expect_refusal "Node.js 18 or newer is needed to run 'some-command', but there is no node on PATH"

for old in node16 node17; do
    case_name="refuses $old from NODE"
    run env NODE="$scratch/bin/$old" "$print_argv_launcher" x
    expect_refusal "Node.js 18 or newer is needed to run 'some-command', but $scratch/bin/$old is v"
done

case_name="refuses an old node found on PATH"
ln -s "$scratch/bin/node16" "$scratch/empty/node"
run env -u NODE PATH="$scratch/empty" "$BASH" "$print_argv_launcher" x
expect_refusal "but $scratch/empty/node is v16.20.2; install a newer Node.js or point NODE at one"
rm "$scratch/empty/node"

for missing in "$scratch/bin/no-such-node" "$scratch/bin/not-executable" "$scratch/bin"; do
    case_name="refuses NODE=$missing"
    run env NODE="$missing" "$print_argv_launcher" x
    expect_refusal "NODE=$missing is not an executable file"
done

case_name="refuses a NODE that is not Node.js"
run env NODE="$scratch/bin/not-node" "$print_argv_launcher" x
expect_refusal "does not look like Node.js"

for new in node18 node100; do
    case_name="runs with $new from NODE"
    run env NODE="$scratch/bin/$new" "$print_argv_launcher" x
    expect_output "$(printed "$PWD" "\"$new\"" x)"
done

case_name="takes a NODE given as a name from PATH"
run env NODE=node18 PATH="$scratch/bin:$PATH" "$print_argv_launcher" x
expect_output "$(printed "$PWD" '"node18"' x)"

case_name="prefers NODE over node on PATH"
ln -s "$scratch/bin/node16" "$scratch/empty/node"
run env NODE="$scratch/bin/node18" PATH="$scratch/empty:$PATH" "$print_argv_launcher" x
expect_output "$(printed "$PWD" '"node18"' x)"
rm "$scratch/empty/node"

# The real bundle.
case_name="runs the real bundle: the root help"
run "$root_help_launcher"
[[ $status == 0 ]] || fail "expected exit 0"
[[ $out == "Usage: memory-adventure "* ]] || fail "expected the root help on stdout"
[[ -z $err ]] || fail "expected nothing on stderr"

if ((failures > 0)); then
    echo "launcher_test: $failures case(s) failed" >&2
    exit 1
fi
echo "launcher_test: all cases passed"
