#!/usr/bin/env bash
# Issue 18 on a layer with its own TOC: a published start-up list for a
# zstd:chunked image. `ovlmig index --push --startup-list` indexes no
# layer that has its own TOC and pushes an artifact holding the list
# alone; a mount on a fresh cache (index from the layer's TOC) finds the
# list and fetches the listed files right after the mount, before
# anything opens them, neighbours in one range request: reading them
# then makes no layer request. Each
# prefetched file's bytes are verified: one whose data the proxy flips is
# not kept (logged) and reads EIO, never wrong bytes. List entries that
# are not files of the image are refused, each with a log line naming it
# and why. Counted from the proxy's request log.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
require_root "TOC prefetch list"
require_tools "TOC prefetch list" buildah skopeo docker-registry jq python3 zstd curl
fusectl_ready || { fail "mount fusectl"; exit 1; }

# hot/1..6: what the container reads at start; cold/*: what it never reads
src=$T/src
mkdir -p "$src/hot" "$src/cold"
for i in $(seq 6); do
	head -c $((200 * 1024)) /dev/urandom >"$src/hot/$i"
	head -c $((1024 * 1024)) /dev/urandom >"$src/cold/$i"
done
zstd_chunked_image "$src" tocpf
accept="application/vnd.oci.image.manifest.v1+json"
toc_manifest test/tocpf
subject=sha256:$(sha256sum "$T/manifest.json" | cut -d' ' -f1)

# record: a first run reads hot/* in this order
order=(3 1 5 2 6 4)
start_lowerfs rec "docker://$R/test/tocpf:1" "$T/mnt-rec" --insecure --cache "$T/cache-rec" \
	--record-access "$T/recorded" --log "$T/rec.log" 2>>"$T/rec.log" ||
	{ fail "lowerfs rec" "$(tail -3 "$T/rec.log")"; exit 1; }
for i in "${order[@]}"; do cat "$T/mnt-rec/hot/$i" >/dev/null; done
stop_lowerfs rec "$T/mnt-rec"
expected=$(printf 'hot/%s\n' "${order[@]}")
[[ $(cat "$T/recorded") == "$expected" ]] && ok "--record-access wrote the 6 files in the order read" ||
	fail "--record-access wrote" "$(head -8 "$T/recorded")"

# --list-only without a list is a usage error
"$OVLMIG" index --push --list-only "docker://$R/test/tocpf:1" --insecure >"$T/push0" 2>&1
rc=$?
((rc == 2)) && grep -q -- "--list-only needs --startup-list" "$T/push0" &&
	ok "--list-only without --startup-list: exit 2, $(head -1 "$T/push0")" ||
	fail "--list-only without a list: exit $rc" "$(head -3 "$T/push0")"

# the pushed list: the recorded one with entries that are not files of it
{ cat "$T/recorded"; printf '%s\n' no/such/file ../../etc/passwd cold; } >"$T/list"
if "$OVLMIG" index --push --startup-list "$T/list" "docker://$R/test/tocpf:1" --insecure >"$T/push" 2>&1; then
	ok "index --push --startup-list: $(tail -1 "$T/push")"
else
	fail "index --push --startup-list" "$(head -3 "$T/push")"; exit 1
fi
grep -q "its own TOC, not indexed" "$T/push" && ok "the layer with its own TOC was not indexed" ||
	fail "the TOC layer was indexed" "$(head -3 "$T/push")"
tag_url=http://$R/v2/test/tocpf/manifests/sha256-${subject#sha256:}
curl -sf -H 'Accept: application/vnd.oci.image.index.v1+json' "$tag_url" >"$T/tag" ||
	{ fail "no referrers tag"; exit 1; }
artifact=$(jq -r '.manifests[] | select(.artifactType == "application/vnd.ovlmig.index.v1") | .digest' "$T/tag")
curl -sf -H "Accept: $accept" "http://$R/v2/test/tocpf/manifests/$artifact" >"$T/artifact"
list_digest=sha256:$(sha256sum "$T/list" | cut -d' ' -f1)
[[ $(jq -r .subject.digest "$T/artifact") == "$subject" &&
	$(jq -r '.layers | length' "$T/artifact") == 1 &&
	$(jq -r '.layers[0] | "\(.mediaType) \(.digest) \(.size)"' "$T/artifact") == \
	"application/vnd.ovlmig.prefetch-list.v1 $list_digest $(stat -c %s "$T/list")" ]] &&
	ok "the artifact of the image manifest holds the list alone" ||
	fail "artifact" "$(jq -c . "$T/artifact")"

# the data of hot/4 in the layer, from the TOC: the proxy flips a byte of it
layer_toc_json "$R" test/tocpf 1 >"$T/toc.json" || { fail "no TOC"; exit 1; }
at=$(jq -r '[.entries[] | select((.name | ltrimstr("./") | ltrimstr("/")) == "hot/4" and .type == "reg")][0].offset' "$T/toc.json")
[[ $at =~ ^[0-9]+$ && $at -gt 0 ]] || { fail "no offset of hot/4 in the TOC" "$(head -c 300 "$T/toc.json")"; exit 1; }
at=$((at + 100))
faultproxy_start "$REGISTRY_PORT" persistent-flip --flip-range "$at-$at" --delay 0.2 \
	--requests "$T/requests" || { fail "faultproxy"; exit 1; }
SRC=docker://127.0.0.1:$FAULTPROXY_PORT/test/tocpf:1
# layer_gets_since LINE: the layer's GETs logged after line LINE
layer_gets_since() {
	tail -n +"$(($1 + 1))" "$T/requests" | awk -v p="/blobs/$layer" '$3 == "GET" && index($4, p)' | wc -l
}

# a fresh host: the list comes with the mount, its files right after it
start_lowerfs b "$SRC" "$T/mnt-b" --insecure --cache "$T/cache-b" --log "$T/b.log" 2>>"$T/b.log" ||
	{ fail "lowerfs b" "$(tail -3 "$T/b.log")"; exit 1; }
# the requests answered when the mount returned: the mount waited for them
mounted=$(wc -l <"$T/requests")
grep -q "index: the layer's TOC" "$T/b.log" && ok "index from the layer's TOC, not from the registry" ||
	fail "the TOC was not used" "$(grep -i -e index -e toc "$T/b.log" | head -3)"
for _ in $(seq 300); do [[ $(stat_of b prefetch_running) == false ]] && break; sleep 0.1; done
[[ $(stat_of b prefetch_done) == 6 ]] && ok "the 6 listed files were prefetched before any open" ||
	fail "prefetched $(stat_of b prefetch_done) files" "$(grep -i prefetch "$T/b.log" | head -5)"
# the listed files lie side by side in the layer (200 KiB each): the
# prefetch asks for neighbours together, in groups of at most 1 MiB:
# hot/1-5 in one range request, hot/6 in another (one each before)
pref=$(wc -l <"$T/requests")
n=$(head -n "$pref" "$T/requests" | tail -n +$((mounted + 1)) |
	awk -v p="/blobs/$layer" '$3 == "GET" && index($4, p)' | wc -l)
((n == 2)) && ok "the 6 listed neighbours came in 2 range requests" ||
	fail "the 6 listed neighbours came in $n range requests, 2 expected" \
		"$(head -n "$pref" "$T/requests" | tail -n +$((mounted + 1)) | awk '{ print $3, substr($4, 1, 60), $5 }')"
grep -q "prefetch: 6 of the 6 listed files in 2 range requests (neighbours together)" "$T/b.log" &&
	ok "lowerfs logged the grouping" || fail "no grouping logged" "$(grep -i 'prefetch' "$T/b.log" | head -5)"
grep -q "prefetch list in the registry: 6 files" "$T/b.log" && ok "the list was found as a referrer" ||
	fail "list not found" "$(grep -i prefetch "$T/b.log" | head -5)"
# the list's GET went out with the mount's own fetches, not after the
# mount: it started before the last of the requests the mount waited for
# ended (each takes the proxy's 0.2 s), on the proxy's one clock
list_start=$(awk -v p="/blobs/$list_digest" '$3 == "GET" && index($4, p) { print $1; exit }' "$T/requests")
mount_end=$(head -n "$mounted" "$T/requests" | awk '$2 > m { m = $2 } END { printf "%.0f\n", m }')
[[ $list_start =~ ^[0-9]+$ ]] && ((list_start < mount_end)) &&
	ok "the list blob's GET was issued before the mount returned ($(((mount_end - list_start) / 1000000)) ms before its last fetch ended)" ||
	fail "the list blob's GET (start ${list_start:-none}) was not issued before the mount returned (its fetches ended at $mount_end)" \
		"$(awk '{ print $1, $2, $3, substr($4, 1, 90) }' "$T/requests" | tail -n +2 | head -12)"
for e in "no/such/file\": not in the image" "../../etc/passwd\": a '.' or '..' component" \
	"cold\": not a regular file"; do
	grep -qF "prefetch list in the registry: ignored \"$e" "$T/b.log" &&
		ok "bad entry refused: ${e%%\"*}: ${e#*: }" || fail "no refusal of \"$e\"" "$(grep 'prefetch list' "$T/b.log" | head -5)"
done
grep -q "prefetch /hot/4: " "$T/b.log" && ok "flipped hot/4 not kept: $(grep -m1 -o 'prefetch /hot/4: .*' "$T/b.log" | cut -c1-140)" ||
	fail "flipped hot/4 was not refused" "$(grep -i hot/4 "$T/b.log" | head -3)"
[[ $(stat_of b files_fetched) == 5 ]] && ok "5 files fetched and verified, no cold one" ||
	fail "$(stat_of b files_fetched) files fetched, 5 expected"
since=$(wc -l <"$T/requests")
bad=0
for i in 3 1 5 2 6; do [[ $(read_verdict "$T/mnt-b/hot/$i" "$src/hot/$i") == right ]] || bad=$((bad + 1)); done
((bad == 0)) && ok "the 5 prefetched files read right" || fail "$bad prefetched files read wrong"
n=$(layer_gets_since "$since")
((n == 0)) && ok "reading the prefetched files made no layer request" ||
	fail "reading the prefetched files made $n layer GETs"
v=$(read_verdict "$T/mnt-b/hot/4" "$src/hot/4")
[[ $v == eio ]] && ok "flipped hot/4 reads EIO" || fail "flipped hot/4: read was $v"
since=$(wc -l <"$T/requests")
[[ $(read_verdict "$T/mnt-b/cold/1" "$src/cold/1") == right ]] && (($(layer_gets_since "$since") > 0)) &&
	ok "a file not listed is fetched when read" || fail "cold/1 after the prefetch"
stop_lowerfs b "$T/mnt-b"
