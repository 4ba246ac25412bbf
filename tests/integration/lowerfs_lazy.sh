#!/usr/bin/env bash
# Must show 2: with --cache and --latency, the first read of a file fetches
# it (the fetched-bytes counter rises), the second does not; a restarted
# lowerfs reuses the cache.
. "$(dirname "$0")/../lib.sh"
require_root "lowerfs lazy fetch"

src=$T/src
mkdir -p "$src/d"
head -c 3000001 /dev/urandom >"$src/d/big"
echo small >"$src/small"
opts=(--cache "$T/cache" --latency 50 --bandwidth 100)
start_lowerfs a "dir:$src" "$T/mnt" "${opts[@]}" || { fail "mount"; exit 1; }

before=$(stat_of a bytes_fetched)
[[ $before -eq 0 ]] && ok "nothing fetched at mount" || fail "fetched $before bytes at mount"
cmp -s "$src/d/big" "$T/mnt/d/big" && ok "first read returns the source bytes" ||
	fail "first read differs"
first=$(stat_of a bytes_fetched)
[[ $first -eq 3000001 ]] && ok "first read fetched the file ($first bytes)" ||
	fail "first read fetched $first bytes, expected 3000001"
cmp -s "$src/d/big" "$T/mnt/d/big" || fail "second read differs"
second=$(stat_of a bytes_fetched)
[[ $second -eq $first ]] && ok "second read fetched nothing" ||
	fail "second read fetched $((second - first)) more bytes"
[[ $(stat_of a files_fetched) -eq 1 ]] && ok "one file fetched" ||
	fail "files_fetched is $(stat_of a files_fetched)"

# restart on the same cache: nothing is downloaded again
kill_lowerfs "$T/run-a"; umount -l "$T/mnt" 2>/dev/null
start_lowerfs b "dir:$src" "$T/mnt" "${opts[@]}" || { fail "remount"; exit 1; }
cmp -s "$src/d/big" "$T/mnt/d/big" || fail "read after restart differs"
[[ $(stat_of b bytes_fetched) -eq 0 && $(stat_of b cache_hits) -ge 1 ]] &&
	ok "restarted lowerfs serves from the cache" ||
	fail "restart fetched $(stat_of b bytes_fetched) bytes"

# prefetch fetches the rest in the background
ctl b prefetch >/dev/null || fail "prefetch command"
for _ in $(seq 100); do
	[[ $(stat_of b prefetch_running) == false ]] && break
	sleep 0.1
done
[[ $(stat_of b bytes_fetched) -eq 6 ]] && ok "prefetch fetched the one missing file" ||
	fail "prefetch fetched $(stat_of b bytes_fetched) bytes, expected 6"
