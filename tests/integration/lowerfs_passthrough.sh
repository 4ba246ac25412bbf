#!/usr/bin/env bash
# Must show 3: passthrough is real. A file opened before the FUSE connection
# is aborted still reads correctly after it; without passthrough it cannot
# (a control that shows this test can fail).
. "$(dirname "$0")/../lib.sh"
require_root "lowerfs passthrough"
fusectl_ready || { fail "mount fusectl"; exit 1; }

src=$T/src
mkdir -p "$src"
head -c 5000000 /dev/urandom >"$src/data"
want=$(sha256sum <"$src/data")

# read_after_abort NAME OPTIONS...: sha256 of fd read after the abort
read_after_abort() {
	local name=$1; shift
	local mnt=$T/mnt-$name conn pid got
	start_lowerfs "$name" "dir:$src" "$mnt" --cache "$T/cache-$name" "$@" || return 2
	pid=$(cat "$T/run-$name/lowerfs.pid")
	exec 3<"$mnt/data" || return 2
	conn=$(stat -c %d "$mnt")
	echo 1 >"/sys/fs/fuse/connections/$conn/abort"
	got=$(sha256sum <&3 2>/dev/null)
	exec 3<&-
	# lowerfs treats the abort as a normal end: exit 0, one log line
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$pid" 2>/dev/null; then echo "lowerfs still running after abort"; return 2; fi
	grep -q 'connection ended' "$T/run-$name/lowerfs.log" || { echo "no exit log line"; return 2; }
	[[ -d /sys/fs/fuse/connections/$conn ]] && umount -l "$mnt"
	[[ $got == "$want" ]]
}

read_after_abort pt; rc=$?
case $rc in
0) ok "passthrough: fd opened before abort reads correctly after it" ;;
1) fail "passthrough: fd read after abort returned wrong data" ;;
*) fail "passthrough: setup failed" ;;
esac
read_after_abort nopt --no-passthrough; rc=$?
case $rc in
1) ok "control: without passthrough the same read fails after abort" ;;
0) fail "control: read after abort worked without passthrough (test cannot tell)" ;;
*) fail "control: setup failed" ;;
esac
