#!/usr/bin/env bash
# Issue 12: a zstd:chunked image (buildah, then skopeo --dest-compress-format
# zstd:chunked to a docker-registry) mounted cold, with a fresh --cache and
# no index anywhere: lowerfs uses the layer's own TOC (one range request),
# the tree equals the source entry by entry, and mount + a first read move
# a small part of the layer. A manifest whose TOC checksum is wrong is
# refused with a clear message and the layer is indexed by streaming; a
# byte the proxy flips in a file's data reads EIO, never wrong data.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
require_root "zstd:chunked TOC"
require_tools "zstd:chunked TOC" buildah skopeo docker-registry jq python3 zstd curl
fusectl_ready || { fail "mount fusectl"; exit 1; }

# the source: a big incompressible file, small ones, links, xattrs, setuid
src=$T/src
toc_source "$src" 24
# a run of zeros between random data: a "zeros" chunk in the TOC
{ head -c 300000 /dev/urandom; head -c 200000 /dev/zero; head -c 300000 /dev/urandom; } >"$src/usr/lib/holes.bin"
# whole seconds: the tar (and so the TOC) keeps no more for directories
find "$src" -exec touch -h -d 2024-05-06T07:08:09 {} +

zstd_chunked_image "$src" toc

toc_manifest test/toc io.containers.zstd-chunked.manifest-position
pos=$annotation
[[ -n $pos ]] && ok "the layer descriptor has the TOC's position ($pos)" ||
	{ fail "no zstd:chunked annotations" "$(jq -c .layers "$T/manifest.json")"; exit 1; }

# the expected tree: the source as the image holds it
expected_tree "$src" "$T/expected.raw"
# the image's root is buildah's, not the source directory
grep -v '^\. ' "$T/expected.raw" >"$T/expected"
same_image() {
	"$TOOLS/treesum" --no-atime "$2" 2>"$T/ts.err" | grep -v '^\. ' >"$T/got"
	diff -u "$T/expected" "$T/got" >"$T/diff" &&
		ok "$1 ($(wc -l <"$T/got") entries)" || fail "$1" "$(head -20 "$T/diff")"
}

# 1. cold mount through a plain proxy that counts the bytes
faultproxy_start "$REGISTRY_PORT" none --timeline "$T/timeline" || { fail "faultproxy"; exit 1; }
link_bytes() { sleep 0.3; tail -1 "$T/timeline" | awk '{ print $2 }'; }
m1=$T/m1
toc_cold_mount "docker://127.0.0.1:$FAULTPROXY_PORT/test/toc:1" "the layer's TOC"
[[ -e $T/cache1/indexes ]] && [[ -n $(ls "$T/cache1/indexes") ]] &&
	fail "an index was written to the cache" "$(ls "$T/cache1/indexes")"
mounted=$(link_bytes)
cmp -s "$m1/usr/bin/app" "$src/usr/bin/app" && ok "first read: usr/bin/app is right" ||
	fail "usr/bin/app differs"
first=$(link_bytes)
echo "# link bytes: mount $mounted, mount + first read $first, layer $layer_size"
(( first * 5 < layer_size )) &&
	ok "mount + first read moved $first bytes of a $layer_size-byte layer (no whole-layer stream)" ||
	fail "mount + first read moved $first bytes of a $layer_size-byte layer"
same_image "cold TOC mount equals the source" "$m1"
zeros=$(curl -sf -r "$(cut -d: -f1 <<<"$pos")-$(( $(cut -d: -f1 <<<"$pos") + $(cut -d: -f2 <<<"$pos") - 1 ))" \
	"http://$R/v2/test/toc/blobs/$layer" | zstd -dc | jq '[.entries[] | select(.chunkType == "zeros")] | length')
(( zeros > 0 )) && ok "the TOC has $zeros zeros chunks, read right above" ||
	fail "no zeros chunk in the TOC: the test does not cover them"
cmp -s "$m1/usr/lib/big.bin" "$src/usr/lib/big.bin" && ok "big.bin (24 MiB, many chunks) is right" ||
	fail "big.bin differs"
stop_lowerfs cold "$m1"

# 2. a manifest whose TOC checksum is wrong: refused, the layer streamed
m2=$T/m2
toc_refused test/toc badsum io.containers.zstd-chunked.manifest-checksum \
	"its TOC is refused" "toc: checksum mismatch" checksum
same_image "mount with the refused TOC equals the source" "$m2"
stop_lowerfs bad "$m2"

# 3. the proxy flips one byte of big.bin's data, on every response
curl -sf "http://$R/v2/test/toc/blobs/$layer" -o "$T/layer" || { fail "get layer"; exit 1; }
IFS=: read -r toc_off toc_len _ <<<"$pos"
tail -c +$((toc_off + 1)) "$T/layer" | head -c "$toc_len" | zstd -dc >"$T/toc.json" ||
	{ fail "decompress the TOC"; exit 1; }
# a byte in the middle of big.bin's second chunk (random data: a raw zstd block)
at=$(jq '[.entries[] | select(.name == "usr/lib/big.bin" and .type == "chunk")][0] |
	.offset + (.chunkSize / 2 | floor)' "$T/toc.json")
[[ $at =~ ^[0-9]+$ ]] || { fail "no chunk of big.bin in the TOC"; exit 1; }
# zstd:chunked frames carry a content checksum, which catches the flip
# before the chunk's sha256 does (that one: tests/unit/test_layer_toc.c)
toc_flip_check test/toc "$at" "layer: data at.*does not match its digest in the layer's TOC" \
	"layer: corrupt zstd data.*checksum"
