#!/usr/bin/env bash
# Strategy store fed by lowerfs (issue 11), over an HTTP tar layer (nginx,
# request log): a file a container reads lazily is fetched once. lowerfs
# puts it into the image store's data/ at its redirect path as it fetches
# it; `migrate` fetches only the rest; a file lowerfs' cache holds that
# the store lost is linked from the cache, not fetched again. No byte
# range of the layer is requested twice, the bytes fetched are the
# layer's data once, and the tree equals the image after detach.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
. "$(dirname "$0")/../store_lib.sh"
require_root "ovlmig store fed by lowerfs"
require_tools "ovlmig store fed by lowerfs" nginx curl jq python3
fusectl_ready || { fail "mount fusectl"; exit 1; }

store_http_tar || exit 1
m=$T/m
ranges() { nginx_ranges /base.tar; }
twice() { nginx_ranges_twice /base.tar; }
layer_bytes() { nginx_bytes '^/base\.tar$'; }

ovlmig_mount "$m" --strategy store --source "tar:http://127.0.0.1:$NGINX_PORT/base.tar" \
	--upper "$T/u" --work "$T/w" >"$T/out" 2>&1 || { fail "mount" "$(cat "$T/out")"; exit 1; }
img=$(status "$m" store)
run=$OVLMIG_RUN_DIR/$(status "$m" name)/lowerfs
fed() { "$LOWERFS" ctl --run-dir "$run" stats | jq -r .store_fed_files; }
mounted=$(layer_bytes)

# read lazily: a plain file, a setuid one, one name of a hardlinked pair
read_files=(data/text bin/setuid data/hard-b)
for f in "${read_files[@]}"; do
	cmp -s "$m/$f" "$L/base.tree/$f" && ok "lazy read of /$f" || fail "lazy read of /$f"
done
# the pair's data is stored once, at its first name in sorted order
for f in data/text bin/setuid data/hard-a; do
	if cmp -s "$img/data/$f" "$L/base.tree/$f" &&
	   [[ $(stat -c '%a %u' "$img/data/$f") == "600 0" ]]; then
		ok "fed into the store at once: data/$f (0600, root's)"
	else
		fail "data/$f not fed" "$(ls -l "$img/data/$f" 2>&1)"
	fi
done
[[ ! -e $img/data/data/hard-b ]] && ok "no second copy at the pair's other name" ||
	fail "data/data/hard-b exists"
[[ $(fed) == 3 ]] && ok "lowerfs fed 3 files" || fail "lowerfs fed $(fed) files"
[[ -z $(ls -A "$img/tmp" 2>/dev/null) ]] && ok "nothing left in tmp/" || fail "tmp/ holds $(ls "$img/tmp")"
read_bytes=$(($(layer_bytes) - mounted))

# a file the store lost (as if feeding it had failed) but the cache holds
rm "$img/data/bin/setuid"
before=$(ranges | wc -l)
if out=$("$OVLMIG" migrate "$m" 2>&1); then ok "migrate: $out"; else fail "migrate" "$out"; fi
[[ $(jq -r .state "$img/image.json") == complete ]] && ok "image complete" ||
	fail "image.json" "$(cat "$img/image.json")"
cmp -s "$img/data/bin/setuid" "$L/base.tree/bin/setuid" && ok "data/bin/setuid back, from the cache" ||
	fail "data/bin/setuid" "$(ls -l "$img/data/bin/setuid" 2>&1)"
dups=$(twice)
[[ -z $dups ]] && ok "no range of the layer fetched twice ($(ranges | wc -l) ranges, $((before)) before migrate)" ||
	fail "bytes fetched twice" "$dups"
total=$(layer_bytes) size=$(stat -c %s "$L/base.tar")
((total <= size)) && ok "mount + reads + migrate fetched $total bytes of the $size-byte layer (reads $read_bytes)" ||
	fail "fetched $total bytes of a $size-byte layer"
same_tree "migrated: tree equals the image" "$T/image.sum" "$m"
if out=$("$OVLMIG" detach "$m" 2>&1); then ok "detach: $out"; else fail "detach" "$out"; fi
echo 2 >/proc/sys/vm/drop_caches
same_tree "detached: tree equals the image" "$T/image.sum" "$m"
