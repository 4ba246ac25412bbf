#!/usr/bin/env bash
# Index format version 2 in the registry (docs/INDEX.md): `ovlmig index
# --push` stores each layer's index as a head and its windows, and a
# mount on a fresh cache fetches only the heads; a read fetches the one
# window its checkpoint needs, by range, once. A window damaged in the
# registry fails the read that needs it (EIO, no bytes) with a log line
# naming the layer and the checkpoint. Bytes are counted by nginx in
# front of the registry.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
require_root "index windows"
require_tools "index windows" docker-registry skopeo jq python3 curl nginx
fusectl_ready || { fail "mount fusectl"; exit 1; }

HEAD_MT=application/vnd.ovlmig.layer.index.v2.head+gzip
WIN_MT=application/vnd.ovlmig.layer.index.v2.windows

L=$(layers_dir) || { fail "mklayers"; exit 1; }
registry_start || { fail "registry"; exit 1; }
REG=127.0.0.1:$REGISTRY_PORT
oci_layout_from_layers "$T/oci" v1 "$L"/l{1,2,3}.tar.gz "$L/half.tar.gz"
registry_push "$T/oci" v1 test/img >"$T/out" 2>&1 ||
	{ fail "skopeo push" "$(head -3 "$T/out")"; exit 1; }
subject=$(oci_manifest_digest "$T/oci" v1)
half=sha256:$(sha256sum "$L/half.tar.gz" | cut -d' ' -f1)
mkdir -p "$T/half"
tar -C "$T/half" -xzf "$L/half.tar.gz" || { fail "unpack half.tar.gz"; exit 1; }

"$OVLMIG" index --push -o "$T/x.index" "docker://$REG/test/img:v1" --insecure >"$T/push" 2>&1
[[ $? == 2 ]] && grep -q "no -o" "$T/push" && ok "index --push -o: refused (exit 2)" ||
	fail "index --push -o" "$(head -3 "$T/push")"
# windows every 2 MiB: 7 in the half layer (random data, raw windows)
"$OVLMIG" index --push --checkpoint-span 2097152 "docker://$REG/test/img:v1" --insecure >"$T/push" 2>&1 ||
	{ fail "index --push" "$(head -3 "$T/push")"; exit 1; }
grep -q "layer 3 $(sha256sum "$L/half.tar.gz" | cut -d' ' -f1 | sed 's/^/sha256:/'): 17 entries, gzip, 8 checkpoints" "$T/push" &&
	ok "index --push --checkpoint-span 2097152: 8 checkpoints in the half layer" ||
	fail "index --push --checkpoint-span" "$(cat "$T/push")"
curl -sf -H 'Accept: application/vnd.oci.image.index.v1+json' \
	"http://$REG/v2/test/img/manifests/sha256-${subject#sha256:}" >"$T/tag" ||
	{ fail "no referrers tag"; exit 1; }
artifact=$(jq -r '.manifests[0].digest' "$T/tag")
curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	"http://$REG/v2/test/img/manifests/$artifact" >"$T/artifact" || { fail "artifact"; exit 1; }
# blob DIGEST-OR-SIZE MEDIA-TYPE LAYER: the artifact's blob of that type for LAYER
blob() {
	jq -r --arg t "$2" --arg l "$3" --arg f "$1" '.layers[] |
		select(.mediaType == $t and .annotations["org.ovlmig.layer.digest"] == $l) | .[$f]' "$T/artifact"
}
half_head=$(blob digest "$HEAD_MT" "$half") half_win=$(blob digest "$WIN_MT" "$half")
head_size=$(blob size "$HEAD_MT" "$half") win_size=$(blob size "$WIN_MT" "$half")
[[ $half_head == sha256:* && $half_win == sha256:* ]] ||
	{ fail "the half layer's head and windows in the artifact" "$(jq -c . "$T/artifact")"; exit 1; }
# 16 MiB of random data, a window every 2 MiB: 7 windows of about 32 KiB
((win_size >= 6 * 30000 && head_size < win_size)) &&
	ok "half layer: index head $head_size bytes, windows $win_size bytes" ||
	fail "half layer: head $head_size, windows $win_size bytes"
# the head is one gzip member of a version 2 head (magic, version 2),
# smaller than itself (here mostly the chunk hashes, which do not deflate)
curl -sf "http://$REG/v2/test/img/blobs/$half_head" | gzip -dc >"$T/head.plain" 2>"$T/gz.err" &&
	[[ $(head -c 8 "$T/head.plain" | tr -d '\0') == OVLMIDX && $(od -An -tu4 -j8 -N4 "$T/head.plain" | tr -d ' ') == 2 ]] &&
	plain=$(stat -c %s "$T/head.plain") && ((plain > head_size)) &&
	ok "half layer: the head blob is a gzip'd version 2 head ($head_size bytes, $plain inflated)" ||
	fail "half layer: the head blob is not a gzip'd version 2 head, smaller" "$(cat "$T/gz.err"; od -c "$T/head.plain" | head -2)"
heads_re=$(jq -r --arg t "$HEAD_MT" '[.layers[] | select(.mediaType == $t) | .digest] | join("|")' "$T/artifact")
wins_re=$(jq -r --arg t "$WIN_MT" '[.layers[] | select(.mediaType == $t) | .digest] | join("|")' "$T/artifact")
heads_total=$(jq -r --arg t "$HEAD_MT" '[.layers[] | select(.mediaType == $t) | .size] | add' "$T/artifact")

registry_proxy_start || { fail "nginx in front of the registry"; exit 1; }
P=127.0.0.1:$NGINX_PORT
win_uri=/v2/test/img/blobs/$half_win
lowerfs_logs() { cat "$OVLMIG_RUN_DIR"/*-m-"$1"/lowerfs/lowerfs.log 2>/dev/null; }

# a mount on a fresh cache: the heads, no window
m=$T/m-lazy
ovlmig_mount "$m" --source "docker://$P/test/img:v1" --insecure \
	--upper "$T/u1" --work "$T/w1" --cache "$T/cache1" --store "$T/store1" >"$T/mount1" 2>&1 ||
	{ fail "mount" "$(head -3 "$T/mount1")"; exit 1; }
# lowerfs loads its tree in the background: status answers once it is
# there, its log (not the mount's output) then says how
"$OVLMIG" status --json "$m" >/dev/null
# the first to open the image fetches the heads; lowerfs then finds them
# in the index cache (windows still in the registry)
n=$(grep "index: registry" "$T/mount1" | grep -o "layer [0-9]*:" | sort -u | wc -l)
k=$(cat "$T/mount1" <(lowerfs_logs lazy) | grep "index: index cache (head; windows in the registry)" |
	grep -o "layer [0-9]*:" | sort -u | wc -l)
# or lowerfs reads no index at start: the tree ovlmig saved in the store
saved=$(cat "$T/mount1" <(lowerfs_logs lazy) | grep -c "tree from the saved tree .*no layer index read")
((n == 4 && (k == 4 || saved >= 1))) && ok "pushed indexes used for all 4 layers, their heads kept in the index cache or not read again (saved tree)" ||
	fail "pushed indexes used for $n layers, from the cache $k, saved tree $saved" "$(grep 'index' "$T/mount1" | head -8)"
hb=$(nginx_bytes "^/v2/test/img/blobs/($heads_re)\$") wr=$(nginx_requests "^/v2/test/img/blobs/($wins_re)\$")
((hb == heads_total && wr == 0)) &&
	ok "mount: the 4 index heads ($hb bytes), no window" ||
	fail "mount: $hb bytes of heads ($heads_total pushed), $wr window requests"

# a file past the first checkpoint: the windows of the spans it lies in
# (1 MiB in 2 MiB spans: one or two), each by a range, not the blob
cmp -s "$m/h10" "$T/half/h10" && ok "h10 reads as in the layer" || fail "h10 differs from the layer's"
nginx_ranges "$win_uri" >"$T/ranges1"
w1=$(awk '{ n += $2 - $1 + 1 } END { print n + 0 }' "$T/ranges1")
k=$(wc -l <"$T/ranges1")
((k >= 1 && k <= 2 && $(nginx_requests "^$win_uri\$") == k && w1 <= k * 32768 && w1 * 3 < win_size)) &&
	ok "h10: $k windows fetched by range ($w1 of $win_size bytes)" ||
	fail "h10: window requests" "$(cat "$T/ranges1"); $(grep -F "$win_uri" "$NGINX_LOG" | head -3)"

# every file of the layer: right, and no window fetched twice
bad=0
for f in "$T"/half/h*; do cmp -s "$m/$(basename "$f")" "$f" || bad=$((bad + 1)); done
((bad == 0)) && ok "the 16 files of the half layer read as in the layer" || fail "$bad files of the half layer differ"
hb=$(nginx_bytes "^/v2/test/img/blobs/($heads_re)\$")
((hb == heads_total)) && ok "after the reads: each index head fetched once ($hb bytes)" ||
	fail "after the reads: $hb bytes of heads ($heads_total pushed)"
twice=$(nginx_ranges_twice "$win_uri")
wall=$(nginx_bytes "^$win_uri\$")
[[ -z $twice ]] && ((wall <= win_size)) &&
	ok "all files: $wall of $win_size window bytes, none fetched twice" ||
	fail "window bytes: $wall of $win_size" "$twice"
[[ -z $(nginx_requests "^/v2/test/img/blobs/($wins_re)\$" | awk '$1 == 0') ]] &&
	grep -F "$win_uri" "$NGINX_LOG" | awk '$2 != 206 { bad++ } END { exit bad > 0 }' &&
	ok "windows only ever fetched by range (206)" ||
	fail "a window request that is not a range" "$(grep -F "$win_uri" "$NGINX_LOG" | head -3)"
"$OVLMIG" umount "$m" >/dev/null 2>&1 || fail "umount"

# a read that starts at a checkpoint whose window is still in the
# registry: the window's request and the data's in flight together, not
# one round trip after the other (each held 0.3 s by the proxy)
faultproxy_start "$REGISTRY_PORT" none --delay 0.3 --requests "$T/requests" || { fail "faultproxy"; exit 1; }
start_lowerfs par "docker://127.0.0.1:$FAULTPROXY_PORT/test/img:v1" "$T/m-par" --insecure \
	--cache "$T/cache-par" >"$T/out-par" 2>&1 || { fail "lowerfs par" "$(head -3 "$T/out-par")"; exit 1; }
# the referrers API (docker-registry 2.8 has none: 404) and the tag
# schema asked together, not the tag after the API's answer
awk '$3 == "GET" && (index($4, "/referrers/") || index($4, "/manifests/sha256-")) { print $1, $2 }' \
	"$T/requests" >"$T/refs"
over=$(max_overlap <"$T/refs")
(($(wc -l <"$T/refs") == 2 && over == 2)) &&
	ok "mount through the delaying proxy: referrers API and tag asked together" ||
	fail "mount: referrers requests $(wc -l <"$T/refs"), at most $over in flight together" \
		"$(awk '$3 == "GET" { print $1, $2, $4 }' "$T/requests" | head -8)"
# the mount's 4 index heads: fetched together, not one round trip each
awk -v re="/blobs/($heads_re)\$" '$3 == "GET" && $4 ~ re { print $1, $2 }' "$T/requests" >"$T/heads"
over=$(max_overlap <"$T/heads")
(($(wc -l <"$T/heads") == 4 && over >= 2)) &&
	ok "mount through the delaying proxy: the 4 index heads fetched together ($over in flight at once)" ||
	fail "mount: $(wc -l <"$T/heads") head requests, at most $over in flight together" "$(cat "$T/heads")"
since=$(wc -l <"$T/requests")
cmp -s "$T/m-par/h10" "$T/half/h10" && ok "h10 reads as in the layer (through the delaying proxy)" ||
	fail "h10 differs (through the delaying proxy)"
tail -n +"$((since + 1))" "$T/requests" |
	awk -v w="/blobs/$half_win" -v l="/blobs/$half" '$3 == "GET" && (index($4, w) || index($4, l)) { print $1, $2, $4 }' >"$T/par"
nw=$(grep -c -F "$half_win" "$T/par") nl=$(grep -c -F "/blobs/$half" "$T/par")
over=$(max_overlap <"$T/par")
((nw >= 1 && nl >= 1 && over >= 2)) &&
	ok "h10: its window and its layer bytes fetched at once ($nw window and $nl layer requests, $over in flight together)" ||
	fail "h10: $nw window and $nl layer requests, at most $over in flight together" "$(cat "$T/par")"
stop_lowerfs par "$T/m-par"

# a window damaged in the registry: the read that needs it fails, no byte
data=$REGISTRY_DIR/data/docker/registry/v2/blobs/sha256/${half_win:7:2}/${half_win#sha256:}/data
[[ -f $data ]] || { fail "windows blob not in the registry's storage"; exit 1; }
for ((o = 500; o < win_size; o += 1000)); do
	printf '\x55' | dd of="$data" bs=1 seek=$o conv=notrunc status=none
done
m=$T/m-bad
ovlmig_mount "$m" --source "docker://$P/test/img:v1" --insecure \
	--upper "$T/u2" --work "$T/w2" --cache "$T/cache2" --store "$T/store2" >"$T/mount2" 2>&1 ||
	{ fail "mount with a damaged windows blob" "$(head -3 "$T/mount2")"; exit 1; }
if dd if="$m/h10" of="$T/got" bs=1M status=none 2>"$T/dd.err"; then
	fail "h10 read with a damaged window"
else
	grep -q "Input/output error" "$T/dd.err" && [[ ! -s $T/got ]] &&
		ok "damaged window: the read fails with EIO and returns no byte" ||
		fail "damaged window: $(cat "$T/dd.err"), $(stat -c %s "$T/got") bytes"
fi
line=$(lowerfs_logs bad | grep -m1 "index of layer $half: checkpoint [0-9]*: window .*does not match its sha256")
[[ -n $line ]] && ok "the log names layer and checkpoint: ${line:0:200}" ||
	fail "no log line naming the damaged window" "$(lowerfs_logs bad | tail -5)"
cmp -s "$m/h00" "$T/half/h00" && ok "h00 (before any window) still reads" || fail "h00 differs"
"$OVLMIG" umount "$m" >/dev/null 2>&1 || fail "umount"
