# Shared by the container runtime tests: a busybox image, OCI bundles
# whose rootfs is a lazy ovlmig mount, ovlmig serve.

# make_image DIR MB: busybox with its applets, data blobs of MB in all
# with their sha256 recorded, a writable /work.
make_image() {
	local dir=$1 mb=$2 i
	mkdir -p "$dir"/{bin,etc,data,work,tmp,proc,sys,dev}
	cp "$(command -v busybox)" "$dir/bin/busybox"
	for a in $("$dir/bin/busybox" --list); do
		[[ -e $dir/bin/$a ]] || ln -s busybox "$dir/bin/$a"
	done
	echo "root:x:0:0:root:/:/bin/sh" >"$dir/etc/passwd"
	for i in 1 2 3 4; do
		head -c $((mb * 262144)) /dev/urandom >"$dir/data/blob$i"
		(cd "$dir/data" && sha256sum "blob$i" >"blob$i.sha256")
	done
}

# The workload, for the container's whole life: read and check files,
# exec binaries, write and rename files; every failure counted.
WORKLOAD='i=0; e=0
err() { e=$((e+1)); echo "run $i: $1 failed" >>/work/errors; }
while [ ! -e /work/stop ]; do
  i=$((i+1))
  cat /etc/passwd >/dev/null 2>>/work/errors || err cat
  (cd /data && sha256sum -c -s blob$((i % 4 + 1)).sha256) 2>>/work/errors || err sha256sum
  ls /bin >/dev/null 2>>/work/errors || err ls
  /bin/true 2>>/work/errors || err true
  { echo "$i" >/work/f.tmp && mv /work/f.tmp /work/f; } 2>>/work/errors || err write-rename
  echo "runs=$i errors=$e" >/work/progress.tmp && mv /work/progress.tmp /work/progress
  sleep 0.05
done
echo "runs=$i errors=$e" >/work/result'

# make_bundle BUNDLE ARGS-JSON ANNOTATIONS-JSON [STAGES-JSON]
make_bundle() {
	local b=$1 args=$2 ann=$3 stages=${4:-'["createRuntime","poststop"]'}
	mkdir -p "$b/rootfs"
	(cd "$b" && runc spec) || return 1
	jq --argjson args "$args" --argjson ann "$ann" --argjson stages "$stages" \
	   --arg o "$OVLMIG" --arg env "OVLMIG_RUN_DIR=$OVLMIG_RUN_DIR" '
		.process.terminal = false | .process.args = $args |
		.root.readonly = false | .annotations = $ann |
		.hooks = ([$stages[] | {key: ., value: [{path: $o,
			args: ["ovlmig", "hook", (if . == "poststop" then "poststop" else "createRuntime" end)],
			env: [$env]}]}] | from_entries)' \
		"$b/config.json" >"$b/config.json.new" && mv "$b/config.json.new" "$b/config.json"
}

# crun_cgroups_ready: crun (also podman's runtime) refuses a hybrid
# cgroup setup while cgroup2 lists the hugetlb controller; bind hugetlb
# to a v1 hierarchy for the test's duration (left alone if mounted).
crun_cgroups_ready() {
	local v2
	v2=$(findmnt -n -o TARGET -t cgroup2 | head -1)
	[[ -n $v2 && -n $(findmnt -n -t cgroup -o TARGET | head -1) ]] &&
		grep -qw hugetlb "$v2/cgroup.controllers" 2>/dev/null || return 0
	mountpoint -q /sys/fs/cgroup/hugetlb && return 0
	mkdir -p /sys/fs/cgroup/hugetlb
	mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb || return 1
	on_exit "umount /sys/fs/cgroup/hugetlb; rmdir /sys/fs/cgroup/hugetlb"
	echo "# hybrid cgroups: hugetlb bound to v1 at /sys/fs/cgroup/hugetlb for crun"
}

start_serve() {
	"$OVLMIG" serve 2>>"$T/serve.log" &
	SERVE_PID=$!
	on_exit "kill -KILL $SERVE_PID"
	for _ in $(seq 50); do [[ -S $OVLMIG_RUN_DIR/ovlmig.sock ]] && return 0; sleep 0.05; done
	return 1
}

# wait_phase TARGET PHASE SECONDS
wait_phase() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		[[ $("$OVLMIG" status --json "$1" 2>/dev/null | jq -r .phase) == "$2" ]] && return 0
		sleep 0.1
	done
	return 1
}

# The job that serve (or the hook) runs for the mount at TARGET writes
# its output to STATE/job.log; poststop removes the state and the log
# with it. job_log_keep TARGET copies the log to $T while it is there;
# job_log TARGET prints it (live, else the copy) with serve's lines about
# the job, for a failure's message.
job_state() { echo "$OVLMIG_RUN_DIR/$(realpath -m "$1" | sed 's|^/||; s|/|-|g')"; }
job_log_keep() {
	local st
	st=$(job_state "$1")
	[[ -f $st/job.log ]] && cp "$st/job.log" "$T/job-${st##*/}.log"
	return 0
}
job_log() {
	local st log
	st=$(job_state "$1")
	log=$st/job.log
	[[ -f $log ]] || log=$T/job-${st##*/}.log
	echo "job.log:"
	cat "$log" 2>/dev/null || echo "(none)"
	echo "serve.log:"
	grep -F " for $(realpath -m "$1")" "$T/serve.log" 2>/dev/null | tail -5
}
# job_ended_ok TARGET: serve logs the end of a job of TARGET within 10 s,
# and every job of TARGET it saw end exited 0
job_ended_ok() {
	local lines i
	for ((i = 0; i < 100; i++)); do
		lines=$(grep -F " for $(realpath -m "$1") ended: " "$T/serve.log" 2>/dev/null)
		[[ -n $lines ]] && break
		sleep 0.1
	done
	[[ -n $lines ]] && ! grep -qv ' ended: exit 0$' <<<"$lines"
}

# lowerfs processes serving the ovlmig mount at TARGET
lowerfs_of() {
	local name=${1#/}
	pgrep -f "lowerfs --run-dir $OVLMIG_RUN_DIR/${name//\//-}/" || true
}

# lifecycle BUNDLE ID: a container on a lazy ovlmig mount runs the
# workload; the hook starts migration through serve; detach happens while
# it runs; 0 errors; then no lowerfs, no FUSE connection; poststop unmounts.
lifecycle() {
	local b=$1 id=$2 st before after result conn
	make_bundle "$b" "$(jq -nc --arg w "$WORKLOAD" '["sh","-c",$w]')" \
		'{"io.ovlmig.migrate":"true","io.ovlmig.detach":"auto","io.ovlmig.bandwidth":"40"}'
	"$OVLMIG" mount --source "dir:$T/img" --upper "$T/$id-u" --work "$T/$id-w" "$b/rootfs" >/dev/null ||
		{ fail "mount"; return 1; }
	on_exit "$RUNTIME delete -f $id-$$; ovlmig_cleanup $b/rootfs"
	st=$("$OVLMIG" status --json "$b/rootfs")
	[[ $(jq -r .strategy <<<"$st") == store ]] && ok "the default strategy: store" ||
		fail "strategy" "$(jq -r .strategy <<<"$st")"
	conn=$(stat -c %d "$OVLMIG_RUN_DIR"/*/lower)
	(cd "$b" && "$RUNTIME" run -d "$id-$$" >"$T/$id.out" 2>&1) || { fail "$RUNTIME run" "$(cat "$T/$id.out")"; return 1; }
	if wait_phase "$b/rootfs" detached 90; then
		ok "hook started migration and detach while the container runs"
	else
		fail "not detached in time" "$("$OVLMIG" status "$b/rootfs"; job_log "$b/rootfs")"
	fi
	job_ended_ok "$b/rootfs" && ok "serve: the job ended with exit 0" ||
		fail "serve: the job did not end with exit 0" "$(job_log "$b/rootfs")"
	job_log_keep "$b/rootfs"
	st=$("$OVLMIG" status --json "$b/rootfs")
	[[ $(jq -r .lower_attached <<<"$st") == false ]] && ok "status: detached, lower not attached" ||
		fail "status" "$st"
	[[ $(jq -r .state "$(jq -r .store <<<"$st")/image.json") == complete ]] &&
		ok "the hook's job filled the image store" || fail "image store" "$st"
	before=$(sed 's/runs=\([0-9]*\).*/\1/' "$b/rootfs/work/progress")
	sleep 1
	after=$(sed 's/runs=\([0-9]*\).*/\1/' "$b/rootfs/work/progress")
	[[ $after -gt $before ]] && ok "workload keeps running after detach ($before -> $after runs)" ||
		fail "workload stalled after detach"
	touch "$b/rootfs/work/stop"
	for _ in $(seq 50); do [[ -e $b/rootfs/work/result ]] && break; sleep 0.1; done
	result=$(cat "$b/rootfs/work/result" 2>/dev/null)
	[[ $result == *" errors=0" ]] && ok "workload log: $result" ||
		fail "workload errors" "$result: $(head -5 "$b/rootfs/work/errors" 2>/dev/null)"
	[[ -z $(lowerfs_of "$b/rootfs") ]] && ok "no lowerfs process left" ||
		fail "lowerfs still runs: $(lowerfs_of "$b/rootfs")"
	"$RUNTIME" delete -f "$id-$$" >/dev/null 2>&1
	grep -q " $b/rootfs " /proc/mounts && fail "poststop left the rootfs mounted" ||
		ok "poststop unmounted the rootfs"
	fuse_conn_gone "$conn" && ok "no FUSE connection left" ||
		fail "FUSE connection $conn left"
}
