#!/usr/bin/env bash
# Detach of a migrated store mount while its processes keep it busy
# (runtime_podman's detach job once exited 1 under load):
# 1. a reader keeps opening files of the image, each re-check of the
#    detach finds another one open through the lower and repins it: the
#    detach still drops the kernel's caches and detaches, and the reader
#    sees 0 errors (it used to give up after 4 such rounds);
# 2. what the drop of the caches releases reaches lowerfs as FORGETs a
#    moment later: modelled with a directory of the lower held as a cwd
#    and let go 1.5 s into the detach, which waits for it and detaches;
#    the holder had ended before the lower was aborted;
# 3. held for good, the detach still refuses, says which directory and
#    leaves the mount migrated and working; let go, a detach succeeds.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../store_lib.sh"
require_root "ovlmig detach of a busy mount"
fusectl_ready || { fail "mount fusectl"; exit 1; }

src=$T/src
mkdir -p "$src/many" "$src/data/deeper"
for i in $(seq 1 300); do echo "file $i" >"$src/many/f$i"; done
for i in 1 2 3; do head -c 100000 /dev/urandom >"$src/data/f$i"; done
echo x >"$src/data/deeper/g"

n=0 M= LOWER=
# mount_migrated: a store mount of $src at $T/m$n (its own store), every
# file read once (the kernel caches it through the lower), the image
# migrated; sets M and LOWER (its lowerfs mount)
mount_migrated() {
	n=$((n + 1)) M=$T/m$n
	ovlmig_mount "$M" --store "$T/store$n" --source "dir:$src" --upper "$T/u$n" --work "$T/w$n" \
		>"$T/out" 2>&1 || { fail "mount $n" "$(cat "$T/out")"; return 1; }
	cat "$M"/many/* "$M"/data/f* >/dev/null || { fail "read through mount $n"; return 1; }
	"$OVLMIG" migrate "$M" >"$T/out" 2>&1 || { fail "migrate $n" "$(cat "$T/out")"; return 1; }
	LOWER=$OVLMIG_RUN_DIR/$(status "$M" name)/lower
	mountpoint -q "$LOWER" || { fail "no lower mounted at $LOWER"; return 1; }
}
# hold_dir DIR SECONDS: a process whose cwd is DIR for SECONDS; sets HOLD
hold_dir() {
	(cd "$1" && exec sleep "$2") &
	HOLD=$!
	on_exit "kill -KILL $HOLD"
	for _ in $(seq 50); do [[ $(readlink "/proc/$HOLD/cwd") == "$1" ]] && return 0; sleep 0.1; done
	fail "holder of $1 did not start"
	return 1
}
detached() {
	[[ $(status "$M" phase) == detached ]] && ok "$1: status: detached" ||
		fail "$1: status" "$(status "$M" phase)"
	cmp -s "$src/data/f2" "$M/data/f2" && ok "$1: reads equal the image" || fail "$1: read after detach"
}

# --- 1: a reader that keeps opening files ----------------------------
mount_migrated || exit 1
# always one file open (exec 3< opens the next before it closes the last)
(e=0 r=0
 while [[ ! -e $T/stop ]]; do
	for i in $(seq 1 300); do
		{ exec 3<"$M/many/f$i" && read -r line <&3 && [[ $line == "file $i" ]]; } 2>/dev/null ||
			e=$((e + 1))
		r=$((r + 1))
	done
 done
 echo "reads=$r errors=$e") >"$T/reader" &
reader=$!
on_exit "kill -KILL $reader"
sleep 0.3
if "$OVLMIG" detach "$M" >"$T/out" 2>&1; then
	ok "1: detach under a reader that keeps opening files: $(tail -1 "$T/out")"
	detached 1
else
	fail "1: detach under a reader that keeps opening files" "$(head -12 "$T/out")"
fi
sleep 0.3
touch "$T/stop"
wait "$reader"
[[ $(cat "$T/reader") == *" errors=0" ]] && ok "1: the reader through the detach: $(cat "$T/reader")" ||
	fail "1: reader errors" "$(cat "$T/reader")"

# --- 2: a directory let go during the detach: waited for ------------
mount_migrated || exit 1
hold_dir "$LOWER/data/deeper" 1.5 || exit 1
if "$OVLMIG" detach "$M" >"$T/out" 2>&1; then
	ok "2: detach waited for the directory let go 1.5 s in: $(tail -1 "$T/out")"
	pid_running "$HOLD" && fail "2: the lower was aborted while its directory was still held"
	detached 2
else
	fail "2: detach did not wait for the directory let go 1.5 s in" "$(cat "$T/out")"
fi
{ kill -KILL "$HOLD"; wait "$HOLD"; } 2>/dev/null

# --- 3: held for good: still refused, and says what ------------------
mount_migrated || exit 1
hold_dir "$LOWER/data/deeper" 600 || exit 1
if "$OVLMIG" detach "$M" >"$T/out" 2>&1; then
	fail "3: detach succeeded while a directory of the lower is held"
else
	grep -q "/data/deeper: directory still cached" "$T/out" &&
		ok "3: detach refused while a directory of the lower is held, and says which" ||
		fail "3: detach's refusal" "$(cat "$T/out")"
	[[ $(status "$M" phase) == migrated ]] && ok "3: status: still migrated" ||
		fail "3: status after a refused detach" "$(status "$M" phase)"
	cmp -s "$src/data/f3" "$M/data/f3" && ok "3: the mount still reads the image" ||
		fail "3: read after a refused detach"
fi
{ kill -KILL "$HOLD"; wait "$HOLD"; } 2>/dev/null
if "$OVLMIG" detach "$M" >"$T/out" 2>&1; then
	ok "3: let go: detach succeeds"
	detached 3
else
	fail "3: detach once the holder is gone" "$(cat "$T/out")"
fi
