#!/usr/bin/env bash
# Must show 4: `live` is empty after `invalidate` when nothing holds a file;
# it lists a file that a process keeps open.
. "$(dirname "$0")/../lib.sh"
require_root "lowerfs live nodes"

src=$T/src mnt=$T/mnt
"$TOOLS/gentree" --small --seed 3 "$src" >/dev/null || { fail "gentree"; exit 1; }
start_lowerfs a "dir:$src" "$mnt" --cache "$T/cache" || { fail "mount"; exit 1; }

find "$mnt" -type f -exec cat {} + >/dev/null 2>&1
ls -lR "$mnt" >/dev/null
n=$(ctl a live | jq '.live | length')
[[ $n -gt 100 ]] && ok "kernel holds nodes after a walk ($n)" || fail "only $n live nodes after a walk"

ctl a invalidate >/dev/null
n=$(ctl a live | jq '.live | length')
[[ $n -eq 0 ]] && ok "live is empty after invalidate" ||
	fail "live lists $n nodes after invalidate" "$(ctl a live | head -20)"

file=$(cd "$mnt" && find deep -type f | head -1)
sleep 1000 <"$mnt/$file" &
holder=$!
on_exit "kill $holder"
ctl a invalidate >/dev/null
live=$(ctl a live)
if jq -e --arg p "/$file" '.live[] | select(.path == $p and .opens == 1)' <<<"$live" >/dev/null; then
	ok "live lists the file a process keeps open"
else
	fail "open file /$file not listed" "$live"
fi
kill $holder; wait $holder 2>/dev/null
ctl a invalidate >/dev/null
n=$(ctl a live | jq '.live | length')
[[ $n -eq 0 ]] && ok "live is empty again once the process is gone" ||
	fail "$n nodes live after the holder exited"
