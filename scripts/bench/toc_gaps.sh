#!/usr/bin/env bash
# Where a reader of one file after another spends its time between two
# files of a zstd:chunked image (issue 18): for each of FILES files of
# 150 KiB, read in order by a Python reader on a fresh lowerfs mount
# (empty --cache, the layer's own TOC), against the fault proxy's request
# log (both on CLOCK_MONOTONIC): open -> the layer request's arrival at
# the proxy, the request, the proxy's last byte -> open returned, the
# read. One line per file, then the sums. Prints the figures of this one
# run; asserts nothing. As root, after `make`. Uses the test helpers:
# everything lives under a fresh /tmp/ovlmig-test.XXXXXX, stopped and
# removed on exit.
#
# Environment: FILES (30), RATE_MB (50), PROXY_OPTS (extra fault proxy
# options, e.g. "--delay 0.05"), LOWERFS_OPTS (extra lowerfs options).
set -u -o pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/lib.sh"
. "$TOP/tests/remote_lib.sh"

FILES=${FILES:-30}
RATE_MB=${RATE_MB:-50}
read -r -a PROXY_EXTRA <<<"${PROXY_OPTS:-}"
read -r -a LOWERFS_EXTRA <<<"${LOWERFS_OPTS:-}"
die() { echo "toc_gaps.sh: $*" >&2; exit 2; }

src=$T/src
mkdir -p "$src/d"
for i in $(seq "$FILES"); do head -c $((150 * 1024)) /dev/urandom >"$src/d/f$i"; done
buildah_image "$src" localhost/gaps:1 || die "buildah"
registry_start || die "registry"
R0=127.0.0.1:$REGISTRY_PORT
zstd_chunked_push localhost/gaps:1 "$R0/test/gaps:1" || die "skopeo copy"
faultproxy_start "$REGISTRY_PORT" none --rate $((RATE_MB * 1000000)) --requests "$T/requests" \
	"${PROXY_EXTRA[@]}" || die "proxy"
start_lowerfs g "docker://127.0.0.1:$FAULTPROXY_PORT/test/gaps:1" "$T/m" --insecure --cache "$T/cache" \
	--log "$T/g.log" "${LOWERFS_EXTRA[@]}" 2>>"$T/g.log" || die "lowerfs: $(tail -3 "$T/g.log")"
grep -q "index: the layer's TOC" "$T/g.log" || die "the TOC was not used"
since=$(wc -l <"$T/requests")
load=$(cut -d' ' -f1-3 /proc/loadavg)
# PATH OPEN-START OPENED READ CLOSED, monotonic ns
python3 - $(for i in $(seq "$FILES"); do echo "$T/m/d/f$i"; done) >"$T/reads" <<'PY'
import os, sys, time
for p in sys.argv[1:]:
    t0 = time.monotonic_ns()
    fd = os.open(p, os.O_RDONLY)
    t1 = time.monotonic_ns()
    while os.read(fd, 1 << 20):
        pass
    t2 = time.monotonic_ns()
    os.close(fd)
    print(p, t0, t1, t2, time.monotonic_ns())
PY
sleep 0.2
tail -n +$((since + 1)) "$T/requests" | awk '$3 == "GET" && $5 != "-"' >"$T/gets"
[[ $(wc -l <"$T/gets") == "$FILES" ]] || die "$(wc -l <"$T/gets") layer requests for $FILES files"
echo "$FILES files of 150 KiB read one after another; link $RATE_MB MB/s; load average $load"
paste -d' ' "$T/reads" "$T/gets" | awk '{
	printf "%-4s open->request %6.1f ms, request %6.1f ms, request end->open returned %6.1f ms, read %5.1f ms\n",
		substr($1, length($1) - 2), ($6 - $2) / 1e6, ($7 - $6) / 1e6, ($3 - $7) / 1e6, ($4 - $3) / 1e6
	a += $6 - $2; b += $7 - $6; c += $3 - $7; d += $4 - $3 }
	END { printf "sums: open->request %.1f ms, request %.1f ms, request end->open returned %.1f ms, read %.1f ms\n",
		a / 1e6, b / 1e6, c / 1e6, d / 1e6 }'
stop_lowerfs g "$T/m"
