#!/usr/bin/env bash
# check-kernel guest: what ovlmig's nofollow strategy does, by hand, on
# the patched kernel (ovlmig_nofollow.sh runs the strategy itself):
#   probe    a throwaway mount takes xino=nofollow; conflicting options fail;
#   mount    lowerfs (dir: source, cache, passthrough) and over it
#            lowerdir=FUSE,upperdir,workdir,xino=nofollow,redirect_dir=on;
#   pin      a process with its cwd deep in the tree, an open fd, a shared
#            mmap and a running binary from the image;
#   migrate  walk.py: copy up everything depth first (metacopy is off, so
#            utimensat of a running binary is a full copy-up), relink the
#            hardlink groups that copy-up split, read every dir after its
#            subdirs so the kernel makes them opaque, the root included;
#   detach   abort the FUSE connection, lowerfs exits, lazy-unmount it;
#   check    the merged tree equals the source; the operation suite
#            (readdir of the root, creates in the root and in the pinned
#            dir, renames, links, xattrs, exec...) gets 0 errors, again
#            after dropping the dentry and inode caches; the pinned
#            processes ran through it all with 0 errors.
# Output: TAP-like "ok - " / "not ok - " lines (tests/lib.sh).
# The control: FUSE_XINO=on FUSE_OPAQUE_BY_HAND=1 mounts xino=on (no
# nofollow semantics) and has the walk set the opaque xattrs itself; the
# checks after the abort must then fail.
. "$(dirname "$0")/../tests/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
require_root "nofollow over lowerfs"
xino=${FUSE_XINO:-nofollow}
walk_opts=(--upper "$T/u")
[[ ${FUSE_OPAQUE_BY_HAND:-} == 1 ]] && walk_opts+=(--opaque-by-hand)
fusectl_ready || { fail "mount fusectl"; exit 1; }

# probe by hand (ovlmig's probe and strategy: ovlmig_nofollow.sh)
mkdir -p "$T/p"/{l,u2,w2,m2}
if mount -t overlay probe -o "lowerdir=$T/p/l,upperdir=$T/p/u2,workdir=$T/p/w2,xino=nofollow" "$T/p/m2"; then
	grep -q "xino=nofollow" <<<"$(grep " $T/p/m2 " /proc/mounts)" &&
		ok "throwaway mount with xino=nofollow, shown in /proc/mounts" ||
		fail "xino=nofollow not in /proc/mounts"
	umount "$T/p/m2"
else
	fail "throwaway mount with xino=nofollow"
fi
for bad in index=on nfs_export=on; do
	if mount -t overlay probe -o "lowerdir=$T/p/l,upperdir=$T/p/u2,workdir=$T/p/w2,xino=nofollow,$bad" \
		"$T/p/m2" 2>/dev/null; then
		umount "$T/p/m2"
		fail "xino=nofollow,$bad was accepted"
	else
		ok "xino=nofollow,$bad refused"
	fi
done

# the image
src=$T/src
"$TOOLS/gentree" --small --seed 41 "$src" >/dev/null || { fail "gentree"; exit 1; }
mkdir -p "$src/bin" "$src/data"
cp "$TOOLS/holder" "$src/bin/holder"
head -c 3000000 /dev/urandom >"$src/data/mapped"
"$TOOLS/treesum" --no-atime --exclude-xattr-prefix trusted.overlay. "$src" >"$T/expected"

# lowerfs and the overlay
lower=$T/lower m=$T/m
start_lowerfs img "dir:$src" "$lower" --cache "$T/cache" || { fail "lowerfs"; exit 1; }
lowerfs_pid=$(cat "$T/run-img/lowerfs.pid")
conn=$(stat -c %d "$lower")
mkdir -p "$T/u" "$T/w" "$m"
# the merged root shows the upper root's times: give it the image's
touch -r "$lower" "$T/u"
on_exit "umount -l $m"
if mount -t overlay ovlmig -o "lowerdir=$lower,upperdir=$T/u,workdir=$T/w,xino=$xino,redirect_dir=on" "$m"; then
	ok "overlay over lowerfs: $(grep " $m " /proc/mounts | cut -d' ' -f4 | sed 's/lowerdir=[^,]*,upperdir=[^,]*,workdir=[^,]*,\?//')"
else
	fail "mount the overlay"; exit 1
fi

# pinned users, started on the lazy overlay
deep=$HOLDER_DEEP
holders_start "$m"
ls "$m" >/dev/null
# the workload removes an image file: a whiteout in a merge dir, which the
# dir keeps when it becomes opaque
rm "$m/big/f00001" && ok "removed big/f00001 before migration (a whiteout)" || fail "rm big/f00001"

# migrate: everything up, every dir read after its subdirs
if out=$(python3 "$here/walk.py" "${walk_opts[@]}" "$m" 2>&1); then
	ok "$out"
else
	fail "walk" "$out"
fi
root_opaque=$(getfattr --only-values -n trusted.overlay.opaque "$T/u" 2>/dev/null)
[[ $root_opaque == y ]] && ok "the upper root is opaque" || fail "upper root not opaque"

# detach: abort the FUSE connection, lowerfs goes away
stats=$("$LOWERFS" ctl --run-dir "$T/run-img" stats 2>/dev/null | tr -d '\n' | cut -c1-300)
echo 1 >"/sys/fs/fuse/connections/$conn/abort" && ok "FUSE connection $conn aborted (lowerfs stats before: $stats)" ||
	fail "abort FUSE connection $conn"
for _ in $(seq 100); do kill -0 "$lowerfs_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$lowerfs_pid" 2>/dev/null && fail "lowerfs $lowerfs_pid still running" || ok "lowerfs exited"
# lowerfs unmounts itself when its connection is aborted
if mountpoint -q "$lower"; then umount -l "$lower"; fi
mountpoint -q "$lower" && fail "$lower still mounted" || ok "lowerfs mount gone"

# the tree, except what the cwd holder writes there itself and the file
# removed above (and the mtime of its dir)
filter() { grep -v -e "^$deep " -e '\.holder-' -e '^big/f00001 ' -e '^big '; }
"$TOOLS/treesum" --no-atime --exclude-xattr-prefix trusted.overlay. "$m" | filter >"$T/got"
diff -u <(filter <"$T/expected") "$T/got" >"$T/diff" &&
	ok "merged tree after detach equals the source ($(wc -l <"$T/got") entries)" ||
	fail "merged tree differs" "$(head -20 "$T/diff")"

opsuite_rounds "$m"

holders_check "migrate and detach"
"$TOOLS/treesum" --no-atime --exclude-xattr-prefix trusted.overlay. "$m" >"$T/final"
umount "$m" && ok "overlay unmounted" || fail "umount overlay"
[[ -e /sys/fs/fuse/connections/$conn ]] && fail "FUSE connection $conn still there after umount" ||
	ok "FUSE connection $conn gone after umount"

# the upper layer is complete: remounted over another lower, its opaque
# root (honoured by xino=nofollow) and dirs hide what that lower holds, and
# the whiteouts they kept stay hidden
mkdir -p "$T/other/big"
echo x >"$T/other/zz-extra"
echo x >"$T/other/big/zz-extra"
if mount -t overlay ovlmig -o "lowerdir=$T/other,upperdir=$T/u,workdir=$T/w,xino=$xino" "$m"; then
	"$TOOLS/treesum" --no-atime --exclude-xattr-prefix trusted.overlay. "$m" >"$T/got2"
	diff -u "$T/final" "$T/got2" >"$T/diff2" &&
		ok "remounted over another lower: the same tree ($(wc -l <"$T/got2") entries)" ||
		fail "remounted over another lower: tree differs" "$(head -20 "$T/diff2")"
	umount "$m"
else
	fail "remount over another lower"
fi
