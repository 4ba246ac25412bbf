#!/usr/bin/env bash
# Must show 6 of the remote-image issue: a 3-layer image pushed by skopeo
# to docker-registry is mounted with `ovlmig mount --source docker://...
# --insecure`; processes read it while `ovlmig migrate` and `ovlmig
# detach` run, with 0 errors; afterwards, with the registry gone, the
# merged tree equals the image and an operation suite gets 0 errors.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
require_root "remote registry image migration"
require_tools "remote registry image migration" docker-registry skopeo jq python3 openssl zstd
fusectl_ready || { fail "mount fusectl"; exit 1; }

L=$(layers_dir) || { fail "mklayers"; exit 1; }
expected_tree "$L/image.tree" "$T/expected"
registry_start || { fail "registry"; exit 1; }
oci_layout_from_layers "$T/oci" v1 "$L"/l{1,2,3}.tar.gz
registry_push "$T/oci" v1 test/img >"$T/out" 2>&1 && ok "skopeo pushed test/img:v1" ||
	{ fail "skopeo push" "$(head -3 "$T/out")"; exit 1; }

m=$T/m
phase() { "$OVLMIG" status --json "$m" | jq -r .phase; }
if ovlmig_mount "$m" --source "docker://127.0.0.1:$REGISTRY_PORT/test/img:v1" --insecure \
	--upper "$T/u" --work "$T/w" --cache "$T/cache" >"$T/out" 2>&1; then
	ok "ovlmig mount docker://127.0.0.1:$REGISTRY_PORT/test/img:v1: $(tail -1 "$T/out")"
else
	fail "ovlmig mount" "$(head -3 "$T/out")"; exit 1
fi
[[ $(phase) == lazy ]] && ok "status: lazy" || fail "status after mount: $(phase)"
same_tree "lazy overlay equals the image" "$T/expected" "$m"

# readers on the image through migrate and detach
pids=()
start_holder() {
	local name=$1; shift
	"$TOOLS/holder" "$@" --report "$T/$name.report" --ready "$T/$name.ready" &
	pids+=($!)
	on_exit "kill -KILL $!"
}
start_holder cwd --cwd "$m/usr/lib"
start_holder fd --fd "$m/usr/bin/app"
start_holder mmap --mmap "$m/usr/lib/a.so"
for h in cwd fd mmap; do
	for _ in $(seq 100); do [[ -e $T/$h.ready ]] && break; sleep 0.05; done
	[[ -e $T/$h.ready ]] || fail "holder $h did not start"
done

"$OVLMIG" migrate "$m" >"$T/out" 2>&1 && ok "migrate: $(head -1 "$T/out")" || fail "migrate" "$(head -3 "$T/out")"
[[ $(phase) == migrated ]] && ok "status: migrated" || fail "status after migrate: $(phase)"
lowerfs_pid=$("$OVLMIG" status --json "$m" | jq -r .lowerfs_pid)
"$OVLMIG" detach "$m" >"$T/out" 2>&1 && ok "detach: $(head -1 "$T/out")" || fail "detach" "$(head -3 "$T/out")"
[[ $(phase) == detached ]] && ok "status: detached" || fail "status after detach: $(phase)"
pid_running "$lowerfs_pid" && fail "lowerfs $lowerfs_pid still running" || ok "lowerfs gone"

# from now on nothing may need the registry
stop_pid "$REGISTRY_PID"
# the tree, except what the cwd holder changes: its scratch files and the
# mtime of usr/lib, where it makes them
filter() { grep -v -e '\.holder-' -e '^usr/lib '; }
"$TOOLS/treesum" --no-atime "$m" | filter >"$T/got"
diff -u <(filter <"$T/expected") "$T/got" >"$T/diff" &&
	ok "merged tree after detach, registry stopped, equals the image ($(wc -l <"$T/got") entries)" ||
	fail "merged tree differs" "$(head -20 "$T/diff")"
if out=$("$TOOLS/opsuite" --pinned usr/lib --deep var/cache/x "$m" 2>&1); then
	ok "after detach: $(head -1 <<<"$out")"
else
	fail "operation suite after detach" "$out"
fi

for p in "${pids[@]}"; do kill -TERM "$p"; done
i=0
for h in cwd fd mmap; do
	wait "${pids[$i]}"; rc=$?
	report=$(cat "$T/$h.report" 2>/dev/null)
	[[ $rc -eq 0 && $report == *" errors=0 "* ]] && ok "holder $h ran through migrate and detach: $report" ||
		fail "holder $h: exit $rc" "$report"
	i=$((i + 1))
done
"$OVLMIG" umount "$m" >/dev/null && ok "umount" || fail "umount"
