#!/usr/bin/env bash
# One state-changing operation at a time per mount: migrate, detach and
# umount each wait for the mount's lock (STATE/lock) that another holds,
# and then work on the state as that one left it.
. "$(dirname "$0")/../lib.sh"
require_root "ovlmig lock"

src=$T/src
"$TOOLS/gentree" --small --seed 5 "$src" >/dev/null || { fail "gentree"; exit 1; }
mkdir -p "$T/m"
on_exit "ovlmig_cleanup $T/m"	# here: ovlmig_mount in $(...) registers in a subshell
out=$("$OVLMIG" mount --source "dir:$src" --upper "$T/u" --work "$T/w" "$T/m" 2>&1) ||
	{ fail "mount" "$out"; exit 1; }
state=$(dirname "$(echo "$OVLMIG_RUN_DIR"/*/state.json)")
[[ -d $state ]] || { fail "no state directory" "$(ls "$OVLMIG_RUN_DIR")"; exit 1; }
lock=$state/lock

# hold LOCK for SECONDS in the background, then touch $T/released;
# returns once the lock is held
hold_lock() {
	rm -f "$T/released" "$T/held"
	flock -x "$lock" sh -c "touch '$T/held'; sleep $1; touch '$T/released'" &
	holder=$!
	on_exit "kill $holder"
	for _ in $(seq 100); do [[ -e $T/held ]] && return; sleep 0.05; done
	fail "lock holder did not start"; exit 1
}

# ends_after_release NAME CMD...: CMD succeeds, and not before the holder let go
ends_after_release() {
	local name=$1 out rc; shift
	out=$("$@" 2>&1); rc=$?
	if [[ $rc -ne 0 ]]; then
		fail "$name" "exit $rc: $out"
	elif [[ -e $T/released ]]; then
		ok "$name waited for the lock"
	else
		fail "$name ran while another held the lock" "$out"
	fi
	wait "$holder"
}

hold_lock 2
ends_after_release "migrate" "$OVLMIG" migrate "$T/m"
hold_lock 2
ends_after_release "detach" "$OVLMIG" detach "$T/m"
hold_lock 2
ends_after_release "umount" "$OVLMIG" umount "$T/m"
[[ ! -d $state ]] && ! mountpoint -q "$T/m" &&
	ok "umount under the lock: overlay and state gone" ||
	fail "umount left the overlay or its state"
