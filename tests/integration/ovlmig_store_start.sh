#!/usr/bin/env bash
# Strategy store, how a mount starts (issue 11's mount time): lowerfs is
# started while ovlmig opens the image, unless the store holds the
# source's image complete already, then none at all. Whatever that guess
# says, the image's id decides:
# - a dir: source changed after its image became complete gets a new
#   store entry, lazy, with a lowerfs (the guess said "complete");
# - a complete image reached through a source string it was never
#   mounted by (a bind mount of the same tree) gets no lowerfs left
#   running and no cache (the guess said "not complete": the one started
#   early is stopped).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../store_lib.sh"
require_root "ovlmig store start"
fusectl_ready || { fail "mount fusectl"; exit 1; }

src=$T/src
"$TOOLS/gentree" --small --seed 47 "$src" >/dev/null || { fail "gentree"; exit 1; }
mkdir -p "$src/data"
head -c 1000000 /dev/urandom >"$src/data/one"
sum() { "$TOOLS/treesum" --no-atime --exclude-xattr-prefix trusted.overlay. "$1"; }
same_tree() {
	sum "$1" >"$T/got"
	diff -u "$2" "$T/got" >"$T/diff" && ok "$3: tree equals the image ($(wc -l <"$T/got") entries)" ||
		fail "$3: tree differs" "$(head -20 "$T/diff")"
}
# no lowerfs of mount $1 running or mounted, none recorded, no cache of it
no_lowerfs() {
	local run=$OVLMIG_RUN_DIR/$(status "$1" name) pid
	pid=$(cat "$run/lowerfs/lowerfs.pid" 2>/dev/null)
	if [[ $(status "$1" lowerfs_pid) == 0 && $(status "$1" phase) == detached &&
	      -z $(compgen -G "$T/.*-${1##*/}.cache") ]] &&
	   ! grep -q " $run/lower " /proc/mounts && { [[ -z $pid ]] || ! pid_running "$pid"; }; then
		ok "$2: no lowerfs running or mounted, no cache"
	else
		fail "$2: lowerfs or its cache" "pid '$pid'; $("$OVLMIG" status --json "$1"); $(ls -A "$run" "$T")"
	fi
}

sum "$src" >"$T/v1"
a=$T/a
ovlmig_mount "$a" --strategy store --source "dir:$src" --upper "$T/ua" --work "$T/wa" >/dev/null ||
	{ fail "mount a"; exit 1; }
img1=$(status "$a" store)
pid=$(status "$a" lowerfs_pid)
[[ $pid -gt 0 ]] && kill -0 "$pid" && grep -q " $(status "$a" lowerfs.mountpoint) fuse" /proc/mounts &&
	ok "first container: lowerfs $pid runs and is mounted" || fail "first container's lowerfs" "$pid"
"$OVLMIG" migrate "$a" >/dev/null && [[ $(jq -r .state "$img1/image.json") == complete ]] &&
	ok "image 1 complete" || fail "migrate a" "$(cat "$img1/image.json")"
"$OVLMIG" umount "$a" >/dev/null || fail "umount a"

# the same tree under a path that never mounted it: the guess misses,
# the id finds the complete image
mkdir -p "$T/alias"
on_exit "umount -l $T/alias"
mount --bind "$src" "$T/alias" || { fail "bind mount"; exit 1; }
b=$T/b
if out=$(ovlmig_mount "$b" --strategy store --source "dir:$T/alias" --upper "$T/ub" --work "$T/wb" 2>&1) &&
   [[ $out == *"complete image store"*"no lowerfs"* && $(status "$b" store) == "$img1" ]]; then
	ok "other path to a complete image: the same store entry, $out"
else
	fail "mount through the other path" "$out"
fi
no_lowerfs "$b" "other path to a complete image"
same_tree "$b" "$T/v1" "other path to a complete image"
"$OVLMIG" umount "$b" >/dev/null || fail "umount b"

# the source changes after its image is complete: one file's content
# and size (the root directory's own times stay as they were)
printf 'changed\n' >"$src/data/one"
sum "$src" >"$T/v2"
c=$T/c
ovlmig_mount "$c" --strategy store --source "dir:$src" --upper "$T/uc" --work "$T/wc" >/dev/null ||
	{ fail "mount c"; exit 1; }
img2=$(status "$c" store)
[[ -n $img2 && $img2 != "$img1" && -f $img2/meta.erofs ]] && ok "changed source: a new store entry ${img2##*/}" ||
	fail "changed source: store entry" "$img2 (was $img1)"
[[ $(jq -r .state "$img2/image.json") == lazy && $(jq -r .state "$img1/image.json") == complete ]] &&
	ok "changed source: the new image lazy, the old one complete" ||
	fail "changed source: states" "$(cat "$img2/image.json" "$img1/image.json")"
pid=$(status "$c" lowerfs_pid)
[[ $pid -gt 0 ]] && kill -0 "$pid" && [[ $(status "$c" phase) == lazy ]] &&
	ok "changed source: lowerfs $pid runs, phase lazy" ||
	fail "changed source: lowerfs" "$("$OVLMIG" status --json "$c")"
[[ $(cat "$c/data/one") == changed ]] && ok "changed source: the container reads the new content" ||
	fail "changed source: content" "$(head -c 40 "$c/data/one" | od -c | head -2)"
same_tree "$c" "$T/v2" "changed source"
"$OVLMIG" umount "$c" >/dev/null || fail "umount c"
