#!/usr/bin/env bash
# Benchmark the first command on a zstd:chunked or (FORMAT=estargz) an
# eStargz image (the layer's own TOC, no index of ours) against pull +
# extract. An image of one layer (a static busybox, SMALL_FILES small
# text files, BIG_MB of random files), built with buildah and pushed to a
# docker-registry by skopeo (zstd:chunked) or converted and pushed by
# ctr-remote through a containerd of its own (eStargz), served behind one
# shared RATE_MB MB/s link (the fault proxy's token bucket), measured:
#   (a) lazy: from starting `lowerfs docker://...` with an empty --cache
#       until `chroot MNT /bin/busybox true` has exited; bytes over the
#       link against the bytes of the file the command ran;
#   (b) pull + extract: each layer over the same link, `curl | zstd -d |
#       tar -x` (gzip -d for eStargz) as it arrives, then the command.
# Prints the figures of this one run; asserts nothing. As root, after
# `make`. Uses the test helpers: everything lives under a fresh
# /tmp/ovlmig-test.XXXXXX and is stopped and removed on exit.
set -u -o pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/lib.sh"
. "$TOP/tests/remote_lib.sh"

BIG_MB=${BIG_MB:-200}
SMALL_FILES=${SMALL_FILES:-5000}
RATE_MB=${RATE_MB:-50}
FORMAT=${FORMAT:-zstd:chunked}
case $FORMAT in
zstd:chunked) decompress=(zstd -dc) index_from="index: the layer's TOC" ;;
estargz) decompress=(gzip -dc) index_from="index: the layer's eStargz TOC" ;;
*) echo "toc.sh: FORMAT is zstd:chunked or estargz" >&2; exit 2 ;;
esac
die() { echo "toc.sh: $*" >&2; exit 2; }
now() { date +%s.%N; }
link_bytes() { sleep 0.3; tail -1 "$T/timeline" | awk '{ print $2 }'; }

src=$T/src
mkdir -p "$src/bin" "$src/usr/lib" "$src/usr/share/doc"
cp /bin/busybox "$src/bin/busybox" || die "no /bin/busybox (busybox-static)"
for i in $(seq 1 $((BIG_MB / 20))); do head -c $((20 << 20)) /dev/urandom >"$src/usr/lib/big$i"; done
for i in $(seq 1 "$SMALL_FILES"); do seq "$i" $((i + 200)) >"$src/usr/share/doc/f$i"; done
buildah_image "$src" localhost/toc:1 || die "buildah"
registry_start || die "registry"
if [[ $FORMAT == estargz ]]; then
	buildah_archive localhost/toc:1 "$T/src.tar" || die "buildah push"
	containerd_start || die "containerd"
	estargz_push "$T/src.tar" localhost/toc:1 "127.0.0.1:$REGISTRY_PORT/test/toc:1" ||
		die "ctr-remote convert and push"
	stop_pid "$CTD_PID"
else
	zstd_chunked_push localhost/toc:1 "127.0.0.1:$REGISTRY_PORT/test/toc:1" || die "skopeo push"
fi
layer_size=$(skopeo inspect --raw --tls-verify=false "docker://127.0.0.1:$REGISTRY_PORT/test/toc:1" |
	jq '[.layers[].size] | add')
faultproxy_start "$REGISTRY_PORT" none --rate $((RATE_MB * 1000000)) --timeline "$T/timeline" ||
	die "proxy"
R=127.0.0.1:$FAULTPROXY_PORT

# (a) lazy
t0=$(now)
start_lowerfs a "docker://$R/test/toc:1" "$T/ma" --insecure --cache "$T/cache" \
	--log "$T/a.log" 2>>"$T/a.log" || die "lowerfs: $(tail -3 "$T/a.log")"
chroot "$T/ma" /bin/busybox true || die "command"
t1=$(now)
lazy_bytes=$(link_bytes)
grep -q "$index_from" "$T/a.log" || die "the TOC was not used"
stop_lowerfs a "$T/ma"

# (b) pull + extract
base=$(link_bytes)
t2=$(now)
mkdir -p "$T/rootfs"
for d in $(skopeo inspect --raw --tls-verify=false "docker://127.0.0.1:$REGISTRY_PORT/test/toc:1" |
	jq -r '.layers[].digest'); do
	curl -sf "http://$R/v2/test/toc/blobs/$d" | "${decompress[@]}" | tar -x -C "$T/rootfs" || die "pull"
done
chroot "$T/rootfs" /bin/busybox true || die "command"
t3=$(now)
pull_bytes=$(( $(link_bytes) - base ))
read_bytes=$(stat -c %s /bin/busybox)

awk -v a="$(echo "$t1 - $t0" | bc)" -v b="$(echo "$t3 - $t2" | bc)" -v la="$lazy_bytes" \
    -v lb="$pull_bytes" -v ls="$layer_size" -v rd="$read_bytes" -v rate="$RATE_MB" -v fmt="$FORMAT" 'BEGIN {
	printf "layer: %.1f MiB %s, link %d MB/s\n", ls / 1048576, fmt, rate
	printf "(a) lazy (TOC), first command: %.2f s, %.2f MiB over the link (%.2fx the %.2f MiB busybox it ran)\n", a, la / 1048576, la / rd, rd / 1048576
	printf "(b) pull + extract + command:  %.2f s, %.2f MiB over the link\n", b, lb / 1048576
	printf "pull / lazy = %.1fx\n", b / a
}'
