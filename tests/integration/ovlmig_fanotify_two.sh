#!/usr/bin/env bash
# Two containers of one image, both filled by fanotify (issue 16): each
# mount has its filler, both mark the image's shared placeholders; the
# first filler to get an open fills a file, the other finds it whole (or
# allows the first one's own opens of it). Both containers read the same
# files at once and different ones: the image's bytes. umount of one
# while the other reads on; detach of one (migrate first) while the other
# stays lazy; the lazy one reads the image's bytes throughout and its
# tree equals the image. The store on a loop ext4 of the test's own.
. "$(dirname "$0")/../lib.sh"
require_root "ovlmig fanotify, two mounts"

src=$T/src
"$TOOLS/gentree" --small --seed 59 "$src" >/dev/null || { fail "gentree"; exit 1; }
mkdir -p "$src/data"
for f in same1 same2 same3 only1 only2 late1 late2 late3; do
	head -c $((200000 + RANDOM * 20)) /dev/urandom >"$src/data/$f"
done
head -c 30000000 /dev/urandom >"$src/data/big"
"$TOOLS/treesum" --no-atime --exclude-xattr-prefix trusted.overlay. "$src" >"$T/expected"

truncate -s 512M "$T/sfs.img" && mkfs.ext4 -q -F "$T/sfs.img" && mkdir "$T/sfs" &&
	mount -o loop "$T/sfs.img" "$T/sfs" || { fail "loop ext4 for the store"; exit 1; }
on_exit "umount -l $T/sfs"
# fillers an umount that failed left, by their PIDs (after the umounts)
on_exit 'for p in $(cat "$OVLMIG_RUN_DIR"/*/filler.pid 2>/dev/null); do kill -9 "$p"; done'
store=$T/sfs/images

js() { "$OVLMIG" status --json "$1" | jq -r ".$2"; }
filler_of() { cat "$OVLMIG_RUN_DIR/$1/filler.pid" 2>/dev/null; }
gone() { ! kill -0 "$1" 2>/dev/null || [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) == Z ]]; }
mnt() {	# mnt N: container N on $T/mN, state name cN
	ovlmig_mount "$T/m$1" --name "c$1" --strategy store --fill fanotify --store "$store" \
		--source "dir:$src" --upper "$T/u$1" --work "$T/w$1" >"$T/out" 2>&1 ||
		{ fail "mount container $1" "$(cat "$T/out")"; exit 1; }
}
# rd M FILE: FILE of container M compared with the image's, in the
# background (a deadlock fails after 120 s instead of hanging the test)
rd() { timeout 120 cmp "$src/$2" "$T/m$1/$2" >"$T/cmp.$1.${2//\//_}" 2>&1 & }
# wait_all WHAT: every background reader ended well
wait_all() {
	local pid bad=0
	for pid in $(jobs -p); do wait "$pid" || bad=1; done
	((bad == 0)) && ok "$1: the image's bytes" || fail "$1" "$(cat "$T"/cmp.* 2>/dev/null | head -5)"
	rm -f "$T"/cmp.*
}

mnt 1
mnt 2
p1=$(filler_of c1) p2=$(filler_of c2)
img=$(js "$T/m1" store)
[[ -n $p1 && -n $p2 && $p1 != "$p2" && $img == "$(js "$T/m2" store)" ]] && kill -0 "$p1" "$p2" &&
	ok "two containers of one image, one store entry, two fillers ($p1, $p2)" ||
	fail "two fillers" "$p1 $p2 $img $(cat "$OVLMIG_RUN_DIR"/*/filler.log)"
# the second filler's lay opens every placeholder: the first filler lets
# it (a peer), it does not fill the image for it
filled=$(find "$img/holes" -type f -size +0 | wc -l)
[[ $filled == 0 && $(find "$img/data" -type f -size +0 | wc -l) == 0 ]] &&
	ok "mounting the second container filled nothing (every placeholder empty)" ||
	fail "the second mount filled $filled placeholders" "$(find "$img/holes" -type f -size +0 | head -3)"

# the same files from both at once, several readers each
for f in data/same1 data/same2 data/same3 data/big; do rd 1 "$f"; rd 2 "$f"; rd 1 "$f"; rd 2 "$f"; done
wait_all "the same files read from both containers at once"
rd 1 data/only1
rd 2 data/only2
wait_all "different files, one in each container"
[[ $(stat -c %s "$img/holes/data/same1") == $(stat -c %s "$src/data/same1") &&
   $(stat -c %i "$img/holes/data/same1") == $(stat -c %i "$img/data/data/same1") ]] &&
	ok "a file both read: filled once in place, linked into data/" ||
	fail "data/same1 in the store" "$(ls -li "$img/holes/data" "$img/data/data" 2>&1 | head)"
grep -q "ovlmig fanfill.*error\|fill holes" "$OVLMIG_RUN_DIR"/c*/filler.log &&
	fail "a filler logged a failure" "$(cat "$OVLMIG_RUN_DIR"/c*/filler.log)"

# umount of container 1 while container 2 reads a large file and then others
rd 2 data/big
rd 2 data/late1
"$OVLMIG" umount "$T/m1" >"$T/out" 2>&1 && ! mountpoint -q "$T/m1" && gone "$p1" &&
	ok "umount of container 1 (its filler $p1 gone)" || fail "umount container 1" "$(cat "$T/out")"
rd 2 data/late2
wait_all "container 2 reads on through the umount of container 1"
kill -0 "$p2" && [[ $(js "$T/m2" lower_attached) == true && $(js "$T/m2" error) == null ]] &&
	ok "container 2's filler serves on" || fail "container 2 after the umount" "$("$OVLMIG" status --json "$T/m2")"

# container 3 of the image: migrated and detached while container 2 is lazy
mnt 3
p3=$(filler_of c3)
rd 3 data/late3
wait_all "container 3 mounted beside container 2"
out=$("$OVLMIG" migrate "$T/m3" 2>&1) && out+=" $("$OVLMIG" detach "$T/m3" 2>&1)" &&
	[[ $(js "$T/m3" phase) == detached ]] && gone "$p3" &&
	ok "container 3 migrated and detached (its filler gone): $out" ||
	fail "migrate and detach container 3" "$out"
[[ $(js "$T/m2" phase) == lazy ]] && kill -0 "$p2" &&
	ok "container 2 still lazy, its filler running" || fail "container 2 after the detach" "$(js "$T/m2" phase)"
rd 2 data/late3
rd 3 data/only1
wait_all "both read after the detach of container 3"
"$TOOLS/treesum" --no-atime "$T/m2" >"$T/got2" && diff -u "$T/expected" "$T/got2" >"$T/diff" &&
	ok "container 2's tree equals the image ($(wc -l <"$T/got2") entries)" ||
	fail "container 2's tree differs" "$(head -20 "$T/diff")"
"$TOOLS/treesum" --no-atime "$T/m3" >"$T/got3" && diff -u "$T/expected" "$T/got3" >"$T/diff" &&
	ok "container 3's tree equals the image" || fail "container 3's tree differs" "$(head -20 "$T/diff")"

"$OVLMIG" umount "$T/m2" >/dev/null && "$OVLMIG" umount "$T/m3" >/dev/null && gone "$p2" &&
	! mountpoint -q "$T/m2" && ! mountpoint -q "$T/m3" && [[ -z $(ls "$OVLMIG_RUN_DIR" 2>/dev/null) ]] &&
	ok "umount of both: overlays, fillers and states gone" || fail "umount" "$(ls "$OVLMIG_RUN_DIR")"
