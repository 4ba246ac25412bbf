#!/usr/bin/env bash
# Benchmark a cold registry image with no index anywhere (issue 12): no
# --index, no LAYER.index, an empty cache. An image of LAYERS gzip layers
# of LAYER_MB MiB of random data each is pushed to a docker-registry,
# served behind nginx (which counts the bytes) and one shared link of
# RATE_MB MB/s (tests/tools/faultproxy.py). For each build given (default:
# this tree's), in one run:
#   first: from `ovlmig mount --strategy datadir` until the first command
#          (reading one 1 MiB file of the top layer) has exited;
#   total: mount + `ovlmig migrate` until every file is local;
#   link bytes of the layers for mount + migrate, against the image's.
# Prints the figures; asserts nothing.
#
#   scripts/bench/cold.sh [BUILD-DIR...]     (as root; make first)
#
# A BUILD-DIR holds ovlmig and lowerfs (e.g. a copy of an older build to
# compare with). Needs docker-registry, skopeo, nginx, python3, jq.
set -u -o pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/lib.sh"
. "$TOP/tests/remote_lib.sh"

LAYERS=${LAYERS:-4}
LAYER_MB=${LAYER_MB:-32}
RATE_MB=${RATE_MB:-50}
builds=("$@")
[[ ${#builds[@]} -gt 0 ]] || builds=("$TOP/${BUILD:-build}")
[[ $(id -u) -eq 0 ]] || { echo "cold.sh: run as root" >&2; exit 2; }
fusectl_ready || { echo "cold.sh: fusectl" >&2; exit 2; }

files=()
for i in $(seq "$LAYERS"); do
	mkdir -p "$T/src$i/layer$i"
	for j in $(seq "$LAYER_MB"); do
		head -c 1048576 /dev/urandom >"$T/src$i/layer$i/f$j"
	done
	tar -czf "$T/l$i.tar.gz" -C "$T/src$i" . && rm -rf "$T/src$i"
	files+=("$T/l$i.tar.gz")
done
image_bytes=$(stat -c %s "${files[@]}" | awk '{ n += $1 } END { print n }')
registry_start || exit 2
oci_layout_from_layers "$T/oci" v1 "${files[@]}"
registry_push "$T/oci" v1 bench/cold || exit 2
registry_proxy_start || exit 2
faultproxy_start "$NGINX_PORT" none --rate "$((RATE_MB * 1000000))" || exit 2
src=docker://127.0.0.1:$FAULTPROXY_PORT/bench/cold:v1
echo "image: $LAYERS gzip layers, $image_bytes bytes; link $RATE_MB MB/s; $(date -u '+%F %H:%M UTC')"
echo "build | first command s | mount + migrate s | layer bytes | x image"

now() { date +%s%N; }
n=0
for b in "${builds[@]}"; do
	n=$((n + 1))
	m=$T/m$n
	b0=$(nginx_bytes '/blobs/')
	t0=$(now)
	OVLMIG=$b/ovlmig ovlmig_mount "$m" --strategy datadir --source "$src" --insecure \
		--upper "$T/u$n" --work "$T/w$n" --cache "$T/cache$n" >"$T/out" 2>&1 ||
		{ echo "$b: mount: $(head -3 "$T/out")"; continue; }
	cat "$m/layer$LAYERS/f1" >/dev/null || echo "$b: read failed"
	t1=$(now)
	"$b/ovlmig" migrate "$m" >"$T/out" 2>&1 || echo "$b: migrate: $(head -3 "$T/out")"
	t2=$(now)
	bytes=$(($(nginx_bytes '/blobs/') - b0))
	"$b/ovlmig" umount "$m" >/dev/null 2>&1
	awk -v b="$b" -v f="$((t1 - t0))" -v t="$((t2 - t0))" -v n="$bytes" -v i="$image_bytes" \
		'BEGIN { printf "%s | %.2f | %.2f | %d | %.2f\n", b, f / 1e9, t / 1e9, n, n / i }'
done
