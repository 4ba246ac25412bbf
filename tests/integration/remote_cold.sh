#!/usr/bin/env bash
# Issue 12, a cold registry image with no index anywhere (no --index, no
# LAYER.index, nothing in CACHE/indexes): the bytes streamed to build the
# layers' indexes are kept in the chunk cache, so mount + migrate moves
# each layer over the link once (1.0x the image's compressed layers, for
# the store and the datadir strategy; manifests and config are counted
# apart and must stay under 64 KiB). nginx in front of the registry counts
# the bytes. The built indexes are kept in a cache directory the mount
# made, and a second mount on that cache streams nothing. A layer whose
# bytes do not match its digest is refused and nothing of it is kept; a
# lowerfs killed while it streams leaves nothing a restart would trust.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
require_root "remote cold image"
require_tools "remote cold image" docker-registry skopeo nginx curl jq python3 openssl zstd
fusectl_ready || { fail "mount fusectl"; exit 1; }

KiB=1024
SMALL=$((64 * KiB))	# manifests and config, per run
L=$(layers_dir) || { fail "mklayers"; exit 1; }
layers=("$L"/l{1,2,3}.tar.gz "$L/half.tar.gz")
mkdir -p "$T/tree"
cp -a "$L/image.tree/." "$T/tree/" && tar -xzf "$L/half.tar.gz" -C "$T/tree" ||
	{ fail "expected tree"; exit 1; }
expected_tree "$T/tree" "$T/expected"
registry_start || { fail "registry"; exit 1; }
oci_layout_from_layers "$T/oci" v1 "${layers[@]}"
registry_push "$T/oci" v1 test/cold >"$T/out" 2>&1 || { fail "skopeo push" "$(head -3 "$T/out")"; exit 1; }
registry_proxy_start || { fail "nginx in front of the registry"; exit 1; }
src=docker://127.0.0.1:$NGINX_PORT/test/cold:v1

image_bytes=0 hexes=()
for f in "${layers[@]}"; do
	image_bytes=$((image_bytes + $(stat -Lc %s "$f")))
	hexes+=("$(sha256sum "$f" | cut -d' ' -f1)")
done
layer_re="^/v2/test/cold/blobs/sha256:($(IFS='|'; echo "${hexes[*]}"))\$"
layer_bytes() { nginx_bytes "$layer_re"; }

# cold_run STRATEGY CACHE: mount, read, migrate, compare; the bytes moved.
cold_run() {
	local strat=$1 cache=$2 m=$T/m-$1 l0 a0 l1 a1 extra=()
	[[ $strat == store ]] && extra=(--store "$T/store")
	l0=$(layer_bytes) a0=$(nginx_bytes '^/v2/')
	if ovlmig_mount "$m" --strategy "$strat" "${extra[@]}" --source "$src" --insecure \
		--upper "$T/u-$strat" --work "$T/w-$strat" --cache "$cache" >"$T/out" 2>&1; then
		ok "$strat: cold mount with no index anywhere"
	else
		fail "$strat: mount" "$(head -3 "$T/out")"; return
	fi
	cmp -s "$m/h00" "$T/tree/h00" && ok "$strat: a lazy read is right" || fail "$strat: h00 differs"
	"$OVLMIG" migrate "$m" >"$T/out" 2>&1 && ok "$strat: migrate" || fail "$strat: migrate" "$(head -3 "$T/out")"
	same_tree "$strat: the migrated tree equals the image" "$T/expected" "$m"
	"$OVLMIG" umount "$m" >/dev/null 2>&1 || fail "$strat: umount"
	l1=$(($(layer_bytes) - l0)) a1=$(($(nginx_bytes '^/v2/') - a0 - l1))
	echo "# $strat: layers $l1 bytes for an image of $image_bytes, other $a1 bytes"
	[[ $l1 -eq $image_bytes ]] &&
		ok "$strat: mount + migrate moved the layers once ($l1 bytes, 1.0x)" ||
		fail "$strat: mount + migrate moved $l1 layer bytes for $image_bytes ($(awk -v a="$l1" -v b="$image_bytes" 'BEGIN { printf "%.2fx", a / b }'))"
	[[ $a1 -le $SMALL ]] && ok "$strat: manifests and config: $a1 bytes" ||
		fail "$strat: $a1 bytes besides the layers (allowed $SMALL)"
}

# a cache directory that does not exist yet: the mount makes it
cold_run store "$T/cache-store"
n=$(find "$T/cache-store/indexes" -name '*.index' 2>/dev/null | wc -l)
[[ $n -eq ${#layers[@]} ]] && ok "the built indexes are kept ($n)" || fail "indexes kept: $n of ${#layers[@]}"
cold_run datadir "$T/cache-datadir"

# a second mount on the same cache: indexes and chunks are there
l0=$(layer_bytes)
ovlmig_mount "$T/m2" --strategy datadir --source "$src" --insecure --upper "$T/u2" --work "$T/w2" \
	--cache "$T/cache-datadir" >"$T/out" 2>&1 || fail "second mount on the same cache" "$(head -3 "$T/out")"
same_tree "second mount: the tree equals the image" "$T/expected" "$T/m2"
l1=$(($(layer_bytes) - l0))
[[ $l1 -eq 0 ]] && ok "second mount on the same cache, every file read: no layer byte fetched" ||
	fail "second mount on the same cache fetched $l1 layer bytes"
"$OVLMIG" umount "$T/m2" >/dev/null 2>&1 || fail "umount the second mount"

# the kept indexes alone, in a fresh cache: the mount streams nothing, a
# read fetches its chunks, reading everything fetches the image at most once
mkdir -p "$T/cache-idx" && cp -a "$T/cache-datadir/indexes" "$T/cache-idx/" || fail "copy the indexes"
l0=$(layer_bytes)
start_lowerfs idx "$src" "$T/m3" --insecure --cache "$T/cache-idx" >"$T/out" 2>&1 ||
	fail "mount on the kept indexes" "$(head -3 "$T/out")"
l1=$(($(layer_bytes) - l0))
[[ $l1 -eq 0 ]] && ok "mount on the kept indexes: no layer byte streamed" ||
	fail "mount on the kept indexes fetched $l1 layer bytes"
cmp -s "$T/m3/h03" "$T/tree/h03" || fail "h03 differs"
l1=$(($(layer_bytes) - l0))
# a gzip checkpoint every 4 MiB of output, 1 MiB chunks: at most 6 MiB
[[ $l1 -gt 0 && $l1 -le $((6 * 1048576)) ]] && ok "then a 1 MiB read fetched $l1 bytes" ||
	fail "a 1 MiB read fetched $l1 bytes"
same_tree "mount on the kept indexes: the tree equals the image" "$T/expected" "$T/m3"
l1=$(($(layer_bytes) - l0))
[[ $l1 -le $image_bytes ]] && ok "reading everything fetched $l1 bytes of $image_bytes" ||
	fail "reading everything fetched $l1 bytes, the image has $image_bytes"
stop_lowerfs idx "$T/m3"

# a lowerfs killed while it streams: nothing unverified is left to trust
fast_port=$NGINX_PORT fast_log=$NGINX_LOG
registry_proxy_start 2m || { fail "slow nginx"; exit 1; }	# half.tar.gz: 8 s
slow_log=$NGINX_LOG slow_port=$NGINX_PORT
NGINX_PORT=$fast_port NGINX_LOG=$fast_log
mkdir -p "$T/mk"
"$LOWERFS" --run-dir "$T/run-killed" --insecure --cache "$T/cache-killed" \
	"docker://127.0.0.1:$slow_port/test/cold:v1" "$T/mk" >"$T/killed.out" 2>&1 &
killed=$!
on_exit "kill -KILL $killed"
on_exit "kill_lowerfs $T/run-killed; umount -l $T/mk"
sleep 3
if kill -0 "$killed" 2>/dev/null && ! mountpoint -q "$T/mk"; then
	kill -KILL "$killed"
	wait "$killed" 2>/dev/null
	ok "lowerfs killed while it streamed the layers, before it mounted"
	data=$(find "$T/cache-killed" -name '*.data*' 2>/dev/null)
	mapped=$(find "$T/cache-killed" -name '*.map' -exec cat {} + 2>/dev/null | tr -d '\0' | wc -c)
	[[ -z $data && $mapped -eq 0 ]] && ok "killed while streaming: no blob data named, no chunk marked present" ||
		fail "killed while streaming left" "$data; $mapped map bytes set"
else
	fail "lowerfs was done within 3 s: not killed while it streamed" "$(head -3 "$T/killed.out")"
fi
l0=$(layer_bytes)
start_lowerfs again "$src" "$T/mk" --insecure --cache "$T/cache-killed" >"$T/out" 2>&1 ||
	fail "restart after the kill" "$(head -3 "$T/out")"
same_tree "restarted after the kill: the tree equals the image" "$T/expected" "$T/mk"
l1=$(($(layer_bytes) - l0))
[[ $l1 -eq $image_bytes ]] && ok "restarted: every layer streamed again and kept ($l1 bytes, 1.0x)" ||
	fail "restarted: $l1 layer bytes for $image_bytes"
stop_lowerfs again "$T/mk"

# a layer whose bytes are not its digest: refused, nothing of it kept
bad=${hexes[3]}
blob=$(find "$REGISTRY_DIR/data" -path "*/blobs/sha256/*/$bad/data")
if [[ -f $blob ]]; then
	# the gzip header's MTIME (bytes 4-7), which no CRC covers: the layer
	# still decompresses and parses, only its digest is wrong
	printf '\x55' | dd of="$blob" bs=1 seek=4 conv=notrunc status=none
	badhex=$(sha256sum "$blob" | cut -d' ' -f1)
	mkdir -p "$T/mb"
	if "$LOWERFS" --run-dir "$T/run-bad" --insecure --cache "$T/cache-bad" "$src" "$T/mb" >"$T/out" 2>&1; then
		on_exit "kill_lowerfs $T/run-bad; umount -l $T/mb"
		fail "a layer that does not match its digest was mounted"
	else
		ok "a layer that does not match its digest is refused: $(grep -o 'index of.*' "$T/out" | head -1)"
	fi
	# the other layers matched their digests: those may be kept
	kept=$(find "$T/cache-bad" \( -name "*$bad*" -o -name "*$badhex*" \) 2>/dev/null)
	[[ -z $kept && -d $T/cache-bad/indexes ]] && ok "nothing of the bad layer is kept (no index, no blob)" ||
		fail "kept of the bad layer" "$kept"
else
	fail "the registry's file of layer $bad" "not found under $REGISTRY_DIR/data"
fi
