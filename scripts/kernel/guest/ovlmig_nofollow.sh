#!/usr/bin/env bash
# check-kernel guest: the nofollow strategy as ovlmig runs it, on the
# patched kernel:
#   probe    `ovlmig mount --strategy auto` picks nofollow (state and
#            status say so; the overlay is lowerdir=lowerfs,xino=nofollow);
#   pin      a process with its cwd deep in the tree, an open fd, a shared
#            mmap and a running binary from the image;
#   migrate  `ovlmig migrate`: every upper dir opaque, the root included;
#   detach   `ovlmig detach`: lowerfs exits, no FUSE mount is left, the
#            state says detached;
#   check    the merged tree equals the source; the operation suite gets 0
#            errors, again after drop_caches 2 and 3; the pinned processes
#            ran through it all with 0 errors;
#   remount  `ovlmig umount`, then `ovlmig mount` of the detached upper
#            with no source: no lowerfs, the same tree;
#   tar      the same for a tar: source (the tree after detach equals the
#            lazy one).
# Output: TAP-like "ok - " / "not ok - " lines (tests/lib.sh).
. "$(dirname "$0")/../tests/lib.sh"
require_root "ovlmig nofollow"
fusectl_ready || { fail "mount fusectl"; exit 1; }
sum() { "$TOOLS/treesum" --no-atime --exclude-xattr-prefix trusted.overlay. "$1"; }
# status_is TARGET PHASE ATTACHED: the JSON status of TARGET says so
status_is() {
	local st
	st=$("$OVLMIG" status --json "$1" 2>&1)
	if [[ $(jq -r .strategy <<<"$st") == nofollow && $(jq -r .phase <<<"$st") == "$2" &&
	      $(jq -r .lower_attached <<<"$st") == "$3" && $(jq -r 'has("error")' <<<"$st") == false ]]; then
		ok "status: nofollow, $2, lower attached $3 ($("$OVLMIG" status "$1" | tr -s ' \n' ' '))"
	else
		fail "status of $1 (want nofollow, $2, attached $3)" "$st"
	fi
}
# FUSE mounts (not the fusectl control filesystem)
fuse_mounts() { awk '$3 == "fuse" || $3 ~ /^fuse\./ {print $2}' /proc/mounts; }

# the image
src=$T/src
"$TOOLS/gentree" --small --seed 43 "$src" >/dev/null || { fail "gentree"; exit 1; }
mkdir -p "$src/bin" "$src/data"
cp "$TOOLS/holder" "$src/bin/holder"
head -c 3000000 /dev/urandom >"$src/data/mapped"
sum "$src" >"$T/expected"

# mount: auto picks nofollow here
m=$T/m
if out=$(ovlmig_mount "$m" --strategy auto --source "dir:$src" --upper "$T/u" --work "$T/w" 2>&1); then
	ok "ovlmig mount --strategy auto: $out"
else
	fail "ovlmig mount" "$out"; exit 1
fi
[[ $out == *"strategy nofollow"* ]] && ok "auto picks nofollow on this kernel" || fail "auto strategy" "$out"
state=$(echo "$OVLMIG_RUN_DIR"/*/state.json)
[[ $(jq -r .strategy "$state") == nofollow && $(jq -r .meta "$state") == null ]] &&
	ok "state.json: strategy nofollow, no metadata layer" || fail "state.json" "$(cat "$state")"
opts=$(awk -v m="$m" '$2 == m {print $4}' /proc/mounts)
lower=$(jq -r .lower "$state")
# (the new mount API shows lowerdir+=)
[[ $opts == *"lowerdir+=$lower,"* && $opts != *datadir* && $opts == *xino=nofollow* &&
   $opts != *metacopy=on* && $opts != *index=on* ]] &&
	ok "overlay: lowerdir=lowerfs, xino=nofollow, no metacopy, no index" || fail "overlay options" "$opts"
lowerfs_pid=$(jq -r .lowerfs_pid "$state")
status_is "$m" lazy true
sum "$m" >"$T/lazy"
diff -u "$T/expected" "$T/lazy" >"$T/diff0" && ok "lazy overlay equals the source" ||
	fail "lazy overlay differs" "$(head -20 "$T/diff0")"

# pinned users, started on the lazy overlay
deep=$HOLDER_DEEP
holders_start "$m"
# the workload removes an image file: a whiteout that the dir keeps; it
# renames an image dir: a merge dir with a redirect
rm "$m/big/f00001" && ok "removed big/f00001 before migration (a whiteout)" || fail "rm big/f00001"
mv "$m/dirs/mode-0700" "$m/dirs/renamed-0700" && ok "renamed dirs/mode-0700 before migration (a redirect)" ||
	fail "rename dirs/mode-0700"

if out=$("$OVLMIG" migrate "$m" 2>&1); then ok "ovlmig migrate: $out"; else fail "ovlmig migrate" "$out"; fi
status_is "$m" migrated true
n=0 opaque=0
while IFS= read -r -d '' d; do
	n=$((n + 1))
	[[ $(getfattr --only-values -n trusted.overlay.opaque "$d" 2>/dev/null) == y ]] && opaque=$((opaque + 1))
done < <(find "$T/u" -type d -print0)
[[ $n -gt 1 && $opaque -eq $n ]] && ok "every upper dir opaque, the root included ($opaque of $n)" ||
	fail "upper dirs opaque: $opaque of $n"
inos=$(stat -c %i "$m/links/two-1" "$m/links/b/two-2" | sort -u | wc -l)
inos3=$(stat -c %i "$m/links/a/three-1" "$m/links/b/three-2" "$m/links/three-3" | sort -u | wc -l)
[[ $inos -eq 1 && $inos3 -eq 1 && $(stat -c %h "$m/links/three-3") -eq 3 ]] &&
	ok "hardlink groups stay one inode each after copy-up (relinked)" ||
	fail "hardlinks split" "$(stat -c '%n %i %h' "$m"/links/two-1 "$m"/links/b/two-2 "$m"/links/a/three-1 "$m"/links/b/three-2 "$m"/links/three-3)"

# after migration the workload makes an image dir anew: it merges nothing
rm -rf "$m/names/a" && mkdir "$m/names/a" && echo new >"$m/names/a/new" &&
	ok "made names/a anew after migration" || fail "remake names/a"
if out=$("$OVLMIG" detach "$m" 2>&1); then ok "ovlmig detach: $out"; else fail "ovlmig detach" "$out"; fi
for _ in $(seq 100); do kill -0 "$lowerfs_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$lowerfs_pid" 2>/dev/null && fail "lowerfs $lowerfs_pid still running" || ok "lowerfs exited"
[[ -z $(fuse_mounts) ]] && ok "no FUSE mount left" || fail "FUSE mounts left" "$(fuse_mounts)"
[[ ! -e $(jq -r .cache "$state") ]] && ok "cache deleted" || fail "cache left"
status_is "$m" detached false

filter() {
	grep -v -e "^$deep " -e '\.holder-' -e '^big/f00001 ' -e '^big ' -e '^dirs ' -e '^dirs/mode-0700' \
		-e '^dirs/renamed-0700' -e '^names ' -e '^names/a'
}
[[ $(stat -c %a "$m/dirs/renamed-0700") == 700 && ! -e $m/dirs/mode-0700 && $(cat "$m/names/a/new") == new &&
   -z $(ls "$m/names/a" | grep -vx new) ]] && ok "the renamed and the new dir are as the workload left them" ||
	fail "renamed or new dir" "$(ls -la "$m/dirs" "$m/names/a")"
sum "$m" | filter >"$T/got"
diff -u <(filter <"$T/expected") "$T/got" >"$T/diff" &&
	ok "merged tree after detach equals the source ($(wc -l <"$T/got") entries)" ||
	fail "merged tree differs" "$(head -20 "$T/diff")"
opsuite_rounds "$m"

holders_check "migrate and detach"

# the detached upper mounts again with no source and no lowerfs
sum "$m" >"$T/final"
if out=$("$OVLMIG" umount "$m" 2>&1); then ok "ovlmig umount: $out"; else fail "ovlmig umount" "$out"; fi
mountpoint -q "$m" && fail "$m still mounted after umount"
if out=$("$OVLMIG" mount --upper "$T/u" --work "$T/w" "$m" 2>&1); then
	ok "ovlmig mount of the detached upper: $out"
else
	fail "ovlmig mount of the detached upper" "$out"
fi
[[ -z $(fuse_mounts) && -z $(pgrep -x lowerfs) ]] && ok "no lowerfs, no FUSE mount" ||
	fail "lowerfs after a detached mount" "$(fuse_mounts) $(pgrep -x lowerfs)"
status_is "$m" detached false
sum "$m" >"$T/got2"
diff -u "$T/final" "$T/got2" >"$T/diff2" && ok "remounted: the same tree ($(wc -l <"$T/got2") entries)" ||
	fail "remounted: tree differs" "$(head -20 "$T/diff2")"
if out=$("$OVLMIG" umount "$m" 2>&1); then ok "ovlmig umount: $out"; else fail "ovlmig umount" "$out"; fi

# a tar: source: after detach the tree is what lowerfs served lazily
# (names/ holds names that are not UTF-8: the guest has no UTF-8 locale for
# libarchive; the dir: source above covered them)
tar -C "$src" --xattrs --xattrs-include='*' --exclude=./names -cf "$T/img.tar" . 2>/dev/null ||
	fail "tar the source"
t=$T/t
if out=$(ovlmig_mount "$t" --source "tar:$T/img.tar" --upper "$T/tu" --work "$T/tw" 2>&1) &&
   [[ $out == *"strategy nofollow"* ]]; then
	ok "tar: source: $out"
	sum "$t" >"$T/tlazy"
	if out=$("$OVLMIG" migrate "$t" 2>&1) && out2=$("$OVLMIG" detach "$t" 2>&1); then
		ok "tar: migrate and detach: $out; $out2"
	else
		fail "tar: migrate and detach" "$out ${out2:-}"
	fi
	sum "$t" >"$T/tgot"
	[[ -z $(fuse_mounts) ]] && diff -u "$T/tlazy" "$T/tgot" >"$T/tdiff" &&
		ok "tar: after detach the tree equals the lazy one ($(wc -l <"$T/tgot") entries), no FUSE mount" ||
		fail "tar: tree after detach" "$(fuse_mounts) $(head -20 "$T/tdiff")"
	"$OVLMIG" umount "$t" >/dev/null || fail "tar: umount"
else
	fail "tar: mount" "$out"
fi
