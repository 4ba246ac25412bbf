#!/usr/bin/env bash
# The registry-outage item of issue 12 for strategy store, whose migrate
# fetches the image in-process (not through lowerfs): with the registry
# stopped, `ovlmig migrate` waits for it, says so once on stderr, goes on
# when it is back and completes the store with the image's bytes. With
# --fetch-grace 2 it fails after at least 2 s with the fetch error and
# the grace period, and leaves the store lazy.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
require_root "registry outage, strategy store"
require_tools "registry outage, strategy store" docker-registry skopeo jq python3 openssl zstd
fusectl_ready || { fail "mount fusectl"; exit 1; }

L=$(layers_dir) || { fail "mklayers"; exit 1; }
registry_start || { fail "registry"; exit 1; }
oci_layout_from_layers "$T/oci" v1 "$L"/l{1,2,3}.tar.gz
registry_push "$T/oci" v1 test/img >"$T/out" 2>&1 ||
	{ fail "skopeo push" "$(head -3 "$T/out")"; exit 1; }
src=docker://127.0.0.1:$REGISTRY_PORT/test/img:v1
expected_tree "$L/image.tree" "$T/expected"
index_layers "$L" || exit 1
idx=("${LAYER_INDEX_ARGS[@]}")
# m: the default grace period (60 s); g: --fetch-grace 2. A store each,
# so that one's migrate does not complete the other's image.
for x in m g; do
	extra=("${idx[@]}")
	[[ $x == g ]] && extra+=(--fetch-grace 2)
	if ! ovlmig_mount "$T/$x" --strategy store --store "$T/$x.store" --source "$src" \
		--insecure "${extra[@]}" --upper "$T/$x.u" --work "$T/$x.w" \
		--cache "$T/$x.cache" >"$T/out" 2>&1; then
		fail "ovlmig mount $x" "$(head -3 "$T/out")"; exit 1
	fi
done
ok "mounted $src twice, strategy store (grace 60 s and 2 s)"
image_state() { "$OVLMIG" images --json --store "$1" | jq -r '.images[0].state'; }

stop_pid "$REGISTRY_PID"
ok "registry stopped"

# --- grace 2: migrate fails with the fetch error, the store stays lazy ---
t0=$(date +%s%N)
if "$OVLMIG" migrate "$T/g" >"$T/gmig.out" 2>"$T/gmig.err"; then
	fail "grace 2: migrate succeeded with the registry down"
else
	ms=$((($(date +%s%N) - t0) / 1000000))
	grep -q "127\.0\.0\.1:$REGISTRY_PORT.*grace period is 2 s" "$T/gmig.err" &&
		ok "grace 2: migrate fails with the fetch error: $(grep -m1 'grace period' "$T/gmig.err" | cut -c1-240)" ||
		fail "grace 2: migrate's error" "$(head -5 "$T/gmig.err")"
	[[ $ms -ge 2000 ]] && ok "grace 2: migrate waited $ms ms first (>= 2000)" ||
		fail "grace 2: migrate failed after only $ms ms"
fi
[[ $(image_state "$T/g.store") == lazy ]] && ok "grace 2: the image stays lazy" ||
	fail "grace 2: image state" "$("$OVLMIG" images --json --store "$T/g.store")"

# --- the default grace: migrate rides out the outage ---
"$OVLMIG" migrate "$T/m" >"$T/mig.out" 2>"$T/mig.err" &
migrate=$!
on_exit "kill $migrate 2>/dev/null"
sleep 6
kill -0 "$migrate" 2>/dev/null && ok "after 6 s migrate still waits" ||
	fail "migrate ended during the outage" "$(cat "$T/mig.err")"
grep -q "waiting for the source: unreachable (127\.0\.0\.1:$REGISTRY_PORT: " "$T/mig.err" &&
	ok "migrate says it waits: $(grep -m1 'waiting for the source' "$T/mig.err" | cut -c1-240)" ||
	fail "migrate did not say that it waits" "$(head -5 "$T/mig.err")"
registry_restart && ok "registry restarted" || fail "registry restart"
wait "$migrate"; rc=$?
[[ $rc -eq 0 ]] && ok "migrate went on and finished: $(head -1 "$T/mig.out")" ||
	fail "migrate: exit $rc" "$(head -5 "$T/mig.err")"
n=$(grep -c "waiting for the source" "$T/mig.err")
[[ $n -eq 1 ]] && ok "migrate said once that it waits" ||
	fail "migrate said $n times that it waits" "$(head -5 "$T/mig.err")"
grep -q "the source is back, going on" "$T/mig.err" &&
	ok "migrate said the source is back" || fail "no 'source is back' line" "$(cat "$T/mig.err")"
[[ $(image_state "$T/m.store") == complete ]] && ok "the image is complete in the store" ||
	fail "image state after migrate" "$("$OVLMIG" images --json --store "$T/m.store")"
same_tree "after the outage, the overlay equals the image" "$T/expected" "$T/m"
"$OVLMIG" detach "$T/m" >"$T/det.out" 2>&1 && ok "detached: $(head -1 "$T/det.out")" ||
	fail "detach" "$(cat "$T/det.out")"
same_tree "detached, the overlay equals the image" "$T/expected" "$T/m"
