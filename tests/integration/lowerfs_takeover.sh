#!/usr/bin/env bash
# lowerfs killed (-9) while a reader reads the lazy overlay: the keeper
# that ovlmig started holds the FUSE connection and starts a new lowerfs
# on it (--takeover-fd, FUSE_NOTIFY_RESEND); the reader sees 0 errors.
# Migration and detach work afterwards; nothing is left behind.
. "$(dirname "$0")/../lib.sh"
require_root "lowerfs crash takeover"

src=$T/src
mkdir -p "$src/d"
for i in $(seq 1 400); do head -c $((RANDOM * 3)) /dev/urandom >"$src/d/f$i"; done
"$TOOLS/treesum" --no-atime "$src" >"$T/expected"
m=$T/m
ovlmig_mount "$m" --source "dir:$src" --upper "$T/u" --work "$T/w" >/dev/null || { fail "mount"; exit 1; }
# the reader: every file once, compared with the source, slowly enough
# that the kill lands in the middle
(e=0; for i in $(seq 1 400); do cmp -s "$src/d/f$i" "$m/d/f$i" || e=$((e + 1)); sleep 0.005; done
 echo "errors=$e") >"$T/reader" &
reader=$!
sleep 0.8
old=$("$OVLMIG" status --json "$m" | jq -r .lowerfs_pid)
kill -9 "$old" && ok "lowerfs $old killed with -9 mid-read" || fail "kill lowerfs"
wait $reader
[[ $(cat "$T/reader") == "errors=0" ]] && ok "reader across the crash: $(cat "$T/reader")" ||
	fail "reader errors" "$(cat "$T/reader")"
st=$("$OVLMIG" status --json "$m")
new=$(jq -r .lowerfs_pid <<<"$st")
[[ $new -gt 0 && $new != "$old" && $(jq -r .lowerfs.taken_over <<<"$st") == true ]] &&
	ok "a new lowerfs ($new) took over the connection" || fail "takeover" "$st"
if out=$("$OVLMIG" detach --wait "$m" 2>&1); then ok "migrate and detach after the takeover"; else fail "detach" "$out"; fi
diff -q "$T/expected" <("$TOOLS/treesum" --no-atime "$m") >/dev/null && ok "tree equals the image" ||
	fail "tree differs"
"$OVLMIG" umount "$m" >/dev/null || fail "umount"
sleep 1.5	# the keeper looks at the mount once a second
[[ -z $(pgrep -f "ovlmig keep $OVLMIG_RUN_DIR/|lowerfs --run-dir $OVLMIG_RUN_DIR/") ]] &&
	ok "no keeper and no lowerfs left" || fail "processes left" "$(pgrep -af "$OVLMIG_RUN_DIR")"
