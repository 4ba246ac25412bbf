#!/bin/bash
# check-kernel guest runner, started by /sbin/ovlmig-init: runs every job
# of /ovlmig/plan (one per line: KIND|SUITE-ARGS|MODE|XINO|BY-HAND|EXPECT),
# prints one "@@result|..." line per job on the console for the host's
# table, and writes the full logs to the results disk (/dev/vdd) as a tar
# archive.
set -uo pipefail
share=/ovlmig
res=/tmp/results
mkdir -p "$res" /lower /upper /mnt/union
say() { echo "@@say $*"; }

unmount_all() {
	local m
	for m in /mnt/union /upper /lower; do
		while mountpoint -q "$m"; do umount "$m" 2>/dev/null || umount -l "$m" || break; done
	done
}

# devtmpfs has no /dev/fd: bash's process substitution needs it
[[ -e /dev/fd ]] || ln -s /proc/self/fd /dev/fd
say "guest: Linux $(uname -r), $(nproc) cpu, $(free -m | awk '/Mem:/ {print $2}') MiB"
mountpoint -q /sys/fs/fuse/connections || mount -t fusectl fusectl /sys/fs/fuse/connections
export UNIONMOUNT_TESTSUITE=$share/umt
n=0
while IFS='|' read -r kind args mode xino byhand expect; do
	[[ -n $kind && $kind != \#* ]] || continue
	n=$((n + 1))
	log=$res/$n-$kind-${mode}.log
	say "job $n: $kind $args $mode xino=${xino:-default}${byhand:+ (opaque by hand)}"
	start=$(date +%s)
	case $kind in
	umt)
		# shellcheck disable=SC2086
		env UMT_XFS_DEV=/dev/vdc UMT_XINO="$xino" UMT_MODE="$mode" \
			UMT_OPAQUE_BY_HAND="${byhand:+1}" UNIONMOUNT_LOWERDIR=/lower \
			UNIONMOUNT_MNTPOINT=/mnt/union \
			python3 "$share/guest/umt_xfs.py" $args >"$log" 2>&1
		rc=$?
		unmount_all
		tests=$(grep -c '^\*\*\* .*run ' "$log")
		subtests=$(grep -c '^TEST ' "$log")
		;;
	fuse)
		BUILD=$share/build FUSE_XINO="$xino" FUSE_OPAQUE_BY_HAND="${byhand:+1}" \
			"$share/guest/nofollow_fuse.sh" >"$log" 2>&1
		rc=$?
		tests=$(grep -c -e '^ok - ' -e '^not ok - ' "$log")
		subtests=$(grep -c '^not ok - ' "$log")
		[[ $subtests -eq 0 ]] || rc=1
		subtests="$subtests failed"
		;;
	ovlmig)
		BUILD=$share/build "$share/guest/ovlmig_nofollow.sh" >"$log" 2>&1
		rc=$?
		tests=$(grep -c -e '^ok - ' -e '^not ok - ' "$log")
		subtests=$(grep -c '^not ok - ' "$log")
		[[ $subtests -eq 0 ]] || rc=1
		subtests="$subtests failed"
		;;
	*)
		echo "unknown job kind $kind" >"$log"
		rc=2 tests=0 subtests=0
		;;
	esac
	secs=$(( $(date +%s) - start ))
	result=PASS
	[[ $rc -eq 0 ]] || result=FAIL
	echo "@@result|$kind|$args|$mode|xino=${xino:-default}${byhand:+, opaque by hand}|$result|$expect|$tests|$subtests|$secs"
	if [[ $result != "$expect" || ($kind != umt && $expect == PASS) ]]; then
		tail -25 "$log" | sed 's/^/@@tail /'
	fi
done <"$share/plan"

dmesg >"$res/dmesg.log"
grep -iE 'overlayfs|xfs|fuse|WARNING|BUG' "$res/dmesg.log" | tail -40 | sed 's/^/@@dmesg /'
tar -C "$res" -cf /dev/vdd . && say "guest: logs written to the results disk"
say "guest: done"
