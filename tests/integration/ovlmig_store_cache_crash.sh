#!/usr/bin/env bash
# A deletion of a cache cut short (its deleter killed with SIGKILL half-
# way) never leaves a directory a later mount must refuse:
# - in place (a mount of a complete image deletes the cache it was given,
#   ovlmig/cache_dir.c): the marker goes last, so what is left is still
#   ovlmig's; the next mount takes it and deletes it;
# - in the background (detach: renamed to a trash name, ovlmig/cache_trash.c):
#   the next mount of the name sweeps the trash.
# The caches on a tmpfs of the test's own, where a directory lists its
# newest entry first: the marker is renamed in place after the cache is
# grown, so it lists first, the worst order for a deleter that goes in
# directory order (on ext4 it is where its name's hash puts it). Each
# cache made large (200,000 empty files) so that its deletion takes a
# while; its deleter killed by its PID once it has begun.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
. "$(dirname "$0")/../store_lib.sh"
require_root "ovlmig store cache crash"
require_tools "ovlmig store cache crash" nginx jq
fusectl_ready || { fail "mount fusectl"; exit 1; }

src=$T/src www=$T/www
mkdir -p "$src/big" "$src/small" "$www"
for i in 1 2; do head -c 1000000 /dev/urandom >"$src/big/f$i"; done
for i in $(seq 50); do echo "small $i" >"$src/small/s$i"; done
touch -d @1700000000 "$src"/big/* "$src"/small/* "$src/big" "$src/small" "$src"
store_serve_gz "$src" 500m

tc=$T/tc
mkdir "$tc" && mount -t tmpfs -o size=256m,nr_inodes=600000,mode=0700 tmpfs "$tc" ||
	{ fail "tmpfs for the caches"; exit 1; }
on_exit "umount -l $tc"

# grow CACHE: 2,000 directories of 100 empty files in CACHE/junk; the
# marker then made CACHE's newest entry (listed first)
grow() {
	mkdir "$1/junk" && (cd "$1/junk" && seq 2000 | xargs mkdir &&
		for i in $(seq 2000); do echo "$i/"{1..100}; done | xargs touch) &&
		mv "$1/.ovlmig-cache" "$1/.m" && mv "$1/.m" "$1/.ovlmig-cache" || return 1
	# shellcheck disable=SC2010 # ls -f: the directory's own order
	[[ $(ls -f "$1" | grep -v '^\.\.\?$' | head -1) == .ovlmig-cache ]]
}
subdirs() { echo $(($(stat -c %h "$1" 2>/dev/null || echo 2) - 2)); }
# gone PID: not running (a zombie has ended)
gone() { ! kill -0 "$1" 2>/dev/null || [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) == Z ]]; }
# cut PID DIR: SIGKILL to PID once DIR (2,000 subdirectories) has lost
# one; fails if PID ended first
cut() {
	local i
	for i in $(seq 6000); do
		gone "$1" && return 1
		(($(subdirs "$2") < 2000)) && break
		sleep 0.005
	done
	kill -9 "$1" && while ! gone "$1"; do sleep 0.05; done
}
# a store mount N of the image, with cache CACHE (store $T/store)
mnt() {
	ovlmig_mount "$T/m$1" --strategy store --store "$T/store" --cache "$2" \
		--source "$source" --upper "$T/u$1" --work "$T/w$1"
}

# --- a complete image: the store filled, the mount left without detach ---
c1=$tc/c1
if mnt 1 "$c1" >"$T/out" 2>&1 && "$OVLMIG" migrate "$T/m1" >"$T/out" 2>&1 &&
	"$OVLMIG" umount "$T/m1" >"$T/out" 2>&1 && [[ -f $c1/.ovlmig-cache ]]; then
	ok "migrated and unmounted: the cache stays, marked"
else
	fail "mount, migrate, umount" "$(cat "$T/out")"
	exit 1
fi
grow "$c1" || { fail "grow $c1"; exit 1; }

# --- in place: the mount of the complete image deletes the cache --------
mkdir -p "$T/m2"
on_exit "ovlmig_cleanup $T/m2"
"$OVLMIG" mount --strategy store --store "$T/store" --cache "$c1" --source "$source" \
	--upper "$T/u2" --work "$T/w2" "$T/m2" >"$T/out2" 2>&1 &
deleter=$!
if cut "$deleter" "$c1/junk"; then
	ok "the mount deleting the cache killed half-way ($(subdirs "$c1/junk") of 2000 directories left)"
else
	fail "the mount ended before it was killed" "$(cat "$T/out2")"
fi
wait "$deleter" 2>/dev/null
"$OVLMIG" umount "$T/m2" >/dev/null 2>&1
[[ ! -e $c1 || -f $c1/.ovlmig-cache ]] && ok "what is left is marked as ovlmig's" ||
	fail "a cache without its marker left" "$(ls -A "$c1" | head -5)"
if mnt 3 "$c1" >"$T/out" 2>&1; then
	[[ ! -e $c1 ]] && ok "the next mount takes it, and deletes it (the image is complete)" ||
		fail "the next mount left the cache" "$(ls -A "$c1" | head -5)"
	same_tree "the next mount: the tree equals the image" "$T/expected" "$T/m3"
	"$OVLMIG" umount "$T/m3" >/dev/null || fail "umount m3"
else
	fail "the next mount on the half-deleted cache" "$(cat "$T/out")"
fi

# --- in the background: detach's deleter killed -------------------------
c4=$tc/c4
if ovlmig_mount "$T/m4" --strategy store --store "$T/store4" --cache "$c4" --source "$source" \
	--upper "$T/u4" --work "$T/w4" >"$T/out" 2>&1 && "$OVLMIG" migrate "$T/m4" >"$T/out" 2>&1 &&
	grow "$c4"; then
	"$OVLMIG" detach "$T/m4" >"$T/out" 2>&1 || fail "detach m4" "$(cat "$T/out")"
	# the deleter: the detach's grandchild, in the process list by its command line
	deleter=$(ps -eo pid=,args= | awk -v m="detach $T/m4" 'index($0, m) {print $1}' | head -1)
	trash=$(compgen -G "$tc/.c4.ovlmig-trash-*" | head -1)
	if [[ -n $deleter && -n $trash ]] && cut "$deleter" "$trash/junk"; then
		ok "detach's deleter $deleter killed half-way ($(subdirs "$trash/junk") of 2000 directories left)"
	else
		fail "detach's deleter ($deleter, $trash) ended before it was killed"
	fi
	[[ ! -e $c4 ]] && ok "the cache's name is free" || fail "$c4 after the detach" "$(ls -A "$c4" | head -3)"
	"$OVLMIG" umount "$T/m4" >/dev/null || fail "umount m4"
	if mnt 5 "$c4" >"$T/out" 2>&1; then
		[[ -z $(compgen -G "$tc/.c4.ovlmig-trash-*") ]] &&
			ok "the next mount of the name swept the trash" ||
			fail "trash left" "$(ls -A "$tc")"
		"$OVLMIG" umount "$T/m5" >/dev/null || fail "umount m5"
	else
		fail "the next mount of $c4" "$(cat "$T/out")"
	fi
else
	fail "mount, migrate, grow m4" "$(cat "$T/out")"
fi
