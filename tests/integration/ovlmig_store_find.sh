#!/usr/bin/env bash
# Strategy store, a later container of an oci:/docker:// image (issue 11's
# mount time): its store entry is found by the manifest digest alone, so
# ovlmig reads no layer index (the image is not opened in-process); the
# root's attributes for a fresh upper come from image.json. Checked for
# the image still lazy (lowerfs serves the rest) and complete (no lowerfs,
# its index file may even be garbage); an entry without the root's
# attributes (made before they were kept) and a changed image are opened
# as before. Every tree equals the image entry by entry.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
. "$(dirname "$0")/../store_lib.sh"
require_root "ovlmig store find"
require_tools "ovlmig store find" jq zstd
fusectl_ready || { fail "mount fusectl"; exit 1; }

store_oci_image || exit 1
oci_layout_from_layers "$lay" v3 "$L"/l{1,2}.tar.gz
d1=$(oci_manifest_digest "$lay" v1)
want=$T/store/sha256-${d1#sha256:}
rootstat() { stat -c '%f %u %g %Y' "$1"; }

n=0
# mount_n SOURCE [ARGS...]: a store mount at $T/m$n, its output in $T/out$n
mount_n() {
	local src=$1; shift
	n=$((n + 1))
	OVLMIG_DEBUG=1 ovlmig_mount "$T/m$n" --strategy store --source "$src" --cache "$T/cache$n" \
		--upper "$T/u$n" --work "$T/w$n" "$@" >"$T/out$n" 2>&1 ||
		{ fail "mount $n of $src" "$(head -5 "$T/out$n")"; return 1; }
}
# opened N: did mount N open the image in-process (log its layers)?
opened() { grep -q '^ovlmig: layer 0: ' "$T/out$1"; }

mount_n "oci:$lay:v1" || exit 1
opened 1 && [[ $(status "$T/m1" store) == "$want" ]] &&
	ok "first container: the image opened in-process, store entry by its digest" ||
	fail "first container" "$(status "$T/m1" store); $(head -5 "$T/out1")"
jq -e '.root | .mode and .uid != null and .gid != null and (.mtime | length == 2)' "$want/image.json" >/dev/null &&
	ok "image.json keeps the root's attributes" || fail "image.json" "$(cat "$want/image.json")"
root1=$(rootstat "$T/m1")
same_tree "first container equals the image" "$T/expected" "$T/m1"

# the image still lazy: found by digest, lowerfs serves what the store lacks
mount_n "oci:$lay:v1" || exit 1
! opened 2 && grep -q 'store entry found by manifest digest' "$T/out2" &&
	ok "second container (lazy): found by the manifest digest, no index read in ovlmig" ||
	fail "second container opened the image" "$(head -8 "$T/out2")"
pid=$(status "$T/m2" lowerfs_pid)
[[ $(status "$T/m2" store) == "$want" && $pid -gt 0 ]] && kill -0 "$pid" &&
	ok "second container: the same store entry, its own lowerfs $pid" ||
	fail "second container's store or lowerfs" "$("$OVLMIG" status --json "$T/m2")"
[[ $(rootstat "$T/m2") == "$root1" ]] && ok "fresh upper's root from image.json: $root1" ||
	fail "root of the second container" "$(rootstat "$T/m2"), first $root1"
same_tree "second container equals the image" "$T/expected" "$T/m2"
jq -e --arg s "oci:$lay:v1" 'index($s) != null' "$want/references.json" >/dev/null &&
	ok "the reference is recorded" || fail "references.json" "$(cat "$want/references.json")"

# complete: no lowerfs at all, and nothing of the layers is read: a
# garbage --index is never opened
"$OVLMIG" migrate "$T/m1" >"$T/migrate.out" 2>&1 && [[ $(jq -r .state "$want/image.json") == complete ]] &&
	ok "migrate: image complete" || fail "migrate" "$(cat "$want/image.json")"
head -c 4096 /dev/urandom >"$T/garbage.index"
mount_n "oci:$lay:v1" --index "$T/garbage.index" || exit 1
! opened 3 && [[ $(status "$T/m3" lowerfs_pid) == 0 && $(status "$T/m3" phase) == detached ]] &&
	ok "complete image: no index read, no lowerfs" ||
	fail "third container" "$("$OVLMIG" status --json "$T/m3"); $(head -8 "$T/out3")"
[[ $(rootstat "$T/m3") == "$root1" ]] && ok "its root: $root1" || fail "root of m3" "$(rootstat "$T/m3")"
same_tree "third container (complete) equals the image" "$T/expected" "$T/m3"

# an entry made before image.json kept the root: the image is opened, as before
jq 'del(.root)' "$want/image.json" >"$T/info" && cp "$T/info" "$want/image.json"
mount_n "oci:$lay:v1" || exit 1
opened 4 && [[ $(status "$T/m4" store) == "$want" && $(rootstat "$T/m4") == "$root1" ]] &&
	ok "no root in image.json: the image opened, the same entry" ||
	fail "fourth container" "$(status "$T/m4" store) $(rootstat "$T/m4"); $(head -5 "$T/out4")"
same_tree "fourth container equals the image" "$T/expected" "$T/m4"

# a changed image (another manifest): its own entry, built from the image
mount_n "oci:$lay:v3" || exit 1
d3=$(oci_manifest_digest "$lay" v3)
opened 5 && [[ $(status "$T/m5" store) == "$T/store/sha256-${d3#sha256:}" ]] &&
	ok "another manifest: opened, its own store entry" ||
	fail "fifth container" "$(status "$T/m5" store); $(head -5 "$T/out5")"

for i in $(seq "$n"); do "$OVLMIG" umount "$T/m$i" >/dev/null || fail "umount m$i"; done
