#!/usr/bin/env bash
# ovlmig itself killed (-9) at random points of mount, migrate and detach:
# a rerun, or `ovlmig umount`, always reaches a clean state: the tree
# equals the image, or nothing is left (no mount, no lowerfs, no state).
# 20 kill points per run, chosen from a printed seed (KILL_SEED=N repeats).
. "$(dirname "$0")/../lib.sh"
require_root "ovlmig killed at random points"

src=$T/src
"$TOOLS/gentree" --small --seed 71 "$src" >/dev/null || { fail "gentree"; exit 1; }
mkdir -p "$src/more"
for i in $(seq 1 400); do echo "$i" >"$src/more/f$i"; done
head -c 4000000 /dev/urandom >"$src/more/blob"
"$TOOLS/treesum" --no-atime --exclude-xattr-prefix trusted.overlay. "$src" >"$T/expected"
seed=${KILL_SEED:-$RANDOM}
echo "# kill points from seed $seed (KILL_SEED=$seed repeats them)"
RANDOM=$seed

# run_killed DELAY_MS CMD...: start CMD, kill -9 it after DELAY_MS
run_killed() {
	local ms=$1; shift
	"$@" >/dev/null 2>&1 &
	local pid=$!
	sleep "$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}
leftovers() {
	local m=$1
	grep -E " ($m|$OVLMIG_RUN_DIR/[^ ]*) " /proc/mounts
	# the kernel probe's throwaway mounts live in a namespace of their own
	grep '^ovlmig-probe ' /proc/mounts
	pgrep -af "lowerfs --run-dir $OVLMIG_RUN_DIR/" || true
	ls "$OVLMIG_RUN_DIR" 2>/dev/null | grep -v -e '^hook.log$' -e '^ovlmig.sock$'
}

clean=0 finished=0
for point in $(seq 1 20); do
	m=$T/m$point
	mkdir -p "$m"
	on_exit "ovlmig_cleanup $m"	# if this test itself is stopped mid-loop
	stage=$((RANDOM % 3))
	run_killed $((RANDOM % 500)) "$OVLMIG" mount --source "dir:$src" --upper "$T/u$point" --work "$T/w$point" "$m"
	if [[ $stage -ge 1 ]] && "$OVLMIG" status --json "$m" 2>/dev/null | jq -e '.phase == "lazy"' >/dev/null; then
		run_killed $((RANDOM % 800)) "$OVLMIG" migrate "$m"
		[[ $stage -ge 2 ]] && run_killed $((RANDOM % 1500)) "$OVLMIG" detach --wait "$m"
	fi
	phase=$("$OVLMIG" status --json "$m" 2>/dev/null | jq -r .phase)
	echo "# point $point: stage $stage, left in phase ${phase:-none}"
	if [[ $phase == lazy || $phase == migrating || $phase == migrated || $phase == detached ]]; then
		# it got far enough to be usable: a rerun finishes the job
		if ! out=$("$OVLMIG" detach --wait "$m" 2>&1); then
			fail "point $point: detach --wait after the kill" "$out"
		elif ! diff -u "$T/expected" <("$TOOLS/treesum" --no-atime "$m") >"$T/diff"; then
			fail "point $point: tree differs after the rerun" "$(head -12 "$T/diff")"
		else
			finished=$((finished + 1))
		fi
	fi
	if [[ -n $phase ]] && ! out=$("$OVLMIG" umount "$m" 2>&1); then
		fail "point $point: umount after the kill" "$out"
	fi
	left=$(leftovers "$m")
	if [[ -z $left ]]; then
		clean=$((clean + 1))
	else
		fail "point $point (phase ${phase:-none}): left behind" "$left"
		ovlmig_cleanup "$m"
	fi
	# the same upper can be mounted again from scratch after cleaning up
	rm -rf "$T/u$point" "$T/w$point" "$T"/.*"m$point".meta "$T"/.*"m$point".cache
done
[[ $clean -eq 20 ]] && ok "20 kill points: every one cleaned up to nothing ($finished finished the job first)" ||
	fail "only $clean of 20 kill points ended clean"

# the exact point between the abort and the rest of detach: the lower is
# aborted (lowerfs gone) but still mounted; a rerun finishes the detach
fusectl_ready
m=$T/mx
mkdir -p "$m"
if "$OVLMIG" mount --source "dir:$src" --upper "$T/ux" --work "$T/wx" "$m" >/dev/null &&
   "$OVLMIG" migrate "$m" >/dev/null; then
	lower=$(ls -d "$OVLMIG_RUN_DIR"/*/lower)
	echo 1 >"/sys/fs/fuse/connections/$(stat -c %d "$lower")/abort"
	sleep 0.3
	if out=$("$OVLMIG" detach "$m" 2>&1) &&
	   [[ $("$OVLMIG" status --json "$m" | jq -r .phase) == detached ]] &&
	   ! grep -q " $lower " /proc/mounts; then
		ok "detach after an abort it did not finish: $out"
	else
		fail "detach after an unfinished abort" "$out"
	fi
	diff -q "$T/expected" <("$TOOLS/treesum" --no-atime "$m") >/dev/null &&
		ok "tree equals the image" || fail "tree after the unfinished abort"
	"$OVLMIG" umount "$m" >/dev/null || fail "umount"
else
	fail "mount and migrate for the abort case"
fi
[[ -z $(leftovers "$m") ]] && ok "nothing left" || fail "left behind" "$(leftovers "$m")"
