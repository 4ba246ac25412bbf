#!/usr/bin/env bash
# Must show 1: the mounted tree equals the source entry by entry.
. "$(dirname "$0")/../lib.sh"
require_root "lowerfs fidelity"

src=$T/src mnt=$T/mnt
"$TOOLS/gentree" --seed 7 "$src" >/dev/null || { fail "gentree"; exit 1; }
# the expectation comes from the source itself, without trusted.overlay.*
"$TOOLS/treesum" --no-atime --exclude-xattr-prefix trusted.overlay. "$src" \
	>"$T/expected" || { fail "treesum source"; exit 1; }
grep -q 'trusted.overlay.opaque' <("$TOOLS/treesum" --no-atime "$src") &&
	ok "source carries trusted.overlay.* xattrs (the ones to filter)" ||
	fail "source carries trusted.overlay.* xattrs"

for mode in cache direct; do
	opts=()
	[[ $mode == cache ]] && opts=(--cache "$T/cache")
	m=$mnt-$mode
	if ! start_lowerfs "$mode" "dir:$src" "$m" "${opts[@]}"; then
		fail "$mode: mount"
		continue
	fi
	"$TOOLS/treesum" --no-atime "$m" >"$T/got-$mode" 2>"$T/err-$mode"
	if diff -u "$T/expected" "$T/got-$mode" >"$T/diff-$mode"; then
		ok "$mode: mounted tree equals the source ($(wc -l <"$T/expected") entries)"
	else
		fail "$mode: mounted tree differs" "$(head -20 "$T/diff-$mode")"
	fi
	if getfattr -h -d -m 'trusted.overlay' "$m/has-trusted-overlay" 2>/dev/null |
		grep -q trusted.overlay; then
		fail "$mode: trusted.overlay.* leaked through lowerfs"
	else
		ok "$mode: trusted.overlay.* never leaks"
	fi
	# every file type is there, not just equal by accident of omission
	missing=""
	for t in reg dir lnk chr blk fifo sock; do
		grep -q " type=$t " "$T/got-$mode" || missing+=" $t"
	done
	if [[ -z $missing ]]; then
		ok "$mode: every file type present"
	else
		fail "$mode: no entry of type$missing"
	fi
done
