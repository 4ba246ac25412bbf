#!/usr/bin/env bash
# Must show issue 10 item 7: layer indexes cannot make lowerfs hold
# memory out of proportion to them.
# - A sidecar index whose gzip windows (32 KiB each inflated, a few dozen
#   bytes each stored) are packed closer than a real layer has them is
#   refused, naming the checkpoint; one with as many windows as the layer
#   allows mounts holding them deflated. Peak RSS of lowerfs, against
#   20000 windows = 625 MiB inflated.
. "$(dirname "$0")/../lib.sh"
require_root "index limits"
MKINDEX=$TOP/tests/tools/mkindex.py
for t in python3 zstd gzip /usr/bin/time; do
	command -v "$t" >/dev/null || { skip "index limits" "no $t (scripts/setup-deps.sh)"; exit 0; }
done
WINDOWS=20000
RSS_MAX_KB=$((160 * 1024))	# a quarter of the windows inflated

# lowerfs_peak NAME LAYER: lowerfs in the foreground under GNU time; once
# it has mounted (then unmounted here) or given up, "mounted|refused KB".
lowerfs_peak() {
	local name=$1 layer=$2 mnt=$T/mnt-$1 pid status=refused
	mkdir -p "$mnt"
	on_exit "umount -l $mnt; kill_lowerfs $T/run-$name"
	/usr/bin/time -f %M -o "$T/$name.rss" "$LOWERFS" -f --run-dir "$T/run-$name" \
		--cache "$T/cache-$name" "tar:$layer" "$mnt" 2>"$T/$name.err" &
	pid=$!
	# a bound on the wait, not an assertion: a hung start fails below
	for _ in $(seq 1200); do
		kill -0 $pid 2>/dev/null || break
		mountpoint -q "$mnt" && break
		sleep 0.1
	done
	if mountpoint -q "$mnt"; then
		status=mounted
		umount "$mnt"
	fi
	wait $pid
	echo "$status $(tail -1 "$T/$name.rss")"
}

# --- item 7: checkpoint windows -----------------------------------------------

# a real gzip layer; its hostile sidecar packs a window every compressed byte
mkdir -p "$T/src/dir"
head -c 300000 /dev/urandom >"$T/src/dir/file"
tar -C "$T/src" -czf "$T/dense.tar.gz" dir
python3 "$MKINDEX" "$T/dense.tar.gz" "$T/dense.tar.gz.index" --windows "$WINDOWS" --gap 1 ||
	{ fail "mkindex dense"; exit 1; }
read -r status kb < <(lowerfs_peak dense "$T/dense.tar.gz")
if [[ $status == refused ]] && grep -q "checkpoint 1: window 1 compressed bytes after the previous checkpoint" "$T/dense.err"; then
	ok "index with a window per compressed byte refused: $(grep -o 'checkpoint 1: window[^(]*' "$T/dense.err")"
else
	fail "dense windows: lowerfs $status" "$(cat "$T/dense.err")"
fi
[[ $kb -lt $RSS_MAX_KB ]] && ok "peak RSS refusing $WINDOWS dense windows: $kb KiB" ||
	fail "peak RSS refusing $WINDOWS dense windows: $kb KiB (limit $RSS_MAX_KB)"

# as many windows as a layer this size can have: loaded, kept deflated
head -c $((WINDOWS * 2048 + 4096)) /dev/urandom >"$T/spaced.tar.gz"
python3 "$MKINDEX" "$T/spaced.tar.gz" "$T/spaced.tar.gz.index" --windows "$WINDOWS" --gap 2048 ||
	{ fail "mkindex spaced"; exit 1; }
read -r status kb < <(lowerfs_peak spaced "$T/spaced.tar.gz")
[[ $status == mounted ]] && ok "index with $WINDOWS windows 2048 bytes apart mounts" ||
	fail "spaced windows: lowerfs $status" "$(cat "$T/spaced.err")"
[[ $kb -lt $RSS_MAX_KB ]] && ok "peak RSS with $WINDOWS windows loaded: $kb KiB ($(stat -c %s "$T/spaced.tar.gz.index") bytes of index)" ||
	fail "peak RSS with $WINDOWS windows loaded: $kb KiB (limit $RSS_MAX_KB)"
