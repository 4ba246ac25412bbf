#!/usr/bin/env bash
# Issue 12: an eStargz image (buildah, converted by stargz-snapshotter's
# ctr-remote through a containerd of the test's own, pushed to a
# docker-registry behind nginx) mounted cold with a fresh --cache and no
# index anywhere: lowerfs finds the TOC by the layer's footer (two range
# requests, the TOC's bytes only), the tree equals the source entry by
# entry, and a first read moves its file's gzip member, rounded out to
# the chunk cache's 4 KiB chunks. A wrong TOC digest in the manifest is
# refused and the layer streamed; a byte flipped in a file's data reads
# EIO.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
require_root "eStargz TOC"
require_tools "eStargz TOC" buildah containerd ctr-remote docker-registry nginx jq python3 curl
fusectl_ready || { fail "mount fusectl"; exit 1; }

# the source: a big incompressible file (chunked), small ones, links, xattrs, setuid
src=$T/src
toc_source "$src" 6
: >"$src/usr/share/doc/empty"
find "$src" -exec touch -h -d 2024-05-06T07:08:09 {} +

# the image out as an OCI archive
buildah_image "$src" localhost/esgz:src && buildah_archive localhost/esgz:src "$T/src.tar" ||
	{ fail "buildah image"; exit 1; }

containerd_start || { fail "containerd"; exit 1; }
registry_start || { fail "registry"; exit 1; }
R=127.0.0.1:$REGISTRY_PORT
# 1 MiB eStargz chunks: big.bin is cut into 6, each a gzip member of its own
estargz_push "$T/src.tar" localhost/esgz:src "$R/test/esgz:1" \
	--estargz-chunk-size $((1 << 20)) >"$T/out" 2>&1 &&
	ok "ctr-remote converted the image to eStargz and pushed test/esgz:1" ||
	{ fail "ctr-remote convert and push" "$(tail -3 "$T/out")"; exit 1; }
stop_pid "$CTD_PID"

toc_manifest test/esgz containerd.io/snapshot/stargz/toc.digest
tocd=$annotation
[[ -n $tocd ]] && ok "the layer descriptor has the TOC digest ($tocd)" ||
	{ fail "no eStargz annotation" "$(jq -c .layers "$T/manifest.json")"; exit 1; }

# the layer and its TOC, read here with python3's gzip and tarfile: the
# test's own account of where the TOC and each file's member are
curl -sf "http://$R/v2/test/esgz/blobs/$layer" -o "$T/layer" || { fail "get layer"; exit 1; }
python3 - "$T/layer" "$T/toc.json" >"$T/toc_off" <<'PY' || { fail "read the TOC"; exit 1; }
import gzip, io, sys, tarfile
data = open(sys.argv[1], "rb").read()
# gzip header (10), XLEN (2), "SG", LEN (2), then "%016xSTARGZ"
footer = data[-51:]
assert footer[12:14] == b"SG" and footer[32:38] == b"STARGZ", "no eStargz footer"
off = int(footer[16:32], 16)
tar = tarfile.open(fileobj=io.BytesIO(gzip.decompress(data[off:-51])))
open(sys.argv[2], "wb").write(tar.extractfile("stargz.index.json").read())
print(off)
PY
toc_off=$(cat "$T/toc_off")
toc_bytes=$((layer_size - toc_off))
echo "# layer $layer_size bytes, TOC member at $toc_off ($toc_bytes bytes with the footer)"
chunks=$(jq '[.entries[] | select(.name == "usr/lib/big.bin")] | length' "$T/toc.json")
(( chunks > 1 )) && ok "big.bin is $chunks chunks in the TOC" ||
	fail "big.bin is not chunked in the TOC: the test does not cover chunks"

# the expected tree: the source, and the entries eStargz adds at the
# root (its prefetch landmark file), which the TOC lists like any other
expected_tree "$src" "$T/expected.raw"
grep -v '^\. ' "$T/expected.raw" >"$T/expected"
same_image() {
	"$TOOLS/treesum" --no-atime "$2" 2>"$T/ts.err" | grep -v '^\. ' >"$T/got.all"
	# eStargz's landmark files are the image's, not the source's
	grep -v -e '^\.no\.prefetch\.landmark ' -e '^\.prefetch\.landmark ' "$T/got.all" >"$T/got"
	diff -u "$T/expected" "$T/got" >"$T/diff" &&
		ok "$1 ($(wc -l <"$T/got") entries)" || fail "$1" "$(head -20 "$T/diff")"
}

# 1. cold mount through nginx, which logs every byte it sends
registry_proxy_start || { fail "nginx"; exit 1; }
blob_bytes() { sleep 0.3; nginx_bytes "/blobs/$layer"; }
m1=$T/m1
toc_cold_mount "docker://127.0.0.1:$NGINX_PORT/test/esgz:1" "the layer's eStargz TOC"
mounted=$(blob_bytes)
(( mounted == toc_bytes )) &&
	ok "mount moved the TOC and footer only: $mounted bytes of a $layer_size-byte layer" ||
	fail "mount moved $mounted bytes of the layer, the TOC and footer are $toc_bytes"
# a first read: app's gzip member (up to the next file's), in the chunk
# cache's 4 KiB chunks, and nothing else
read -r member next < <(jq -r '[.entries[] | select(.name == "usr/bin/app") | .offset][0] as $a |
	[.entries[] | .offset // empty | select(. > $a)] | "\($a) \(min)"' "$T/toc.json")
cs=$((4 << 10))
want=$(( ( (next + cs - 1) / cs - member / cs ) * cs ))
cmp -s "$m1/usr/bin/app" "$src/usr/bin/app" && ok "first read: usr/bin/app is right" ||
	fail "usr/bin/app differs"
first=$(( $(blob_bytes) - mounted ))
echo "# link bytes: mount $mounted, first read $first (app's member $member..$next), layer $layer_size"
(( first > 0 && first <= want && want <= 2 * cs )) &&
	ok "first read of usr/bin/app moved $first bytes: its member's $((next - member)) bytes in 4 KiB chunks ($want)" ||
	fail "first read of usr/bin/app moved $first bytes, its member's chunks are $want"
reqs0=$(nginx_requests "/blobs/$layer")
cmp -s "$m1/usr/lib/big.bin" "$src/usr/lib/big.bin" && ok "big.bin ($chunks chunks) is right" ||
	fail "big.bin differs"
# the chunks' members fetched at once (at most 4 MiB a request), not a
# request per chunk (6) or per 4 KiB (1,536)
reqs=$(( $(nginx_requests "/blobs/$layer") - reqs0 ))
(( reqs > 0 && reqs <= 2 )) && ok "big.bin's $chunks chunks came in $reqs range requests" ||
	fail "big.bin's $chunks chunks took $reqs range requests"
same_image "cold eStargz mount equals the source" "$m1"
cp "$T/got.all" "$T/toc_tree"
grep -qx "stargz.index.json" <(ls -A "$m1") && fail "the TOC itself shows in the tree"
stop_lowerfs cold "$m1"

# 2. a manifest whose TOC digest is wrong: refused, the layer streamed
m2=$T/m2
toc_refused test/esgz baddigest containerd.io/snapshot/stargz/toc.digest \
	"its eStargz TOC is refused" "estargz: TOC digest mismatch" digest
# the tar as a tar also holds the TOC itself; the TOC does not list it
"$TOOLS/treesum" --no-atime "$m2" 2>"$T/ts.err" | grep -v '^\. ' >"$T/streamed.all"
grep -v '^stargz\.index\.json ' "$T/streamed.all" >"$T/streamed"
echo "# stargz.index.json in the streamed tree: $(grep -c '^stargz\.index\.json ' "$T/streamed.all"); landmark files in the TOC's: $(grep -c 'landmark ' "$T/toc_tree")"
diff -u "$T/toc_tree" "$T/streamed" >"$T/diff" &&
	ok "the TOC's tree equals the streamed layer's entry by entry (but stargz.index.json)" ||
	fail "the TOC's tree differs from the streamed layer's" "$(head -20 "$T/diff")"
stop_lowerfs bad "$m2"

# 3. the proxy flips one byte of big.bin's second chunk, on every response
at=$(jq '[.entries[] | select(.name == "usr/lib/big.bin")][1] | .offset + 4096' "$T/toc.json")
[[ $at =~ ^[0-9]+$ ]] || { fail "no second chunk of big.bin in the TOC"; exit 1; }
toc_flip_check test/esgz "$at" "layer: data at.*does not match its digest in the layer's TOC" \
	"layer: [^;]*gzip[^;]*"
