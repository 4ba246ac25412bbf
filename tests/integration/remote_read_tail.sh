#!/usr/bin/env bash
# Issue 18, no serialized round trips within one read: a file a little
# over one claim of the chunk cache (16 MiB and 96 KiB of random data,
# gzip'd, pushed index, fresh cache) is read in one go: its layer bytes
# are at most 4 range requests, all in flight together, not 4 and then
# a short fifth one after them. Counted from the proxy's request log.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
require_root "read tail"
require_tools "read tail" docker-registry skopeo jq python3 curl gzip
fusectl_ready || { fail "mount fusectl"; exit 1; }

mkdir -p "$T/tree/lib"
head -c $((16 * 1048576 + 96 * 1024)) /dev/urandom >"$T/tree/lib/big.so"
# data after it: its end is estimated within a span like the others
head -c 1048576 /dev/urandom >"$T/tree/lib/next.so"
tar -C "$T/tree" --owner=0 --group=0 --no-recursion -c lib lib/big.so lib/next.so | gzip -1 >"$T/layer.tar.gz"
registry_start || { fail "registry"; exit 1; }
oci_layout_from_layers "$T/oci" v1 "$T/layer.tar.gz"
registry_push "$T/oci" v1 test/tail >"$T/out" 2>&1 && ok "skopeo pushed test/tail:v1" ||
	{ fail "skopeo push" "$(head -3 "$T/out")"; exit 1; }
"$OVLMIG" index --push "docker://127.0.0.1:$REGISTRY_PORT/test/tail:v1" --insecure >"$T/push" 2>&1 &&
	ok "index --push" || { fail "index --push" "$(head -3 "$T/push")"; exit 1; }
layer=sha256:$(sha256sum "$T/layer.tar.gz" | cut -d' ' -f1)
faultproxy_start "$REGISTRY_PORT" none --delay 0.2 --requests "$T/requests" || { fail "faultproxy"; exit 1; }
start_lowerfs t "docker://127.0.0.1:$FAULTPROXY_PORT/test/tail:v1" "$T/mnt" --insecure \
	--cache "$T/cache" >"$T/out-t" 2>&1 || { fail "lowerfs" "$(head -3 "$T/out-t")"; exit 1; }
since=$(wc -l <"$T/requests")
cmp -s "$T/mnt/lib/big.so" "$T/tree/lib/big.so" && ok "big.so reads as in the layer" || fail "big.so differs"
tail -n +"$((since + 1))" "$T/requests" |
	awk -v l="/blobs/$layer" '$3 == "GET" && index($4, l) { print $1, $2 }' >"$T/gets"
n=$(wc -l <"$T/gets") over=$(max_overlap <"$T/gets")
((n >= 1 && n <= 4 && over == n)) &&
	ok "big.so: $n layer range requests, all $over in flight together" ||
	fail "big.so: $n layer range requests, at most $over in flight together" \
		"$(tail -n +"$((since + 1))" "$T/requests" | awk '$3 == "GET" { print $1, $2, $5 }')"
stop_lowerfs t "$T/mnt"
