#!/usr/bin/env bash
# Strategy store (issue 11): one local copy of an image shared by its
# containers. A mount builds the image's metadata layer once in the store;
# a second mount of the same image reuses it; the merged tree equals the
# image entry by entry; migrate fills the store's data/ (once per file,
# resumable after kill -9); detach leaves an ordinary overlay over the
# store with 0 errors for processes that hold files; a detached container
# mounts again with no lowerfs.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../store_lib.sh"
require_root "ovlmig store"
fusectl_ready || { fail "mount fusectl"; exit 1; }

src=$T/src
"$TOOLS/gentree" --small --seed 43 "$src" >/dev/null || { fail "gentree"; exit 1; }
mkdir -p "$src/bin" "$src/data"
cp "$TOOLS/holder" "$src/bin/holder"
head -c 3000000 /dev/urandom >"$src/data/mapped"
head -c 20000000 /dev/urandom >"$src/data/big"
"$TOOLS/treesum" --no-atime --exclude-xattr-prefix trusted.overlay. "$src" >"$T/expected"

# the tree, except what the holder in $HOLDER_DEEP writes there itself
filter() { grep -v -e "^$HOLDER_DEEP " -e '\.holder-'; }
same_tree() {
	"$TOOLS/treesum" --no-atime "$1" | filter >"$T/got"
	diff -u <(filter <"$T/expected") "$T/got" >"$T/diff" &&
		ok "$2: tree equals the image ($(wc -l <"$T/got") entries)" ||
		fail "$2: tree differs" "$(head -20 "$T/diff")"
}

a=$T/a b=$T/b
# store is the default: auto picks it on this kernel (data-only layers,
# FUSE passthrough; in a store of its own, so that the images below are
# this test's alone); --store is store's alone
OVLMIG_STORE_DIR=$T/s-auto ovlmig_mount "$T/c" --source "dir:$src" --upper "$T/uc" --work "$T/wc" >/dev/null ||
	fail "mount auto"
[[ $(status "$T/c" strategy) == store && $(status "$T/c" store) == "$T/s-auto/"sha256-* ]] &&
	ok "auto picks store, in \$OVLMIG_STORE_DIR" || fail "auto picked $(status "$T/c" strategy)" "$(status "$T/c" store)"
"$OVLMIG" umount "$T/c" >/dev/null || fail "umount auto"
out=$("$OVLMIG" mount --strategy datadir --store "$T/s2" --source "dir:$src" --upper "$T/uc" --work "$T/wc" "$T/c" 2>&1)
rc=$?
[[ $rc == 2 && $out == *"--store: only strategy store"* && ! -e $T/s2 ]] &&
	ok "--store with datadir: exit 2, nothing made" || fail "--store with datadir: exit $rc" "$out"
# images names the mounts that keep no image in the store, and their strategy
ovlmig_mount "$T/d" --strategy datadir --source "dir:$src" --upper "$T/ud" --work "$T/wd" >/dev/null ||
	fail "mount datadir"
[[ $("$OVLMIG" images --json | jq -r --arg t "$T/d" '.other_mounts[] | select(.target == $t) | .strategy') == datadir ]] &&
	"$OVLMIG" images | grep -qx "  $T/d  strategy datadir" &&
	ok "images: the datadir mount apart, with its strategy" || fail "images with a datadir mount" "$("$OVLMIG" images)"
"$OVLMIG" umount "$T/d" >/dev/null || fail "umount datadir"

ovlmig_mount "$a" --strategy store --source "dir:$src" --upper "$T/ua" --work "$T/wa" >/dev/null ||
	{ fail "mount a"; exit 1; }
img=$(status "$a" store)
[[ $img == "$T/store/sha256-"* && -f $img/meta.erofs && -d $img/data ]] &&
	ok "the image's store directory: ${img#$T/}" || { fail "store directory" "$img"; exit 1; }
[[ $(jq -r .state "$img/image.json") == lazy ]] && ok "image.json: lazy" ||
	fail "image.json" "$(cat "$img/image.json")"
[[ ! -e $T/.a.meta ]] && ok "no metadata layer of its own beside the upper" ||
	fail "a per-container metadata layer was made"
meta_id=$(stat -c '%i %Y' "$img/meta.erofs")
# META is that image, mounted: a file's inode number in the overlay is
# its nid in the image; and there is no tree
if command -v dump.erofs >/dev/null; then
	nid=$(dump.erofs --path=/data/big "$img/meta.erofs" | sed -n 's/^NID: *\([0-9]*\).*/\1/p')
	[[ -n $nid && $(stat -c %i "$a/data/big") == "$nid" && ! -e $img/meta ]] &&
		ok "META is the store's EROFS image (data/big: inode = nid $nid)" ||
		fail "META is not the EROFS image" "nid '$nid', inode $(stat -c %i "$a/data/big"); $(ls "$img")"
else
	fail "dump.erofs missing (erofs-utils: scripts/setup-deps.sh)"
fi
same_tree "$a" "store, lazy"

# a second container of the same image: same directory, META not rebuilt
ovlmig_mount "$b" --strategy store --source "dir:$src" --upper "$T/ub" --work "$T/wb" >/dev/null ||
	fail "mount b"
[[ $(status "$b" store) == "$img" ]] && ok "second mount: the same store directory" ||
	fail "second mount's store" "$(status "$b" store)"
[[ $(stat -c '%i %Y' "$img/meta.erofs") == "$meta_id" ]] && ok "second mount: META not rebuilt" ||
	fail "META was rebuilt"
same_tree "$b" "second container, lazy"

images() { "$OVLMIG" images --json | jq -c "$1"; }
[[ $(images '[.images[] | {id, state, users: (.users | length)}]') == \
   "[{\"id\":\"${img##*/}\",\"state\":\"lazy\",\"users\":2}]" ]] &&
	ok "images: one image, lazy, 2 users" || fail "images" "$("$OVLMIG" images --json)"
"$OVLMIG" images | grep -q "lazy .* 2  dir:$src" && ok "images: the table" ||
	fail "images table" "$("$OVLMIG" images)"
if out=$("$OVLMIG" gc 2>&1) && [[ $out == "kept ${img##*/} (in use)" && -f $img/meta.erofs ]]; then
	ok "gc keeps an image in use: $out"
else
	fail "gc of an image in use" "$out"
fi

holders_start "$a"
# a's lazy reads put every file into the store already (lowerfs feeds
# it): empty data/ and the lowerfs caches (the same files, linked), so
# that the fill has everything to fetch again
find "$img/data" -mindepth 1 -delete
find "$T" -maxdepth 1 -xdev -name '.*.cache' -exec find {} -maxdepth 1 -type f ! -name IMAGE -delete \;
# kill -9 a fill midway; a second one completes the store. Capped at
# 5 MB/s the 23 MB fill takes seconds: the kill lands before its end
# (uncapped, the small files after the big ones took milliseconds).
"$OVLMIG" migrate --bandwidth 5M "$a" >"$T/mig1.out" 2>&1 &
mig=$!
for _ in $(seq 200); do
	n=$(find "$img/data" -type f -printf x | wc -c)
	((n > 0)) && break
	sleep 0.01
done
kill -KILL $mig; wait $mig 2>/dev/null
[[ $(jq -r .state "$img/image.json") == lazy ]] && ok "killed fill: image still lazy ($n files in)" ||
	fail "killed fill: image.json says $(jq -r .state "$img/image.json")"
# what a crash before the fill's syncfs can leave: a file named in data/
# with its bytes lost (short); the next fill must replace it, not keep it
mkdir -p "$img/data/data" && rm -f "$img/data/data/big" &&
	head -c 1000 "$src/data/big" >"$img/data/data/big" || fail "plant a short data/data/big"
if out=$("$OVLMIG" migrate "$a" 2>&1); then ok "migrate again: $out"; else fail "migrate again" "$out"; fi
[[ $(jq -r .state "$img/image.json") == complete && $(status "$a" phase) == migrated ]] &&
	ok "store complete, phase migrated" || fail "after migrate" "$(cat "$img/image.json")"
[[ -z $(ls -A "$img/tmp") ]] && ok "no temporary file left" || fail "temporary files left" "$(ls "$img/tmp")"
# every regular file of the image once in data/, equal to the image's
# (counted with -printf: image names may hold a newline)
nsrc=$(find "$src" -type f -links 1 -printf x | wc -c)
nlinked=$(find "$src" -type f -links +1 -printf '%i\n' | sort -u | wc -l)
ndata=$(find "$img/data" -type f -printf x | wc -c)
((ndata == nsrc + nlinked)) && [[ $out == *"complete: $ndata files"* ]] && ok "data/ holds each regular file once ($ndata, as migrate counted: ${out#*complete: })" ||
	fail "data/ has $ndata files, the image $((nsrc + nlinked))"
cmp -s "$src/data/big" "$img/data/data/big" && ok "data/ content equals the image's (a short file replaced)" ||
	fail "data/data/big differs"
du_up=$(du -sk "$T/ua" | cut -f1)
((du_up < 1000)) && ok "no copy-up: the upper holds ${du_up} KiB" || fail "upper holds $du_up KiB"
same_tree "$a" "after fill"

# a container of a complete image: META and the store only, no lowerfs
c=$T/full
if out=$(ovlmig_mount "$c" --strategy store --source "dir:$src" --upper "$T/uc2" --work "$T/wc2" 2>&1) &&
   [[ $out == *"complete image store"*"no lowerfs"* ]]; then
	ok "complete image: $out"
else
	fail "mount of a complete image" "$out"
fi
[[ $(status "$c" lowerfs_pid) == 0 && $(status "$c" lower_attached) == false &&
   $(status "$c" phase) == detached && $(status "$c" store) == "$img" ]] &&
	ok "complete image: status says no lowerfs, phase detached" ||
	fail "complete image status" "$("$OVLMIG" status --json "$c")"
[[ ! -e $OVLMIG_RUN_DIR/$(status "$c" name)/lowerfs/lowerfs.pid && -z $(compgen -G "$T/.*-full.cache") ]] &&
	! grep -q " $OVLMIG_RUN_DIR/$(status "$c" name)/lower " /proc/mounts &&
	ok "complete image: no lowerfs started, no cache made" ||
	fail "complete image: lowerfs or its cache" "$(ls -A "$OVLMIG_RUN_DIR/$(status "$c" name)" "$T")"
same_tree "$c" "complete image"
"$OVLMIG" migrate "$c" >/dev/null && "$OVLMIG" detach "$c" >/dev/null &&
	[[ $(status "$c" phase) == detached ]] && ok "complete image: migrate and detach succeed, nothing to do" ||
	fail "complete image: migrate or detach"
same_tree "$c" "complete image after detach"
"$OVLMIG" umount "$c" >/dev/null && ok "complete image: umount" || fail "complete image: umount"
rm -rf "$T/uc2" "$T/wc2"	# that container is gone: it needs the image no more

lowerfs_a=$(status "$a" lowerfs_pid)
if out=$("$OVLMIG" detach "$a" 2>&1); then ok "detach: $out"; else fail "detach" "$out"; fi
[[ $(status "$a" phase) == detached ]] && ok "status: detached" || fail "phase $(status "$a" phase)"
pid_running "$lowerfs_a" && fail "lowerfs $lowerfs_a still running" || ok "lowerfs process gone"
grep -q "^[^ ]* $OVLMIG_RUN_DIR/$(status "$a" name)/lower " /proc/mounts &&
	fail "lowerfs still mounted" || ok "lowerfs mount gone"
same_tree "$a" "after detach"
opsuite_rounds "$a"
holders_check "fill and detach"

# b's files resolve to the store (a's lazy reads put them there before
# b read them; what b's lowerfs opened lazily, once a's detach evicted
# the overlay inodes): its lowerfs opens nothing any more
run_b=$OVLMIG_RUN_DIR/$(status "$b" name)/lowerfs
opens() { "$LOWERFS" ctl --run-dir "$run_b" stats | jq -r '.passthrough_opens + .fallback_opens'; }
before=$(opens)
"$TOOLS/treesum" --no-atime "$b" | filter >"$T/got"
after=$(opens)
[[ -n $before && $before == "$after" ]] &&
	ok "second container reads every file from the store: lowerfs opened nothing more ($after opens before)" ||
	fail "lowerfs of b opened files: $before -> $after"
diff -q <(filter <"$T/expected") "$T/got" >/dev/null && ok "second container, from the store: tree equals the image" ||
	fail "second container from the store: tree differs"

# umount and mount again of the detached container: no lowerfs, the
# same tree (as the operation suite left it)
"$TOOLS/treesum" --no-atime "$a" >"$T/before"
"$OVLMIG" umount "$a" >/dev/null && ok "umount a" || fail "umount a"
if out=$(ovlmig_mount "$a" --upper "$T/ua" --work "$T/wa" 2>&1); then ok "mount detached a again: $out"
else fail "mount detached a again" "$out"; fi
[[ $(status "$a" lowerfs_pid) == 0 && $(status "$a" strategy) == store ]] &&
	ok "no lowerfs, strategy store" || fail "remount state" "$("$OVLMIG" status --json "$a")"
"$TOOLS/treesum" --no-atime "$a" >"$T/after"
diff -u "$T/before" "$T/after" >"$T/diff" && ok "detached, mounted again: the same tree ($(wc -l <"$T/after") entries)" ||
	fail "tree changed across umount and mount" "$(head -20 "$T/diff")"
[[ $(images '[.images[] | {state, users: (.users | length)}]') == '[{"state":"complete","users":2}]' ]] &&
	ok "images: complete, 2 users (one detached)" || fail "images" "$("$OVLMIG" images --json)"
"$OVLMIG" umount "$a" >/dev/null && ok "umount a" || fail "umount a"
[[ $(images '.images[0].users') == "[\"$b\"]" ]] && ok "images: 1 user after one umount" ||
	fail "images after umount a" "$("$OVLMIG" images --json)"
"$OVLMIG" gc >/dev/null && [[ -f $img/meta.erofs ]] && ok "gc keeps it while b uses it" || fail "gc removed an image in use"
"$OVLMIG" umount "$b" >/dev/null && ok "umount b" || fail "umount b"
[[ -f $img/meta.erofs && -d $img/data ]] && ok "the store outlives its mounts" || fail "store gone"
# unmounted, the containers still need their image: their uppers hold
# only what they changed (a, detached, mounts again with no lowerfs)
[[ $(images '[.images[0].users, (.images[0].containers | sort)]' ) == "[[],$(jq -cn --arg a "$T/ua" --arg b "$T/ub" '[$a, $b] | sort')]" ]] &&
	ok "images: no mount, 2 containers" || fail "images after umount b" "$("$OVLMIG" images --json)"
if out=$("$OVLMIG" gc 2>&1) && [[ $out == "kept ${img##*/} (needed by the container upper $T/u"*" and others)" && -f $img/meta.erofs ]]; then
	ok "gc keeps an image that unmounted containers are built on: $out"
else
	fail "gc of an image containers need" "$out"
fi
if out=$(ovlmig_mount "$a" --upper "$T/ua" --work "$T/wa" 2>&1) && "$TOOLS/treesum" --no-atime "$a" >"$T/after2" &&
   diff -q "$T/before" "$T/after2" >/dev/null; then
	ok "after gc, detached a mounts again, the same tree"
else
	fail "mount detached a after gc" "$out"
fi
"$OVLMIG" umount "$a" >/dev/null || fail "umount a"
# deleting a container's upper releases the image for it
rm -rf "$T/ua" "$T/wa" "$T/ub" "$T/wb"
# a mount still preparing holds the image's use lock: gc leaves it alone
# (one process holds it: the subshell takes the lock, then becomes sleep)
(exec 9<"$img/use.lock" && flock -s 9 && exec sleep 60) &
locker=$!
on_exit "kill -KILL $locker"
for _ in $(seq 100); do flock -n -x "$img/use.lock" true || break; sleep 0.05; done
if out=$("$OVLMIG" gc 2>&1) && [[ $out == "kept ${img##*/} (being mounted or filled)" && -f $img/meta.erofs ]]; then
	ok "gc skips an image whose use lock is held: $out"
else
	fail "gc of a locked image" "$out"
fi
kill -KILL $locker; wait $locker 2>/dev/null
# a gc killed between its rename and the removal left trash: removed next time
mkdir -p "$T/store/.gc-sha256-0000"
if out=$("$OVLMIG" gc 2>&1) && [[ $out == "removed ${img##*/} (unused)" ]]; then ok "gc: $out"
else fail "gc of an unused image" "$out"; fi
[[ -z $(ls -A "$T/store") ]] && ok "the store is empty, the trash gone too" || fail "store left" "$(ls -A "$T/store")"
[[ $(images '.images') == "[]" ]] && ok "images: none" || fail "images after gc" "$("$OVLMIG" images --json)"

# two mounts of an image not in the store, at once: one builds META under
# the build lock, the other waits and uses it (a second build could not
# rename its tree over the first: that mount would fail)
mkdir -p "$T/p" "$T/q"
on_exit "ovlmig_cleanup $T/p"
on_exit "ovlmig_cleanup $T/q"
"$OVLMIG" mount --strategy store --source "dir:$src" --upper "$T/up" --work "$T/wp" "$T/p" >"$T/p.out" 2>&1 &
p1=$!
"$OVLMIG" mount --strategy store --source "dir:$src" --upper "$T/uq" --work "$T/wq" "$T/q" >"$T/q.out" 2>&1 &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
if [[ $r1 == 0 && $r2 == 0 && $(status "$T/p" store) == "$img" && $(status "$T/q" store) == "$img" &&
      -f $img/meta.erofs && -z $(compgen -G "$img/meta.erofs.tmp.*") ]]; then
	ok "two mounts at once: both on one store directory, META built once"
else
	fail "two mounts at once: exit $r1 and $r2" "$(cat "$T/p.out" "$T/q.out")"
fi
same_tree "$T/q" "mounted at once"
"$OVLMIG" umount "$T/p" >/dev/null && "$OVLMIG" umount "$T/q" >/dev/null && ok "umount both" || fail "umount both"
