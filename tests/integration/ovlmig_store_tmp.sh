#!/usr/bin/env bash
# Strategy store: STORE/tmp/ is shared by the fill and a running lowerfs
# that feeds the store through it. A fill must not remove the directory
# or what a live lowerfs is writing there, only leftovers of a killed
# fill (numeric names) or of a lowerfs that is gone (feed-PID-NODE with a
# dead PID); and it must not fail when tmp/ exists already.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../store_lib.sh"
require_root "ovlmig store tmp"
fusectl_ready || { fail "mount fusectl"; exit 1; }

src=$T/src
"$TOOLS/gentree" --small --seed 53 "$src" >/dev/null || { fail "gentree"; exit 1; }
ovlmig_mount "$T/m" --strategy store --source "dir:$src" --upper "$T/u" --work "$T/w" \
	>"$T/out" 2>&1 || { fail "mount" "$(cat "$T/out")"; exit 1; }
store=$(dirname "$(ls -d "$T"/store/*/data)")
mkdir -p "$store/tmp"
sleep 600 & live=$!
on_exit "kill $live"
sh -c 'exit 0' & dead=$!; wait "$dead"
echo live >"$store/tmp/feed-$live-0000002a"
echo dead >"$store/tmp/feed-$dead-0000002b"
echo killed-fill >"$store/tmp/17"
echo other >"$store/tmp/not-ours"
"$OVLMIG" migrate "$T/m" >"$T/out" 2>&1 && ok "migrate with tmp/ there and a live lowerfs's file in it" ||
	fail "migrate" "$(cat "$T/out")"
[[ -e $store/tmp/feed-$live-0000002a ]] && ok "a live lowerfs's file in tmp/ kept" ||
	fail "the live lowerfs's file was removed"
[[ ! -e $store/tmp/feed-$dead-0000002b && ! -e $store/tmp/17 ]] &&
	ok "leftovers of a dead lowerfs and of a killed fill removed" ||
	fail "leftovers kept" "$(ls -A "$store/tmp")"
[[ -e $store/tmp/not-ours ]] && ok "a name ovlmig never makes is left alone" ||
	fail "removed a file ovlmig did not make"
"$TOOLS/treesum" --no-atime --exclude-xattr-prefix trusted.overlay. "$src" >"$T/want"
"$TOOLS/treesum" --no-atime --exclude-xattr-prefix trusted.overlay. "$T/m" >"$T/got"
diff -u "$T/want" "$T/got" >"$T/diff" && ok "tree equals the source ($(wc -l <"$T/got") entries)" ||
	fail "tree differs" "$(head -20 "$T/diff")"
