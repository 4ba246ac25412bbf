#!/usr/bin/env bash
# make check-kernel: build (or take from the cache) our patched kernel and
# the guest root image, boot it under qemu (KVM when /dev/kvm is usable,
# TCG otherwise) and run, inside the guest:
#   - the upstream unionmount-testsuite with xino=nofollow over an XFS
#     lower, lazily and with the XFS shut down after a depth-first walk,
#     for --ov --xino and --ov --xino --meta;
#   - the control: xino=on (no nofollow semantics), the same walk with the
#     opaque xattrs set by hand, XFS shut down: it must fail;
#   - xino=nofollow over lowerfs with pinned users through migration and
#     the abort of the FUSE connection (scripts/kernel/guest/nofollow_fuse.sh);
#   - ovlmig's nofollow strategy through mount, migrate, detach and a
#     remount of the detached upper (scripts/kernel/guest/ovlmig_nofollow.sh).
# Prints a result table; exit 0 when every job gave its expected result.
#
# Environment: UNIONMOUNT_TESTSUITE (required), BUILD (default build),
# KERNEL_CACHE (default /var/cache/ovlmig-kernel), CHECK_KERNEL_JOBS (a
# plan file instead of the default jobs), CHECK_KERNEL_TIMEOUT (seconds,
# default 14400), QEMU_MEM (MiB, default 1536), QEMU_SMP (default 1),
# KERNEL_VARIANT=debug (KASAN and lockdep kernel, see build.sh).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$top/$BUILD
export BUILD
timeout=${CHECK_KERNEL_TIMEOUT:-14400}
kernel_reports='WARNING:|BUG:|Oops|KASAN|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU|sleeping function called|Kernel panic'
[[ -n ${UNIONMOUNT_TESTSUITE:-} && -x $UNIONMOUNT_TESTSUITE/run ]] ||
	{ echo "check-kernel: set UNIONMOUNT_TESTSUITE to a checkout of unionmount-testsuite" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "check-kernel: must run as root (debootstrap)" >&2; exit 2; }

"$here/deps.sh"
kernel=$("$here/build.sh" | tail -1)
rootfs=$("$here/rootfs.sh" | tail -1)
kdir=$(dirname "$kernel")

work=$BUILD/kernel/run
qpid="" tailpid=""
cleanup() {
	[[ -n $tailpid ]] && kill "$tailpid" 2>/dev/null
	if [[ -n $qpid ]] && kill -0 "$qpid" 2>/dev/null; then
		kill "$qpid" 2>/dev/null
		sleep 1
		kill -KILL "$qpid" 2>/dev/null || true
	fi
	rm -rf "$work/share" "$work/share.img" "$work/xfs.img" "$work/results.img"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
rm -rf "$work"
mkdir -p "$work/share/build" "$work/share/tests" "$work/results"

# the project disk: our binaries and test tools, the guest scripts, the
# suite (not vendored: copied from $UNIONMOUNT_TESTSUITE), the job plan
share=$work/share
cp "$BUILD/ovlmig" "$BUILD/lowerfs" "$share/build/"
cp -r "$BUILD/tools" "$share/build/"
cp "$top/tests/lib.sh" "$share/tests/"
cp -r "$here/guest" "$share/guest"
mkdir -p "$share/umt"
(cd "$UNIONMOUNT_TESTSUITE" && tar --exclude=.git -cf - .) | tar -C "$share/umt" -xf -
if [[ -n ${CHECK_KERNEL_JOBS:-} ]]; then
	cp "$CHECK_KERNEL_JOBS" "$share/plan"
else
	# XINO replaces the suite's xino=on (empty: the suite's own options)
	cat >"$share/plan" <<-'EOF'
	# KIND|SUITE-ARGS|MODE|XINO|OPAQUE-BY-HAND|EXPECT
	umt|--ov --xino|shutdown|nofollow||PASS
	umt|--ov --xino --meta|shutdown|nofollow||PASS
	umt|--ov --xino|lazy|nofollow||PASS
	umt|--ov --xino --meta|lazy|nofollow||PASS
	umt|--ov --xino|shutdown|on|yes|FAIL
	umt|--ov --xino --meta|shutdown|on|yes|FAIL
	umt|--ov|lazy|||PASS
	umt|--ov --meta|lazy|||PASS
	umt|--ov --xino|lazy|||PASS
	fuse||shutdown|nofollow||PASS
	fuse||shutdown|on|yes|FAIL
	ovlmig||detach|nofollow||PASS
	EOF
fi
size_mb=$(( $(du -sm "$share" | cut -f1) + 64 ))
mkfs.ext4 -q -F -L ovlmig-share -d "$share" "$work/share.img" "${size_mb}M"
truncate -s 1G "$work/xfs.img"
truncate -s 256M "$work/results.img"

accel=tcg
if [[ -r /dev/kvm && -w /dev/kvm ]]; then accel=kvm; fi
console=$work/console.log
: >"$console"
echo "check-kernel: booting $(basename "$kdir") ($accel), logs in $work"
start=$(date +%s)
qemu-system-x86_64 -machine pc -accel "$accel" -cpu max -m "${QEMU_MEM:-1536}" \
	-smp "${QEMU_SMP:-1}" -display none -monitor none -no-reboot \
	-serial "file:$console" -kernel "$kernel" \
	-append "console=ttyS0 root=/dev/vda rw rootfstype=ext4 init=/sbin/ovlmig-init panic=-1 loglevel=4" \
	-drive "file=$rootfs,format=raw,if=virtio,snapshot=on" \
	-drive "file=$work/share.img,format=raw,if=virtio,snapshot=on" \
	-drive "file=$work/xfs.img,format=raw,if=virtio,cache=unsafe" \
	-drive "file=$work/results.img,format=raw,if=virtio" &
qpid=$!
tail -n +1 -F --pid="$qpid" "$console" 2>/dev/null | sed -un 's/^@@say /  /p; s/^@@result|/  result: /p' &
tailpid=$!
while kill -0 "$qpid" 2>/dev/null; do
	if (( $(date +%s) - start > timeout )); then
		echo "check-kernel: the guest ran longer than ${timeout}s, stopping it" >&2
		kill "$qpid"
		break
	fi
	sleep 2
done
wait "$qpid" || true
qpid=""
secs=$(( $(date +%s) - start ))
sleep 1
kill "$tailpid" 2>/dev/null || true
tailpid=""
tar -C "$work/results" -xf "$work/results.img" 2>/dev/null ||
	echo "check-kernel: no logs on the results disk" >&2

echo
printf '%-5s %-22s %-9s %-27s %-6s %-8s %6s %10s %6s\n' job suite-args mode xino result expected tests subtests secs
pass=0 fail=0
while IFS='|' read -r _ kind args mode xino result expect tests subtests jsecs; do
	[[ $kind == fuse ]] && args="(lowerfs, pinned users)"
	[[ $kind == ovlmig ]] && args="(strategy auto, pinned)"
	ok=no
	[[ $result == "$expect" ]] && ok=yes
	if [[ $ok == yes ]]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
	printf '%-5s %-22s %-9s %-27s %-6s %-8s %6s %10s %6s%s\n' "$kind" "$args" "$mode" "$xino" \
		"$result" "$expect" "$tests" "$subtests" "$jsecs" "$([[ $ok == yes ]] || echo '  <-- unexpected')"
done < <(grep -a '^@@result|' "$console" | tr -d '\r')
# the kernel log on the serial console (loglevel 4: every warning and
# worse, complete unlike the guest's dmesg ring) holds no report
reports=$(grep -av '^@@' "$console" | grep -acE "$kernel_reports" || true)
result=PASS
[[ $reports -eq 0 ]] || result=FAIL
if [[ $result == PASS ]]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
printf '%-5s %-22s %-9s %-27s %-6s %-8s %6s %10s %6s\n' log "(serial console)" - - \
	"$result" PASS 1 "$reports reports" -
[[ $reports -eq 0 ]] || grep -av '^@@' "$console" | grep -aE "$kernel_reports" | head -10 | sed 's/^/    /'
njobs=$(( $(grep -c '^[a-z]' "$share/plan") + 1 ))	# + the kernel log
reported=$((pass + fail))
if (( reported < njobs )); then
	fail=$((fail + njobs - reported))
	echo "check-kernel: only $reported of $njobs jobs reported; console tail:"
	tail -20 "$console" | sed 's/^/    /'
fi
if grep -aq '^@@tail ' "$console"; then
	echo
	echo "log tails (failures, and the lowerfs job):"
	grep -a '^@@tail ' "$console" | sed 's/^@@tail /    /'
fi
echo
echo "kernel $kernel (built in $(cat "$kdir/build-seconds" 2>/dev/null || echo ?)s), guest ran ${secs}s ($accel)"
echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
