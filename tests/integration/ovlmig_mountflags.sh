#!/usr/bin/env bash
# Another user on the host gets nothing from an image root mounted:
# - lowerfs' mount (allow_other) is nosuid,nodev: as nobody, a setuid-root
#   binary of the image runs without root, and a 0666 device node of the
#   image cannot be opened; the metadata layer, where that device node is
#   real, is root's alone;
# - the container's overlay keeps the image's meaning (setuid bit and
#   device shown, a setuid binary gains its owner), as any container would;
# - cache, metadata and run directories that someone else owns, could
#   write or could swap are refused (exit 2) with a message saying why;
# - a cached file that was altered or planted (right name, right size)
#   is not served: the true data is fetched again.
. "$(dirname "$0")/../lib.sh"
require_root "ovlmig mount flags"
command -v setpriv >/dev/null || { skip "ovlmig mount flags" "no setpriv"; exit 0; }

# as nobody, with no group of root's
nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
stop_lowerfs() { kill_lowerfs "$T/run-$1"; umount -l "$2" 2>/dev/null; return 0; }
chmod 0755 "$T"		# others may walk to what is meant to be public
P=$T/pub
mkdir -p "$P" "$T/img/bin" "$T/img/dev" "$T/img/etc"
cp /usr/bin/id "$T/img/bin/suid-id"
chmod 4755 "$T/img/bin/suid-id"
mknod -m 0666 "$T/img/dev/null2" c 1 3
echo "the image's own data" >"$T/img/etc/data"
# an independent check that nobody is not root here
[[ $(nobody /usr/bin/id -u) == 65534 ]] || { fail "setpriv does not make nobody"; exit 1; }

# --- lowerfs on a public mountpoint -------------------------------------------
mnt=$P/mnt
if start_lowerfs pub "dir:$T/img" "$mnt" >"$T/pub.out" 2>&1; then
	euid=$(nobody "$mnt/bin/suid-id" -u 2>&1)
	[[ $euid == 65534 ]] && ok "lowerfs mount: the image's setuid-root binary runs as nobody" ||
		fail "lowerfs mount: nobody ran the image's setuid binary as uid $euid"
	nobody sh -c "exec 3<'$mnt/dev/null2'" 2>/dev/null &&
		fail "lowerfs mount: nobody opened the image's 0666 device node" ||
		ok "lowerfs mount: nobody cannot open the image's device node"
	findmnt -n -o OPTIONS "$mnt" | grep -qE '(^|,)nosuid(,|$)' && findmnt -n -o OPTIONS "$mnt" | grep -qE '(^|,)nodev(,|$)' &&
		ok "lowerfs mount is nosuid,nodev" || fail "lowerfs mount options" "$(findmnt -n -o OPTIONS "$mnt")"
	stop_lowerfs pub "$mnt"
else
	fail "lowerfs on $mnt" "$(head -3 "$T/pub.out")"
fi

# --- ovlmig: the container's view and the layers behind it ---------------------
C=$P/c
mkdir -p "$C"
# datadir: its metadata layer is beside the upper (the store's: ovlmig_store)
if ovlmig_mount "$C/root" --strategy datadir --name flags --source "dir:$T/img" --upper "$C/upper" \
	--work "$C/work" >"$T/m.out" 2>&1; then
	meta=$C/.flags.meta lower=$OVLMIG_RUN_DIR/flags/lower
	[[ -c $meta/dev/null2 ]] || fail "the metadata layer has no device node: test set-up"
	nobody sh -c "exec 3<'$meta/dev/null2'" 2>/dev/null &&
		fail "metadata layer: nobody opened the image's device node there" ||
		ok "metadata layer: nobody cannot open the image's device node"
	[[ $(stat -c '%U %a' "$meta") == "root 700" ]] && ok "metadata layer is root's, mode 700" ||
		fail "metadata layer is $(stat -c '%U %a' "$meta")"
	findmnt -n -o OPTIONS "$lower" | grep -qE '(^|,)nosuid,nodev(,|$)' &&
		ok "ovlmig's lowerfs mount is nosuid,nodev" || fail "lowerfs mount options" "$(findmnt -n -o OPTIONS "$lower")"
	# the container's view: unchanged, as any container's
	[[ $(stat -c '%a %U' "$C/root/bin/suid-id") == "4755 root" ]] &&
		ok "overlay: the setuid bit is shown" || fail "overlay: $(stat -c '%a %U' "$C/root/bin/suid-id")"
	[[ $(stat -c '%F %t:%T' "$C/root/dev/null2") == "character special file 1:3" ]] &&
		ok "overlay: the device node is shown" || fail "overlay: $(stat -c '%F %t:%T' "$C/root/dev/null2")"
	euid=$(nobody "$C/root/bin/suid-id" -u 2>&1)
	[[ $euid == 0 ]] && ok "overlay: the image's setuid binary still gains root, as in any container" ||
		fail "overlay: setuid binary ran as $euid: the container's semantics changed"
	nobody sh -c "exec 3<'$C/root/dev/null2'" &&
		ok "overlay: the image's 0666 device node opens, as in any container" ||
		fail "overlay: the image's device node does not open"
else
	fail "ovlmig mount" "$(head -3 "$T/m.out")"
fi

# --- directories someone else could change --------------------------------------
S=$T/sticky
mkdir -p "$S" "$T/img2/etc"
chmod 1777 "$S"
echo "not cached yet" >"$T/img2/etc/data"
# refused NAME WANT CMD...: exit 2 and a message containing WANT (not in
# a subshell: a mount made by mistake must be undone at exit)
refused() {
	local name=$1 want=$2 rc; shift 2
	"$@" >"$T/refused.out" 2>&1; rc=$?
	if [[ $rc -eq 2 && $(cat "$T/refused.out") == *"$want"* ]]; then
		ok "$name: refused ($(tail -1 "$T/refused.out"))"
	else
		fail "$name: exit $rc" "$(cat "$T/refused.out")"
	fi
}
# lowerfs_at N ARGS...: lowerfs on $T/mN, taken down at exit whatever happens
lowerfs_at() {
	local n=$1; shift
	mkdir -p "$T/m$n"
	on_exit "kill_lowerfs $T/run-c$n; kill_lowerfs $S/run; umount -l $T/m$n"
	"$LOWERFS" "$@" "dir:$T/img2" "$T/m$n"
}
nobody mkdir "$S/cache" "$S/meta" "$S/run"
nobody chmod 0777 "$S/cache"
echo "planted by nobody" | nobody tee "$S/cache/00000003" >/dev/null
refused "lowerfs: nobody's world-writable cache under sticky $S" "cache directory $S/cache: owned by uid 65534, not root" \
	lowerfs_at 1 --run-dir "$T/run-c1" --cache "$S/cache"
mkdir -p "$T/c2"
chmod 0777 "$T/c2"
refused "lowerfs: root's cache, writable by others" "cache directory $T/c2: writable by group or others (mode 0777)" \
	lowerfs_at 2 --run-dir "$T/run-c2" --cache "$T/c2"
mkdir -p "$T/theirs"
chown nobody "$T/theirs"
refused "lowerfs: root's cache in a directory nobody owns" "$T/theirs above it is owned by uid 65534" \
	lowerfs_at 3 --run-dir "$T/run-c3" --cache "$T/theirs/cache"
[[ ! -e $T/theirs/cache ]] && ok "nothing was created there" || fail "$T/theirs/cache was created"
mkdir -m 0700 "$T/private"
nobody ln -s "$T/private" "$S/link"
refused "lowerfs: a cache reached through nobody's symlink" "symlink $S/link on its path is owned by uid 65534" \
	lowerfs_at 4 --run-dir "$T/run-c4" --cache "$S/link"
refused "lowerfs: nobody's run directory" "run directory $S/run: owned by uid 65534" \
	lowerfs_at 5 --run-dir "$S/run" --cache "$T/c5"
for n in 1 2 3 4 5; do mountpoint -q "$T/m$n" && break; done &&
	fail "lowerfs mounted something at $T/m$n" || ok "lowerfs mounted nothing"
refused "ovlmig mount: nobody's cache" "cache directory $S/cache: owned by uid 65534" \
	ovlmig_mount "$T/o1" --name o1 --source "dir:$T/img2" --upper "$T/o1u" --work "$T/o1w" --cache "$S/cache"
refused "ovlmig mount: nobody's metadata directory" "metadata layer $S/meta: owned by uid 65534" \
	ovlmig_mount "$T/o2" --name o2 --source "dir:$T/img2" --upper "$T/o2u" --work "$T/o2w" --meta "$S/meta"
{ mountpoint -q "$T/o1" || mountpoint -q "$T/o2"; } && fail "ovlmig mounted something" || ok "ovlmig mounted nothing"
[[ $(cat "$S/cache/00000003") == "planted by nobody" && -z $(ls -A "$S/meta") ]] &&
	ok "what nobody made is left alone" || fail "nobody's directories were changed"

# --- cached files are checked before they are served -----------------------------
cache=$T/cache-ok
# read_data NAME: etc/data as a fresh lowerfs with $cache serves it, into
# $T/NAME.data (start_lowerfs must not run in a subshell)
read_data() {
	if start_lowerfs "$1" "dir:$T/img2" "$T/m-$1" --cache "$cache" >"$T/$1.out" 2>&1; then
		cat "$T/m-$1/etc/data" >"$T/$1.data" 2>&1
		stop_lowerfs "$1" "$T/m-$1"
	else
		echo "mount failed: $(head -2 "$T/$1.out")" >"$T/$1.data"
	fi
}
read_data r1
[[ $(cat "$T/r1.data") == "not cached yet" ]] || fail "first read: test set-up" "$(cat "$T/r1.data")"
cached=$(grep -lx "not cached yet" "$cache"/[0-9a-f]*)
[[ -n $cached ]] || fail "the file was not cached: test set-up"
# altered in place, same size
echo "NOT CACHED YET" >"$cached"
read_data r2
[[ $(cat "$T/r2.data") == "not cached yet" ]] && ok "an altered cached file is not served" ||
	fail "an altered cached file was served: $(cat "$T/r2.data")"
grep -q "refused, fetching it again: .*sha256" "$T/run-r2/lowerfs.log" &&
	ok "lowerfs says why: $(grep -m1 -o 'cached /.*' "$T/run-r2/lowerfs.log")" ||
	fail "lowerfs does not log the refusal" "$(tail -3 "$T/run-r2/lowerfs.log")"
# planted: a new file of the right name and size in a cache of this image
rm -f "$cached"
echo "planted data!!" >"$cached"
read_data r3
[[ $(cat "$T/r3.data") == "not cached yet" ]] && ok "a planted cached file is not served" ||
	fail "a planted cached file was served: $(cat "$T/r3.data")"
[[ $(cat "$cached") == "not cached yet" ]] && ok "it was replaced by the fetched file" ||
	fail "the cached file is now: $(cat "$cached")"
