#!/usr/bin/env bash
# Issue 18, start-up prefetch: the files a container opened first
# (--record-access) are pushed with the image's indexes (`ovlmig index
# --push --startup-list`, one more blob of the same artifact, bound to
# the image manifest, digest-checked). A mount on a fresh cache finds the
# list and fetches those files in the background right after the mount,
# before anything reads them; reading them then crosses the link no more.
# Names that are not files of the image, or hostile ones, are ignored
# with a log line; a tampered list blob is refused. Counted from the
# proxy's request log.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
require_root "prefetch list"
require_tools "prefetch list" docker-registry skopeo jq python3 curl
fusectl_ready || { fail "mount fusectl"; exit 1; }

MiB=1048576
# hot/1..6: what the container reads at start; cold/*: what it never reads
mkdir -p "$T/tree/hot" "$T/tree/cold"
for i in $(seq 6); do
	head -c $((200 * 1024)) /dev/urandom >"$T/tree/hot/$i"
	head -c "$MiB" /dev/urandom >"$T/tree/cold/$i"
done
tar -C "$T/tree" --owner=0 --group=0 -cf "$T/layer.tar" hot cold
registry_start || { fail "registry"; exit 1; }
REG=127.0.0.1:$REGISTRY_PORT
oci_layout_from_layers "$T/oci" v1 "$T/layer.tar"
registry_push "$T/oci" v1 test/pf >"$T/out" 2>&1 && ok "skopeo pushed test/pf:v1" ||
	{ fail "skopeo push" "$(head -3 "$T/out")"; exit 1; }
subject=$(oci_manifest_digest "$T/oci" v1)
layer=sha256:$(sha256sum "$T/layer.tar" | cut -d' ' -f1)

# record: a first run reads hot/* in this order
order=(3 1 5 2 6 4)
start_lowerfs rec "docker://$REG/test/pf:v1" "$T/mnt-rec" --insecure --cache "$T/cache-rec" \
	--record-access "$T/recorded" >"$T/out-rec" 2>&1 || { fail "lowerfs rec" "$(head -3 "$T/out-rec")"; exit 1; }
for i in "${order[@]}"; do cat "$T/mnt-rec/hot/$i" >/dev/null; done
stop_lowerfs rec "$T/mnt-rec"
expected=$(printf 'hot/%s\n' "${order[@]}")
[[ $(cat "$T/recorded") == "$expected" ]] && ok "--record-access wrote the 6 files in the order read" ||
	fail "--record-access wrote" "$(head -8 "$T/recorded")"

# the pushed list: the recorded one with hostile and absent names in it
{
	echo "../../../etc/passwd"
	cat "$T/recorded"
	printf '%s\n' /etc/shadow no/such/file hot cold/../hot/1 'hot//2' "$(printf 'hot/\001')"
} >"$T/list"
if "$OVLMIG" index --push --startup-list "$T/list" "docker://$REG/test/pf:v1" --insecure >"$T/push" 2>&1; then
	ok "index --push --startup-list: $(tail -1 "$T/push")"
else
	fail "index --push --startup-list" "$(head -3 "$T/push")"; exit 1
fi
tag_url=http://$REG/v2/test/pf/manifests/sha256-${subject#sha256:}
curl -sf -H 'Accept: application/vnd.oci.image.index.v1+json' "$tag_url" >"$T/tag" ||
	{ fail "no referrers tag"; exit 1; }
artifact=$(jq -r '.manifests[] | select(.artifactType == "application/vnd.ovlmig.index.v1") | .digest' "$T/tag")
curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	"http://$REG/v2/test/pf/manifests/$artifact" >"$T/artifact"
list_digest=sha256:$(sha256sum "$T/list" | cut -d' ' -f1)
[[ $(jq -r .subject.digest "$T/artifact") == "$subject" &&
	$(jq -r '.layers[] | select(.mediaType == "application/vnd.ovlmig.prefetch-list.v1") | "\(.digest) \(.size)"' "$T/artifact") == "$list_digest $(stat -c %s "$T/list")" ]] &&
	ok "the artifact of the image manifest holds the list as one more blob" ||
	fail "artifact" "$(jq -c . "$T/artifact")"

DELAY=0.3
faultproxy_start "$REGISTRY_PORT" none --delay "$DELAY" --requests "$T/requests" ||
	{ fail "faultproxy"; exit 1; }
SRC=docker://127.0.0.1:$FAULTPROXY_PORT/test/pf:v1
# gets_since LINE PATTERN: GETs whose path matches, logged after line LINE
gets_since() {
	tail -n +"$(($1 + 1))" "$T/requests" | awk -v p="$2" '$3 == "GET" && $4 ~ p' | wc -l
}

# a fresh host: the mount returns at once, the listed files come after it
start_lowerfs b "$SRC" "$T/mnt-b" --insecure --cache "$T/cache-b" >"$T/out-b" 2>&1 ||
	{ fail "lowerfs b" "$(head -3 "$T/out-b")"; exit 1; }
done_at_mount=$(stat_of b prefetch_done)
((done_at_mount < 6)) && ok "the mount did not wait for the prefetch ($done_at_mount of 6 files at mount)" ||
	fail "the mount waited for the prefetch: all 6 files fetched when it returned"
for _ in $(seq 200); do [[ $(stat_of b prefetch_running) == false ]] && break; sleep 0.1; done
log_b=$T/run-b/lowerfs.log
[[ $(stat_of b prefetch_done) == 6 ]] && ok "the 6 listed files were prefetched before any read" ||
	fail "prefetched $(stat_of b prefetch_done) files" "$(grep -i prefetch "$log_b" | head -5)"
[[ $(gets_since 0 "/blobs/$list_digest") -ge 1 ]] && ok "the list blob was fetched from the registry" ||
	fail "the list blob was not fetched"
n=$(grep -c "prefetch list in the registry: ignored" "$log_b")
((n == 7)) && ok "7 hostile or absent names ignored: $(grep -m1 -o 'ignored .*' "$log_b")" ||
	fail "$n names ignored, 7 expected" "$(grep 'prefetch list' "$log_b" | head -9)"
[[ $(stat_of b files_fetched) == 6 ]] && ok "only the 6 listed files fetched, no cold one" ||
	fail "$(stat_of b files_fetched) files fetched, 6 expected"
since=$(wc -l <"$T/requests")
bad=0
for i in "${order[@]}"; do cmp -s "$T/mnt-b/hot/$i" "$T/tree/hot/$i" || bad=$((bad + 1)); done
((bad == 0)) && ok "the listed files read right" || fail "$bad listed files read wrong"
n=$(gets_since "$since" "/blobs/$layer")
((n == 0)) && ok "reading the listed files crossed the link no more" ||
	fail "reading the listed files made $n layer GETs"
cmp -s "$T/mnt-b/cold/1" "$T/tree/cold/1" && (($(gets_since "$since" "/blobs/$layer") > 0)) &&
	ok "a file not listed is fetched when read" || fail "cold/1 after the prefetch"
stop_lowerfs b "$T/mnt-b"

# strategy store on a fresh host: ovlmig opens the image itself and puts
# the index heads into the mount's cache, so its lowerfs finds every index
# there and asks the registry nothing; the list's descriptor, kept in
# that cache beside the heads, still gets the list prefetched
ovlmig_mount "$T/o" --strategy store --fill fuse --source "$SRC" --insecure --upper "$T/ou" --work "$T/ow" \
	--cache "$T/oc" >"$T/out-o" 2>&1 || { fail "ovlmig mount --strategy store" "$(head -3 "$T/out-o")"; exit 1; }
orun=$(dirname "$(ls "$OVLMIG_RUN_DIR"/*/lowerfs/lowerfs.pid)")
ostat() { "$LOWERFS" ctl --run-dir "$orun" stats | jq -r ".$1"; }
for _ in $(seq 200); do
	[[ $(ostat prefetch_done) == 6 && $(ostat prefetch_running) == false ]] && break
	sleep 0.1
done
grep -q "index: registry" "$orun/lowerfs.log" &&
	fail "store: lowerfs fetched an index itself (the case of the cached heads not tested)"
[[ $(ostat prefetch_done) == 6 ]] && ok "store: the 6 listed files were prefetched, every index from the cache" ||
	fail "store: prefetched $(ostat prefetch_done) files" "$(grep -i 'prefetch\|index:' "$orun/lowerfs.log" | head -5)"
since=$(wc -l <"$T/requests")
bad=0
for i in "${order[@]}"; do cmp -s "$T/o/hot/$i" "$T/tree/hot/$i" || bad=$((bad + 1)); done
n=$(gets_since "$since" "/blobs/$layer")
((bad == 0 && n == 0)) && ok "store: the listed files read right, no layer GET" ||
	fail "store: $bad listed files read wrong, $n layer GETs"
"$OVLMIG" umount "$T/o" >/dev/null 2>&1 || fail "umount the store mount"

# a tampered list blob in the registry's storage: refused, nothing prefetched
data=$REGISTRY_DIR/data/docker/registry/v2/blobs/sha256/${list_digest:7:2}/${list_digest#sha256:}/data
if [[ -f $data ]]; then
	printf 'x' | dd of="$data" bs=1 seek=3 conv=notrunc status=none
	start_lowerfs c "$SRC" "$T/mnt-c" --insecure --cache "$T/cache-c" >"$T/out-c" 2>&1 ||
		{ fail "lowerfs c" "$(head -3 "$T/out-c")"; exit 1; }
	for _ in $(seq 100); do grep -q "prefetch list in the registry" "$T/run-c/lowerfs.log" && break; sleep 0.1; done
	grep -q "prefetch list in the registry: .*does not match its digest" "$T/run-c/lowerfs.log" &&
		ok "tampered list refused: $(grep -m1 -o 'prefetch list in the registry: .*' "$T/run-c/lowerfs.log" | cut -c1-160)" ||
		fail "tampered list not refused" "$(grep -i prefetch "$T/run-c/lowerfs.log" | head -3)"
	[[ $(stat_of c files_fetched) == 0 ]] && ok "tampered list: nothing prefetched" ||
		fail "tampered list: $(stat_of c files_fetched) files fetched"
	stop_lowerfs c "$T/mnt-c"
else
	fail "list blob $list_digest not in the registry's storage"
fi
