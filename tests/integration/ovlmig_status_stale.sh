#!/usr/bin/env bash
# ovlmig status reports a state whose mount is gone (unmounted by hand,
# its target directory removed) as stale, not as a live mount in its
# phase, and without failing; `ovlmig umount` by the gone path removes
# the state and takes down its lowerfs and lower.
. "$(dirname "$0")/../lib.sh"
require_root "ovlmig status stale"

src=$T/src
"$TOOLS/gentree" --small --seed 17 "$src" >/dev/null || { fail "gentree"; exit 1; }
m=$T/m
ovlmig_mount "$m" --source "dir:$src" --upper "$T/u" --work "$T/w" >/dev/null || { fail "mount"; exit 1; }
st=$("$OVLMIG" status --json "$m"); rc=$?
[[ $rc -eq 0 && $(jq -r '.stale // "none"' <<<"$st") == none && $(jq -r .mounted <<<"$st") == true ]] &&
	ok "a live mount is not stale" || fail "live mount" "exit $rc: $st"
pid=$(jq -r .lowerfs_pid <<<"$st")
lower=$(findmnt -n -o TARGET -t fuse.lowerfs | grep -F "$OVLMIG_RUN_DIR/" | head -1)
[[ $pid -gt 0 && -n $lower ]] || fail "lowerfs pid $pid, lower '$lower'"

# the container's runtime goes away by hand: no ovlmig umount
umount "$m" && rmdir "$m" || fail "umount and rmdir by hand"
mountpoint -q "$m" 2>/dev/null && fail "$m still mounted"
out=$("$OVLMIG" status 2>&1); rc=$?
if [[ $rc -eq 0 && $out == *"  stale     the target is not mounted any more"* ]]; then
	ok "status lists it stale, exit 0"
else
	fail "status of a gone mount" "exit $rc: $out"
fi
st=$("$OVLMIG" status --json "$m"); rc=$?
[[ $rc -eq 0 && $(jq -r .stale <<<"$st") == *"ovlmig umount TARGET"* &&
   $(jq -r .mounted <<<"$st") == false && $(jq -r '.error // "none"' <<<"$st") == none ]] &&
	ok "status --json of the gone path: stale, not mounted, no error" ||
	fail "status --json of the gone path" "exit $rc: $st"

out=$("$OVLMIG" umount "$m" 2>&1) && ok "umount by the gone path: $out" || fail "umount of a stale state" "$out"
out=$("$OVLMIG" status 2>&1)
[[ $out == "no ovlmig mounts" ]] && ok "the state is gone" || fail "status after umount" "$out"
kill -0 "$pid" 2>/dev/null && fail "lowerfs $pid still runs" || ok "its lowerfs is gone"
[[ -n $lower ]] && mountpoint -q "$lower" 2>/dev/null && fail "$lower still mounted" || ok "its lower is unmounted"
