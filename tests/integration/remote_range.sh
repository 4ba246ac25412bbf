#!/usr/bin/env bash
# Must show 2 of the remote-image issue: with its index next to it, a
# 200 MiB gzip layer is mounted and one small file read from its very end
# (a naive reader would decompress everything before it) for under 8 MiB
# fetched, as nginx counts it; lowerfs' own count (stats remote.http_bytes)
# agrees; a 21 MiB file from the middle costs about its own size.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
require_root "remote ranged reads"
require_tools "remote ranged reads" nginx curl jq python3 openssl zstd

MiB=1048576
L=$(layers_dir --big) || { fail "mklayers --big"; exit 1; }
www=$T/www
serve_layers "$www" "$L/big.tar.gz"
size=$(stat -Lc %s "$www/big.tar.gz")
[[ $size -ge $((200 * MiB)) ]] && ok "big.tar.gz is $((size / MiB)) MiB" ||
	fail "big.tar.gz is only $size bytes"
index_layer "$www/big.tar.gz" 2>"$T/index.err" && ok "ovlmig index big.tar.gz" ||
	{ fail "ovlmig index big.tar.gz" "$(head -3 "$T/index.err")"; exit 1; }
nginx_start "$www" || { fail "nginx"; exit 1; }

layer='^/big\.tar\.gz$'
start_lowerfs a "tar:http://127.0.0.1:$NGINX_PORT/big.tar.gz" "$T/mnt" --cache "$T/cache" >"$T/out" 2>&1 ||
	{ fail "mount" "$(head -3 "$T/out")"; exit 1; }
at_mount=$(nginx_bytes "$layer")
[[ $(nginx_requests '^/big\.tar\.gz\.index$') -ge 1 ]] && ok "the mount fetched the index" ||
	fail "the mount did not fetch big.tar.gz.index"
[[ $at_mount -lt $((8 * MiB)) ]] && ok "mount fetched $at_mount bytes of the layer" ||
	fail "mount fetched $at_mount bytes of the layer"

# the last entry of the tar: everything compressed lies before it
if [[ $(cat "$T/mnt/z/last.txt" 2>&1) == 'the last entry of the layer' ]]; then
	ok "z/last.txt reads right"
else
	fail "z/last.txt" "$(cat "$T/mnt/z/last.txt" 2>&1 | head -c 200)"
fi
fetched=$(nginx_bytes "$layer")
[[ $fetched -lt $((8 * MiB)) ]] &&
	ok "reading one small file at the end fetched $fetched bytes in all (< 8 MiB of $((size / MiB)) MiB)" ||
	fail "reading z/last.txt fetched $fetched bytes (limit 8 MiB)"

# lowerfs counts what it received; nginx what it sent (the index too):
# close, allowing for a response cut short by the client
theirs=$(nginx_bytes)
ours=$(remote_stat a http_bytes)
diff=$((theirs > ours ? theirs - ours : ours - theirs))
[[ $ours =~ ^[0-9]+$ && $diff -le $((theirs / 10 + MiB)) ]] &&
	ok "stats remote.http_bytes $ours agrees with nginx's $theirs" ||
	fail "stats remote.http_bytes $ours, nginx sent $theirs"

# one 21 MiB blob from the middle: its own chunks, not everything before
before=$(nginx_bytes "$layer")
want=$(mktemp "$T/want.XXXXXX")
tar -xzOf "$L/big.tar.gz" blobs/blob5 >"$want"
[[ $(read_verdict "$T/mnt/blobs/blob5" "$want") == right ]] && ok "blobs/blob5 reads right" ||
	fail "blobs/blob5: $(read_verdict "$T/mnt/blobs/blob5" "$want")"
cost=$(($(nginx_bytes "$layer") - before))
[[ $cost -le $((21 * MiB + 6 * MiB)) ]] && ok "reading the 21 MiB blob5 fetched $((cost / MiB)) MiB" ||
	fail "reading the 21 MiB blob5 fetched $((cost / MiB)) MiB (limit 27)"
before=$(nginx_bytes "$layer")
cat "$T/mnt/blobs/blob5" >/dev/null
[[ $(nginx_bytes "$layer") -eq $before ]] && ok "reading it again fetched nothing" ||
	fail "reading blob5 again fetched $(($(nginx_bytes "$layer") - before)) bytes"
