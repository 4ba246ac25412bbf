#!/usr/bin/env bash
# detach deletes the mount's cache without waiting for it: the cache path
# is gone when detach returns (renamed to .NAME.ovlmig-trash-* beside it)
# and a child process deletes it. Such a trash directory is owned by
# whoever holds its flock: a detach or a mount of that cache path deletes
# the ones nobody holds (their deleter was killed) and leaves a held one.
. "$(dirname "$0")/../lib.sh"
require_root "ovlmig detach cache"

src=$T/src
"$TOOLS/gentree" --small --seed 71 "$src" >/dev/null || { fail "gentree"; exit 1; }
cache=$T/ca
trash() { compgen -G "$T/.ca.ovlmig-trash-*"; }

ovlmig_mount "$T/m" --strategy store --source "dir:$src" --upper "$T/u" --work "$T/w" \
	--cache "$cache" >/dev/null || { fail "mount"; exit 1; }
[[ -f $cache/.ovlmig-cache ]] || { fail "no cache made at $cache"; exit 1; }
# something to delete, and two trash directories of an earlier cache of
# this name: one abandoned, one a live deleter still holds
head -c 30000000 /dev/zero >"$cache/filler"
mkdir -p "$T/.ca.ovlmig-trash-1-0/blobs" "$T/.ca.ovlmig-trash-2-0"
echo x >"$T/.ca.ovlmig-trash-1-0/blobs/b"
# and a directory of someone else's that only looks like one
mkdir -p "$T/.ca.ovlmig-trash-notours"
# one process of ours holds the lock: killing it releases it
/usr/bin/python3 -c 'import fcntl, os, sys, time
fcntl.flock(os.open(sys.argv[1], os.O_RDONLY), fcntl.LOCK_EX)
time.sleep(600)' "$T/.ca.ovlmig-trash-2-0" >/dev/null 2>&1 &
holder=$!
on_exit "kill $holder"
for _ in $(seq 100); do flock -n "$T/.ca.ovlmig-trash-2-0" true || break; sleep 0.1; done
flock -n "$T/.ca.ovlmig-trash-2-0" true && fail "the holder did not take the lock"
"$OVLMIG" migrate "$T/m" >/dev/null || fail "migrate"
if out=$("$OVLMIG" detach "$T/m" 2>&1); then ok "detach: $out"; else fail "detach" "$out"; fi
[[ ! -e $cache ]] && ok "the cache path is gone when detach returns" || fail "cache still at $cache" "$(ls -A "$cache")"
[[ ! -e $T/.ca.ovlmig-trash-1-0 ]] && ok "abandoned trash deleted" || fail "abandoned trash left"
[[ -d $T/.ca.ovlmig-trash-2-0 ]] && ok "held trash left alone" || fail "held trash deleted"
[[ -d $T/.ca.ovlmig-trash-notours ]] && ok "a name not of the form PID-N left alone" ||
	fail "deleted .ca.ovlmig-trash-notours"
rmdir "$T/.ca.ovlmig-trash-notours"
for _ in $(seq 100); do [[ $(trash) == "$T/.ca.ovlmig-trash-2-0" ]] && break; sleep 0.1; done
[[ $(trash) == "$T/.ca.ovlmig-trash-2-0" ]] && ok "the cache deleted in the background" ||
	fail "trash left after 10 s" "$(trash)"
"$OVLMIG" umount "$T/m" >/dev/null || fail "umount"

# its holder gone (killed), the next mount of that cache path sweeps it
kill "$holder"
wait "$holder" 2>/dev/null
ovlmig_mount "$T/m2" --strategy store --source "dir:$src" --upper "$T/u2" --work "$T/w2" \
	--cache "$cache" >/dev/null || fail "mount again"
[[ -z $(trash) ]] && ok "mount sweeps the trash nobody holds" ||
	fail "mount with trash beside" "$(trash)"
"$OVLMIG" umount "$T/m2" >/dev/null || fail "umount m2"
