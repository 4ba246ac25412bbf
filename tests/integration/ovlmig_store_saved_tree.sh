#!/usr/bin/env bash
# Strategy store, the saved tree (issue 11's second container): the
# first lowerfs of an oci:/docker:// image that indexes its layers saves
# the flattened tree in the store entry (ROOT/ID/tree.saved); a later
# lowerfs of the image loads it and reads no layer index at start (its
# log says so, no layer is opened until a read needs one), and the
# container equals the image entry by entry. A saved tree that is
# corrupt, of another image or truncated is refused with a log line, the
# indexes are read, and the container still equals the image.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
. "$(dirname "$0")/../store_lib.sh"
require_root "ovlmig store saved tree"
require_tools "ovlmig store saved tree" jq zstd
fusectl_ready || { fail "mount fusectl"; exit 1; }

store_oci_image || exit 1
d1=$(oci_manifest_digest "$lay" v1)
entry=$T/store/sha256-${d1#sha256:}
saved=$entry/tree.saved

n=0
mount_n() {
	n=$((n + 1))
	ovlmig_mount "$T/m$n" --strategy store --source "oci:$lay:v1" --cache "$T/cache$n" \
		--upper "$T/u$n" --work "$T/w$n" >"$T/out$n" 2>&1 ||
		{ fail "mount $n" "$(head -5 "$T/out$n")"; return 1; }
	name[$n]=$(status "$T/m$n" name)
	# lowerfs loads its tree in the background: a control command
	# answers once it is there, and its log then says how it was loaded
	[[ $(status "$T/m$n" lowerfs_pid) -gt 0 ]] && lctl "$n" stats >/dev/null
	return 0
}
# lowerfs N's log: what it said before it went to the background is in
# the mount's output, lines "lowerfs[PID]"
log_of() { grep -h 'lowerfs\[' "$T/out$1" "$OVLMIG_RUN_DIR/${name[$1]}/lowerfs/lowerfs.log" 2>/dev/null; }
# layers_read N: lines of lowerfs N's log that say a layer was indexed/opened
layers_read() { log_of "$1" | grep -cE 'layer [0-9]+: |no index for '; }
lctl() { "$LOWERFS" ctl --run-dir "$OVLMIG_RUN_DIR/${name[$1]}/lowerfs" "$2"; }

mount_n || exit 1
# ovlmig opened the image for META: it saved the tree with it (nothing
# read yet: the store has no data, the later container's reads need the
# layers)
[[ -s $saved && $(stat -c '%a %u' "$saved") == "600 0" ]] &&
	ok "tree saved in the store entry ($(stat -c %s "$saved") bytes, root's 0600)" ||
	fail "no saved tree" "$(ls -la "$entry"; log_of 1; log_of 2)"
[[ -z $(find "$entry" -maxdepth 1 -name 'tree.saved.tmp*') ]] && ok "no temp file left" ||
	fail "temp files" "$(ls "$entry")"

# a later lazy container: no index read at start
mount_n || exit 1
k=$n
pid=$(status "$T/m$k" lowerfs_pid)
[[ $pid -gt 0 ]] && log_of "$k" | grep -q 'tree from the saved tree .*no layer index read' &&
	[[ $(layers_read "$k") == 0 ]] &&
	ok "later container: lowerfs $pid loaded the saved tree, no layer index read" ||
	fail "later container's lowerfs" "$(log_of "$k")"
lctl "$k" stats | jq -e '[.remote.layers[].compression] | all(. == "not opened yet")' >/dev/null &&
	ok "stats: no layer opened before a read" || fail "stats" "$(lctl "$k" stats | jq -c .remote.layers)"
same_tree "later container (saved tree) equals the image" "$T/expected" "$T/m$k"
[[ $(layers_read "$k") -gt 0 ]] && ok "reads opened the layers lazily" ||
	fail "no layer opened by reads" "$(log_of "$k")"
same_tree "first container equals the image" "$T/expected" "$T/m1"

# refused saved trees: each read from the indexes, with a log line
corrupt_case() {
	local what=$1
	mount_n || return 1
	log_of "$n" | grep -q 'saved tree refused' && [[ $(layers_read "$n") -gt 0 ]] &&
		ok "$what: refused with a log line, the indexes read" ||
		fail "$what" "$(log_of "$n")"
	same_tree "$what: the container equals the image" "$T/expected" "$T/m$n"
}
good=$T/tree.good
cp "$saved" "$good"
size=$(stat -c %s "$good")
cp "$good" "$saved"
printf '\xff' | dd of="$saved" bs=1 seek=$((size / 2)) conv=notrunc status=none
corrupt_case "a flipped byte"
# the refusing lowerfs saved the tree again
cmp -s "$saved" "$good" && ok "the tree saved again after a refusal" || fail "tree not saved again"
head -c $((size - 7)) "$good" >"$saved"
corrupt_case "a truncated tree"
sed 's/saved tree of index v1, manifest sha256:./saved tree of index v1, manifest sha256:X/' "$good" >"$saved"
corrupt_case "a tree of another image"

for i in $(seq "$n"); do "$OVLMIG" umount "$T/m$i" >/dev/null || fail "umount m$i"; done
