#!/usr/bin/env bash
# Must show (runtime issue) with Debian's runc:
# 1. a container on a lazy ovlmig mount of a busybox image runs a workload
#    for the whole test; the hook starts migration (via ovlmig serve);
#    detach happens while it runs; 0 errors; afterwards no lowerfs, no
#    FUSE connection, and status said detached;
# 2. runc create with the hook against without (printed, not asserted:
#    timings are for scripts/bench, never test verdicts);
# 3. ovlmig serve killed with -9 mid-migration: the job resumes and
#    completes when serve restarts; the container notices nothing;
# 4. poststop after a container that exits before migration finished:
#    nothing stays mounted, no process stays.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/runtime_lib.sh"
require_root "runc with ovlmig"
command -v runc >/dev/null || { fail "runc not installed"; exit 1; }
export RUNTIME=${RUNTIME:-runc}

make_image "$T/img" 8
# one image per container (a file of its own: the same tree is the same
# image in the store): with the default strategy, store, a container of an
# image the store already holds whole has nothing to migrate
for n in 2 3 4 5; do cp -a "$T/img" "$T/img$n" && echo "$n" >"$T/img$n/etc/image-$n"; done
start_serve || { fail "ovlmig serve did not start"; exit 1; }

# --- 1: the whole lifecycle under a running container ---------------
lifecycle "$T/b1" c1
# --- 2: what the hook costs runc create ------------------------------
b=$T/b2
make_bundle "$b" '["sleep","1000"]' '{"io.ovlmig.migrate":"true","io.ovlmig.detach":"manual"}' \
	'["createRuntime"]'
"$OVLMIG" mount --source "dir:$T/img2" --upper "$T/u2" --work "$T/w2" "$b/rootfs" >/dev/null ||
	{ fail "mount 2"; exit 1; }
on_exit "ovlmig_cleanup $b/rootfs"
cp "$b/config.json" "$T/with-hook.json"
jq 'del(.hooks)' "$T/with-hook.json" >"$T/no-hook.json"
# one create with the hook starts the (manual-detach) job; once it has
# migrated, time creates without and with the hook, interleaved
cp "$T/with-hook.json" "$b/config.json"
(cd "$b" && "$RUNTIME" create "c2-$$" >/dev/null 2>&1); "$RUNTIME" delete -f "c2-$$" >/dev/null 2>&1
wait_phase "$b/rootfs" migrated 60 || fail "manual-detach job did not migrate"
create_ns() {
	local t0
	cp "$1" "$b/config.json"
	t0=$(date +%s%N)
	(cd "$b" && "$RUNTIME" create "c2-$$" >/dev/null 2>&1) || return 1
	echo $(( $(date +%s%N) - t0 ))
	"$RUNTIME" delete -f "c2-$$" >/dev/null 2>&1
}
with=() without=()
for i in 1 2 3 4 5 6 7; do
	without+=("$(create_ns "$T/no-hook.json")") && with+=("$(create_ns "$T/with-hook.json")") ||
		{ fail "$RUNTIME create timing"; break; }
done
median() { printf '%s\n' "$@" | sort -n | sed -n 4p; }
w=$(median "${with[@]}") wo=$(median "${without[@]}")
ok "$RUNTIME create: $((wo / 1000)) us without the hook, $((w / 1000)) us with it: $(awk -v a="$w" -v b="$wo" 'BEGIN{printf "%.2f", a/b}')x (median of 7, interleaved)"

# --- 3: serve killed mid-migration ------------------------------------
b=$T/b3
make_bundle "$b" "$(jq -nc --arg w "$WORKLOAD" '["sh","-c",$w]')" \
	'{"io.ovlmig.migrate":"true","io.ovlmig.detach":"auto","io.ovlmig.bandwidth":"8"}'
"$OVLMIG" mount --source "dir:$T/img3" --upper "$T/u3" --work "$T/w3" "$b/rootfs" >/dev/null ||
	{ fail "mount 3"; exit 1; }
on_exit "$RUNTIME delete -f c3-$$; ovlmig_cleanup $b/rootfs"
(cd "$b" && "$RUNTIME" run -d "c3-$$" >"$T/c3.out" 2>&1) || { fail "$RUNTIME run 3" "$(cat "$T/c3.out")"; exit 1; }
wait_phase "$b/rootfs" migrating 20 || fail "migration did not start"
sleep 1
kill -KILL "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
sleep 0.3
if pgrep -f "ovlmig job $b/rootfs" >/dev/null; then
	fail "the job outlived serve"
else
	ok "serve killed with -9 mid-migration ($(jq -r '.progress.bytes_done' <<<"$("$OVLMIG" status --json "$b/rootfs")") bytes done), its job with it"
fi
start_serve || { fail "serve restart"; exit 1; }
wait_phase "$b/rootfs" detached 90 && ok "restarted serve resumed the job: detached" ||
	fail "not detached after restart" "$(tail -5 "$T/serve.log")"
touch "$b/rootfs/work/stop"
for _ in $(seq 50); do [[ -e $b/rootfs/work/result ]] && break; sleep 0.1; done
result=$(cat "$b/rootfs/work/result" 2>/dev/null)
[[ $result == *" errors=0" ]] && ok "the container noticed nothing: $result" || fail "workload" "$result"
"$RUNTIME" delete -f "c3-$$" >/dev/null 2>&1

# --- 4: the container exits before migration finished ---------------
b=$T/b4
make_bundle "$b" '["sh","-c","cat /etc/passwd >/dev/null"]' \
	'{"io.ovlmig.migrate":"true","io.ovlmig.detach":"auto","io.ovlmig.bandwidth":"1"}'
"$OVLMIG" mount --source "dir:$T/img4" --upper "$T/u4" --work "$T/w4" "$b/rootfs" >/dev/null ||
	{ fail "mount 4"; exit 1; }
on_exit "$RUNTIME delete -f c4-$$; ovlmig_cleanup $b/rootfs"
lpid=$(lowerfs_of "$b/rootfs")
[[ -n $lpid ]] || fail "no lowerfs for the fourth mount"
# `run` is create + start + wait + delete: poststop runs when it returns
(cd "$b" && "$RUNTIME" run "c4-$$" >"$T/c4.out" 2>&1) || fail "$RUNTIME run 4" "$(cat "$T/c4.out")"
"$RUNTIME" delete "c4-$$" >/dev/null 2>&1
grep -q "poststop c4-$$: .*unmounted" "$OVLMIG_RUN_DIR/hook.log" &&
	grep -q "createRuntime c4-$$: .*handed to ovlmig serve" "$OVLMIG_RUN_DIR/hook.log" &&
	ok "migration started, container exited, poststop ran" || fail "hook log" "$(tail -3 "$OVLMIG_RUN_DIR/hook.log")"
grep -q " $b/rootfs " /proc/mounts && fail "rootfs still mounted after poststop" ||
	ok "nothing stays mounted"
sleep 0.3
[[ -z $(pgrep -f "ovlmig job $b/rootfs") ]] && ok "no job process left" || fail "job process left"
pid_running "$lpid" && fail "lowerfs $lpid left" || ok "its lowerfs is gone"
"$OVLMIG" status --json "$b/rootfs" >/dev/null 2>&1 && fail "state of the exited container left" ||
	ok "state of the exited container removed"

# --- policy: io.ovlmig.detach=manual migrates and leaves the lower ------
b=$T/b2
if wait_phase "$b/rootfs" migrated 1; then
	sleep 0.5
	st=$("$OVLMIG" status --json "$b/rootfs")
	[[ $(jq -r .phase <<<"$st") == migrated && $(jq -r .lower_attached <<<"$st") == true ]] &&
		ok "io.ovlmig.detach=manual: migrated, lower still attached" || fail "manual detach policy" "$st"
else
	fail "manual policy: never migrated"
fi

# --- 5: no serve: the hook's worker must not hold the runtime up --------
kill -KILL "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
b=$T/b5
make_bundle "$b" '["sh","-c","cat /etc/passwd >/dev/null; sleep 0.5"]' \
	'{"io.ovlmig.migrate":"true","io.ovlmig.detach":"auto","io.ovlmig.bandwidth":"4"}' \
	'["createRuntime"]'
"$OVLMIG" mount --source "dir:$T/img5" --upper "$T/u5" --work "$T/w5" "$b/rootfs" >/dev/null ||
	{ fail "mount 5"; exit 1; }
on_exit "$RUNTIME delete -f c5-$$; ovlmig_cleanup $b/rootfs"
t0=$(date +%s%N)
(cd "$b" && timeout 20 "$RUNTIME" run "c5-$$" >"$T/c5.out" 2>&1) || fail "$RUNTIME run 5" "$(cat "$T/c5.out")"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
grep -q "createRuntime c5-$$: .*no ovlmig serve.*starting a worker" "$OVLMIG_RUN_DIR/hook.log" &&
	ok "no serve: the hook started a worker" || fail "hook log 5" "$(tail -2 "$OVLMIG_RUN_DIR/hook.log")"
pgrep -f "ovlmig job $b/rootfs" >/dev/null && [[ $ms -lt 10000 ]] &&
	ok "$RUNTIME run returned after ${ms} ms while the worker still migrates" ||
	fail "the worker held the runtime up (${ms} ms) or is gone"
wait_phase "$b/rootfs" detached 60 && ok "the worker migrated and detached on its own" ||
	fail "worker did not finish" "$(cat "$OVLMIG_RUN_DIR"/*/job.log | tail -5)"
