#!/usr/bin/env bash
# Issue 12: `ovlmig index --push` stores an image's layer indexes in its
# docker-registry (2.8: the OCI referrers tag schema), and a mount on a
# fresh cache finds and uses them: it never streams a layer whole. A
# tampered index blob is refused (the layer is indexed from itself), a
# second push keeps the referrers tag's other entries, and a push to a
# registry without the image fails saying so. Bytes are counted from the
# registry's own access log.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
require_root "index push"
require_tools "index push" docker-registry skopeo jq python3 curl
fusectl_ready || { fail "mount fusectl"; exit 1; }

L=$(layers_dir) || { fail "mklayers"; exit 1; }
registry_start || { fail "registry"; exit 1; }
REG=127.0.0.1:$REGISTRY_PORT
oci_layout_from_layers "$T/oci" v1 "$L"/l{1,2,3}.tar.gz "$L/half.tar.gz"
registry_push "$T/oci" v1 test/img >"$T/out" 2>&1 && ok "skopeo pushed test/img:v1" ||
	{ fail "skopeo push" "$(head -3 "$T/out")"; exit 1; }
subject=$(oci_manifest_digest "$T/oci" v1)
layer_digests=()
for f in "$L"/l{1,2,3}.tar.gz "$L/half.tar.gz"; do layer_digests+=("sha256:$(sha256sum "$f" | cut -d' ' -f1)"); done
layer_total=$(cat "$L"/l{1,2,3}.tar.gz "$L/half.tar.gz" | wc -c)
h00=$T/h00
tar -xzOf "$L/half.tar.gz" h00 >"$h00" 2>/dev/null || tar -xzOf "$L/half.tar.gz" ./h00 >"$h00"
[[ -s $h00 ]] || { fail "h00 not in half.tar.gz"; exit 1; }

# layer_bytes: body bytes the registry sent so far for the image's layers
layer_bytes() {
	local re
	re=$(IFS='|'; echo "${layer_digests[*]}")
	awk -v re="/blobs/($re) " '$0 ~ re { n += $10 } END { printf "%.0f\n", n }' "$REGISTRY_DIR/log"
}
lowerfs_logs() { cat "$OVLMIG_RUN_DIR"/*-m-"$1"/lowerfs/lowerfs.log 2>/dev/null; }

# mount_read NAME: mount on a fresh cache, read h00, unmount; sets BYTES
# to the layer bytes it took and keeps the lowerfs log in $T/NAME.log
mount_read() {
	local name=$1 before m=$T/m-$1 lines re
	before=$(layer_bytes)
	lines=$(wc -l <"$REGISTRY_DIR/log")
	# each mount looks for the indexes: not the image's saved tree
	rm -f "$OVLMIG_STORE_DIR"/sha256-*/tree.saved
	if ! ovlmig_mount "$m" --source "docker://$REG/test/img:v1" --insecure \
		--upper "$T/u-$name" --work "$T/w-$name" --cache "$T/cache-$name" >"$T/$name.out" 2>&1; then
		fail "$name: mount" "$(head -3 "$T/$name.out")"; return 1
	fi
	cmp -s "$m/h00" "$h00" || fail "$name: h00 differs from the layer's"
	# looking for indexes that are not there is no fetch error; asked
	# first: lowerfs answers once its tree is loaded (in the background,
	# h00 may come from the store), and its log then says what it read
	"$OVLMIG" status --json "$m" | jq -r '.source_state.fetch_errors_permanent' >"$T/$name.errors"
	{ cat "$T/$name.out"; lowerfs_logs "$name"; } >"$T/$name.log"
	"$OVLMIG" umount "$m" >/dev/null 2>&1 || fail "$name: umount"
	BYTES=$(($(layer_bytes) - before))
	# whole-layer GETs (200, not 206) since the mount began
	re=$(IFS='|'; echo "${layer_digests[*]}")
	WHOLE=$(tail -n +$((lines + 1)) "$REGISTRY_DIR/log" | awk -v re="/blobs/($re) " '$0 ~ re && $9 == 200 { n++ } END { print n + 0 }')
}

# a registry without the image: the push fails and says what is missing
if "$OVLMIG" index --push "docker://$REG/no/such:v1" --insecure >"$T/out" 2>&1; then
	fail "push of a missing image succeeded"
elif grep -q "no/such" "$T/out" && grep -q "404" "$T/out"; then
	ok "push of a missing image fails: $(head -1 "$T/out")"
else
	fail "push of a missing image: unclear message" "$(head -3 "$T/out")"
fi

# no index anywhere: the mount streams every layer, as before
mount_read none || exit 1; b=$BYTES
grep -q "index: built" "$T/none.log" && ! grep -q "index: registry" "$T/none.log" &&
	ok "no pushed index: layers indexed by streaming them" ||
	fail "no pushed index" "$(grep 'index:' "$T/none.log" | head -4)"
[[ $(cat "$T/none.errors") == 0 ]] && ok "no pushed index: status counts no fetch error for the lookup" ||
	fail "no pushed index: status shows $(cat "$T/none.errors") permanent fetch errors"
((WHOLE == 4 && b >= layer_total)) && ok "no pushed index: $b layer bytes for the first read ($layer_total in the image)" ||
	fail "no pushed index: only $b of $layer_total layer bytes"

# push
if "$OVLMIG" index --push "docker://$REG/test/img:v1" --insecure >"$T/push1" 2>&1; then
	ok "index --push: $(tail -1 "$T/push1")"
else
	fail "index --push" "$(head -5 "$T/push1")"; exit 1
fi
tag_url=http://$REG/v2/test/img/manifests/sha256-${subject#sha256:}
accept='Accept: application/vnd.oci.image.index.v1+json'
curl -sf -H "$accept" "$tag_url" >"$T/tag1" || { fail "no referrers tag sha256-${subject:7:12}"; exit 1; }
artifact=$(jq -r '.manifests[] | select(.artifactType == "application/vnd.ovlmig.index.v1") | .digest' "$T/tag1")
[[ $(wc -w <<<"$artifact") -eq 1 ]] && ok "referrers tag lists the index artifact $artifact" ||
	{ fail "referrers tag" "$(cat "$T/tag1")"; exit 1; }
curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	"http://$REG/v2/test/img/manifests/$artifact" >"$T/artifact"
# per layer in order: the index head, then its windows (format version 2)
HEAD_MT=application/vnd.ovlmig.layer.index.v2.head+gzip
WIN_MT=application/vnd.ovlmig.layer.index.v2.windows
[[ $(jq -r .subject.digest "$T/artifact") == "$subject" &&
	$(jq -r --arg h "$HEAD_MT" '[.layers[] | select(.mediaType == $h) | .annotations["org.ovlmig.layer.digest"]] | join(" ")' "$T/artifact") == "${layer_digests[*]}" &&
	$(jq -r '[.layers[] | .mediaType] | join(" ")' "$T/artifact") == "$(for _ in "${layer_digests[@]}"; do printf '%s %s ' "$HEAD_MT" "$WIN_MT"; done | sed 's/ $//')" ]] &&
	ok "artifact: subject is the image manifest, one index head and its windows per layer in order" ||
	fail "artifact" "$(jq -c . "$T/artifact")"

# a fresh cache finds them: no layer is streamed whole
mount_read pushed || exit 1; b=$BYTES
n=$(grep -c "index: registry" "$T/pushed.log")
((n == 4)) && ok "pushed indexes used for all 4 layers" ||
	fail "pushed indexes used for $n layers" "$(grep -e 'index' "$T/pushed.log" | head -6)"
((WHOLE == 0)) && ok "with pushed indexes: no layer streamed whole" ||
	fail "with pushed indexes: $WHOLE whole-layer GETs"
((b * 3 < layer_total)) && ok "with pushed indexes: $b layer bytes for mount and the first read ($layer_total in the image)" ||
	fail "with pushed indexes: $b layer bytes, the image has $layer_total"

# add_referrer NAME MANIFEST ARTIFACT-TYPE TAG-FILE: put MANIFEST (JSON,
# compact) by its digest, and the referrers tag as TAG-FILE with it
# appended, the way another tool would; sets REFERRER to its digest
add_referrer() {
	local name=$1 man=$2 type=$3 old=$4
	REFERRER=sha256:$(printf '%s' "$man" | sha256sum | cut -d' ' -f1)
	curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "$man" \
		"http://$REG/v2/test/img/manifests/$REFERRER" >/dev/null || fail "put the $name referrer"
	jq -c --arg d "$REFERRER" --argjson s "${#man}" --arg t "$type" \
		'.manifests += [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d, size: $s, artifactType: $t}]' \
		"$old" >"$T/tag-$name"
	curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.index.v1+json' --data-binary "@$T/tag-$name" \
		"$tag_url" >/dev/null || fail "put the referrers tag with the $name referrer"
}

# someone else's referrer in the tag, then a second push: both kept
printf '{}' >"$T/empty"
other=$(jq -cn --arg s "$subject" --argjson ss "$(jq -r '.manifests[0].size' "$T/oci/index.json")" --arg e "sha256:$(sha256sum "$T/empty" | cut -d' ' -f1)" '{
	schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
	config: {mediaType: "application/vnd.example.sbom", digest: $e, size: 2},
	layers: [{mediaType: "application/vnd.example.sbom", digest: $e, size: 2}],
	subject: {mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $s, size: $ss}}')
add_referrer other "$other" application/vnd.example.sbom "$T/tag1"
other_digest=$REFERRER
"$OVLMIG" index --push "docker://$REG/test/img:v1" --insecure >"$T/push2" 2>&1 ||
	fail "second push" "$(head -3 "$T/push2")"
curl -sf -H "$accept" "$tag_url" >"$T/tag2"
[[ $(jq -r '[.manifests[].digest] | sort | join(" ")' "$T/tag2") == "$(sort <<<"$artifact"$'\n'"$other_digest" | paste -sd' ')" ]] &&
	ok "second push: the referrers tag keeps the other referrer and lists ours once" ||
	fail "second push: referrers tag" "$(jq -c . "$T/tag2")"

# an artifact whose index blobs name the wrong layers (each annotation
# moved to the next blob), newest in the tag: each is refused for the
# layer it claims, and the right one behind it is used
# (a head and its windows move together)
swapped=$(jq -c '.layers as $l | ($l | length / 2) as $n | .layers = [range($l | length) as $i |
	$l[$i] | .annotations["org.ovlmig.layer.digest"] = $l[((($i / 2 | floor) + 1) % $n) * 2].annotations["org.ovlmig.layer.digest"]]' "$T/artifact")
add_referrer swapped "$swapped" application/vnd.ovlmig.index.v1 "$T/tag2"
mount_read swapped || exit 1
n=$(grep -c "in the registry refused: .*it indexes layer" "$T/swapped.log")
((n == 4)) && ok "index blobs bound to another layer refused: $(grep -m1 -o 'refused: .*' "$T/swapped.log" | cut -c1-150)" ||
	fail "index blobs bound to another layer: $n refused" "$(grep -e refused -e 'index:' "$T/swapped.log" | head -6)"
n=$(grep -c "index: registry" "$T/swapped.log")
((n == 4)) && ok "the right indexes behind them used for all 4 layers" ||
	fail "after the swapped artifact: $n layers from the registry" "$(grep 'index:' "$T/swapped.log")"

# tamper with the index blob of the half layer in the registry's storage
half_index=$(jq -r --arg l "${layer_digests[3]}" --arg h "$HEAD_MT" '.layers[] | select(.annotations["org.ovlmig.layer.digest"] == $l and .mediaType == $h) | .digest' "$T/artifact")
data=$REGISTRY_DIR/data/docker/registry/v2/blobs/sha256/${half_index:7:2}/${half_index#sha256:}/data
if [[ -f $data ]]; then
	printf '\x55' | dd of="$data" bs=1 seek=200 conv=notrunc status=none
	mount_read tampered || exit 1
	grep -q "index of ${layer_digests[3]} in the registry refused: .*does not match its digest" "$T/tampered.log" &&
		ok "tampered index blob refused: $(grep -m1 -o 'index of .* refused: .*' "$T/tampered.log" | cut -c1-160)" ||
		fail "tampered index blob not refused" "$(grep -e 'refused' -e 'index:' "$T/tampered.log" | head -5)"
	grep -q "layer 3: .*index: built" "$T/tampered.log" && [[ $(grep -c "index: registry" "$T/tampered.log") -eq 3 ]] &&
		ok "tampered: that layer indexed from itself, the others from the registry" ||
		fail "tampered: where indexes came from" "$(grep 'index:' "$T/tampered.log")"
else
	fail "index blob $half_index not in the registry's storage"
fi
