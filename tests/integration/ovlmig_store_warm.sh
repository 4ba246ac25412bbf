#!/usr/bin/env bash
# Strategy store, the fill's order and warming (ovlmig/fill_order.h) over
# a real HTTP source (nginx, each response at most 3 MB/s): the large
# files come in the layer's byte order, fetched ahead into the cache by
# the warmers, and the small files are placed while the large ones still
# stream (they sort after the large ones by name: a fill by name placed
# them last); the warmers and the jobs share the chunks, so nginx sends
# the layer's bytes once; a fill killed with -9 while the warmers run is
# completed by the next one, and the tree equals the image.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
. "$(dirname "$0")/../store_lib.sh"
require_root "ovlmig store fill order and warming"
require_tools "ovlmig store fill order and warming" nginx jq
fusectl_ready || { fail "mount fusectl"; exit 1; }

# 8 large files of 3 MB that do not compress, 300 small ones after them by name
src=$T/src www=$T/www
mkdir -p "$src/big" "$src/zz" "$www"
for i in 1 2 3 4 5 6 7 8; do head -c 3000000 /dev/urandom >"$src/big/f$i"; done
for i in $(seq 300); do echo "small $i" >"$src/zz/s$i"; done
touch -d @1700000000 "$src"/big/* "$src"/zz/* "$src/big" "$src/zz" "$src"	# tar keeps whole seconds
store_serve_gz "$src" 3m

complete() { [[ $(jq -r .state "$IMG/image.json") == complete ]]; }

# a whole fill with the remote default (4 jobs, 2 warmers)
if mount_fresh; then
	b0=$(nginx_bytes '^/big\.tar\.gz$')
	if out=$("$OVLMIG" migrate "$M" 2>&1) && complete; then
		ok "migrate: ${out##*$'\n'}"
	else
		fail "migrate" "$out"
	fi
	bytes=$(($(nginx_bytes '^/big\.tar\.gz$') - b0))
	# the mount read the index, not the layer: the fill fetched it all
	((bytes >= layer_bytes * 9 / 10 && bytes <= layer_bytes * 11 / 10)) &&
		ok "nginx sent the layer once: $bytes bytes for $layer_bytes" ||
		fail "nginx sent $bytes bytes for a layer of $layer_bytes"
	# ctime: when each file was linked into data/
	last_small=$(find "$IMG/data/zz" -type f -printf '%C@\n' | sort -n | tail -1)
	last_big=$(find "$IMG/data/big" -type f -printf '%C@\n' | sort -n | tail -1)
	nsmall=$(find "$IMG/data/zz" -type f -printf x | wc -c)
	[[ $nsmall == 300 ]] && (($(echo "$last_small < $last_big" | bc -l))) &&
		ok "the small files were placed while the large ones streamed ($last_small < $last_big)" ||
		fail "small files: $nsmall, the last at $last_small, the last large one at $last_big"
	same_tree "the tree equals the image" "$T/expected" "$M"
fi

# kill -9 while the warmers fetch; the next fill completes the store
if mount_fresh; then
	"$OVLMIG" migrate "$M" >"$T/kill.out" 2>&1 &
	pid=$!
	on_exit "kill -KILL $pid"
	for _ in $(seq 500); do
		[[ -n $(find "$IMG/data/big" -type f 2>/dev/null) ]] && break
		sleep 0.01
	done
	kill -KILL $pid; wait $pid 2>/dev/null
	nbig=$(find "$IMG/data/big" -type f -printf x 2>/dev/null | wc -c)
	! complete && ((nbig >= 1 && nbig < 8)) && ok "killed fill: image not complete ($nbig of 8 large files in)" ||
		fail "killed fill: $nbig large files in, image.json: $(cat "$IMG/image.json")"
	if out=$("$OVLMIG" migrate "$M" 2>&1) && complete; then
		ok "migrate again: ${out##*$'\n'}"
	else
		fail "migrate again" "$out"
	fi
	[[ -z $(ls -A "$IMG/tmp") ]] && ok "no temporary file left" || fail "temporary files left" "$(ls "$IMG/tmp")"
	for f in "$src"/big/*; do
		cmp -s "$f" "$IMG/data/big/${f##*/}" || fail "data/big/${f##*/} differs from the image's"
	done
	same_tree "after the kill and a second fill: the tree equals the image" "$T/expected" "$M"
	if out=$("$OVLMIG" detach "$M" 2>&1); then ok "detach: $out"; else fail "detach" "$out"; fi
	echo 2 >/proc/sys/vm/drop_caches
	same_tree "detached: the tree equals the image" "$T/expected" "$M"
fi

for ((i = 1; i <= n; i++)); do "$OVLMIG" umount "$T/m$i" >/dev/null || fail "umount m$i"; done
