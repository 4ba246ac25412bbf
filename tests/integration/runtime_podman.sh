#!/usr/bin/env bash
# Must show (issue 17) with Debian's podman (4.3): `podman run --rootfs`
# over a lazy ovlmig mount finds ovlmig's hooks through hooks.d (the JSON
# files the package installs, only the binary path and run dir changed),
# the createRuntime hook hands migration to ovlmig serve, a workload keeps
# reading and writing while the image migrates and the lower detaches
# (0 errors), and `podman stop` runs the poststop hook that unmounts:
# nothing stays mounted, no lowerfs, no FUSE connection.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/runtime_lib.sh"
require_root "podman with ovlmig"
command -v podman >/dev/null || { fail "podman not installed"; exit 1; }

crun_cgroups_ready || { fail "mount a v1 hugetlb hierarchy for crun"; exit 1; }
make_image "$T/img" 8
mkdir -p "$T/hooks.d"
for f in "$TOP"/docs/hooks.d/*.json; do
	jq --arg o "$OVLMIG" --arg env "OVLMIG_RUN_DIR=$OVLMIG_RUN_DIR" \
	   '.hook.path = $o | .hook.env = [$env]' "$f" >"$T/hooks.d/${f##*/}" ||
		{ fail "hooks.d file $f"; exit 1; }
done
start_serve || { fail "ovlmig serve did not start"; exit 1; }

# Everything podman keeps goes under $T; cgroupfs and a file event log
# because the test machine runs no systemd. crun cannot raise
# RLIMIT_NOFILE and RLIMIT_NPROC to podman's defaults here (this machine's
# hard limits are lower and root lacks CAP_SYS_RESOURCE over them): ask
# for what we have.
name=ovlmig-podman-$$
podman() {
	command podman --root "$T/storage" --runroot "$T/runroot" --hooks-dir "$T/hooks.d" \
		--cgroup-manager cgroupfs --events-backend file "$@"
}
podman_cleanup() {
	local m i
	podman rm -f -t 0 "$name" >/dev/null 2>&1
	# conmon runs `podman container cleanup` (with our --root) once the
	# container has exited, and that mounts podman's storage again: wait
	# for every podman of this test before unmounting
	for ((i = 0; i < 100; i++)); do
		pgrep -f -- "--root $T/storage" >/dev/null || break
		sleep 0.1
	done
	# podman's own mounts (shm, storage) under $T, deepest first
	for m in $(awk -v t="$T/" 'index($2, t) == 1 && ($2 ~ /storage|runroot/) {print $2}' /proc/mounts | sort -r); do
		umount -l "$m" 2>/dev/null
	done
}

root=$T/rootfs
mkdir -p "$root"
"$OVLMIG" mount --source "dir:$T/img" --upper "$T/upper" --work "$T/work" "$root" >/dev/null ||
	{ fail "ovlmig mount"; exit 1; }
on_exit "ovlmig_cleanup $root"
on_exit podman_cleanup
conn=$(stat -c %d "$OVLMIG_RUN_DIR"/*/lower)
strategy=$("$OVLMIG" status --json "$root" | jq -r .strategy)

podman run -d --name "$name" --network none --ulimit nofile=4096:4096 --ulimit nproc=4096:4096 \
	--annotation io.ovlmig.migrate=true --annotation io.ovlmig.detach=auto \
	--annotation io.ovlmig.bandwidth=40 \
	--rootfs "$root" sh -c "$WORKLOAD"'
trap "exit 0" TERM; while :; do sleep 0.2; done' >"$T/run.out" 2>&1 ||
	{ fail "podman run --rootfs" "$(cat "$T/run.out")"; exit 1; }
grep -q "createRuntime .*: $root: handed to ovlmig serve" "$OVLMIG_RUN_DIR/hook.log" 2>/dev/null &&
	ok "podman found the createRuntime hook in hooks.d; it handed the mount to serve" ||
	fail "createRuntime hook" "$(cat "$OVLMIG_RUN_DIR/hook.log" 2>/dev/null)"

if wait_phase "$root" detached 90; then
	ok "migrated and detached while the container runs (strategy $strategy)"
else
	fail "not detached in time" "$("$OVLMIG" status "$root"; job_log "$root")"
fi
job_ended_ok "$root" && ok "serve: the job ended with exit 0" ||
	fail "serve: the job did not end with exit 0" "$(job_log "$root")"
# poststop removes the state, job.log with it
job_log_keep "$root"
[[ $("$OVLMIG" status --json "$root" | jq -r .lower_attached) == false ]] &&
	ok "status: lower not attached" || fail "status" "$("$OVLMIG" status "$root")"
before=$(sed 's/runs=\([0-9]*\).*/\1/' "$root/work/progress" 2>/dev/null)
sleep 1
after=$(sed 's/runs=\([0-9]*\).*/\1/' "$root/work/progress" 2>/dev/null)
[[ -n $before && $after -gt $before ]] && ok "workload keeps running after detach ($before -> $after runs)" ||
	fail "workload stalled after detach" "$before -> $after"
touch "$root/work/stop"
for _ in $(seq 50); do [[ -e $root/work/result ]] && break; sleep 0.1; done
result=$(cat "$root/work/result" 2>/dev/null)
[[ $result == *" errors=0" ]] && ok "workload log: $result" ||
	fail "workload errors" "$result: $(head -5 "$root/work/errors" 2>/dev/null)"
[[ -z $(lowerfs_of "$root") ]] && ok "no lowerfs process left" ||
	fail "lowerfs still runs: $(lowerfs_of "$root")"

podman stop -t 10 "$name" >"$T/stop.out" 2>&1 || fail "podman stop" "$(cat "$T/stop.out")"
for _ in $(seq 50); do grep -q " $root " /proc/mounts || break; sleep 0.1; done
grep -q "poststop .*: $root: unmounted" "$OVLMIG_RUN_DIR/hook.log" &&
	ok "podman stop ran the poststop hook from hooks.d" ||
	fail "poststop hook" "$(tail -3 "$OVLMIG_RUN_DIR/hook.log")"
grep -q " $root " /proc/mounts && fail "the rootfs is still mounted after podman stop" ||
	ok "nothing stays mounted after podman stop"
fuse_conn_gone "$conn" && ok "no FUSE connection left" ||
	fail "FUSE connection $conn left"
"$OVLMIG" status --json "$root" >/dev/null 2>&1 && fail "ovlmig state of the stopped container left" ||
	ok "ovlmig state removed"
