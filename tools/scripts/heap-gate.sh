#!/usr/bin/env bash
# heap-gate.sh: the CI gate on the Bazel server's heap. Takes a snapshot (memory-adventure snapshot: one cold
# build, then a live heap dump digested per Starlark function) of the base commit and of the new one, each in a
# git worktree of its own, then compares them with `diff BASE NEW --fail-over GROWTH` (and a budget, if given):
# it fails when a Starlark function's retained bytes grew by more than GROWTH, naming it.
#
#   tools/scripts/heap-gate.sh [--repo DIR] [--base REF] [--new REF] [--workspace PATH] [--fail-over GROWTH]
#                              [--budget FILE] [--cache DIR] [--out DIR] [-- SNAPSHOT_OPTIONS...]
#
#   --repo DIR         the git repository (default: the one the current directory is in)
#   --base REF         what the change is compared with (default: origin/main, else main)
#   --new REF          the change (default: HEAD)
#   --workspace PATH   the Bazel workspace inside the repository (default: its top folder)
#   --fail-over GROWTH as diff takes it: 10% of a function's BASE bytes (growth under 1 MiB never trips a
#                      percentage), or a size such as 64m (default: 10%)
#   --budget FILE      also check the new snapshot against this heap budget (diff --budget)
#   --cache DIR        keep each snapshot here, named by commit and snapshot options, and reuse it next time
#                      (a commit's snapshot does not change: main's is taken once for every change compared with it)
#   --out DIR          keep the two snapshots here as base.json and new.json (default: a temporary folder)
#   SNAPSHOT_OPTIONS   passed to every snapshot, e.g. --targets //app/... --config=ci --bazel bazelisk
#
# The snapshots are taken with this checkout's tool (tools/dist/memory-adventure.mjs beside this script), whatever
# the two commits hold. Exit codes: 0 no function grew past the gate (and the budget held), 1 one did (or a
# snapshot's build failed), 2 bad arguments or an unknown commit.
set -euo pipefail

readonly self_dir="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
readonly bundle="$self_dir/../dist/memory-adventure.mjs"

die() {
    printf 'heap-gate: %s\n' "$1" >&2
    exit "${2:-2}"
}
usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

repo="."
base=""
new="HEAD"
workspace="."
fail_over="10%"
budget=""
cache=""
out=""
snapshot_args=()
while (($# > 0)); do
    case "$1" in
    -h | --help) usage; exit 0 ;;
    --repo | --base | --new | --workspace | --fail-over | --budget | --cache | --out)
        (($# >= 2)) || die "$1 needs a value (see --help)"
        case "$1" in
        --repo) repo="$2" ;;
        --base) base="$2" ;;
        --new) new="$2" ;;
        --workspace) workspace="$2" ;;
        --fail-over) fail_over="$2" ;;
        --budget)
            [[ -f $2 ]] || die "--budget $2: no such file"
            budget="$(realpath -- "$2")"
            ;;
        --cache) cache="$2" ;;
        --out) out="$2" ;;
        esac
        shift 2
        ;;
    --) shift; snapshot_args=("$@"); break ;;
    *) die "unknown argument '$1'; snapshot options go after -- (see --help)" ;;
    esac
done

command -v node >/dev/null 2>&1 || die "node is not on PATH"
[[ -f $bundle ]] || die "no $bundle; run this script from a memory_adventure checkout"
top="$(git -C "$repo" rev-parse --show-toplevel 2>/dev/null)" || die "$repo is not in a git repository; give --repo"
if [[ -z $base ]]; then
    for candidate in origin/main main; do
        if git -C "$top" rev-parse --verify --quiet "$candidate^{commit}" >/dev/null; then base="$candidate"; break; fi
    done
    [[ -n $base ]] || die "neither origin/main nor main exists in $top; give --base"
fi
commit_of() {
    git -C "$top" rev-parse --verify --quiet "$1^{commit}" || die "--$2 $1 is not a commit of $top"
}
base_sha="$(commit_of "$base" base)"
new_sha="$(commit_of "$new" new)"
[[ $workspace != /* && $workspace != ..* ]] || die "--workspace $workspace: give a path inside the repository, relative to its top"

scratch="$(mktemp -d "${TMPDIR:-/tmp}/heap-gate.XXXXXX")"
worktrees=()
cleanup() {
    local tree
    for tree in "${worktrees[@]}"; do git -C "$top" worktree remove --force "$tree" >/dev/null 2>&1 || true; done
    git -C "$top" worktree prune >/dev/null 2>&1 || true
    rm -rf "$scratch"
}
trap cleanup EXIT
out="${out:-$scratch/snapshots}"
mkdir -p "$out"
[[ -z $cache ]] || mkdir -p "$cache"

# A cached snapshot stands for a commit taken with the same options and the same Bazel (its --version; the
# cache folder should be per machine type too: the heap depends on the JVM).
options_key() {
    local bazel="bazel" i
    for ((i = 0; i < ${#snapshot_args[@]}; i++)); do
        case "${snapshot_args[i]}" in
        --bazel) bazel="${snapshot_args[i + 1]:-bazel}" ;;
        --bazel=*) bazel="${snapshot_args[i]#--bazel=}" ;;
        esac
    done
    { printf '%s\0' "$workspace" "${snapshot_args[@]}"; "$bazel" --version 2>/dev/null || true; } | cksum | cut -d ' ' -f 1
}
readonly key="$(options_key)"

# snapshot ROLE SHA: the snapshot of SHA into $out/ROLE.json, from the cache or from a worktree at SHA.
snapshot() {
    local role="$1" sha="$2" cached="" tree status
    [[ -z $cache ]] || cached="$cache/$sha-$key.json"
    if [[ -n $cached && -f $cached ]]; then
        printf 'heap-gate: %s %s: snapshot from the cache (%s)\n' "$role" "${sha:0:12}" "$cached"
        cp "$cached" "$out/$role.json"
        return 0
    fi
    tree="$scratch/$role"
    git -C "$top" worktree add --quiet --detach "$tree" "$sha" || die "cannot check $sha out into $tree" 1
    worktrees+=("$tree")
    printf 'heap-gate: %s %s: snapshot of a worktree at %s\n' "$role" "${sha:0:12}" "$tree"
    status=0
    node "$bundle" snapshot --workspace "$tree/$workspace" --out "$out/$role.json" "${snapshot_args[@]}" || status=$?
    ((status == 0)) || die "the snapshot of $role ${sha:0:12} failed (exit $status); see above" "$(( status == 2 ? 2 : 1 ))"
    if [[ -n $cached ]]; then cp "$out/$role.json" "$cached.tmp.$$" && mv "$cached.tmp.$$" "$cached"; fi
    git -C "$top" worktree remove --force "$tree" >/dev/null 2>&1 || true
}
snapshot base "$base_sha"
snapshot new "$new_sha"

diff_args=("$out/base.json" "$out/new.json" --fail-over "$fail_over")
[[ -z $budget ]] || diff_args+=(--budget "$budget")
printf 'heap-gate: %s (%s) -> %s (%s)\n' "$base" "${base_sha:0:12}" "$new" "${new_sha:0:12}"
status=0
node "$bundle" diff "${diff_args[@]}" || status=$?
case "$status" in
0) printf 'heap-gate: PASS\n' ;;
1) printf 'heap-gate: FAIL: the change grows the heap past the gate (see above)\n' ;;
*) printf 'heap-gate: diff failed (exit %d)\n' "$status" >&2 ;;
esac
exit "$status"
