#!/usr/bin/env bash
# The store names an oci: or docker:// image by its manifest digest: two
# tags of one manifest in a layout, the same manifest pushed to a registry
# and asked for by tag and by @digest all share one store directory,
# sha256-<hex> of that digest; a changed image (another manifest) gets its
# own. `ovlmig images` shows the digest and every reference used.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
. "$(dirname "$0")/../store_lib.sh"
require_root "ovlmig store digest"
require_tools "ovlmig store digest" docker-registry skopeo jq python3 openssl zstd
fusectl_ready || { fail "mount fusectl"; exit 1; }

store_oci_image || exit 1
oci_layout_from_layers "$lay" v2 "$L"/l{1,2,3}.tar.gz	# same bytes: same manifest
oci_layout_from_layers "$lay" v3 "$L"/l{1,2}.tar.gz	# a changed image
d1=$(oci_manifest_digest "$lay" v1) d2=$(oci_manifest_digest "$lay" v2) d3=$(oci_manifest_digest "$lay" v3)
[[ $d1 == sha256:* && $d1 == "$d2" && $d3 == sha256:* && $d3 != "$d1" ]] ||
	{ fail "layout: v1 $d1, v2 $d2, v3 $d3"; exit 1; }
registry_start || { fail "registry"; exit 1; }
registry_push "$lay" v1 test/img >"$T/out" 2>&1 || { fail "skopeo push" "$(head -3 "$T/out")"; exit 1; }
reg=docker://127.0.0.1:$REGISTRY_PORT/test/img

n=0 STORE=
# mount_store SOURCE [ARGS...]: a store mount of SOURCE at $T/m$n; sets
# STORE to its store directory
mount_store() {
	local src=$1 m; shift
	n=$((n + 1)) m=$T/m$n STORE=
	ovlmig_mount "$m" --strategy store --source "$src" --cache "$T/cache$n" \
		--upper "$T/u$n" --work "$T/w$n" "$@" >"$T/out" 2>&1 ||
		{ fail "mount $src" "$(head -3 "$T/out")"; return 1; }
	STORE=$(status "$m" store)
}

want=$T/store/sha256-${d1#sha256:}
mount_store "oci:$lay:v1" && [[ $STORE == "$want" ]] &&
	ok "oci:…:v1 is in the store as its manifest digest (${d1:0:19}…)" || fail "oci v1: store $STORE, expected $want"
[[ $(jq -r .digest "$want/image.json") == "$d1" ]] && ok "image.json: digest $d1" ||
	fail "image.json" "$(cat "$want/image.json")"
same_tree "oci:…:v1 mounted from the store equals the image" "$T/expected" "$T/m1"
mount_store "oci:$lay:v2" && [[ $STORE == "$want" ]] && ok "oci:…:v2, the same manifest: the same directory" ||
	fail "oci v2: store $STORE, expected $want"
mount_store "$reg:v1" --insecure && [[ $STORE == "$want" ]] &&
	ok "the manifest pushed to a registry, by tag: the same directory" || fail "registry tag: store $STORE, expected $want"
mount_store "$reg@$d1" --insecure && [[ $STORE == "$want" ]] &&
	ok "by @digest: the same directory" || fail "registry @digest: store $STORE, expected $want"
same_tree "the registry mount equals the image" "$T/expected" "$T/m3"
mount_store "oci:$lay:v3" && [[ $STORE == "$T/store/sha256-${d3#sha256:}" ]] &&
	ok "a changed image: a new directory, its own digest" || fail "oci v3: store $STORE"
[[ $(find "$T/store" -mindepth 1 -maxdepth 1 -name 'sha256-*' | wc -l) == 2 ]] && ok "two images in the store" ||
	fail "store has" "$(ls "$T/store")"

"$OVLMIG" images --json >"$T/images.json" || fail "images --json"
got=$(jq -c --arg d "$d1" '.images[] | select(.digest == $d) | [.id, (.references | sort), (.users | length)]' "$T/images.json")
exp=$(jq -cn --arg id "sha256-${d1#sha256:}" --arg a "oci:$lay:v1" --arg b "oci:$lay:v2" \
	--arg c "$reg:v1" --arg d "$reg@$d1" '[$id, ([$a, $b, $c, $d] | sort), 4]')
[[ $got == "$exp" ]] && ok "images --json: digest, 4 references, 4 users" || fail "images --json" "$got, expected $exp"
"$OVLMIG" images >"$T/images.txt" || fail "images"
grep -q "^sha256-${d3:7:12} *${d3:0:19} *lazy .* 1 .*  oci:$lay:v3\$" "$T/images.txt" &&
	grep -q "  .*oci:$lay:v2" "$T/images.txt" && ok "images: the table shows digest and references" ||
	fail "images table" "$(cat "$T/images.txt")"

for i in 1 2 3 4 5; do "$OVLMIG" umount "$T/m$i" >/dev/null || fail "umount m$i"; done
