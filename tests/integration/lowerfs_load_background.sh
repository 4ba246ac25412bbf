#!/usr/bin/env bash
# lowerfs --load-in-background (what ovlmig strategy store starts): the
# mount is up and lowerfs reports started before the image's tree is
# loaded; STATFS is answered at once (no counts yet), and a read issued
# while the tree loads waits for it and gets the image's bytes; the tree
# then equals the image. A tree that cannot be loaded (no such image in
# the registry) ends lowerfs after its start: the request that waited
# gets EIO, the mount goes away, its log says why. The registry sits
# behind a proxy holding every request DELAY seconds, so the load takes
# several of them (manifest, config, the layers indexed).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
require_root "lowerfs load in background"
require_tools "lowerfs load in background" docker-registry skopeo jq python3
fusectl_ready || { fail "mount fusectl"; exit 1; }

L=$(layers_dir) || { fail "mklayers"; exit 1; }
expected_tree "$L/image.tree" "$T/expected"
registry_start || { fail "registry"; exit 1; }
oci_layout_from_layers "$T/oci" v1 "$L"/l{1,2,3}.tar.gz
registry_push "$T/oci" v1 test/bg >"$T/out" 2>&1 ||
	{ fail "skopeo push" "$(head -3 "$T/out")"; exit 1; }
DELAY=1
faultproxy_start "$REGISTRY_PORT" none --delay "$DELAY" || { fail "faultproxy"; exit 1; }
REG=127.0.0.1:$FAULTPROXY_PORT
log() { cat "$T/run-$1/lowerfs.log" 2>/dev/null; }

# a file of the image to read while the tree loads: the largest regular
# file of the expected tree
file=$(cd "$L/image.tree" && find . -type f -printf '%s %P\n' | sort -n | tail -1 | cut -d' ' -f2-)
[[ -n $file ]] || { fail "no file in the image"; exit 1; }

start_lowerfs bg "docker://$REG/test/bg:v1" "$T/mnt" --insecure --cache "$T/cache" \
	--load-in-background >"$T/out-bg" 2>&1 || { fail "lowerfs bg" "$(head -3 "$T/out-bg")"; exit 1; }
# started: the load (several DELAYs) has not ended yet
files=$(stat -f -c %c "$T/mnt")
if log bg | grep -q 'its tree loading in the background' && ! log bg | grep -q 'serving '; then
	ok "lowerfs reported started before its tree was loaded"
else
	fail "started before the tree" "$(log bg)"
fi
[[ $files == 0 ]] && ok "STATFS answered while loading (no counts yet)" ||
	fail "STATFS while loading" "files=$files; $(log bg)"
# the read is issued now, while loading: it waits, then gets the bytes
if cmp "$L/image.tree/$file" "$T/mnt/$file" 2>"$T/cmp"; then
	ok "a read issued while the tree loaded got the image's bytes ($file)"
else
	fail "read while loading" "$(cat "$T/cmp"); $(log bg)"
fi
log bg | grep -q 'tree loaded in the background' && log bg | grep -q 'serving ' &&
	ok "the log says the tree loaded, then served" || fail "log after the load" "$(log bg)"
[[ $(stat -f -c %c "$T/mnt") -gt 1 ]] && ok "STATFS counts the entries once loaded" ||
	fail "STATFS after the load" "$(stat -f "$T/mnt")"
[[ $(stat_of bg entries) -gt 1 ]] && ok "control stats answered with the tree" ||
	fail "stats" "$(ctl bg stats)"
same_tree "the tree loaded in the background equals the image" "$T/expected" "$T/mnt"
stop_lowerfs bg "$T/mnt"

# no such image: started all the same, then the load fails
start_lowerfs bad "docker://$REG/test/none:v1" "$T/mnt-bad" --insecure --cache "$T/cache-bad" \
	--load-in-background >"$T/out-bad" 2>&1 || { fail "lowerfs bad" "$(head -3 "$T/out-bad")"; exit 1; }
pid=$(cat "$T/run-bad/lowerfs.pid")
if ls "$T/mnt-bad" >/dev/null 2>"$T/ls-bad"; then
	fail "a listing of an image that cannot be loaded succeeded" "$(log bad)"
else
	grep -qiE 'input/output error|not connected|no such device' "$T/ls-bad" &&
		ok "the request that waited for a tree that failed got an error ($(head -1 "$T/ls-bad"))" ||
		fail "error of the waiting request" "$(cat "$T/ls-bad")"
fi
for _ in $(seq 100); do pid_running "$pid" || break; sleep 0.1; done
! pid_running "$pid" && ! mountpoint -q "$T/mnt-bad" &&
	ok "lowerfs ended and its mount went away" || fail "lowerfs still there" "$(log bad)"
log bad | grep -q 'image tree not loaded, requests get EIO' &&
	ok "its log says why: $(log bad | grep -o 'image tree not loaded.*' | head -1 | cut -c1-120)" ||
	fail "log of the failed load" "$(log bad)"
