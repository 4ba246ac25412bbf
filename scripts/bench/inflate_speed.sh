#!/usr/bin/env bash
# The CPU a first command's decompression costs per format: toc_first.sh's
# four libraries of this host (19 MB) as 4 MiB gzip members and zstd
# frames, decompressed by zlib, libdeflate and zstd (inflate_speed.c).
# Prints one run's figures; asserts nothing. FILES: other files to use.
set -eu -o pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
LIBDIR=/usr/lib/x86_64-linux-gnu
FILES=${FILES:-$LIBDIR/libc.so.6 $LIBDIR/libcrypto.so.3 $LIBDIR/libperl.so.5.36.0 $LIBDIR/libpython3.11.so.1.0}
D=$(mktemp -d /tmp/inflate-speed.XXXXXX)
trap 'rm -rf "$D"' EXIT
cc -std=gnu11 -O2 -Wall -Wextra -Werror -o "$D/inflate_speed" "$TOP/scripts/bench/inflate_speed.c" \
	-lz -ldeflate -lzstd
echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"
# shellcheck disable=SC2086
"$D/inflate_speed" $FILES
