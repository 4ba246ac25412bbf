#!/usr/bin/env bash
# The fanotify filler holds its mount's cache as lowerfs does (shared
# flock on the directory, from the filler's start to the end of its
# last worker: CACHE_IN_USE in image/cache.h). A cache given to a
# fanotify-filled mount and to a FUSE-filled store mount (--cache, the
# same directory): the store mount's migrate and detach leave the cache
# to the fanotify mount, which then reads the whole image (its files
# not filled before); the fanotify mount's own detach stops its filler,
# worker included, before it deletes the cache: the cache is gone.
# The fanotify store on a loop ext4 of the test's own.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
. "$(dirname "$0")/../store_lib.sh"
require_root "ovlmig fanotify cache"
require_tools "ovlmig fanotify cache" nginx jq flock
fusectl_ready || { fail "mount fusectl"; exit 1; }

# 4 large files of 2 MB that do not compress, 100 small ones
src=$T/src www=$T/www
mkdir -p "$src/big" "$src/small" "$www"
for i in 1 2 3 4; do head -c 2000000 /dev/urandom >"$src/big/f$i"; done
for i in $(seq 100); do echo "small $i" >"$src/small/s$i"; done
touch -d @1700000000 "$src"/big/* "$src"/small/* "$src/big" "$src/small" "$src"
store_serve_gz "$src" 50m

truncate -s 256M "$T/sfs.img" && mkfs.ext4 -q -F "$T/sfs.img" && mkdir "$T/sfs" &&
	mount -o loop "$T/sfs.img" "$T/sfs" || { fail "loop ext4 for the store"; exit 1; }
on_exit "umount -l $T/sfs"
# fillers an umount that failed left, by their PIDs (after the umounts)
on_exit 'for p in $(cat "$OVLMIG_RUN_DIR"/*/filler.pid "$OVLMIG_RUN_DIR"/*/filler-worker.pid 2>/dev/null); do kill -9 "$p"; done'

shared=$T/shared
# held CACHE: some process holds a flock on CACHE (an exclusive one is refused)
held() { ! flock -n -x "$1" true; }
# gone PID: not running (a zombie has ended)
gone() { ! kill -0 "$1" 2>/dev/null || [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) == Z ]]; }

if ! ovlmig_mount "$T/mf" --name cf --strategy store --fill fanotify --store "$T/sfs/images" \
	--source "$source" --upper "$T/uf" --work "$T/wf" --cache "$shared" >"$T/out" 2>&1; then
	fail "fanotify mount" "$(cat "$T/out")"
	exit 1
fi
worker=$(cat "$OVLMIG_RUN_DIR/cf/filler-worker.pid" 2>/dev/null)
[[ $(status "$T/mf" fill) == fanotify && -n $worker ]] && kill -0 "$worker" &&
	ok "fanotify mount: its filler's worker $worker runs" ||
	fail "fanotify mount" "$("$OVLMIG" status --json "$T/mf")"
held "$shared" && ok "the fanotify filler holds its cache" ||
	fail "the fanotify filler does not hold its cache $shared" "$(cat /proc/locks)"
# nothing filled yet: the fanotify mount still needs the source (and the cache)
[[ $(find "$(status "$T/mf" store)/holes" -type f -size +0 | wc -l) == 0 ]] &&
	ok "no placeholder filled yet" || fail "placeholders filled before any read"

# --- a FUSE-filled store mount on the same cache: migrated, detached -----
if ovlmig_mount "$T/ms" --strategy store --fill fuse --store "$T/store-s" --source "$source" \
	--upper "$T/us" --work "$T/ws" --cache "$shared" >"$T/out" 2>&1 &&
	"$OVLMIG" migrate "$T/ms" >"$T/out" 2>&1 &&
	"$OVLMIG" detach "$T/ms" >"$T/out" 2>&1; then
	grep -q "lowerfs or fanotify filler serves from it" "$T/out" && [[ -f $shared/.ovlmig-cache ]] &&
		ok "store mount detached: the shared cache left to the fanotify mount" ||
		fail "store mount detached: shared cache $(ls -A "$shared" 2>&1 | head -3)" "$(cat "$T/out")"
	"$OVLMIG" umount "$T/ms" >/dev/null || fail "umount ms"
else
	fail "store mount on the shared cache" "$(cat "$T/out")"
fi
same_tree "fanotify mount after the other's detach: the tree equals the image" "$T/expected" "$T/mf"
grep -q "fanfill.*error\|EIO\|Input/output" "$OVLMIG_RUN_DIR/cf/filler.log" &&
	fail "the filler logged a failure" "$(cat "$OVLMIG_RUN_DIR/cf/filler.log")"

# --- the fanotify mount's detach: filler and worker gone, then the cache --
if out=$("$OVLMIG" migrate "$T/mf" 2>&1) && out+=" $("$OVLMIG" detach "$T/mf" 2>&1)"; then
	! grep -q "serves from it" <<<"$out" && gone "$worker" &&
		ok "fanotify mount detached, its worker gone: $out" ||
		fail "fanotify mount detached" "$out"
else
	fail "migrate and detach the fanotify mount" "$out"
fi
# stopped in order (its worker reaped, then the cache let go), not killed
grep -q "told to stop (SIGTERM)" "$OVLMIG_RUN_DIR/cf/filler.log" &&
	ok "the filler stopped at SIGTERM, its worker reaped" ||
	fail "the filler did not stop at SIGTERM" "$(tail -5 "$OVLMIG_RUN_DIR/cf/filler.log")"
# the deleter works in the background: wait for it (at most 10 s)
for _ in $(seq 100); do
	[[ ! -e $shared ]] && [[ -z $(compgen -G "$T/.shared.ovlmig-trash-*") ]] && break
	sleep 0.1
done
[[ ! -e $shared ]] && [[ -z $(compgen -G "$T/.shared.ovlmig-trash-*") ]] &&
	ok "the cache is deleted once its last mount is detached" ||
	fail "the cache after both detaches" "$(ls -la "$shared" "$T"/.shared.* 2>&1 | head)"
same_tree "fanotify mount detached: the tree equals the image" "$T/expected" "$T/mf"
"$OVLMIG" umount "$T/mf" >/dev/null && ! mountpoint -q "$T/mf" && ok "umount" || fail "umount mf"
