#!/bin/bash
# fanotify range fill (issue 16): what FAN_PRE_ACCESS reports
# (FAN_EVENT_INFO_TYPE_RANGE) for each way of reading a file, through the
# overlay (STORE as a data-only layer: lowerdir=META::STORE) and directly
# on STORE; what a reader gets when the filler writes only the event's
# range or the prefix up to it; what mmap gives on a partly filled
# placeholder. docs/FANOTIFY-KERNEL.md "Ranges" records the output.
# Everything under a fresh temp dir: a loop XFS as STORE, a tmpfs META;
# marks go on the loop XFS only, never on the root filesystem.
#
#   scripts/bench/fanotify_ranges.sh
set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[[ $(id -u) -eq 0 ]] || { echo "fanotify_ranges: needs root (mounts, marks)" >&2; exit 1; }

. "$TOP/scripts/bench/fanotify_lib.sh" fanotify-ranges
# the ranges reported, in order; a run of more than 3 as "N events: FIRST ... LAST"
ranges() {
	local r
	mapfile -t r < <(grep -o 'PRE_ACCESS.*' "$T/events" | grep -o 'range=[0-9+]*' | sed 's/range=//' || true)
	if ((${#r[@]} > 3)); then
		echo "${#r[@]} events: ${r[0]} ${r[1]} ... ${r[-1]}"
	else
		echo "${r[*]}"
	fi
	if grep -q 'PRE_ACCESS' "$T/events" && ! grep 'PRE_ACCESS' "$T/events" | grep -qv 'range='; then :; else
		grep -q 'PRE_ACCESS' "$T/events" && echo "(some without range)"
	fi
	return 0
}

truncate -s 512M "$T/store.xfs"
mkfs.xfs -q "$T/store.xfs"
mnt "$T/xfs" -o loop "$T/store.xfs"
mnt "$T/meta" -t tmpfs -o size=16m tmpfs
SIZE=$((8 << 20))
head -c $SIZE /dev/urandom >"$T/xfs/big"
meta big $SIZE
mnt "$T/ovl" -t overlay overlay -o "lowerdir=$T/meta::$T/xfs,metacopy=on,redirect_dir=follow"

echo "== FAN_PRE_ACCESS ranges (file of $SIZE bytes; page cache dropped before each)"
printf '%-34s | %-40s | %s\n' "reader" "through the overlay" "directly on STORE"
row() { # row LABEL CMD... (FILE is substituted)
	local label=$1 where out=() cmd res r; shift
	for where in "$T/ovl/big" "$T/xfs/big"; do
		sync; echo 3 >/proc/sys/vm/drop_caches
		listen -t fs -m pre "$T/xfs"
		cmd=("${@//FILE/$where}")
		res=$("${cmd[@]}" 2>&1 | grep -o 'result=[A-Za-z]*' | sort -u | tr '\n' ' ' || true)
		unlisten
		r=$(ranges); out+=("${r:-none}${res:+ [${res% }]}")
	done
	printf '%-34s | %-40s | %s\n' "$label" "${out[0]:-none}" "${out[1]:-none}"
}
row "read(10000) at 0" "$P" read read FILE 0 10000
row "pread(100) at 1000000" "$P" read pread FILE 1000000 100
row "cat (whole file)" sh -c 'cat FILE >/dev/null'
row "dd bs=1M count=1 skip=3" dd if=FILE of=/dev/null bs=1M count=1 skip=3
row "readahead(0, 1 MiB), no read" "$P" read readahead FILE 0 1048576
row "fadvise WILLNEED 0+1 MiB, no read" "$P" read fadvise FILE 0 1048576
row "sendfile 1 MiB at 2 MiB" "$P" read sendfile FILE 2097152 1048576
row "splice 64 KiB at 2 MiB" "$P" read splice FILE 2097152 65536
row "copy_file_range 1 MiB at 3 MiB, to XFS" env TMPDIR="$T/xfs" "$P" read cfr FILE 3145728 1048576
row "copy_file_range 1 MiB at 3 MiB, to tmpfs" env TMPDIR="$T/meta" "$P" read cfr FILE 3145728 1048576
row "mmap 1 MiB at 0, every byte" "$P" read mmap FILE 0 1048576
row "pread(100) at 1000000, cached" sh -c "'$P' read pread FILE 1000000 100; '$P' read pread FILE 1000000 100"

echo "== fill during the event, then what a reader gets (size-0 placeholder, listener fills through its bind mount)"
mkdir -p "$T/src"
cp "$T/xfs/big" "$T/src/big"
mnt "$T/bind" --bind "$T/xfs"
for how in range prefix; do
	: >"$T/xfs/big"
	sync; echo 3 >/proc/sys/vm/drop_caches
	listen -t fs -m pre -i "$T/bind" -b "$T/bind" -s "$T/src" -r "fill:$how" "$T/xfs"
	got=$(dd if="$T/ovl/big" iflag=skip_bytes skip=500000 bs=100 count=1 status=none | od -An -tx1 | tr -d ' \n')
	want=$(dd if="$T/src/big" iflag=skip_bytes skip=500000 bs=100 count=1 status=none | od -An -tx1 | tr -d ' \n')
	unlisten
	echo "fill:$how, pread(100) at 500000 while listening: $([[ $got == "$want" ]] && echo right bytes || echo WRONG bytes); STORE size $(stat -c %s "$T/xfs/big"), blocks $(stat -c %b "$T/xfs/big")"
	echo "  then, nobody listening: read $("$P" read read "$T/ovl/big")"
	echo "  then, nobody listening: mmap $("$P" read mmap "$T/ovl/big")"
done

echo "== mmap of a partly filled placeholder, nobody listening"
for part in 5000 8192 1048576; do
	head -c $part "$T/src/big" >"$T/xfs/big"
	sync; echo 3 >/proc/sys/vm/drop_caches
	echo "prefix of $part bytes: read $("$P" read read "$T/ovl/big"); mmap $("$P" read mmap "$T/ovl/big")"
done
echo "kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
