#!/usr/bin/env bash
# Issue 18 on layers with per-file entry points: one image (buildah) in a
# docker-registry twice, as zstd:chunked (skopeo) and as eStargz with 1 MiB
# chunks (ctr-remote), read through the layer's own TOC behind the fault
# proxy, whose request log counts the layer's range requests. For each:
# reading a file of several chunks makes one range request (the chunks lie
# back to back in the blob), not one round trip per chunk; its bytes over
# the link are its compressed bytes (from the TOC, the test's own reading)
# rounded out to the blob cache's 4 KiB chunks; the whole tree read
# through the mount equals the source; files read concurrently are
# fetched in parallel (each request held a second); a byte the proxy
# flips in the file's data reads EIO, never bytes.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
require_root "TOC range requests"
require_tools "TOC range requests" buildah skopeo containerd ctr-remote docker-registry jq python3 zstd curl
fusectl_ready || { fail "mount fusectl"; exit 1; }

# the source: a file of several chunks in either format (zstd:chunked
# cuts a run of zeros into a chunk of its own; eStargz here every 1 MiB),
# about 1.6 MiB compressed: one request of the blob's at most 4 MiB;
# small files; a few more to read at once
src=$T/src
mkdir -p "$src/usr/lib" "$src/usr/share/doc" "$src/par"
{ head -c $((800 << 10)) /dev/urandom | base64 -w 76; head -c $((300 << 10)) /dev/zero
  head -c $((800 << 10)) /dev/urandom | base64 -w 76; } >"$src/usr/lib/multi.bin"
for i in $(seq 1 60); do seq "$i" $((i * 50)) >"$src/usr/share/doc/f$i.txt"; done
for i in $(seq 1 6); do head -c $((200 << 10)) /dev/urandom >"$src/par/p$i"; done
find "$src" -exec touch -h -d 2024-05-06T07:08:09 {} +

zstd_chunked_image "$src" zstd
buildah_archive localhost/zstd:1 "$T/src.tar" || { fail "buildah image"; exit 1; }
containerd_start || { fail "containerd"; exit 1; }
estargz_push "$T/src.tar" localhost/zstd:1 "$R/test/esgz:1" --estargz-chunk-size $((1 << 20)) >"$T/out" 2>&1 &&
	ok "ctr-remote pushed test/esgz:1 as eStargz (1 MiB chunks)" ||
	{ fail "ctr-remote convert and push" "$(tail -3 "$T/out")"; exit 1; }
stop_pid "$CTD_PID"

expected_tree "$src" "$T/expected.raw"
grep -v '^\. ' "$T/expected.raw" >"$T/expected"

accept="application/vnd.oci.image.manifest.v1+json"
# extent TOC NAME: "START END CHUNKS" of NAME's data in the blob (to the
# next data's start), and its number of chunks
extent() {
	jq -r --arg n "$2" '[.entries[] | select(.offset != null and .offset > 0) | {name, offset}] |
		sort_by(.offset) as $d | [range(0; $d | length) | select($d[.].name == $n)] as $k |
		"\($d[$k[0]].offset) \($d[$k[-1] + 1].offset) \($k | length)"' "$1"
}
# layer_gets SINCE: "START END" of the layer's ranged GETs after line SINCE
layer_gets() {
	tail -n +"$(($1 + 1))" "$T/requests" |
		awk -v p="/blobs/$layer" '$3 == "GET" && index($4, p) && $5 != "-" { print $1, $2 }'
}
link_bytes() { sleep 0.3; tail -1 "$T/timeline" | awk '{ print $2 }'; }

for repo in test/zstd test/esgz; do
	name=${repo#test/}
	layer_toc_json "$R" "$repo" 1 >"$T/$name.toc" || { fail "$name: get the TOC"; continue; }
	layer=$(curl -sf -H "Accept: $accept" "http://$R/v2/$repo/manifests/1" | jq -r '.layers[-1].digest')
	read -r start end chunks < <(extent "$T/$name.toc" usr/lib/multi.bin)
	[[ $chunks =~ ^[0-9]+$ ]] && ((chunks > 1)) && ok "$name: multi.bin is $chunks chunks in the TOC" ||
		{ fail "$name: multi.bin is not chunked in the TOC ($chunks): the test does not cover chunks"; continue; }

	# 1. one file of several chunks: one range request, its bytes only
	faultproxy_start "$REGISTRY_PORT" none --requests "$T/requests" \
		--timeline "$T/timeline" || { fail "faultproxy"; continue; }
	m=$T/m-$name
	start_lowerfs "$name" "docker://127.0.0.1:$FAULTPROXY_PORT/$repo:1" "$m" --insecure \
		--cache "$T/cache-$name" --log "$T/$name.log" 2>>"$T/$name.log" ||
		{ fail "$name: lowerfs" "$(tail -3 "$T/$name.log")"; stop_pid "$FAULTPROXY_PID"; continue; }
	grep -q "index: the layer's" "$T/$name.log" && ok "$name: index from the layer's TOC" ||
		fail "$name: the TOC was not used" "$(grep -i toc "$T/$name.log" | head -3)"
	since=$(wc -l <"$T/requests")
	before=$(link_bytes)
	cmp -s "$m/usr/lib/multi.bin" "$src/usr/lib/multi.bin" && ok "$name: multi.bin reads right" ||
		fail "$name: multi.bin differs"
	moved=$(( $(link_bytes) - before ))
	# only ranges over multi.bin's bytes: the proxy logs a request once its
	# body is sent, so the mount's own TOC request may land after $since
	gets=$(tail -n +"$((since + 1))" "$T/requests" |
		awk -v p="/blobs/$layer" -v s="$start" -v e="$end" '$3 == "GET" && index($4, p) && $5 != "-" {
			split(substr($5, 7), r, "-"); if (r[1] + 0 < e && r[2] + 0 >= s) n++ } END { print n + 0 }')
	((gets == 1)) && ok "$name: multi.bin's $chunks chunks came in one range request" ||
		fail "$name: multi.bin's $chunks chunks took $gets range requests"
	cs=4096
	want=$(( ((end + cs - 1) / cs - start / cs) * cs ))
	echo "# $name: multi.bin's data $start..$end ($((end - start)) bytes), moved $moved, in 4 KiB chunks $want"
	((moved >= end - start && moved <= want)) &&
		ok "$name: multi.bin moved $moved bytes: its $((end - start)) compressed bytes in 4 KiB chunks" ||
		fail "$name: multi.bin moved $moved bytes, its compressed bytes are $((end - start)) ($want in chunks)"

	# 2. every file through the mount equals the source
	# (eStargz adds a landmark file of its own)
	"$TOOLS/treesum" --no-atime "$m" 2>"$T/ts.err" |
		grep -v -e '^\. ' -e '^\.no\.prefetch\.landmark ' -e '^\.prefetch\.landmark ' >"$T/got"
	diff -u "$T/expected" "$T/got" >"$T/diff" && ok "$name: the tree read through the TOC equals the source" ||
		fail "$name: the tree differs" "$(head -20 "$T/diff")"
	stop_lowerfs "$name" "$m"
	stop_pid "$FAULTPROXY_PID"

	# 3. files read at once: fetched in parallel, one request each (each
	# request held a second by the proxy, so that they must overlap)
	faultproxy_start "$REGISTRY_PORT" none --delay 1 --requests "$T/requests" ||
		{ fail "faultproxy"; continue; }
	m=$T/mp-$name
	start_lowerfs "p$name" "docker://127.0.0.1:$FAULTPROXY_PORT/$repo:1" "$m" --insecure \
		--cache "$T/cachep-$name" --log "$T/p$name.log" 2>>"$T/p$name.log" ||
		{ fail "$name: lowerfs" "$(tail -3 "$T/p$name.log")"; stop_pid "$FAULTPROXY_PID"; continue; }
	since=$(wc -l <"$T/requests")
	pids=()
	for i in $(seq 1 6); do cat "$m/par/p$i" >"$T/p$i" & pids+=($!); done
	bad=0
	for i in $(seq 1 6); do
		wait "${pids[$((i - 1))]}" && cmp -s "$T/p$i" "$src/par/p$i" || bad=$((bad + 1))
	done
	((bad == 0)) && ok "$name: 6 files read at once read right" || fail "$name: $bad of 6 files wrong"
	gets=$(layer_gets "$since" | wc -l)
	over=$(layer_gets "$since" | max_overlap)
	((gets == 6 && over == 6)) && ok "$name: 6 files, 6 range requests, all 6 in flight at once" ||
		fail "$name: 6 files took $gets range requests, at most $over in flight at once"
	stop_lowerfs "p$name" "$m"
	stop_pid "$FAULTPROXY_PID"

	# 4. a flipped byte in multi.bin's last chunk: EIO, never bytes
	at=$(jq --arg n usr/lib/multi.bin '[.entries[] | select(.name == $n and .offset != null)][-1].offset + 100' \
		"$T/$name.toc")
	faultproxy_start "$REGISTRY_PORT" persistent-flip --flip-range "$at-$at" || { fail "faultproxy"; continue; }
	m=$T/mf-$name
	start_lowerfs "f$name" "docker://127.0.0.1:$FAULTPROXY_PORT/$repo:1" "$m" --insecure \
		--cache "$T/cachef-$name" --log "$T/f$name.log" 2>>"$T/f$name.log" ||
		{ fail "$name: lowerfs flip" "$(tail -3 "$T/f$name.log")"; stop_pid "$FAULTPROXY_PID"; continue; }
	v=$(read_verdict "$m/usr/lib/multi.bin" "$src/usr/lib/multi.bin")
	[[ $v == eio ]] && ok "$name: a flipped byte of multi.bin (layer offset $at, $(faultproxy_count persistent-flip) responses flipped) reads EIO" ||
		fail "$name: flipped byte: read was $v"
	cmp -s "$m/usr/share/doc/f3.txt" "$src/usr/share/doc/f3.txt" && ok "$name: other files still read right" ||
		fail "$name: f3.txt differs under the flip"
	stop_lowerfs "f$name" "$m"
	stop_pid "$FAULTPROXY_PID"
done
