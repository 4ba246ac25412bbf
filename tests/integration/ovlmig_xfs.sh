#!/usr/bin/env bash
# --lower-mount with an XFS image on a loop device: migrate, then detach
# with --shutdown-lower (XFS_IOC_GOINGDOWN) while processes use the
# overlay; afterwards the tree equals the image and nothing reaches XFS.
. "$(dirname "$0")/../lib.sh"
require_root "ovlmig with an XFS lower"
command -v mkfs.xfs >/dev/null || { fail "mkfs.xfs missing (xfsprogs)"; exit 1; }

img=$T/lower.xfs
truncate -s 300M "$img"
mkfs.xfs -q "$img" || { fail "mkfs.xfs"; exit 1; }
loop=$(losetup --find --show "$img") || { fail "losetup"; exit 1; }
on_exit "losetup -d $loop"
mkdir -p "$T/xfs"
mount "$loop" "$T/xfs" || { fail "mount xfs"; exit 1; }
on_exit "umount -l $T/xfs"
"$TOOLS/gentree" --small --seed 31 "$T/xfs/img" >/dev/null || { fail "gentree"; exit 1; }
"$TOOLS/treesum" --no-atime --exclude-xattr-prefix trusted.overlay. "$T/xfs/img" >"$T/expected"
# the image is the whole filesystem: bind its directory read-only as the lower
mkdir -p "$T/lower"
mount --bind "$T/xfs/img" "$T/lower" && mount -o remount,bind,ro "$T/lower" ||
	{ fail "bind lower"; exit 1; }
on_exit "umount -l $T/lower"

expect_fail() {
	local name=$1 want=$2 out rc; shift 2
	out=$("$@" 2>&1); rc=$?
	[[ $rc -ne 0 && $out == *"$want"* ]] && ok "$name: '$out'" || fail "$name" "exit $rc: $out"
}
mkdir -p "$T/m0"
expect_fail "--shutdown-lower refuses a non-XFS lower" "needs --lower-mount on XFS" \
	"$OVLMIG" mount --source "dir:$T/xfs/img" --shutdown-lower --upper "$T/u0" --work "$T/w0" "$T/m0"

ovlmig_mount "$T/m" --lower-mount "$T/lower" --shutdown-lower --upper "$T/u" --work "$T/w" >/dev/null ||
	{ fail "mount over the XFS lower"; exit 1; }
"$TOOLS/treesum" --no-atime "$T/m" >"$T/got0"
diff -q "$T/expected" "$T/got0" >/dev/null && ok "overlay over XFS equals the image" ||
	fail "overlay over XFS differs" "$(diff "$T/expected" "$T/got0" | head)"

# a process with its cwd in the tree and one reading a file it opened
deep=deep/d01/d02/d03/d04
(cd "$T/m/$deep" && exec sleep 1000) &
p1=$!
exec 7<"$T/m/files/size-4097"
on_exit "kill $p1"
"$OVLMIG" migrate "$T/m" >/dev/null && ok "migrate" || fail "migrate"
if out=$("$OVLMIG" detach "$T/m" 2>&1); then ok "detach: $out"; else fail "detach" "$out"; fi
grep -q " $T/lower " /proc/mounts && fail "lower still mounted" || ok "lower unmounted"
# the whole XFS filesystem is shut down: even its own mount fails now
ls "$T/xfs/img" >/dev/null 2>&1 && fail "XFS still readable after shutdown" ||
	ok "XFS is shut down (reads fail with $(ls "$T/xfs/img" 2>&1 | sed 's/.*: //'))"
cmp -s <(cat <&7) "$T/m/files/size-4097" && ok "fd opened before migration reads the same data" ||
	fail "fd read after shutdown"
exec 7<&-
[[ $(readlink /proc/$p1/cwd) == "$T/m/$deep" ]] && ls "/proc/$p1/cwd/" >/dev/null &&
	ok "cwd process still works in its directory" || fail "cwd process"
"$TOOLS/treesum" --no-atime "$T/m" >"$T/got"
diff -u "$T/expected" "$T/got" >"$T/diff" && ok "tree after detach equals the image" ||
	fail "tree after detach differs" "$(head -20 "$T/diff")"
[[ $("$OVLMIG" status --json "$T/m" | jq -r '.phase + " " + (.lower_attached|tostring)') == "detached false" ]] &&
	ok "status: detached, lower not attached" || fail "status after detach"
