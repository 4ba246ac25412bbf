#!/usr/bin/env bash
# Issue 18, fetch what is read: a small file of a gzip layer (random data,
# so compressed offsets follow uncompressed ones) costs the index plus the
# compressed bytes from its checkpoint to the file's end, rounded out to
# whole 1 MiB chunks (each chunk is checked against its sha256), not the
# whole span to the next checkpoint (4 MiB of output). Counted by nginx.
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
index_layer "$www/layer.tar.gz" 2>"$T/index.err" && ok "ovlmig index layer.tar.gz" ||
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
