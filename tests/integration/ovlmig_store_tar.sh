#!/usr/bin/env bash
# Strategy store over tar layers (3 layers with whiteouts, opaque dirs,
# hardlinks, devices, xattrs): the merged tree equals the flattened image
# lazy, after the store is filled, after detach, and mounted again with
# no lowerfs; the store's data/ holds each regular file of the image once.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
. "$(dirname "$0")/../store_lib.sh"
require_root "ovlmig store over tar layers"
fusectl_ready || { fail "mount fusectl"; exit 1; }

L=$(layers_dir) || { fail "mklayers"; exit 1; }
expected_tree "$L/image.tree" "$T/image.sum"
m=$T/m

ovlmig_mount "$m" --strategy store --source "tar:$L/l1.tar.gz,$L/l2.tar.gz,$L/l3.tar.gz" \
	--upper "$T/u" --work "$T/w" >"$T/out" 2>&1 || { fail "mount" "$(cat "$T/out")"; exit 1; }
img=$(status "$m" store)
same_tree "lazy: tree equals the image" "$T/image.sum" "$m"
if out=$("$OVLMIG" migrate "$m" 2>&1); then ok "migrate: $out"; else fail "migrate" "$out"; fi
[[ $(jq -r .state "$img/image.json") == complete ]] && ok "image complete" || fail "image.json" "$(cat "$img/image.json")"
nreg=$(find "$L/image.tree" -type f -printf '%i\n' | sort -u | wc -l)
ndata=$(find "$img/data" -type f -printf x | wc -c)
((ndata == nreg)) && ok "data/ holds each regular file once ($ndata)" || fail "data/ has $ndata files, the image $nreg"
if out=$("$OVLMIG" detach "$m" 2>&1); then ok "detach: $out"; else fail "detach" "$out"; fi
same_tree "detached: tree equals the image" "$T/image.sum" "$m"
"$OVLMIG" umount "$m" >/dev/null && ok "umount" || fail "umount"
if out=$(ovlmig_mount "$m" --upper "$T/u" --work "$T/w" 2>&1); then ok "mount again: $out"; else fail "mount again" "$out"; fi
[[ $(status "$m" lowerfs_pid) == 0 ]] && ok "no lowerfs" || fail "lowerfs running: $(status "$m" lowerfs_pid)"
echo 2 >/proc/sys/vm/drop_caches
same_tree "mounted again: tree equals the image" "$T/image.sum" "$m"
