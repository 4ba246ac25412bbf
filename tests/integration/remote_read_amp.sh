#!/usr/bin/env bash
# Issue 18, fetch what is read: a small file of a gzip layer (random data,
# so compressed offsets follow uncompressed ones) costs the index plus the
# compressed bytes from its checkpoint to the file's end, rounded out to
# whole 1 MiB chunks (each chunk is checked against its sha256), not the
# whole span to the next checkpoint (4 MiB of output), with an index of
# format 1, 4 MiB spans and 1 MiB chunks. Then with the index `ovlmig
# index` writes by default (format 2, 128 KiB spans, 32 KiB chunks;
# issues 12 and 18): a small file costs at most its span and a chunk each
# side, in one request; a 6 MiB file a few requests, not one per chunk.
# Counted by nginx.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
require_root "remote read amplification"
require_tools "remote read amplification" nginx curl jq python3 gzip

MiB=1048576
www=$T/www
src=$T/src
mkdir -p "$www" "$src/a" "$src/b" "$src/c"
# a 1000-byte file first, one after 2.5 MiB of random data, and 6 MiB
# more: the first span (checkpoint 0 to the next, ~4 MiB on) ends inside
# c/big2
head -c 1000 /dev/urandom >"$src/a/first"
head -c $((5 * MiB / 2)) /dev/urandom >"$src/b/big1"
head -c 1000 /dev/urandom >"$src/b/small"
head -c $((6 * MiB)) /dev/urandom >"$src/c/big2"
tar -C "$src" --format=gnu --owner=0 --group=0 -cf - a/first b/big1 b/small c/big2 |
	gzip -n -6 >"$www/layer.tar.gz" || { fail "make the layer"; exit 1; }
index_layer "$www/layer.tar.gz" --format 1 --checkpoint-span 4194304 --chunk-size 1048576 \
	2>"$T/index.err" && ok "ovlmig index --format 1 layer.tar.gz (4 MiB spans, 1 MiB chunks)" ||
	{ fail "ovlmig index" "$(head -3 "$T/index.err")"; exit 1; }

# The independent expectation: where each file's data ends in the
# compressed layer (python's tarfile and zlib, fed 4 KiB at a time), as the
# last 1 MiB chunk a read must fetch; a file ending within 4 KiB of a chunk
# boundary would make that ambiguous and is refused here.
chunks_of() {
	python3 - "$www/layer.tar.gz" "$1" <<'EOF'
import sys, tarfile, zlib
path, name = sys.argv[1], sys.argv[2]
with tarfile.open(path, "r:gz") as t:
    m = t.getmember(name)
    end = m.offset_data + m.size
blob = open(path, "rb").read()
d = zlib.decompressobj(16 + 15)
out = 0
for pos in range(0, len(blob), 4096):
    out += len(d.decompress(blob[pos:pos + 4096]))
    if out >= end:
        # the data ends after byte pos and by byte hi: chunks to fetch
        lo, hi, MiB = pos, min(pos + 4096, len(blob)), 1 << 20
        if (lo + MiB) // MiB != (hi + MiB - 1) // MiB:
            sys.exit("ambiguous: ends near a chunk boundary")
        print((hi + MiB - 1) // MiB)
        break
EOF
}
a_chunks=$(chunks_of a/first) && b_chunks=$(chunks_of b/small) ||
	{ fail "expected chunks" "$a_chunks $b_chunks"; exit 1; }
[[ $a_chunks == 1 && $b_chunks == 3 ]] && ok "a/first ends in chunk 0, b/small in chunk 2" ||
	fail "the layer's files end in chunks $a_chunks and $b_chunks, not 1 and 3"

nginx_start "$www" || { fail "nginx"; exit 1; }
layer='^/layer\.tar\.gz$'
start_lowerfs a "tar:http://127.0.0.1:$NGINX_PORT/layer.tar.gz" "$T/mnt" --cache "$T/cache" >"$T/out" 2>&1 ||
	{ fail "mount" "$(head -3 "$T/out")"; exit 1; }
isize=$(stat -c %s "$www/layer.tar.gz.index")
[[ $(nginx_bytes '^/layer\.tar\.gz\.index$') -eq $isize ]] &&
	ok "the mount fetched the index ($isize bytes)" ||
	fail "the mount fetched $(nginx_bytes '^/layer\.tar\.gz\.index$') bytes of the index ($isize)"
[[ $(nginx_bytes "$layer") -eq 0 ]] && ok "the mount fetched nothing of the layer" ||
	fail "the mount fetched $(nginx_bytes "$layer") bytes of the layer"

# read_cost FILE CHUNKS: reading FILE right fetches exactly CHUNKS MiB more
read_cost() {
	local f=$1 chunks=$2 before cost
	before=$(nginx_bytes "$layer")
	if cmp -s "$T/mnt/$f" "$src/$f"; then
		ok "$f reads right"
	else
		fail "$f does not read right"
	fi
	cost=$(($(nginx_bytes "$layer") - before))
	[[ $cost -eq $((chunks * MiB)) ]] &&
		ok "reading $f fetched $cost bytes: chunks up to its end, not the span" ||
		fail "reading $f fetched $cost bytes, want $((chunks * MiB))"
}
read_cost a/first "$a_chunks"
# its chunks from the checkpoint at 0: chunk 0 is there already
read_cost b/small $((b_chunks - a_chunks))
# a file in the same span, nearer its start: nothing more to fetch
read_cost a/first 0
stop_lowerfs a "$T/mnt"

# --- the default index: format 2, 128 KiB spans, 32 KiB chunks -------------
index_layer "$www/layer.tar.gz" 2>"$T/index.out" &&
	grep -q "format 2, 4 entries" "$T/index.out" && ok "ovlmig index layer.tar.gz: format 2 by default" ||
	{ fail "ovlmig index (defaults)" "$(head -3 "$T/index.out")"; exit 1; }
[[ $(od -An -tu4 -j8 -N4 "$www/layer.tar.gz.index" | tr -d ' ') == 2 ]] &&
	ok "the index file says version 2" || fail "the index file is not version 2"
# extent NAME: where NAME's data starts and ends in the compressed layer
# (python's tarfile and zlib, 4 KiB at a time: START is at most, END at
# least the true offset), and where the output 128 KiB + 64 KiB before
# its start was: no checkpoint of a 128 KiB spacing lies before that (a
# checkpoint comes at the first deflate block end 128 KiB after the one
# before; gzip -6 ends a block of random data every 16 KiB or so).
# "EARLIEST START END"
extent() {
	python3 - "$www/layer.tar.gz" "$1" <<'EOF'
import sys, tarfile, zlib
path, name = sys.argv[1], sys.argv[2]
with tarfile.open(path, "r:gz") as t:
    m = t.getmember(name)
first, last = m.offset_data, m.offset_data + m.size
early = max(0, first - (128 << 10) - (64 << 10))
blob = open(path, "rb").read()
d = zlib.decompressobj(16 + 15)
out, at = 0, {}
for pos in range(0, len(blob), 4096):
    out += len(d.decompress(blob[pos:pos + 4096]))
    for k, u in (("early", early), ("start", first), ("end", last)):
        if k not in at and out >= u:
            at[k] = pos if k != "end" else min(pos + 4096, len(blob))
print(at["early"], at["start"], at["end"])
EOF
}
# read_bound FILE MAX-GETS MAX-WINDOWS: FILE reads right from a fresh
# mount (its own empty cache), fetching the layer's chunks within
# [EARLIEST, END] rounded out to 32 KiB, its
# data's own extent among them, in at most MAX-GETS requests; the mount
# fetched the index's head alone, the read at most MAX-WINDOWS windows
read_bound() {
	local f=$1 max_gets=$2 max_windows=$3 early start end b0 g0 i0 i1 cost gets lo hi C=32768
	read -r early start end <<<"$(extent "$f")" || { fail "extent of $f"; return 1; }
	rm -rf "$T/cache2"
	i0=$(nginx_bytes "$index")
	start_lowerfs b "tar:http://127.0.0.1:$NGINX_PORT/layer.tar.gz" "$T/mnt2" --cache "$T/cache2" >"$T/out" 2>&1 ||
		{ fail "mount (default index)" "$(head -3 "$T/out")"; return 1; }
	# the index's head (all but its windows part), not the whole file
	i1=$(nginx_bytes "$index")
	(((i1 - i0) == isize - wsize)) && ok "the mount fetched the index's head ($((i1 - i0)) of $isize bytes)" ||
		fail "the mount fetched $((i1 - i0)) bytes of the index, not its head's $((isize - wsize))"
	b0=$(nginx_bytes "$layer") g0=$(nginx_requests "$layer")
	cmp -s "$T/mnt2/$f" "$src/$f" && ok "$f reads right (default index)" || fail "$f does not read right"
	cost=$(($(nginx_bytes "$layer") - b0)) gets=$(($(nginx_requests "$layer") - g0))
	# one window (random data: stored raw, 32 KiB at most) per checkpoint
	# a read starts at: b/small begins 2.5 MiB in, 20 x 128 KiB, where a
	# checkpoint may fall inside it (two); a read of c/big2 starts once
	(($(nginx_bytes "$index") - i1 <= max_windows * 32768)) &&
		ok "reading $f fetched $(($(nginx_bytes "$index") - i1)) bytes of windows (at most $max_windows)" ||
		fail "reading $f fetched $(($(nginx_bytes "$index") - i1)) bytes of the index's windows" \
			"$(grep -F /layer.tar.gz.index "$NGINX_LOG" | tail -4)"
	lo=$((early / C * C)) hi=$(((end + C - 1) / C * C))
	((cost <= hi - lo && cost >= end - start)) &&
		ok "reading $f fetched $cost bytes: its compressed data ($((end - start))) and at most its span before it ($((hi - lo)))" ||
		fail "reading $f fetched $cost bytes, not between $((end - start)) and $((hi - lo))"
	((gets >= 1 && gets <= max_gets)) && ok "reading $f: $gets requests (at most $max_gets)" ||
		fail "reading $f: $gets requests, more than $max_gets" "$(tail -n "$gets" "$NGINX_LOG")"
	stop_lowerfs b "$T/mnt2"
}
index='^/layer\.tar\.gz\.index$'
isize=$(stat -c %s "$www/layer.tar.gz.index")
wsize=$(od -An -tu8 -j88 -N8 "$www/layer.tar.gz.index" | tr -d ' ')
((wsize > 0)) || fail "no windows part in the default index"
# 1000 bytes after 2.5 MiB: one request from its checkpoint to its end
read_bound b/small 1 2
# 6 MiB: the chunks before its last checkpoint together (ranges of at
# most 4 MiB), then its last span: a handful, where one per 32 KiB chunk
# would be 190 or more
read_bound c/big2 4 1
