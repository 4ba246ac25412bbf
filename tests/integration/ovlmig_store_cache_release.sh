#!/usr/bin/env bash
# Strategy store keeps one local copy of an image: once the image is
# complete and the mount detached, the cache that held the layer's
# compressed chunks during the fill is gone (at most 64 KiB left of it,
# trash included, once its deleter is done), and a second container of
# the image mounts from the store alone and reads the image's tree. A
# cache given to two mounts (--cache, the same directory) is not deleted
# from under the other one's running lowerfs: the store mount's detach
# leaves it, and a lazy datadir mount of the same image, whose files
# were not fetched yet, reads the whole tree right after that detach.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
. "$(dirname "$0")/../store_lib.sh"
require_root "ovlmig store cache release"
require_tools "ovlmig store cache release" nginx jq
fusectl_ready || { fail "mount fusectl"; exit 1; }

# 4 large files of 2 MB that do not compress, 200 small ones
src=$T/src www=$T/www
mkdir -p "$src/big" "$src/small" "$www"
for i in 1 2 3 4; do head -c 2000000 /dev/urandom >"$src/big/f$i"; done
for i in $(seq 200); do echo "small $i" >"$src/small/s$i"; done
touch -d @1700000000 "$src"/big/* "$src"/small/* "$src/big" "$src/small" "$src"
store_serve_gz "$src" 50m

# bytes allocated under the arguments that exist
alloc() {
	local p n=0
	for p in "$@"; do
		[[ -e $p ]] && n=$((n + $(du -s -B1 "$p" | cut -f1)))
	done
	echo "$n"
}
BOUND=65536

# --- one mount: the cache holds the layer until detach, nothing after ----
if mount_fresh; then
	cache=$T/cache$n
	if out=$("$OVLMIG" migrate "$M" 2>&1) && [[ $(jq -r .state "$IMG/image.json") == complete ]]; then
		ok "migrate: the image is complete"
	else
		fail "migrate" "$out"
	fi
	# the measure sees the copy while it is there: the compressed layer
	blobs=$(alloc "$cache/blobs")
	((blobs >= layer_bytes * 9 / 10)) &&
		ok "complete, not detached: the cache's blobs hold the layer ($blobs bytes for $layer_bytes)" ||
		fail "complete, not detached: $blobs bytes in $cache/blobs for a layer of $layer_bytes"
	if out=$("$OVLMIG" detach "$M" 2>&1); then ok "detach: $out"; else fail "detach" "$out"; fi
	# the deleter works in the background: wait for it (at most 10 s)
	for _ in $(seq 100); do
		left=$(alloc "$cache" $(compgen -G "$T/.cache$n.ovlmig-trash-*"))
		((left <= BOUND)) && break
		sleep 0.1
	done
	((left <= BOUND)) &&
		ok "detached: $left bytes left of the cache and its trash (at most $BOUND)" ||
		fail "detached: $left bytes left of the cache and its trash" "$(ls -la "$cache" "$T"/.cache$n.* 2>&1 | head)"
	data=$(alloc "$IMG/data")
	((data >= layer_bytes * 9 / 10)) && ok "the store holds the image ($data bytes in data/)" ||
		fail "the store holds $data bytes in data/ for a layer of $layer_bytes"
	same_tree "detached: the tree equals the image" "$T/expected" "$M"

	# a second container of the image: META and data/ alone
	if ovlmig_mount "$T/m2" --strategy store --store "$T/store$n" --source "$source" \
		--upper "$T/u2" --work "$T/w2" >"$T/out" 2>&1; then
		[[ $(status "$T/m2" phase) == detached && $(status "$T/m2" lowerfs_pid) =~ ^(null|0)$ ]] &&
			ok "second container: mounted from the store, no lowerfs" ||
			fail "second container" "$("$OVLMIG" status --json "$T/m2")"
		echo 2 >/proc/sys/vm/drop_caches
		same_tree "second container: the tree equals the image" "$T/expected" "$T/m2"
		"$OVLMIG" umount "$T/m2" >/dev/null || fail "umount m2"
	else
		fail "second container: mount" "$(head -3 "$T/out")"
	fi
	"$OVLMIG" umount "$M" >/dev/null || fail "umount $M"
fi

# --- a cache shared with a running datadir mount: left to it -------------
shared=$T/shared
if ovlmig_mount "$T/md" --strategy datadir --source "$source" --upper "$T/ud" --work "$T/wd" \
	--cache "$shared" >"$T/out" 2>&1; then
	# one file through it: its lowerfs has opened the cache
	cmp -s "$src/small/s1" "$T/md/small/s1" && ok "datadir mount: reads a file" ||
		fail "datadir mount: small/s1 differs"
	if ovlmig_mount "$T/ms" --strategy store --store "$T/store-shared" --source "$source" \
		--upper "$T/us" --work "$T/ws" --cache "$shared" >"$T/out" 2>&1 &&
		"$OVLMIG" migrate "$T/ms" >"$T/out" 2>&1 &&
		"$OVLMIG" detach "$T/ms" >"$T/out" 2>&1; then
		grep -q "lowerfs or fanotify filler serves from it" "$T/out" && [[ -f $shared/.ovlmig-cache ]] &&
			ok "store mount detached: the shared cache left to the datadir mount" ||
			fail "store mount detached: shared cache $(ls -A "$shared" 2>&1 | head -3)" "$(cat "$T/out")"
		same_tree "datadir mount after the other's detach: the tree equals the image" "$T/expected" "$T/md"
		"$OVLMIG" umount "$T/ms" >/dev/null || fail "umount ms"
	else
		fail "store mount on the shared cache" "$(head -3 "$T/out")"
	fi
	"$OVLMIG" umount "$T/md" >/dev/null || fail "umount md"
else
	fail "datadir mount" "$(head -3 "$T/out")"
fi
