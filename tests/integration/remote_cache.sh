#!/usr/bin/env bash
# Must show 4 of the remote-image issue: read half of an image's files,
# kill -9 lowerfs (no chance to flush or tidy up), remount on the same
# --cache: reading everything then downloads only the other half (nginx
# counts the bytes; a couple of 1 MiB chunks of slack for the chunk the
# two halves share and for gzip restart points), and every byte is right.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
require_root "remote cache across a crash"
require_tools "remote cache across a crash" nginx curl jq python3 openssl zstd

MiB=1048576
SLACK=$((2 * MiB))
L=$(layers_dir) || { fail "mklayers"; exit 1; }
www=$T/www
serve_layers "$www" "$L/half.tar.gz"
index_layer "$www/half.tar.gz" 2>"$T/index.err" || { fail "ovlmig index" "$(head -3 "$T/index.err")"; exit 1; }
nginx_start "$www" || { fail "nginx"; exit 1; }
total=$(stat -Lc %s "$www/half.tar.gz")
want=$T/want
mkdir -p "$want"
tar -xzf "$L/half.tar.gz" -C "$want"
layer='^/half\.tar\.gz$'
src=tar:http://127.0.0.1:$NGINX_PORT/half.tar.gz
mkdir -p "$T/cache"

# read_files MNT FIRST LAST: files hFIRST..hLAST (1 MiB each, tar order)
read_files() {
	local i v bad=""
	for i in $(seq -w "$2" "$3"); do
		v=$(read_verdict "$1/h$i" "$want/h$i")
		[[ $v == right ]] || bad+=" h$i:$v"
	done
	[[ -z $bad ]] && ok "h$2..h$3 read right" || fail "h$2..h$3 read" "$bad"
}

start_lowerfs a "$src" "$T/mnt" --cache "$T/cache" >"$T/out" 2>&1 || { fail "mount" "$(head -3 "$T/out")"; exit 1; }
read_files "$T/mnt" 00 07
first=$(nginx_bytes "$layer")
[[ $first -ge $((6 * MiB)) && $first -le $((8 * MiB + SLACK)) ]] &&
	ok "first half: $first of $total bytes fetched" ||
	fail "first half fetched $first of $total bytes (expected ~8 MiB)"
cached=$(remote_stat a chunks_cached)

pid=$(cat "$T/run-a/lowerfs.pid")
kill -KILL "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "lowerfs $pid survived kill -9" || ok "lowerfs killed with SIGKILL"
umount -l "$T/mnt" && ok "the dead mount unmounted (umount -l)" || fail "umount -l of the dead mount"

start_lowerfs b "$src" "$T/mnt" --cache "$T/cache" >"$T/out" 2>&1 || { fail "remount" "$(head -3 "$T/out")"; exit 1; }
again=$(remote_stat b chunks_cached)
[[ $cached =~ ^[0-9]+$ && $again -ge $cached && $cached -ge 1 ]] &&
	ok "the cache kept its $again chunks through the crash (had $cached)" ||
	fail "chunks cached: $cached before the crash, $again after"
read_files "$T/mnt" 00 15
second=$(($(nginx_bytes "$layer") - first))
rest=$((total - first))
[[ $second -le $((rest + SLACK)) ]] &&
	ok "second run fetched $second bytes, the other half is $rest: the cached half not again" ||
	fail "second run fetched $second bytes; only $rest were not cached (slack $SLACK)"
[[ $second -ge $((rest - SLACK)) ]] && ok "second run fetched the other half ($second bytes)" ||
	fail "second run fetched only $second of the $rest missing bytes"
# the last chunk may hold only the tar's end blocks, which no read needs
have=$(remote_stat b chunks_cached) all=$(remote_stat b chunks)
[[ $all =~ ^[0-9]+$ && $have -ge $((all - 1)) ]] && ok "$have of $all chunks cached now" ||
	fail "$have of $all chunks cached"
expected_tree "$want" "$T/want.sum"
same_tree "the tree equals the layer's" "$T/want.sum" "$T/mnt"
