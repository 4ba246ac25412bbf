#!/usr/bin/env bash
# Read amplification of a first command on an unmodified gzip layer
# (issue 18): bytes over the link against bytes read, for sparse reads of
# real files. One gzip layer of this machine's /usr/bin (files under
# 2 MiB: real binaries and scripts, about 3:1 under gzip -6) is served
# by nginx with its index next to it; a fresh lowerfs (empty cache) reads
# FILES files of it whole, spread evenly over the tar (every Nth regular
# file, apt-get-like: a few dozen files of one layer), and nginx counts
# the index and layer bytes it sent. Run per BUILD-DIR given (default the
# build's own), per chunk size of the index (CHUNKS, bytes) and per gzip
# checkpoint span (SPANS, uncompressed bytes: `ovlmig index
# --checkpoint-span`). The index is what that build's `ovlmig index -o`
# writes: format 1 before issue 12 (read whole at mount), format 2 since
# (its head at mount, each window by range when a read starts at it).
#
#   scripts/bench/read_amp.sh [BUILD-DIR...]   (as root; make first)
#
# Environment: FILES (37), CHUNKS ("1048576"), SPANS ("4194304"). Prints
# one line per run; asserts nothing.
set -u -o pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/lib.sh"
. "$TOP/tests/remote_lib.sh"

FILES=${FILES:-37}
CHUNKS=${CHUNKS:-1048576}
SPANS=${SPANS:-4194304}
die() { echo "read_amp.sh: $*" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || die "run as root (FUSE mounts)"
mib() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1048576 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }

www=$T/www
mkdir -p "$www"
(cd / && find usr/bin -type f -size -2M | LC_ALL=C sort >"$T/list") || die "find"
tar -C / --no-recursion -cf - -T "$T/list" | gzip -n -6 >"$www/layer.tar.gz" || die "tar"
# the files read: every Nth regular file of the tar, in tar order
total=$(wc -l <"$T/list")
awk -v n="$FILES" -v t="$total" 'NR % int(t / n) == 0 && c < n { print; c++ }' "$T/list" >"$T/read"
read_bytes=$(sed 's|^|/|' "$T/read" | xargs stat -c %s | awk '{ n += $1 } END { print n }')
layer_bytes=$(stat -c %s "$www/layer.tar.gz")
nginx_start "$www" || die "nginx"
echo "layer: $(mib "$layer_bytes") MiB gzip of $total files of /usr/bin; read: $(wc -l <"$T/read") files, $(mib "$read_bytes") MiB"
printf '%-36s %8s %8s %10s %10s %10s %9s %6s\n' build span chunk "index MiB" "layer MiB" "link MiB" "link/read" GETs
echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"

for build in "${@:-$BUILD}"; do
	[[ $build == /* ]] || build=$PWD/$build
	for span in $SPANS; do
	for chunk in $CHUNKS; do
		rm -f "$www/layer.tar.gz.index"
		"$build/ovlmig" index --chunk-size "$chunk" --checkpoint-span "$span" "$www/layer.tar.gz" \
			-o "$www/layer.tar.gz.index" >/dev/null || die "ovlmig index --chunk-size $chunk --checkpoint-span $span"
		i0=$(nginx_bytes '^/layer\.tar\.gz\.index$') l0=$(nginx_bytes '^/layer\.tar\.gz$')
		g0=$(nginx_requests '^/layer\.tar\.gz$')
		rm -rf "$T/cache" "$T/run-a"
		LOWERFS=$build/lowerfs start_lowerfs a "tar:http://127.0.0.1:$NGINX_PORT/layer.tar.gz" "$T/mnt" \
			--cache "$T/cache" >"$T/out" 2>&1 || die "lowerfs: $(head -3 "$T/out")"
		while read -r f; do
			cmp -s "$T/mnt/$f" "/$f" || die "$f reads wrong"
		done <"$T/read"
		idx=$(($(nginx_bytes '^/layer\.tar\.gz\.index$') - i0))
		lay=$(($(nginx_bytes '^/layer\.tar\.gz$') - l0))
		gets=$(($(nginx_requests '^/layer\.tar\.gz$') - g0))
		LOWERFS=$build/lowerfs stop_lowerfs a "$T/mnt"
		printf '%-36s %8s %8s %10s %10s %10s %9s %6s\n' "$build" "$span" "$chunk" "$(mib "$idx")" \
			"$(mib "$lay")" "$(mib $((idx + lay)))" "$(ratio $((idx + lay)) "$read_bytes")x" "$gets"
	done
	done
done
