#!/usr/bin/env bash
# Issue 18, no serialized round trips: N reads of N different files of a
# registry image (pushed indexes, fresh cache) behind a proxy that holds
# every request for a round trip are fetched in parallel: their blob GETs
# overlap in the proxy's request log, so the reads take about one round
# trip, not N. A read while the background prefetch runs goes out at once,
# not behind it. Counted from the proxy's log, never from wall time.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
require_root "parallel fetches"
require_tools "parallel fetches" docker-registry skopeo jq python3 curl
fusectl_ready || { fail "mount fusectl"; exit 1; }

N=8
MiB=1048576
# a plain layer: f/1..N of 64 KiB each with 1 MiB of padding between
# them, so no two share a chunk of the layer, and z/last after them all
mkdir -p "$T/tree/a" "$T/tree/f" "$T/tree/z"
names=(a f z)
for i in $(seq -w 16); do
	head -c "$MiB" /dev/urandom >"$T/tree/a/p$i"
	if ((10#$i <= N)); then
		head -c $((64 * 1024)) /dev/urandom >"$T/tree/f/$((10#$i))"
		names+=("f/$((10#$i))")
	fi
	names+=("a/p$i")
done
echo "the last entry" >"$T/tree/z/last"
names+=(z/last)
tar -C "$T/tree" --owner=0 --group=0 --no-recursion -cf "$T/layer.tar" "${names[@]}"
registry_start || { fail "registry"; exit 1; }
oci_layout_from_layers "$T/oci" v1 "$T/layer.tar"
registry_push "$T/oci" v1 test/par >"$T/out" 2>&1 && ok "skopeo pushed test/par:v1" ||
	{ fail "skopeo push" "$(head -3 "$T/out")"; exit 1; }
"$OVLMIG" index --push "docker://127.0.0.1:$REGISTRY_PORT/test/par:v1" --insecure >"$T/push" 2>&1 &&
	ok "index --push" || { fail "index --push" "$(head -3 "$T/push")"; exit 1; }
layer=sha256:$(sha256sum "$T/layer.tar" | cut -d' ' -f1)

DELAY=0.5
faultproxy_start "$REGISTRY_PORT" none --delay "$DELAY" --requests "$T/requests" ||
	{ fail "faultproxy"; exit 1; }
SRC=docker://127.0.0.1:$FAULTPROXY_PORT/test/par:v1

# layer_gets [SINCE-LINE]: "START END" of the layer's GETs in the log
layer_gets() {
	tail -n +"$((${1:-0} + 1))" "$T/requests" | awk -v p="/blobs/$layer" '$3 == "GET" && $4 ~ p { print $1, $2 }'
}

start_lowerfs a "$SRC" "$T/mnt" --insecure --cache "$T/cache-a" >"$T/out-a" 2>&1 ||
	{ fail "lowerfs" "$(head -3 "$T/out-a")"; exit 1; }
since=$(wc -l <"$T/requests")
pids=()
for i in $(seq $N); do
	cat "$T/mnt/f/$i" >"$T/got.$i" 2>"$T/got.$i.err" & pids+=($!)
done
bad=0
for i in $(seq $N); do
	wait "${pids[$((i - 1))]}" && cmp -s "$T/got.$i" "$T/tree/f/$i" || bad=$((bad + 1))
done
((bad == 0)) && ok "$N concurrent reads of $N files read right" ||
	fail "$bad of $N concurrent reads wrong" "$(cat "$T"/got.*.err | head -3)"
gets=$(layer_gets "$since" | wc -l)
over=$(layer_gets "$since" | max_overlap)
echo "# $gets layer GETs for $N files, at most $over in flight at once"
layer_gets "$since" | sort -n | awk 'NR == 1 { t = $1 } { printf "#   %.3f %.3f\n", ($1 - t) / 1e9, ($2 - t) / 1e9 }'
# N - 2, not N: each file is one GET now, and under load a cat may start
# after the first GETs' half second is over; serialized reads give 1, a
# pool of 4 threads (the old bottleneck) 4
((over >= N - 2)) && ok "the $N files' fetches ran in parallel: $over of $gets layer GETs in flight at once" ||
	fail "the $N files' fetches ran serialized: at most $over of $gets layer GETs in flight at once"
stop_lowerfs a "$T/mnt"

# a read while the background prefetch fetches the rest: done before it is
start_lowerfs b "$SRC" "$T/mnt-b" --insecure --cache "$T/cache-b" >"$T/out-b" 2>&1 ||
	{ fail "lowerfs b" "$(head -3 "$T/out-b")"; exit 1; }
ctl b prefetch >/dev/null
got=$(cat "$T/mnt-b/z/last" 2>&1)
running=$(stat_of b prefetch_running)
[[ $got == "the last entry" ]] && ok "a read during the prefetch reads right" || fail "z/last during the prefetch" "$got"
[[ $running == true ]] && ok "the read did not wait for the prefetch: it was still running" ||
	fail "the read ended after the prefetch (prefetch_running: $running)"
for _ in $(seq 300); do [[ $(stat_of b prefetch_running) == false ]] && break; sleep 0.1; done
over=$(layer_gets | max_overlap)
echo "# prefetch: $(layer_gets | wc -l) layer GETs in all, at most $over in flight at once"
# filled in parallel, z/last first: the digest kept while it filled
# verified the layer; its cache file was not read back whole
layer=$(ctl b stats | jq -c '.remote.layers[0] | {chunks, chunks_cached, verified, whole_checks, chunks_reread}')
echo "# layer after the prefetch: $layer"
jq -e '.chunks_cached == .chunks and .verified == true and .whole_checks == 0' <<<"$layer" >/dev/null &&
	ok "the prefetched layer verified without reading it back whole" ||
	fail "the prefetched layer: $layer (want every chunk cached, verified, whole_checks 0)"
stop_lowerfs b "$T/mnt-b"
