#!/usr/bin/env bash
# Strategy store without --fill (issue 16): fanotify fills the store where
# it can work (pre-content events on the store's filesystem, the store not
# on the root filesystem, no lowerfs-only option), else FUSE (lowerfs),
# and status says which fill and, for FUSE, why. A loop XFS store: fanotify,
# with --strategy store and with auto; no FUSE connection for it. A store
# under the test's directory on the root filesystem, a tmpfs store,
# --prefetch, --fill fuse: lowerfs, each with its reason. A forced
# --fill fanotify that cannot work fails and says why.
. "$(dirname "$0")/../lib.sh"
require_root "ovlmig fanotify auto-pick"
fusectl_ready || { fail "mount fusectl"; exit 1; }

src=$T/src
"$TOOLS/gentree" --small --seed 53 "$src" >/dev/null || { fail "gentree"; exit 1; }
mkdir -p "$src/data"
head -c 3000000 /dev/urandom >"$src/data/blob"

truncate -s 512M "$T/xfs.img" && mkfs.xfs -q -f "$T/xfs.img" && mkdir "$T/xfs" &&
	mount -o loop "$T/xfs.img" "$T/xfs" || { fail "loop XFS for the store"; exit 1; }
on_exit "umount -l $T/xfs"
mkdir "$T/tmpfs" && mount -t tmpfs -o size=256M ovlmig-test "$T/tmpfs" ||
	{ fail "tmpfs for a store"; exit 1; }
on_exit "umount -l $T/tmpfs"
# fillers an umount that failed left, by their PIDs (after the umounts)
on_exit 'for p in $(cat "$OVLMIG_RUN_DIR"/*/filler.pid 2>/dev/null); do kill -9 "$p"; done'

js() { "$OVLMIG" status --json "$1" | jq -r ".$2"; }
filler_pid() { cat "$OVLMIG_RUN_DIR"/*/filler.pid 2>/dev/null; }
conns() { ls /sys/fs/fuse/connections | sort; }
# FUSE mounts of this test (lowerfs mounts in the state directory under
# $T): other tests may make FUSE connections meanwhile, never under $T
our_fuse() { awk -v t="$T" '$5 ~ "^" t && / - fuse/ {print $5}' /proc/self/mountinfo; }
n=0
# mnt ARGS...: mount image $src on $T/m$n with a fresh upper; its output
# in $out (not in a subshell: ovlmig_mount registers the clean-up)
mnt() {
	n=$((n + 1))
	m=$T/m$n
	ovlmig_mount "$m" --source "dir:$src" --upper "$T/u$n" --work "$T/w$n" "$@" >"$T/out" 2>&1
	local rc=$?
	out=$(cat "$T/out")
	return $rc
}
umnt() { "$OVLMIG" umount "$m" >/dev/null || fail "umount $m"; }

# fanotify: a loop XFS store, --strategy store and auto alike
for strategy in store auto; do
	before=$(conns)
	mnt --strategy "$strategy" --store "$T/xfs/images" ||
		{ fail "mount --strategy $strategy on an XFS store" "$out"; continue; }
	pid=$(filler_pid)
	[[ $out == *"filled by fanotify"* && $(js "$m" strategy) == store && $(js "$m" fill) == fanotify &&
	   $(js "$m" fill_reason) == null && -n $pid ]] && kill -0 "$pid" &&
		ok "--strategy $strategy, store on XFS, no --fill: fanotify ($out)" ||
		fail "--strategy $strategy on XFS: not fanotify" "$out $("$OVLMIG" status --json "$m")"
	cmp "$src/data/blob" "$m/data/blob" && ok "--strategy $strategy: a lazily filled file reads the image's bytes" ||
		fail "--strategy $strategy: data/blob differs"
	new=$(comm -13 <(echo "$before") <(conns))
	[[ -z $(our_fuse) && $(js "$m" lowerfs_pid) == 0 ]] && ! pgrep -f "lowerfs.*$T/" >/dev/null &&
		ok "--strategy $strategy: no FUSE mount, no lowerfs (FUSE connections: ${new:+new, none under $T, other tests' or the strategy probe's aborted one: }${new:-unchanged})" ||
		fail "--strategy $strategy: FUSE for the container" "$(our_fuse)"
	"$OVLMIG" status "$m" | grep -qx '  fill      fanotify' && ok "status: fill fanotify" ||
		fail "plain status" "$("$OVLMIG" status "$m")"
	umnt
done

# fuse, with the reason: STORE, REASON (a part of it), ARGS...
fuse_case() {
	local store=$1 why=$2
	shift 2
	mnt --strategy store --store "$store" "$@" ||
		{ fail "mount, store $store $*" "$out"; return; }
	[[ $(js "$m" fill) == fuse && $(js "$m" fill_reason) == *"$why"* && $(js "$m" lowerfs_pid) -gt 0 &&
	   -z $(filler_pid) ]] &&
		ok "store ${store#$T/} $*: fuse, because $(js "$m" fill_reason)" ||
		fail "store ${store#$T/} $*: expected fuse ($why)" "$out $("$OVLMIG" status --json "$m")"
	"$OVLMIG" status "$m" | grep -qF "  fill      fuse (" && ok "plain status says fuse and why" ||
		fail "plain status" "$("$OVLMIG" status "$m")"
	cmp "$src/data/blob" "$m/data/blob" || fail "store ${store#$T/}: data/blob differs"
	umnt
}
[[ $(stat -c %d "$T") == $(stat -c %d /) ]] &&
	fuse_case "$T/rootstore" "on the root filesystem"
fuse_case "$T/tmpfs/images" "has no fanotify pre-content events"
fuse_case "$T/xfs/images" "--prefetch is lowerfs's" --prefetch
fuse_case "$T/xfs/images" "--fill fuse" --fill fuse

# forced fanotify where it cannot work: refused, said, nothing left
mnt --strategy store --store "$T/tmpfs/images" --fill fanotify
[[ $? != 0 && $out == *"--fill fanotify: the image store's filesystem has no fanotify pre-content events"* ]] && ! mountpoint -q "$m" && [[ -z $(filler_pid) ]] &&
	ok "--fill fanotify on tmpfs: refused ($(tail -1 <<<"$out"))" || fail "--fill fanotify on tmpfs" "$out"
