#!/usr/bin/env bash
# Benchmark the overlay's metadata layer built as one EROFS image
# (erofs/, written in-process and mounted file-backed) against building
# the same metadata as a directory tree the way ovlmig/meta.c does today
# (mkdir/create, chown, chmod, setxattr, utimensat per entry). Both come
# from tests/helpers/erofs_bench_tree: ENTRIES entries, fan-out 50,
# regular files as metacopy files with a redirect, symlinks, setuid
# files with a capability. Checks that both trees hold the same entries,
# prints the figures and the ratio of each run, and the medians; asserts
# nothing about speed.
#
#   scripts/bench/erofs_meta.sh        (as root; make first)
#
# Environment: BUILD (default build), ENTRIES (default 100000), RUNS
# (default 3). Works under a fresh /tmp/ovlmig-test.XXXXXX (tests/lib.sh),
# unmounted and removed on exit.
set -u -o pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/lib.sh"

ENTRIES=${ENTRIES:-100000}
RUNS=${RUNS:-3}
GEN=$BUILD/helpers/erofs_bench_tree

die() { echo "erofs_meta.sh: $*" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || die "run as root (mounts, chown)"
[[ -x $GEN && -x $TOOLS/mount_file ]] || die "missing $GEN or $TOOLS/mount_file (make)"
for v in ENTRIES RUNS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done

now() { date +%s%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) / 1e6 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

build_erofs() {	# IMAGE MNT: sets erofs_write, erofs_mount (ms)
	local t0 t1 t2
	t0=$(now)
	"$GEN" erofs "$ENTRIES" "$1" || die "write image"
	t1=$(now)
	on_exit "umount -l $2"
	"$TOOLS/mount_file" erofs "$1" "$2" || die "mount image"
	t2=$(now)
	erofs_write=$(ms "$t0" "$t1") erofs_mount=$(ms "$t1" "$t2")
}
build_dir() {	# DIR: sets dir_build (ms)
	local t0 t1
	t0=$(now)
	"$GEN" dir "$ENTRIES" "$1" || die "build directory tree"
	t1=$(now)
	dir_build=$(ms "$t0" "$t1")
}

# each run alternates which goes first; writeback is flushed before each
erofs_ms=() dir_ms=() ratios=()
for run in $(seq "$RUNS"); do
	img=$T/meta-$run.erofs mnt=$T/mnt-$run dir=$T/dir-$run
	mkdir -p "$mnt"
	if ((run % 2)); then
		sync; build_erofs "$img" "$mnt"; sync; build_dir "$dir"
	else
		sync; build_dir "$dir"; sync; build_erofs "$img" "$mnt"
	fi
	n_img=$(find "$mnt" | wc -l) n_dir=$(find "$dir" | wc -l)
	[[ $n_img -eq $ENTRIES && $n_dir -eq $ENTRIES ]] ||
		die "entries: image $n_img, directory $n_dir, expected $ENTRIES"
	total=$((erofs_write + erofs_mount))
	ratio=$(awk -v a="$dir_build" -v b="$total" 'BEGIN { printf "%.1f", (b > 0) ? a / b : 0 }')
	printf 'run %d: EROFS write %d ms + mount %d ms = %d ms (%s bytes); directory tree %d ms; ratio %s\n' \
		"$run" "$erofs_write" "$erofs_mount" "$total" "$(stat -c %s "$img")" "$dir_build" "$ratio"
	erofs_ms+=("$total") dir_ms+=("$dir_build") ratios+=("$ratio")
	umount "$mnt" && rm -rf "$dir" "$img"
done
printf '%d entries, median of %d runs: EROFS image written + mounted %d ms, directory tree %d ms; ratio (median of the runs) %s x\n' \
	"$ENTRIES" "$RUNS" "$(printf '%s\n' "${erofs_ms[@]}" | median)" \
	"$(printf '%s\n' "${dir_ms[@]}" | median)" "$(printf '%s\n' "${ratios[@]}" | median)"
