# Shared by prepare-chroot.sh and the bazel wrapper (sourced, not run): where the Debian sid chroot
# with Bazel 7.7.1 lives, and the one way to mount into it and to unmount everything under it.
# shellcheck shell=bash disable=SC2034  # the constants are used by the scripts that source this file

readonly BAZEL7_EXPECTED_VERSION=7.7.1
readonly BAZEL7_ROOT=${MEMORY_ADVENTURE_BAZEL7_ROOT:-/var/cache/memory-adventure/sid-bazel7}
# Written only as the very last step of a successful preparation: a root without it is half-finished.
readonly BAZEL7_READY_MARKER=$BAZEL7_ROOT/.memory-adventure-ready
# Serialises preparation and mounting between concurrent callers (two sweeps, a sweep and the test runner).
readonly BAZEL7_LOCK=$BAZEL7_ROOT.lock

# Rejects roots the mount bookkeeping cannot handle safely: /proc/self/mountinfo escapes whitespace, and a
# relative or top-level root would make "everything under the root" mean far too much.
bazel7_check_root_path() {
  if [[ $BAZEL7_ROOT != /?*/?* || $BAZEL7_ROOT =~ [[:space:]] || $BAZEL7_ROOT == */ ]]; then
    echo "MEMORY_ADVENTURE_BAZEL7_ROOT must be an absolute path at least two levels deep, without whitespace or trailing slash (got '$BAZEL7_ROOT')" >&2
    return 2
  fi
}

# Mounts proc and binds the host's /dev unless already mounted (the JDK and apt's maintainer scripts need them).
bazel7_mount_system() {
  mountpoint -q "$BAZEL7_ROOT/proc" || mount -t proc proc "$BAZEL7_ROOT/proc" || return 1
  mountpoint -q "$BAZEL7_ROOT/dev" || mount --bind /dev "$BAZEL7_ROOT/dev" || return 1
}

# Whether DIR inside the chroot is the host's DIR itself (same device and inode), not a folder of its own.
bazel7_same_inside() {
  local dir=$1 host inside
  host=$(stat -L -c '%d:%i' "$dir" 2>/dev/null) || return 1
  inside=$(stat -L -c '%d:%i' "$BAZEL7_ROOT$dir" 2>/dev/null) || return 1
  [[ $host == "$inside" ]]
}

# Binds host directory DIR at the same absolute path inside the chroot, unless it is already there. Binds are
# left in place between runs, so one can go stale: its folder deleted and made again on the host (a CI checkout
# under /check, removed and cloned afresh, showed up inside as "/check//deleted"); a stale bind is replaced.
bazel7_bind_same_path() {
  local dir=$1
  bazel7_same_inside "$dir" && return 0
  if mountpoint -q "$BAZEL7_ROOT$dir"; then
    umount "$BAZEL7_ROOT$dir" 2>/dev/null || umount --lazy "$BAZEL7_ROOT$dir" || return 1
  fi
  mkdir -p "$BAZEL7_ROOT$dir" && mount --bind "$dir" "$BAZEL7_ROOT$dir"
}

# Prints the mount points at or below the root, deepest first.
bazel7_mounts_under_root() {
  awk -v root="$BAZEL7_ROOT" '$5 == root || index($5, root "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

# Unmounts everything at or below the root (binds of /tmp, /work, … included) so that deleting the root can
# never reach into host directories. Fails if anything is still mounted afterwards.
bazel7_unmount_all() {
  local mount_point
  while read -r mount_point; do
    [[ -n $mount_point ]] || continue
    umount "$mount_point" 2>/dev/null || umount --lazy "$mount_point" || true
  done < <(bazel7_mounts_under_root)
  [[ -z $(bazel7_mounts_under_root) ]]
}
