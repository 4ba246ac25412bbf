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
pid_running "$pid" && fail "lowerfs $pid still runs" || ok "its lowerfs is gone"
[[ -n $lower ]] && mountpoint -q "$lower" 2>/dev/null && fail "$lower still mounted" || ok "its lower is unmounted"

# ovlmig gc removes every stale state (as umount would) and keeps a live mount
m2=$T/m2 m3=$T/m3
ovlmig_mount "$m2" --source "dir:$src" --upper "$T/u2" --work "$T/w2" >/dev/null || { fail "mount m2"; exit 1; }
ovlmig_mount "$m3" --source "dir:$src" --upper "$T/u3" --work "$T/w3" >/dev/null || { fail "mount m3"; exit 1; }
pid2=$("$OVLMIG" status --json "$m2" | jq -r .lowerfs_pid)
umount "$m2" && rmdir "$m2" || fail "umount and rmdir m2 by hand"
out=$("$OVLMIG" gc 2>&1); rc=$?
[[ $rc -eq 0 && $out == *"removed stale state $m2 "* && $out != *"$m3"* ]] &&
	ok "gc removed the stale state of m2: $(grep -F "$m2" <<<"$out")" || fail "gc" "exit $rc: $out"
"$OVLMIG" status --json "$m2" >/dev/null 2>&1 && fail "m2's state still there after gc" ||
	ok "m2's state is gone"
[[ $pid2 -gt 0 ]] && pid_running "$pid2" && fail "m2's lowerfs $pid2 still runs" || ok "m2's lowerfs is gone"
st=$("$OVLMIG" status --json "$m3")
[[ $(jq -r .mounted <<<"$st") == true && $(jq -r '.stale // "none"' <<<"$st") == none ]] &&
	mountpoint -q "$m3" && ok "gc kept the live mount m3" || fail "gc and the live mount" "$st"
[[ -d $T/u2 ]] && ok "m2's upper stays (the container's data)" || fail "gc removed m2's upper"
