#!/usr/bin/env bash
# Issue 18: `ovlmig index --push --companion` pushes, with each gzip
# layer's index, a seekable companion (the layer's tar re-encoded as zstd
# frames, a frame per file) and its index, as a referrer of the image.
# A mount on a fresh cache reads the layers through their companions:
# the tree equals the image entry by entry (lowerfs, and ovlmig's store
# strategy), and a small file costs a few KiB of the companion and no
# byte of the gzip layer (the registry's access log). A companion that
# does not match its index, or an index head that does not match its
# digest, is refused with a log line and the layer read as before. A
# layer whose companion would not decompress to its diff_id is refused at
# push, and nothing is pushed.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
require_root "companion push"
require_tools "companion push" docker-registry skopeo jq python3 curl zstd
fusectl_ready || { fail "mount fusectl"; exit 1; }

L=$(layers_dir) || { fail "mklayers"; exit 1; }
registry_start || { fail "registry"; exit 1; }
REG=127.0.0.1:$REGISTRY_PORT
# img: the 3-layer image (whiteouts, opaque dirs, a hardlink); base: the
# tree with every kind of entry (devices, xattrs, long names, 2-3 MiB files)
oci_layout_from_layers "$T/oci" v1 "$L"/l{1,2,3}.tar.gz
oci_layout_from_layers "$T/oci" base "$L/base.tar.gz"
for t in v1:test/img base:test/base; do
	registry_push "$T/oci" "${t%%:*}" "${t#*:}" >"$T/out" 2>&1 ||
		{ fail "skopeo push ${t#*:}" "$(head -3 "$T/out")"; exit 1; }
done
ok "skopeo pushed test/img:v1 and test/base:base"
expected_tree "$L/image.tree" "$T/expected-img"
expected_tree "$L/base.tree" "$T/expected-base"
base_layer=sha256:$(sha256sum "$L/base.tar.gz" | cut -d' ' -f1)
img_layers=()
for f in "$L"/l{1,2,3}.tar.gz; do img_layers+=("sha256:$(sha256sum "$f" | cut -d' ' -f1)"); done

# GET bytes and requests of blob DIGEST in the registry's log from line FROM
log_bytes() { tail -n +"$2" "$REGISTRY_DIR/log" | awk -v re="/blobs/$1 " '$6 == "\"GET" && $0 ~ re { n += $10 } END { printf "%.0f\n", n }'; }
log_gets() { tail -n +"$2" "$REGISTRY_DIR/log" | awk -v re="/blobs/$1 " '$6 == "\"GET" && $0 ~ re { n++ } END { print n + 0 }'; }
log_lines() { wc -l <"$REGISTRY_DIR/log"; }

# push both with companions
for r in test/img:v1 test/base:base; do
	out=$T/push-${r##*:}
	if "$OVLMIG" index --push --companion "docker://$REG/$r" --insecure >"$out" 2>&1; then
		ok "index --push --companion $r: $(grep -c 'companion sha256' "$out") companions; $(tail -1 "$out" | cut -c1-80)"
	else
		fail "index --push --companion $r" "$(head -5 "$out")"; exit 1
	fi
done
subject=$(oci_manifest_digest "$T/oci" base)
tag_url=http://$REG/v2/test/base/manifests/sha256-${subject#sha256:}
accept='Accept: application/vnd.oci.image.index.v1+json'
curl -sf -H "$accept" "$tag_url" >"$T/tag" || { fail "no referrers tag"; exit 1; }
artifact=$(jq -r '.manifests[-1].digest' "$T/tag")
curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	"http://$REG/v2/test/base/manifests/$artifact" >"$T/artifact"
CHEAD=application/vnd.ovlmig.companion.index.v2.head+gzip
CBLOB=application/vnd.ovlmig.layer.companion.v1.tar+zstd
CSPANS=application/vnd.ovlmig.companion.spans.v1
comp=$(jq -r --arg t "$CBLOB" '.layers[] | select(.mediaType == $t) | .digest' "$T/artifact")
[[ $(jq -r '[.layers[].mediaType] | join(" ")' "$T/artifact") == \
	"application/vnd.ovlmig.layer.index.v2.head+gzip application/vnd.ovlmig.layer.index.v2.windows $CHEAD application/vnd.ovlmig.layer.index.v2.windows $CBLOB $CSPANS" &&
	$(jq -r --arg t "$CBLOB" '.layers[] | select(.mediaType == $t) | .annotations["org.ovlmig.layer.digest"]' "$T/artifact") == "$base_layer" &&
	$(jq -r --arg t "$CBLOB" '.layers[] | select(.mediaType == $t) | .annotations["org.ovlmig.companion.uncompressed-digest"]' "$T/artifact") == "sha256:$(layer_diff_id "$L/base.tar.gz")" ]] &&
	ok "artifact: the layer's index, then the companion's index, the companion and its span digests, bound to the layer and its diff_id" ||
	fail "artifact" "$(jq -c .layers "$T/artifact")"
# the companion is the layer's tar, byte for byte, in frames
curl -sf "http://$REG/v2/test/base/blobs/$comp" >"$T/companion.zst" || fail "GET the companion"
[[ $(zstd -dcq "$T/companion.zst" | sha256sum | cut -d' ' -f1) == "$(layer_diff_id "$L/base.tar.gz")" ]] &&
	ok "the companion decompresses (zstd) to the layer's tar ($(stat -c %s "$T/companion.zst") bytes, the layer $(stat -c %s "$L/base.tar.gz"))" ||
	fail "the companion does not decompress to the layer's tar"

# lowerfs on a fresh cache: the tree, then a small file's bytes
start_lowerfs c "docker://$REG/test/base:base" "$T/mc" --insecure --cache "$T/cache-c" >"$T/c.out" 2>&1 ||
	{ fail "lowerfs on test/base" "$(head -3 "$T/c.out")"; exit 1; }
lf_log() { cat "$T/$1.out" "$T/run-$1/lowerfs.log" 2>/dev/null; }
lf_log c | grep -q "index: registry companion" &&
	ok "lowerfs reads the layer through its companion" ||
	fail "companion not used" "$(lf_log c | grep -e 'index' -e companion | head -5)"
from=$(($(log_lines) + 1))
cmp -s "$T/mc/etc/hostname" "$L/base.tree/etc/hostname" && cmp -s "$T/mc/home/user/notes" "$L/base.tree/home/user/notes" ||
	fail "small files differ from the layer's"
cb=$(log_bytes "$comp" "$from") cg=$(log_gets "$comp" "$from") lb=$(log_bytes "$base_layer" "$from")
((lb == 0 && cg >= 1 && cb > 0 && cb <= 65536)) &&
	ok "two small files: $cb bytes of the companion in $cg range GETs, none of the gzip layer" ||
	fail "two small files: companion $cb bytes in $cg GETs, gzip layer $lb bytes"
# a frame per file with data, large files cut every MiB (3 MiB + 17: 4
# frames, 2 MiB: 2, 200,000 lines of text: 2): 19 files with data in base
frames=$(grep -o 'companion sha256:[0-9a-f]*, [0-9]* bytes ([0-9.]*x the layer), [0-9]* frames' "$T/push-base" | awk '{ print $(NF - 1) }')
((frames >= 19 + 3 + 1 + 1)) && ok "the companion has $frames frames: one per file, 1 MiB at most" ||
	fail "the companion has $frames frames" "$(cat "$T/push-base")"
same_tree "lowerfs over the companion: the tree equals the layer's" "$T/expected-base" "$T/mc"
stop_lowerfs c "$T/mc"
# the same cache again: the companion's chunks are kept (under its
# digest); its head is fetched again (not kept: it is not the layer's)
from=$(($(log_lines) + 1))
start_lowerfs c2 "docker://$REG/test/base:base" "$T/mc2" --insecure --cache "$T/cache-c" >"$T/c2.out" 2>&1 ||
	fail "lowerfs again on the same cache" "$(head -3 "$T/c2.out")"
cmp -s "$T/mc2/home/user/notes" "$L/base.tree/home/user/notes" && cmp -s "$T/mc2/data/random-3m" "$L/base.tree/data/random-3m" ||
	fail "second mount: files differ"
cb=$(log_bytes "$comp" "$from")
lf_log c2 | grep -q "index: registry companion" && ((cb == 0)) &&
	ok "the same cache again: the companion read from the cache (0 bytes fetched)" ||
	fail "the same cache again: $cb companion bytes fetched" "$(lf_log c2 | grep 'index:' | head -3)"
stop_lowerfs c2 "$T/mc2"

# ovlmig mount (strategy store: META from the indexes), the 3-layer image
rm -f "$OVLMIG_STORE_DIR"/sha256-*/tree.saved
if ovlmig_mount "$T/m" --source "docker://$REG/test/img:v1" --insecure --upper "$T/u" \
	--work "$T/w" --cache "$T/cache-m" >"$T/m.out" 2>&1; then
	same_tree "ovlmig mount over companions: the tree equals the image" "$T/expected-img" "$T/m"
	n=$(cat "$T/m.out" "$OVLMIG_RUN_DIR"/*-m/lowerfs/lowerfs.log 2>/dev/null | grep -c "index: registry companion")
	((n >= 3)) && ok "all 3 layers read through their companions" ||
		fail "$n layers through companions" "$(cat "$T/m.out" "$OVLMIG_RUN_DIR"/*-m/lowerfs/lowerfs.log 2>/dev/null | grep 'index:' | head)"
	# migrate reads every file through the companions (every span checked),
	# detach drops the lower: the tree is still the image's
	"$OVLMIG" migrate "$T/m" >"$T/mig.out" 2>&1 && "$OVLMIG" detach "$T/m" >>"$T/mig.out" 2>&1 &&
		[[ $("$OVLMIG" status --json "$T/m" | jq -r .phase) == detached ]] &&
		ok "migrate and detach over companions" || fail "migrate/detach" "$(head -3 "$T/mig.out")"
	same_tree "after detach: the tree equals the image" "$T/expected-img" "$T/m"
	"$OVLMIG" umount "$T/m" >/dev/null 2>&1 || fail "umount"
else
	fail "ovlmig mount test/img" "$(head -3 "$T/m.out")"
fi

# add_referrer NAME MANIFEST: put MANIFEST by its digest and make it the
# referrers tag's only artifact of ours (the good one behind it would be
# taken next: the fallback to see is the layer's own index)
add_referrer() {
	local name=$1 man=$2 d
	d=sha256:$(printf '%s' "$man" | sha256sum | cut -d' ' -f1)
	curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "$man" \
		"http://$REG/v2/test/base/manifests/$d" >/dev/null || fail "put the $name referrer"
	curl -sf -H "$accept" "$tag_url" |
		jq -c --arg d "$d" --argjson s "${#man}" \
			'.manifests = [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d, size: $s, artifactType: "application/vnd.ovlmig.index.v1"}]' \
			>"$T/tag-$name"
	curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.index.v1+json' --data-binary "@$T/tag-$name" \
		"$tag_url" >/dev/null || fail "put the referrers tag with the $name referrer"
}
# blob_put FILE: upload FILE to test/base; prints its digest
blob_put() {
	local d loc
	d=sha256:$(sha256sum "$1" | cut -d' ' -f1)
	loc=$(curl -sf -X POST -D - -o /dev/null "http://$REG/v2/test/base/blobs/uploads/" | tr -d '\r' |
		awk 'tolower($1) == "location:" { print $2 }')
	[[ $loc == /* ]] && loc=http://$REG$loc
	curl -sf -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$1" \
		"$loc&digest=$d" >/dev/null || { echo "upload $1 failed" >&2; return 1; }
	echo "$d"
}
# tampered NAME: lowerfs on a fresh cache reads every file of the tree;
# the companion is refused (logged), the tree is right, from the layer
tampered() {
	local name=$1 why=$2
	rm -rf "$T/cache-$name"
	start_lowerfs "$name" "docker://$REG/test/base:base" "$T/m$name" --insecure --cache "$T/cache-$name" \
		>"$T/$name.out" 2>&1 || { fail "$name: lowerfs" "$(head -3 "$T/$name.out")"; return; }
	lf_log "$name" | grep -q "companion of $base_layer in the registry refused: .*$why" &&
		lf_log "$name" | grep -q "index: registry\$" &&
		ok "$name: refused ($(lf_log "$name" | grep -m1 -o 'refused: .*' | cut -c1-110)), the layer read through its index" ||
		fail "$name: companion not refused" "$(lf_log "$name" | grep -e refused -e 'index:' | head -4)"
	same_tree "$name: the tree equals the layer's" "$T/expected-base" "$T/m$name"
	stop_lowerfs "$name" "$T/m$name"
}

# a flipped byte in one frame of the companion, re-pushed as a new blob
# the artifact names (its index still the old companion's)
python3 - "$T/companion.zst" "$T/flipped.zst" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[len(b) // 2] ^= 0x01
open(sys.argv[2], 'wb').write(b)
EOF
flipped=$(blob_put "$T/flipped.zst") || fail "upload the flipped companion"
add_referrer flipped "$(jq -c --arg o "$comp" --arg n "$flipped" '.layers |= map(if .digest == $o then .digest = $n else . end)' "$T/artifact")"
tampered flipped "it indexes $comp"

# the companion's index head replaced by a blob that is not its digest
# (its descriptor names the digest of another blob, of the same size)
chead=$(jq -r --arg t "$CHEAD" '.layers[] | select(.mediaType == $t) | .digest' "$T/artifact")
curl -sf "http://$REG/v2/test/base/blobs/$chead" >"$T/chead" || fail "GET the companion's index head"
python3 - "$T/chead" "$T/chead-bad" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[-12] ^= 0xff
open(sys.argv[2], 'wb').write(b)
EOF
bad=$(blob_put "$T/chead-bad") || fail "upload the bad head"
# the descriptor keeps the size and names the bad blob: the gzip CRC fails
add_referrer badhead "$(jq -c --arg o "$chead" --arg n "$bad" '.layers |= map(if .digest == $o then .digest = $n else . end)' "$T/artifact")"
tampered badhead "index blob $bad"

# span digests that do not match their page's sha256 (one byte changed,
# re-pushed as a new blob the artifact names, the pages annotation kept):
# the companion is used, and a read whose page does not match fails with
# EIO, never a wrong byte
spans=$(jq -r --arg t "$CSPANS" '.layers[] | select(.mediaType == $t) | .digest' "$T/artifact")
curl -sf "http://$REG/v2/test/base/blobs/$spans" >"$T/spans" || fail "GET the span digests"
python3 - "$T/spans" "$T/spans-bad" <<'EOF2'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[5] ^= 0x01
open(sys.argv[2], 'wb').write(b)
EOF2
badspans=$(blob_put "$T/spans-bad") || fail "upload the bad span digests"
add_referrer badspans "$(jq -c --arg o "$spans" --arg n "$badspans" '.layers |= map(if .digest == $o then .digest = $n else . end)' "$T/artifact")"
start_lowerfs bs "docker://$REG/test/base:base" "$T/mbs" --insecure --cache "$T/cache-bs" >"$T/bs.out" 2>&1 ||
	fail "badspans: lowerfs" "$(head -3 "$T/bs.out")"
if cat "$T/mbs/etc/hostname" >"$T/bs.read" 2>"$T/bs.err"; then
	fail "badspans: a read through unmatched span digests succeeded" "$(head -c 100 "$T/bs.read")"
else
	grep -q "Input/output error" "$T/bs.err" && [[ ! -s $T/bs.read ]] &&
		lf_log bs | grep -q "page 0 does not match its sha256" &&
		ok "badspans: the read fails with EIO, no byte served ($(lf_log bs | grep -m1 -o 'span digests .*' | cut -c1-60)...)" ||
		fail "badspans: $(cat "$T/bs.err")" "$(lf_log bs | grep -e span -e 'index:' | head -3)"
fi
stop_lowerfs bs "$T/mbs"

# a layer whose companion would not decompress to its diff_id: the image
# config says another diff_id; the push is refused, naming the layer
python3 - "$T/oci" <<'EOF'
import hashlib, json, os, sys
d = sys.argv[1]
def blob(h): return os.path.join(d, 'blobs', 'sha256', h)
def put(b):
    h = hashlib.sha256(b).hexdigest()
    open(blob(h), 'wb').write(b)
    return h, len(b)
idx = json.load(open(os.path.join(d, 'index.json')))
e = [m for m in idx['manifests'] if m['annotations']['org.opencontainers.image.ref.name'] == 'base'][0]
man = json.load(open(blob(e['digest'][7:])))
cfg = json.load(open(blob(man['config']['digest'][7:])))
cfg['rootfs']['diff_ids'][0] = 'sha256:' + '0' * 64
h, n = put(json.dumps(cfg).encode())
man['config']['digest'], man['config']['size'] = 'sha256:' + h, n
h, n = put(json.dumps(man).encode())
idx['manifests'].append({'mediaType': e['mediaType'], 'digest': 'sha256:' + h, 'size': n,
                         'platform': e['platform'], 'annotations': {'org.opencontainers.image.ref.name': 'badid'}})
json.dump(idx, open(os.path.join(d, 'index.json'), 'w'))
EOF
registry_push "$T/oci" badid test/badid >"$T/out" 2>&1 || fail "skopeo push test/badid" "$(head -3 "$T/out")"
from=$(($(log_lines) + 1))
if "$OVLMIG" index --push --companion "docker://$REG/test/badid:badid" --insecure >"$T/push-bad" 2>&1; then
	fail "a companion that does not decompress to the diff_id was pushed" "$(tail -2 "$T/push-bad")"
elif grep -q "layer 0 $base_layer: companion refused, not pushed: .*diff_id sha256:0000" "$T/push-bad" &&
	[[ $(tail -n +"$from" "$REGISTRY_DIR/log" | awk '$6 == "\"PUT" && $7 ~ /manifests/' | wc -l) == 0 ]]; then
	ok "diff_id mismatch refused at push, nothing pushed: $(grep -m1 -o 'companion refused.*' "$T/push-bad" | cut -c1-120)"
else
	fail "diff_id mismatch: unclear" "$(head -3 "$T/push-bad")"
fi
