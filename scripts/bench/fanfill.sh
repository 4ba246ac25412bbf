#!/usr/bin/env bash
# The fanotify fill (issue 16, docs/FANOTIFY.md) after the fill and per
# unfilled file:
#   reads: LARGE_FILES files of LARGE_MB MiB, mounted with
#     `ovlmig mount --strategy store --fill fanotify`, each filled by one
#     read through the overlay (timed), then read through the overlay
#     against the same file read straight from the store's filesystem
#     (STORE/data/PATH) and through a plain read-only overlay over
#     STORE/data (no filler: what the overlay alone costs): warm (median
#     of 3 after one untimed read) and cold (`echo 1 >
#     /proc/sys/vm/drop_caches` before each read; two reads a side, the
#     second pair in the reverse order); cold again after migrate and
#     detach (the filler gone);
#   memory: a source of FILES small files mounted the same way (every file
#     an unfilled placeholder; MARK=filesystem: the images root is the
#     root of the loop XFS, so the filler puts one filesystem mark on it;
#     MARK=inode: the images root lies below it, an inode mark on each
#     placeholder; docs/FANOTIFY.md "Marks"): the mount's time, kernel
#     slab (fanotify_mark, fsnotify_mark_connector, xfs_inode, xfs_ili,
#     dentry: objects x slab size from /sys/kernel/slab) before the mount
#     and after it, both after `echo 2 > drop_caches` (what stays is
#     pinned), the filler's RSS (keeper + worker VmRSS), per
#     placeholder, and the marks its group holds (its fdinfo).
# The store is a loop XFS of the bench's own under the temp dir (never the
# root filesystem). Slab caches are the host's: other work on the machine
# adds noise (fanotify_mark and the connector share merged caches). Prints
# the figures of this one run; asserts nothing.
#
#   scripts/bench/fanfill.sh        (as root; make first)
#
# Environment: BUILD (default build), LARGE_FILES (default 3; 0: no
# reads, memory only), LARGE_MB (default 256), FILES (default 100000),
# MARK (filesystem, the default, or inode).
set -u -o pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/lib.sh"

LARGE_FILES=${LARGE_FILES:-3}
LARGE_MB=${LARGE_MB:-256}
FILES=${FILES:-100000}
MARK=${MARK:-filesystem}
die() { echo "fanfill.sh: $*" >&2; exit 2; }
note() { echo "fanfill.sh: $*" >&2; }
[[ $(id -u) -eq 0 ]] || die "run as root (mounts, drop_caches)"
for v in LARGE_MB FILES; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
[[ $LARGE_FILES =~ ^[0-9]+$ ]] || die "LARGE_FILES must be a number"
[[ $MARK == filesystem || $MARK == inode ]] || die "MARK must be filesystem or inode"
for t in "$OVLMIG" mkfs.xfs jq awk; do
	command -v "$t" >/dev/null || die "missing $t (make; scripts/setup-deps.sh)"
done

now() { date +%s%N; }
secs3() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
ratio2() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# timed_read FILE: seconds a read of FILE to its end takes
timed_read() {
	local t0
	t0=$(now)
	dd if="$1" of=/dev/null bs=1M status=none || die "reading $1 failed"
	secs3 "$t0" "$(now)"
}
drop() { sync; echo "$1" >/proc/sys/vm/drop_caches || die "drop_caches"; }

# the store's filesystem: a loop XFS of its own
truncate -s $((LARGE_FILES * LARGE_MB * 2 + 2048 + FILES / 250))M "$T/sfs.img" && mkfs.xfs -q "$T/sfs.img" &&
	mkdir -p "$T/sfs" && mount -o loop "$T/sfs.img" "$T/sfs" || die "loop XFS for the store"
on_exit "umount -l $T/sfs"
# the images root at the filesystem's root: it is the store's own, one
# filesystem mark; below it: an inode mark per placeholder
store=$T/sfs
[[ $MARK == inode ]] && store=$T/sfs/images
mkdir -p "$store" || die "mkdir $store"
# mnt SRC M: mount SRC (a directory) on M with the fanotify filler
mnt() {
	ovlmig_mount "$2" --strategy store --fill fanotify --store "$store" --source "dir:$1" \
		--upper "$T/u-${2##*/}" --work "$T/w-${2##*/}" >"$T/out" 2>&1 ||
		die "ovlmig mount --fill fanotify $1 failed: $(head -3 "$T/out")"
}

# --- reads of filled files -----------------------------------------------------
F=- CO=- CS=- WO=- WS=- CP=- WP=- DO=- DS=-
if ((LARGE_FILES > 0)); then
	mkdir -p "$T/big/data" || die "mkdir"
	for ((i = 0; i < LARGE_FILES; i++)); do
		head -c $((LARGE_MB * 1048576)) /dev/urandom >"$T/big/data/f$i" || die "making f$i"
	done
	mnt "$T/big" "$T/mb"
	fill=() warm_o=() warm_s=() warm_p=() cold_o=() cold_s=() cold_p=()
	mkdir -p "$T/empty" "$T/plain" || die "mkdir"
	for ((i = 0; i < LARGE_FILES; i++)); do
		o=$T/mb/data/f$i
		drop 1
		fill+=("$(timed_read "$o")")
		s=$(find "$store" -path "*/data/data/f$i" -type f | head -1)
		[[ -n $s ]] || die "f$i is not in the store's data/ after its fill"
		cmp -s "$o" "$T/big/data/f$i" || die "f$i read through the overlay differs from its source"
		if ! mountpoint -q "$T/plain"; then
			mount -t overlay overlay -o "lowerdir=${s%/data/f"$i"}:$T/empty" "$T/plain" ||
				die "plain overlay over the store's data/"
			on_exit "umount -l $T/plain"
		fi
		p=$T/plain/data/f$i
		# cold in the order overlay, store, store, overlay: neither side
		# gains from going first or last
		drop 1; cold_o+=("$(timed_read "$o")")
		drop 1; cold_s+=("$(timed_read "$s")")
		drop 1; cold_p+=("$(timed_read "$p")")
		drop 1; cold_p+=("$(timed_read "$p")")
		drop 1; cold_s+=("$(timed_read "$s")")
		drop 1; cold_o+=("$(timed_read "$o")")
		timed_read "$o" >/dev/null; timed_read "$s" >/dev/null; timed_read "$p" >/dev/null
		wo=() ws=() wp=()
		for _ in 1 2 3; do
			wo+=("$(timed_read "$o")") ws+=("$(timed_read "$s")") wp+=("$(timed_read "$p")")
		done
		warm_o+=("$(median "${wo[@]}")") warm_s+=("$(median "${ws[@]}")") warm_p+=("$(median "${wp[@]}")")
	done
	sum() { printf '%s\n' "$@" | awk '{ s += $1 } END { printf "%.3f", s }'; }
	F=$(sum "${fill[@]}") CO=$(sum "${cold_o[@]}") CS=$(sum "${cold_s[@]}")
	WO=$(sum "${warm_o[@]}") WS=$(sum "${warm_s[@]}")
	CP=$(sum "${cold_p[@]}") WP=$(sum "${warm_p[@]}")
	umount "$T/plain" || note "umount $T/plain failed"
	# the same cold reads once the filler is gone (migrate, detach): does
	# the overlay still cost more than the store's filesystem?
	DO=- DS=-
	if "$OVLMIG" migrate "$T/mb" >"$T/out" 2>&1 && "$OVLMIG" detach "$T/mb" >>"$T/out" 2>&1; then
		det_o=() det_s=()
		for ((i = 0; i < LARGE_FILES; i++)); do
			s=$(find "$store" -path "*/data/data/f$i" -type f | head -1)
			drop 1; det_o+=("$(timed_read "$T/mb/data/f$i")")
			drop 1; det_s+=("$(timed_read "$s")")
			drop 1; det_s+=("$(timed_read "$s")")
			drop 1; det_o+=("$(timed_read "$T/mb/data/f$i")")
		done
		DO=$(sum "${det_o[@]}") DS=$(sum "${det_s[@]}")
	else
		note "migrate or detach failed: $(head -3 "$T/out")"
fi
"$OVLMIG" umount "$T/mb" >/dev/null 2>&1 || note "umount $T/mb failed"
rm -rf "$T/big"
fi

# --- memory per unfilled file ----------------------------------------------------
mkdir -p "$T/many" || die "mkdir"
for ((i = 0; i < FILES; i += 1000)); do mkdir -p "$T/many/d$((i / 1000))"; done
awk -v n="$FILES" -v dir="$T/many" 'BEGIN {
	for (i = 0; i < n; i++) {
		f = sprintf("%s/d%d/f%d", dir, int(i / 1000), i)
		printf "file %d\n", i >f
		close(f)
	}
}' || die "making $FILES files"
CACHES=(fanotify_mark fsnotify_mark_connector xfs_inode xfs_ili dentry)
# slab: "CACHE BYTES" for each of CACHES (objects x slab size)
slab() {
	local c
	for c in "${CACHES[@]}"; do
		[[ -r /sys/kernel/slab/$c/objects ]] || { echo "$c 0"; continue; }
		echo "$c $(($(cut -d' ' -f1 "/sys/kernel/slab/$c/objects") * $(cat "/sys/kernel/slab/$c/slab_size")))"
	done
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
drop 2
slab | sort >"$T/slab0"
t0=$(now)
mnt "$T/many" "$T/mm"
M_mount=$(secs3 "$t0" "$(now)")
drop 2
slab | sort >"$T/slab1"
run=$(dirname "$(find "$OVLMIG_RUN_DIR" -mindepth 2 -maxdepth 2 -name filler.pid | head -1)")
keeper=$(cat "$run/filler.pid") worker=$(cat "$run/filler-worker.pid")
K_rss=$(rss_kb "$keeper") W_rss=$(rss_kb "$worker")
# the group's marks: "fanotify ino:" lines (inode marks), "fanotify sdev:"
# (filesystem marks), "fanotify mnt_id:" (the ignore mark on its mount)
for fd in /proc/"$keeper"/fd/*; do
	[[ $(readlink "$fd") == "anon_inode:[fanotify]" ]] && grep '^fanotify ' "/proc/$keeper/fdinfo/${fd##*/}"
done >"$T/marks"
M_ino=$(grep -c '^fanotify ino:' "$T/marks") M_fs=$(grep -c '^fanotify sdev:' "$T/marks")
# of the mount's time, the filler's worker: open the image, lay (and mark)
M_lay=$(sed -n 's/.* placeholders [a-z]* in .* (\([0-9.]*\) s)$/\1/p' "$run/filler.log" | head -1)
holes=$(find "$store" -path '*/holes/*' -type f | wc -l)
"$OVLMIG" umount "$T/mm" >/dev/null 2>&1 || note "umount $T/mm failed"

# --- report ---------------------------------------------------------------------
echo
echo "fanotify fill, $(uname -r), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); store: loop XFS, MARK=$MARK"
echo "reads: $LARGE_FILES files of $LARGE_MB MiB (seconds, summed over the files)"
printf '%-48s %9s\n' "first read through the overlay (fill + read)" "$F"
printf '%-44s %9s %9s %7s %9s %7s\n' "" "overlay" "store fs" "ratio" "plain ov" "ratio"
printf '%-44s %9s %9s %7s %9s %7s\n' "cold (drop_caches 1 before each, 2 reads)" \
	"$CO" "$CS" "$(ratio2 "$CO" "$CS")x" "$CP" "$(ratio2 "$CP" "$CS")x"
printf '%-44s %9s %9s %7s %9s %7s\n' "warm (median of 3 per file)" \
	"$WO" "$WS" "$(ratio2 "$WO" "$WS")x" "$WP" "$(ratio2 "$WP" "$WS")x"
printf '%-44s %9s %9s %7s\n' "cold after migrate + detach (filler gone)" \
	"$DO" "$DS" "$(ratio2 "$DO" "$DS")x"
echo "(overlay: the container's, filled by fanotify; plain ov: a read-only overlay over STORE/data, no filler)"
echo
echo "memory: $FILES files in the source, $holes placeholders; ovlmig mount took $M_mount s" \
	"(the filler's worker: image opened, placeholders laid in ${M_lay:--} s)"
echo "the filler's group: $M_fs filesystem mark(s), $M_ino inode mark(s)"
printf '%-26s %14s %14s %14s %12s\n' "slab cache" "before (B)" "after (B)" "delta (B)" "B/placeh."
join "$T/slab0" "$T/slab1" | while read -r c a b; do
	printf '%-26s %14s %14s %14s %12s\n' "$c" "$a" "$b" "$((b - a))" \
		"$(awk -v d=$((b - a)) -v n="$holes" 'BEGIN { printf "%.0f", n ? d / n : 0 }')"
done
kt=$(join "$T/slab0" "$T/slab1" | awk '{ s += $3 - $2 } END { print s }')
echo "kernel, the caches above: $kt B = $(awk -v d="$kt" -v n="$holes" 'BEGIN { printf "%.0f", n ? d / n : 0 }') B per placeholder"
echo "filler RSS: keeper $K_rss KiB + worker $W_rss KiB = $((K_rss + W_rss)) KiB =" \
	"$(awk -v k=$((K_rss + W_rss)) -v n="$holes" 'BEGIN { printf "%.0f", n ? k * 1024 / n : 0 }') B per placeholder"
