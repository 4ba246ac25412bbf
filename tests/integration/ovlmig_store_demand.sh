#!/usr/bin/env bash
# Strategy store, on-demand reads first (issue 11): over one shared,
# rate-limited link (an HTTP tar layer behind the fault proxy), a fill
# started while a process waits on a lazy read fetches nothing until that
# read is served: the file read lands in the store first (lowerfs puts it
# there), every file of the fill after it; the tree equals the image
# after detach. (Bytes fetched twice are ovlmig_store_feed's: behind the
# proxy nginx logs what the proxy read, and a client's retry after a
# stall on the slow link would look like a second fetch.)
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
. "$(dirname "$0")/../store_lib.sh"
require_root "ovlmig store: on-demand reads first"
require_tools "ovlmig store: on-demand reads first" nginx curl jq python3
fusectl_ready || { fail "mount fusectl"; exit 1; }

store_http_tar || exit 1
# 2 MB/s for everyone together: the 3 MiB file takes 1.5 s
faultproxy_start "$NGINX_PORT" none --rate 2000000 || { fail "faultproxy"; exit 1; }
m=$T/m

ovlmig_mount "$m" --strategy store --source "tar:http://127.0.0.1:$FAULTPROXY_PORT/base.tar" \
	--upper "$T/u" --work "$T/w" >"$T/out" 2>&1 || { fail "mount" "$(cat "$T/out")"; exit 1; }
img=$(status "$m" store)
run=$OVLMIG_RUN_DIR/$(status "$m" name)/lowerfs
demand() { "$LOWERFS" ctl --run-dir "$run" demand | jq -r .demand; }
[[ $(demand) == 0 ]] && ok "demand: 0 while nothing is read" || fail "demand: $(demand)"

want=data/random-3m
cat "$m/$want" >"$T/read" &
reader=$!
on_exit "kill -KILL $reader"
for _ in $(seq 500); do [[ $(demand) -gt 0 ]] && break; sleep 0.01; done
[[ $(demand) -gt 0 ]] && ok "a process waits on an on-demand fetch" || fail "no on-demand fetch seen"
# one job: the fill waits for lowerfs between files; a second job already
# fetching when the read starts could share a chunk with it (lowerfs and
# ovlmig do not share chunks in flight, only chunks fetched)
"$OVLMIG" migrate --jobs 1 "$m" >"$T/migrate.out" 2>&1 &
fill=$!
on_exit "kill -KILL $fill"
wait $reader && cmp -s "$T/read" "$L/base.tree/$want" && ok "the lazy read returned the image's bytes" ||
	fail "lazy read of /$want"
wait $fill && ok "migrate: $(tail -1 "$T/migrate.out")" || fail "migrate" "$(cat "$T/migrate.out")"

# ctime: when each file was renamed into data/ (a link changes it too)
read_at=$(stat -c '%.9Z' "$img/data/$want")
earlier=$(find "$img/data" -type f ! -samefile "$img/data/$want" -printf '%C@ %P\n' |
	awk -v t="$read_at" '$1 < t { print $2 }')
nfill=$(find "$img/data" -type f ! -samefile "$img/data/$want" -printf x | wc -c)
[[ -z $earlier && $nfill -gt 0 ]] && ok "the file read came first, the fill's $nfill files after it" ||
	fail "the fill stored files before the waited-on read was served" "$earlier"
if out=$("$OVLMIG" detach "$m" 2>&1); then ok "detach: $out"; else fail "detach" "$out"; fi
echo 2 >/proc/sys/vm/drop_caches
same_tree "detached: tree equals the image" "$T/image.sum" "$m"
