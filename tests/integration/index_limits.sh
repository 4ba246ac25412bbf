#!/usr/bin/env bash
# Must show issue 10 items 7 and 8: layer indexes and layers cannot make
# lowerfs or `ovlmig index` hold memory out of proportion to them.
# - A sidecar index whose gzip windows (32 KiB each inflated, a few dozen
#   bytes each stored) are packed closer than a real layer has them is
#   refused, naming the checkpoint; one with as many windows as the layer
#   allows mounts holding them deflated. Peak RSS of lowerfs, against
#   20000 windows = 625 MiB inflated.
# - An index with over 64 KiB of xattrs on one entry, or over 32 MiB in
#   all, is refused naming the entry; layers over 128 MiB together too.
# - `ovlmig index` refuses a layer whose xattrs pass 32 MiB, naming the
#   entry, with its peak RSS far below the 240 MB of xattrs the layer
#   holds, and leaves out (naming it) an entry with over 64 KiB of them.
. "$(dirname "$0")/../lib.sh"
require_root "index limits"
MKINDEX=$TOP/tests/tools/mkindex.py
for t in python3 zstd gzip /usr/bin/time; do
	command -v "$t" >/dev/null || { skip "index limits" "no $t (scripts/setup-deps.sh)"; exit 0; }
done
WINDOWS=20000
RSS_MAX_KB=$((160 * 1024))	# a quarter of the windows inflated

# lowerfs_peak NAME LAYER: lowerfs in the foreground under GNU time, until
# it has mounted (then unmounted here) or given up. Sets STATUS (mounted
# or refused) and KB (its peak RSS). Called directly, not in $(...): its
# clean-up must reach the test's own exit trap.
lowerfs_peak() {
	local name=$1 layer=$2 mnt=$T/mnt-$1 pid child
	STATUS=refused
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
		STATUS=mounted
		umount "$mnt"
	elif kill -0 $pid 2>/dev/null; then
		STATUS=hung
		child=$(ps -o pid= --ppid $pid)
		[[ -n $child ]] && kill -KILL $child
	fi
	wait $pid
	KB=$(tail -1 "$T/$name.rss")
}

# --- item 7: checkpoint windows -----------------------------------------------

# a real gzip layer; its hostile sidecar packs a window every compressed byte
mkdir -p "$T/src/dir"
head -c 300000 /dev/urandom >"$T/src/dir/file"
tar -C "$T/src" -czf "$T/dense.tar.gz" dir
python3 "$MKINDEX" "$T/dense.tar.gz" "$T/dense.tar.gz.index" --windows "$WINDOWS" --gap 1 ||
	{ fail "mkindex dense"; exit 1; }
lowerfs_peak dense "$T/dense.tar.gz"
if [[ $STATUS == refused ]] && grep -q "checkpoint 1: window 1 compressed bytes after the previous checkpoint" "$T/dense.err"; then
	ok "index with a window per compressed byte refused: $(grep -o 'checkpoint 1: window[^(]*' "$T/dense.err")"
else
	fail "dense windows: lowerfs $STATUS" "$(cat "$T/dense.err")"
fi
[[ $KB -lt $RSS_MAX_KB ]] && ok "peak RSS refusing $WINDOWS dense windows: $KB KiB" ||
	fail "peak RSS refusing $WINDOWS dense windows: $KB KiB (limit $RSS_MAX_KB)"

# as many windows as a layer this size can have: loaded, kept deflated
head -c $((WINDOWS * 2048 + 4096)) /dev/urandom >"$T/spaced.tar.gz"
python3 "$MKINDEX" "$T/spaced.tar.gz" "$T/spaced.tar.gz.index" --windows "$WINDOWS" --gap 2048 ||
	{ fail "mkindex spaced"; exit 1; }
lowerfs_peak spaced "$T/spaced.tar.gz"
[[ $STATUS == mounted ]] && ok "index with $WINDOWS windows 2048 bytes apart mounts" ||
	fail "spaced windows: lowerfs $STATUS" "$(cat "$T/spaced.err")"
[[ $KB -lt $RSS_MAX_KB ]] && ok "peak RSS with $WINDOWS windows loaded: $KB KiB ($(stat -c %s "$T/spaced.tar.gz.index") bytes of index)" ||
	fail "peak RSS with $WINDOWS windows loaded: $KB KiB (limit $RSS_MAX_KB)"

# --- item 8: xattrs in an index --------------------------------------------------

python3 "$MKINDEX" "$T/dense.tar.gz" "$T/dense.tar.gz.index" --entries 1 --xattrs 2 --xattr-bytes 40000 ||
	{ fail "mkindex entry xattrs"; exit 1; }
lowerfs_peak entryx "$T/dense.tar.gz"
if [[ $STATUS == refused ]] && grep -q 'entry 1 "d00000": xattrs larger than 64 KiB' "$T/entryx.err"; then
	ok "index with 80 KB of xattrs on one entry refused: $(grep -o 'entry 1 .*' "$T/entryx.err")"
else
	fail "entry xattrs: lowerfs $STATUS" "$(cat "$T/entryx.err")"
fi
python3 "$MKINDEX" "$T/dense.tar.gz" "$T/dense.tar.gz.index" --entries 600 --xattr-bytes 60000 ||
	{ fail "mkindex layer xattrs"; exit 1; }
lowerfs_peak layerx "$T/dense.tar.gz"
if [[ $STATUS == refused ]] && grep -q "entry 560 \"d00559\": the index's xattrs pass 32 MiB" "$T/layerx.err"; then
	ok "index with 36 MB of xattrs refused: $(grep -o 'entry 560 .*' "$T/layerx.err")"
else
	fail "index xattrs: lowerfs $STATUS" "$(cat "$T/layerx.err")"
fi

# each layer under 32 MiB, five together over the image's 128 MiB
python3 "$MKINDEX" "$T/dense.tar.gz" "$T/l.index" --entries 500 --xattr-bytes 60000 ||
	{ fail "mkindex image xattrs"; exit 1; }
layers=""
for i in 1 2 3 4 5; do
	cp "$T/dense.tar.gz" "$T/l$i.tar.gz"
	ln "$T/l.index" "$T/l$i.tar.gz.index"
	layers+="${layers:+,}$T/l$i.tar.gz"
done
lowerfs_peak imagex "$layers"
if [[ $STATUS == refused ]] && grep -q "l5.tar.gz: the image's xattrs pass 128 MiB in all" "$T/imagex.err"; then
	ok "five layers of 30 MB of xattrs each refused: $(grep -o 'layer [^ ]*l5.*' "$T/imagex.err")"
else
	fail "image xattrs: lowerfs $STATUS" "$(cat "$T/imagex.err")"
fi

# --- item 8: xattrs in a layer ----------------------------------------------------

# 4000 entries of one 60000-byte xattr each (240 MB), zstd: a few hundred KB
python3 - "$T/xattrs.tar" 4000 60000 <<'EOF' || { fail "write the xattr layer"; exit 1; }
import sys, tarfile
out, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
    for i in range(n):
        ti = tarfile.TarInfo("d%05d" % i)
        ti.type = tarfile.DIRTYPE
        ti.mode = 0o755
        ti.pax_headers = {"SCHILY.xattr.user.x": "v" * size}
        t.addfile(ti)
EOF
zstd -q -1 --rm "$T/xattrs.tar" -o "$T/xattrs.tar.zst"
out=$(/usr/bin/time -f %M -o "$T/index.rss" "$OVLMIG" index "$T/xattrs.tar.zst" -o "$T/xattrs.index" 2>&1)
rc=$?
kb=$(tail -1 "$T/index.rss")
if [[ $rc -eq 2 && $out == *'tar entry "d00559": the layer'"'"'s xattrs pass 32 MiB'* && ! -e $T/xattrs.index ]]; then
	ok "ovlmig index refuses a $(stat -c %s "$T/xattrs.tar.zst")-byte layer with 240 MB of xattrs: $out"
else
	fail "ovlmig index of the xattr layer: exit $rc" "$out"
fi
[[ $kb -lt $RSS_MAX_KB ]] && ok "peak RSS of ovlmig index on it: $kb KiB" ||
	fail "peak RSS of ovlmig index on it: $kb KiB (limit $RSS_MAX_KB)"

# one entry over 64 KiB in all is left out, named; the rest is indexed
python3 - "$T/heavy.tar" <<'EOF' || { fail "write the heavy layer"; exit 1; }
import sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as t:
    for name, n in (("light", 1), ("heavy", 2), ("after", 0)):
        ti = tarfile.TarInfo(name)
        ti.type = tarfile.DIRTYPE
        ti.pax_headers = {"SCHILY.xattr.user.x%d" % k: "v" * 40000 for k in range(n)}
        t.addfile(ti)
EOF
gzip "$T/heavy.tar"
out=$("$OVLMIG" index "$T/heavy.tar.gz" -o "$T/heavy.index" 2>&1)
rc=$?
if [[ $rc -eq 0 && $out == *'"heavy/": xattrs larger than 64 KiB'* && $out == *" 2 entries, 1 rejected"* ]]; then
	ok "an entry with 80 KB of xattrs is left out, named: $(grep -o 'rejected tar entry.*' <<<"$out")"
else
	fail "ovlmig index of the heavy layer: exit $rc" "$out"
fi
