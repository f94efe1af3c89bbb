#!/usr/bin/env bash
# Prepares, idempotently, a Debian sid (minbase) chroot with Debian's bazel-bootstrap 7.7.1, so that the tests
# and the sweep can run a second, real Bazel beside the host's 4.2.3 (through tools/bazel7/bazel).
# Cached between runs at ${MEMORY_ADVENTURE_BAZEL7_ROOT:-/var/cache/memory-adventure/sid-bazel7}; a cached
# chroot only gets its mounts and its bazelrc checked (about a second).
#
# Exit codes: 0 ready; 2 bad MEMORY_ADVENTURE_BAZEL7_ROOT; 77 this machine cannot host the chroot (not root, no
# mount permission, too little disk, no mirror, debootstrap or apt failed) — then exactly one line on stderr says
# why, so the test runner can report a loud skip. Noisy tool output goes to ${ROOT}.log.
set -euo pipefail

readonly CANNOT_PREPARE=77
# The chroot takes about 1.5 GB once the downloaded .debs are cleaned (more while installing); leave room to spare.
readonly NEEDED_FREE_KIB=$((3 * 1024 * 1024))
readonly SYSTEM_BAZELRC=/etc/bazel.bazelrc

# shellcheck source=tools/bazel7/chroot-lib.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/chroot-lib.sh"
bazel7_check_root_path || exit 2
readonly LOG=$BAZEL7_ROOT.log

cannot() {
  echo "prepare-chroot: cannot prepare the Bazel $BAZEL7_EXPECTED_VERSION chroot at $BAZEL7_ROOT: $*" >&2
  exit "$CANNOT_PREPARE"
}
readonly STARTED=$SECONDS
step() { echo "prepare-chroot: [$((SECONDS - STARTED)) s] $*"; }

# Runs a command inside the chroot with a clean environment (the host's variables mean nothing there).
in_chroot() {
  chroot "$BAZEL7_ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive "$@"
}

# Prints the Debian mirror this machine's apt already uses (never a hard-coded host): the first http(s) URI of an
# enabled "deb" source that is not a -security suite, from deb822 *.sources files, else from one-line *.list files.
find_mirror() {
  local sources=() lists=() file
  for file in /etc/apt/sources.list.d/*.sources; do [[ -f $file ]] && sources+=("$file"); done
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do [[ -f $file ]] && lists+=("$file"); done
  {
    if ((${#sources[@]})); then
      awk 'BEGIN { RS = ""; FS = "\n" }
        {
          types = ""; uris = ""; suites = ""; enabled = "yes"
          for (i = 1; i <= NF; i++) {
            line = $i
            if (line ~ /^[ \t]*#/) continue
            key = tolower(line); sub(/:.*/, "", key)
            value = line; sub(/^[^:]*:[ \t]*/, "", value)
            if (key == "types") types = value
            else if (key == "uris") uris = value
            else if (key == "suites") suites = value
            else if (key == "enabled") enabled = tolower(value)
          }
          if (enabled == "no" || (" " types " ") !~ / deb / || suites ~ /security/) next
          split(uris, list, /[ \t]+/)
          for (j in list) if (list[j] ~ /^https?:\/\//) { print list[j]; break }
        }' "${sources[@]}"
    fi
    if ((${#lists[@]})); then
      awk '$1 == "deb" {
          i = 2
          if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
          if ($i ~ /^https?:\/\// && $(i + 1) !~ /security/) print $i
        }' "${lists[@]}"
    fi
  } | head -n 1
}

# The machine's mirror may be a frozen snapshot whose Release files have expired; the host's apt then carries
# Acquire::Check-Valid-Until "false", and the chroot's apt must follow the same policy to read the same mirror.
copy_apt_valid_until_policy() {
  local check_valid_until=""
  eval "$(apt-config shell check_valid_until Acquire::Check-Valid-Until)"
  if [[ $check_valid_until == false ]]; then
    echo 'Acquire::Check-Valid-Until "false";' >"$BAZEL7_ROOT/etc/apt/apt.conf.d/99memory-adventure-valid-until"
  fi
}

summary() {
  local what=$1 disk=$2 java
  java=$(in_chroot readlink -f /usr/bin/java 2>/dev/null || echo unknown)
  step "$what: $BAZEL7_ROOT ($disk), $(in_chroot bazel --version 2>/dev/null), java $java"
  step "run Bazel $BAZEL7_EXPECTED_VERSION with: tools/bazel7/bazel"
}

# The chroot's only bazelrc. WORKSPACE mode: with bzlmod on, Bazel 7 tries to reach the Bazel Central Registry,
# and tests here run offline. This is a test-environment necessity, not a flag the product recommends.
# A separate output user root keeps the chroot's servers away from the host Bazel's default output bases
# (/root is bound at the same path, and both Bazels would otherwise hash a workspace to the same folder).
write_bazelrc() {
  local wanted
  wanted=$(cat <<'RC'
# Written by memory_adventure's tools/bazel7/prepare-chroot.sh; rewritten on every run.
# Offline-test necessity, not a product flag: with bzlmod on, Bazel 7 tries to reach the Bazel Central Registry.
common --noenable_bzlmod
# Keeps this Bazel's default output bases apart from the host Bazel's (/root is the same folder in both).
startup --output_user_root=/root/.cache/bazel-sid-7
RC
)
  if [[ ! -f $BAZEL7_ROOT$SYSTEM_BAZELRC || $(<"$BAZEL7_ROOT$SYSTEM_BAZELRC") != "$wanted" ]]; then
    printf '%s\n' "$wanted" >"$BAZEL7_ROOT$SYSTEM_BAZELRC.tmp"
    mv "$BAZEL7_ROOT$SYSTEM_BAZELRC.tmp" "$BAZEL7_ROOT$SYSTEM_BAZELRC"
  fi
}

# The workspace's own actions run node (the generated-file diff tests), as on any user's machine.
install_node() {
  in_chroot test -x /usr/bin/node && return 0
  step "installing nodejs inside the chroot"
  in_chroot apt-get install -y --no-install-recommends nodejs >>"$LOG" 2>&1 ||
    { in_chroot apt-get update && in_chroot apt-get install -y --no-install-recommends nodejs; } >>"$LOG" 2>&1 ||
    cannot "apt-get install nodejs inside the chroot failed (see $LOG)"
  in_chroot apt-get clean >>"$LOG" 2>&1 || true
}

main() {
  ((EUID == 0)) || cannot "needs root (debootstrap, mount and chroot)"
  mkdir -p "$(dirname "$BAZEL7_ROOT")" 2>/dev/null || cannot "cannot create $(dirname "$BAZEL7_ROOT")"
  exec 9>"$BAZEL7_LOCK" || cannot "cannot write the lock file $BAZEL7_LOCK"
  flock 9

  if [[ -f $BAZEL7_READY_MARKER ]]; then
    bazel7_mount_system 2>>"$LOG" || cannot "mounting proc and /dev into the chroot failed (no mount permission?)"
    write_bazelrc
    install_node
    summary "cached, checked" "$(sed -n 's/^disk=//p' "$BAZEL7_READY_MARKER") when prepared"
    return 0
  fi

  : >"$LOG" || cannot "cannot write the log $LOG"
  if [[ -e $BAZEL7_ROOT ]]; then
    step "removing the half-finished chroot left by an earlier attempt"
    bazel7_unmount_all 2>>"$LOG" || cannot "something is still mounted under it; unmount it, then run again"
    rm -rf --one-file-system "$BAZEL7_ROOT" 2>>"$LOG" || cannot "cannot remove the half-finished chroot (see $LOG)"
  fi

  local free_kib
  free_kib=$(df -Pk "$(dirname "$BAZEL7_ROOT")" | awk 'NR == 2 { print $4 }')
  ((free_kib >= NEEDED_FREE_KIB)) ||
    cannot "only $((free_kib / 1024)) MiB free on $(dirname "$BAZEL7_ROOT"), needs $((NEEDED_FREE_KIB / 1024)) MiB"

  if ! command -v debootstrap >/dev/null; then
    step "installing debootstrap with apt"
    { apt-get install -y --no-install-recommends debootstrap ||
      { apt-get update && apt-get install -y --no-install-recommends debootstrap; }; } >>"$LOG" 2>&1 ||
      cannot "apt-get install debootstrap failed (see $LOG)"
  fi

  local mirror
  mirror=$(find_mirror)
  [[ -n $mirror ]] || cannot "no http(s) Debian mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list"

  step "debootstrap --variant=minbase sid from the mirror configured for apt (log: $LOG)"
  debootstrap --variant=minbase sid "$BAZEL7_ROOT" "$mirror" >>"$LOG" 2>&1 || cannot "debootstrap failed (see $LOG)"
  bazel7_mount_system 2>>"$LOG" || cannot "mounting proc and /dev into the chroot failed (no mount permission?)"

  step "installing bazel-bootstrap inside the chroot"
  copy_apt_valid_until_policy
  in_chroot apt-get update >>"$LOG" 2>&1 || cannot "apt-get update inside the chroot failed (see $LOG)"
  local candidate
  candidate=$(in_chroot apt-cache policy bazel-bootstrap | awk '$1 == "Candidate:" { print $2 }')
  [[ $candidate == "$BAZEL7_EXPECTED_VERSION"[+~-]* ]] ||
    cannot "Debian sid offers bazel-bootstrap '${candidate:-none}', not $BAZEL7_EXPECTED_VERSION; update tools/bazel7 for it"
  in_chroot apt-get install -y --no-install-recommends bazel-bootstrap >>"$LOG" 2>&1 ||
    cannot "apt-get install bazel-bootstrap inside the chroot failed (see $LOG)"
  install_node
  in_chroot apt-get clean >>"$LOG" 2>&1 || true # the downloaded .debs are not needed any more

  write_bazelrc
  local version
  version=$(in_chroot bazel --version 2>>"$LOG") || cannot "bazel --version inside the chroot failed (see $LOG)"
  [[ $version == "bazel $BAZEL7_EXPECTED_VERSION" ]] || cannot "bazel --version inside the chroot printed '$version'"

  # -x: proc and /dev are other file systems; nothing else is mounted yet.
  local disk
  disk=$(du -sxh "$BAZEL7_ROOT" | cut -f1)
  printf 'bazel=%s\ndisk=%s\nprepared=%s\n' "$version" "$disk" "$(date -u +%FT%TZ)" >"$BAZEL7_READY_MARKER.tmp"
  mv "$BAZEL7_READY_MARKER.tmp" "$BAZEL7_READY_MARKER"
  summary "prepared from scratch" "$disk"
}

main "$@"
