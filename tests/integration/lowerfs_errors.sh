#!/usr/bin/env bash
# Bad input gets one clear line naming the path and the reason, exit 2;
# SIGTERM unmounts and exits 0.
. "$(dirname "$0")/../lib.sh"
require_root "lowerfs errors"

mkdir -p "$T/src" "$T/mnt" "$T/full"
touch "$T/full/x"

# expect_error NAME WANT-IN-MESSAGE CMD...
expect_error() {
	local name=$1 want=$2 out rc; shift 2
	out=$("$@" 2>&1); rc=$?
	if [[ $rc -eq 2 && $(wc -l <<<"$out") -eq 1 && $out == *"$want"* ]]; then
		ok "$name: exit 2, '$out'"
	else
		fail "$name" "exit $rc, output: $out"
	fi
}
expect_error "missing source" "$T/nope: No such file or directory" \
	"$LOWERFS" --run-dir "$T/r1" "dir:$T/nope" "$T/mnt"
expect_error "unknown source kind" "unknown kind 'zip'" \
	"$LOWERFS" --run-dir "$T/r1" "zip:$T/src" "$T/mnt"
expect_error "missing mountpoint" "$T/nomnt: No such file or directory" \
	"$LOWERFS" --run-dir "$T/r1" "dir:$T/src" "$T/nomnt"
expect_error "non-empty mountpoint" "$T/full: Directory not empty" \
	"$LOWERFS" --run-dir "$T/r1" "dir:$T/src" "$T/full"
expect_error "not root" "must run as root" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$LOWERFS" "dir:$T/src" "$T/mnt"
expect_error "no /dev/fuse" "/dev/fuse: No such file or directory" \
	unshare -m sh -c "mount -t tmpfs none /dev && exec $LOWERFS --run-dir $T/r1 dir:$T/src $T/mnt"
grep -q " $T/mnt " /proc/mounts && fail "a failed start left a mount"

# SIGTERM: unmount, exit 0
"$LOWERFS" -f --run-dir "$T/r2" "dir:$T/src" "$T/mnt" 2>"$T/log" &
pid=$!
on_exit "kill -KILL $pid; umount -l $T/mnt"
for _ in $(seq 50); do grep -q " $T/mnt " /proc/mounts && break; sleep 0.1; done
grep -q " $T/mnt " /proc/mounts && ok "foreground lowerfs mounted" || fail "foreground mount"
kill -TERM $pid
wait $pid; rc=$?
[[ $rc -eq 0 ]] && ok "SIGTERM: exit 0" || fail "SIGTERM: exit $rc" "$(cat "$T/log")"
grep -q " $T/mnt " /proc/mounts && fail "SIGTERM left the mount" || ok "SIGTERM unmounted"
[[ ! -e $T/r2/control.sock ]] && ok "control socket removed" || fail "control socket left behind"
