#!/usr/bin/env bash
# Must show issue 10 item 12 (live): names that are not UTF-8 never vanish
# from lowerfs' control replies, and detach repins such files.
# - `lowerfs ctl live` lists a held file named \xff\xfe: "path" printable,
#   "path_b64" its exact bytes; `stats` answers for a mountpoint whose
#   name is not UTF-8 ("mountpoint_b64").
# - `ovlmig detach` with files named \xff\xfe held open (one at the root,
#   one in a directory): detach succeeds, both names are repinned (new
#   inode numbers), and the holders still read the image's bytes.
# (Item 9, hostile names in tables, is the unit test test_hostile_names.)
. "$(dirname "$0")/../lib.sh"
require_root "hostile names"
command -v python3 >/dev/null || { skip "hostile names" "no python3 (scripts/setup-deps.sh)"; exit 0; }

bad=$'\xff\xfe'
src=$T/src
mkdir -p "$src/d"
head -c 200000 /dev/urandom >"$src/$bad"
head -c 300000 /dev/urandom >"$src/d/$bad"
echo plain >"$src/plain"

# b64_of PATH: base64 of its bytes, as the control protocol sends them
b64_of() { printf '%s' "$1" | base64 -w0; }

# --- lowerfs: live and stats ------------------------------------------------

mnt=$T/mnt$bad
start_lowerfs a "dir:$src" "$mnt" --cache "$T/cache" || { fail "lowerfs mount"; exit 1; }
sleep 1000 <"$mnt/d/$bad" &
reader=$!
on_exit "kill $reader"
ctl a invalidate >/dev/null
live=$(ctl a live)
want=$(b64_of "/d/$bad")
if jq -e --arg b "$want" '.live[] | select(.path_b64 == $b and .opens == 1 and .type == "file" and .path == "/d/\\xff\\xfe")' \
	<<<"$live" >/dev/null; then
	ok "live lists the held file /d/\\xff\\xfe (path_b64 $want)"
else
	fail "held file /d/\\xff\\xfe not in live" "$live"
fi
n=$(jq '[.live[] | select(.path == "/d")] | length' <<<"$live")
[[ $n -eq 1 ]] && ok "and its directory /d" || fail "/d listed $n times" "$live"
if stats=$(ctl a stats 2>&1) &&
   [[ $(jq -r .mountpoint_b64 <<<"$stats") == "$(b64_of "$mnt")" ]]; then
	ok "stats answers for a mountpoint that is not UTF-8: $(jq -c '{mountpoint, entries}' <<<"$stats")"
else
	fail "stats with a mountpoint that is not UTF-8" "$stats"
fi
kill $reader; wait $reader 2>/dev/null

# --- ovlmig detach repins them ----------------------------------------------

m=$T/m
ovlmig_mount "$m" --source "dir:$src" --upper "$T/u" --work "$T/w" >/dev/null ||
	{ fail "ovlmig mount"; exit 1; }
# held from before migration through detach, by this shell
exec 7<"$m/$bad" 8<"$m/d/$bad"
on_exit "exec 7<&- 8<&-"
"$OVLMIG" migrate "$m" >"$T/migrate.out" 2>&1 || fail "migrate" "$(cat "$T/migrate.out")"
ino_root=$(stat -c %i "$m/$bad")
ino_d=$(stat -c %i "$m/d/$bad")
if out=$("$OVLMIG" detach "$m" 2>&1); then
	ok "detach with files named \\xff\\xfe held open: $out"
else
	fail "detach with files named \\xff\\xfe held open" "$out"
fi
[[ $("$OVLMIG" status --json "$m" | jq -r .phase) == detached ]] && ok "phase detached" ||
	fail "phase after detach: $("$OVLMIG" status --json "$m" | jq -r .phase)"
[[ $(stat -c %i "$m/$bad") != "$ino_root" && $(stat -c %i "$m/d/$bad") != "$ino_d" ]] &&
	ok "both names repinned (new inodes)" ||
	fail "not repinned: inodes $ino_root -> $(stat -c %i "$m/$bad"), $ino_d -> $(stat -c %i "$m/d/$bad")"
cmp -s <(cat <&7) "$src/$bad" && cmp -s <(cat <&8) "$src/d/$bad" &&
	ok "the holders still read the image's bytes" || fail "holders read other bytes after detach"
cmp -s "$m/d/$bad" "$src/d/$bad" && ok "the name opens the same bytes" || fail "d/\\xff\\xfe differs"
