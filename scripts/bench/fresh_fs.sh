#!/usr/bin/env bash
# Run a benchmark with its temp dir (tests/lib.sh: OVLMIG_TEST_TMPDIR) on
# a freshly made filesystem: a sparse file on /tmp, mkfs, loop-mounted,
# unmounted and removed on exit.
#
#   scripts/bench/fresh_fs.sh [ext4|xfs] COMMAND [ARG...]     (as root)
#
# Why: on a filesystem where many files were deleted in the last minutes
# (other benchmarks, tests), creating a file can cost far more than
# usual, and the cost falls on whatever creates files first. An ext4
# without a journal (this VM's root filesystem) does not reuse an inode
# freed in the last 60 s (360 s while its inode table block is dirty):
# each new inode scans every such one of its group (fs/ext4/ialloc.c,
# find_inode_bit/recently_deleted). startup.sh fills the store before it
# pulls, so the store fill paid that and the pull did not
# (docs/PERFORMANCE.md, "The store fill of 100k small files"). On a fresh
# filesystem the two compare as on any machine.
#
# Environment: FS_SIZE (default 8G, sparse), FS_OPTS (extra mkfs options).
set -u -o pipefail
fs=ext4
[[ ${1:-} == ext4 || ${1:-} == xfs ]] && { fs=$1; shift; }
[[ $# -ge 1 ]] || { echo "usage: fresh_fs.sh [ext4|xfs] COMMAND [ARG...]" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "fresh_fs.sh: needs root (mount)" >&2; exit 2; }
# short: a unix socket path under it must fit in 108 bytes
D=$(mktemp -d /tmp/of.XXXXXX) || exit 1
cleanup() {
	mountpoint -q "$D/m" && umount "$D/m"
	rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir "$D/m" && truncate -s "${FS_SIZE:-8G}" "$D/fs.img" || exit 1
# shellcheck disable=SC2086
"mkfs.$fs" -q ${FS_OPTS:-} "$D/fs.img" >/dev/null || { echo "fresh_fs.sh: mkfs.$fs failed" >&2; exit 1; }
# loop auto-clears on umount (mount -o loop sets LO_FLAGS_AUTOCLEAR)
mount -o loop "$D/fs.img" "$D/m" || { echo "fresh_fs.sh: mount failed" >&2; exit 1; }
OVLMIG_TEST_TMPDIR="$D/m" "$@"
