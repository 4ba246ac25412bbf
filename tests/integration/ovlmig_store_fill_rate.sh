#!/usr/bin/env bash
# `ovlmig migrate --jobs N --bandwidth RATE` of strategy store, over a
# real HTTP source (nginx, each response at most 4 MB/s): --jobs 1 fetches
# one file at a time, --jobs 4 and the remote default several at once
# (seen as files being fetched at the same moment: the fill's open
# unnamed files in data/, or its files in tmp/ where a filesystem has no
# O_TMPFILE);
# --bandwidth 2M keeps the bytes nginx sent during the fill at most 1.3x
# 2 MB/s over the fill's duration. Each fill still gives the whole image.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
. "$(dirname "$0")/../store_lib.sh"
require_root "ovlmig store fill --jobs/--bandwidth"
require_tools "ovlmig store fill --jobs/--bandwidth" nginx jq
fusectl_ready || { fail "mount fusectl"; exit 1; }

# 8 files of 1 MB that do not compress: the layer's bytes are the files'
src=$T/src www=$T/www
mkdir -p "$src/data" "$www"
for i in 1 2 3 4 5 6 7 8; do head -c 1000000 /dev/urandom >"$src/data/f$i"; done
touch -d @1700000000 "$src"/data/* "$src/data" "$src"	# tar keeps whole seconds
store_serve_gz "$src" 4m

# fetching PID: how many files PID is writing now (unnamed in data/, or in tmp/)
fetching() {
	ls -l "/proc/$1/fd" 2>/dev/null | awk -v img="$IMG" '
		index($0, img "/tmp/") || (index($0, img "/data/") && / \(deleted\)$/) { n++ }
		END { print n + 0 }'
}

# fill ARGS...: ovlmig migrate ARGS $M in the background, watching the
# files it writes; sets MAX (most files being fetched at once), SECS, BYTES (sent by nginx)
fill() {
	local pid rc c b0 t0
	b0=$(nginx_bytes '^/big\.tar\.gz$') t0=$(date +%s.%N) MAX=0
	"$OVLMIG" migrate "$@" "$M" >"$T/fill.out" 2>&1 &
	pid=$!
	on_exit "kill -KILL $pid"
	while kill -0 "$pid" 2>/dev/null; do
		c=$(fetching "$pid")
		((c > MAX)) && MAX=$c
		sleep 0.02
	done
	wait "$pid"; rc=$?
	SECS=$(echo "$(date +%s.%N) - $t0" | bc -l)
	BYTES=$(( $(nginx_bytes '^/big\.tar\.gz$') - b0 ))
	[[ $rc == 0 && $(jq -r .state "$IMG/image.json") == complete ]] ||
		{ fail "migrate $*" "$(head -3 "$T/fill.out")"; return 1; }
	same_tree "migrate ${*:-(defaults)}: the tree equals the image" "$T/expected" "$M"
}

# --jobs 1: never two files at once. A watch that saw none is no failure:
# the fill now fetches a file's bytes ahead (the warmers, the small-file
# queue) and holds its store file open only to write it, which a 20 ms
# look can miss; the cases below show the same watch sees files at once
mount_fresh && fill --jobs 1 --bandwidth 4M &&
	{ ((MAX <= 1)) && ok "--jobs 1: at most one file fetched at a time (seen: $MAX)" ||
		fail "--jobs 1: $MAX files fetched at once"; }
mount_fresh && fill --jobs 4 &&
	{ ((MAX >= 2 && MAX <= 4)) && ok "--jobs 4: $MAX files fetched at once" || fail "--jobs 4: $MAX files fetched at once"; }
mount_fresh && fill &&
	{ ((MAX >= 2 && MAX <= 4)) && ok "a remote source by default: $MAX files fetched at once" ||
		fail "default jobs over http: $MAX files fetched at once"; }

cap=2000000
mount_fresh && fill --jobs 4 --bandwidth 2M && {
	rate=$(echo "$BYTES / $SECS" | bc -l)
	# the fill fetched the layer (not a cache): else the rate says nothing
	if ((BYTES < layer_bytes * 8 / 10)); then
		fail "--bandwidth 2M: nginx sent $BYTES bytes, the layer has $layer_bytes"
	elif (($(echo "$rate <= 1.3 * $cap" | bc -l))); then
		ok "--bandwidth 2M: $BYTES bytes in $(printf %.1f "$SECS") s = $(printf %.2f "$(echo "$rate / 1000000" | bc -l)") MB/s"
	else
		fail "--bandwidth 2M: $BYTES bytes in $SECS s = $rate B/s, more than 1.3 x $cap"
	fi
}
out=$("$OVLMIG" migrate --bandwidth 2X "$M" 2>&1)
[[ $? == 2 && $out == *"--bandwidth"* ]] && ok "--bandwidth 2X refused: $out" || fail "--bandwidth 2X: $out"

for ((i = 1; i <= n; i++)); do "$OVLMIG" umount "$T/m$i" >/dev/null || fail "umount m$i"; done
