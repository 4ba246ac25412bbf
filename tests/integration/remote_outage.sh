#!/usr/bin/env bash
# Must show the registry-outage item of issue 12: with the registry
# stopped, a lazy read of a file not fetched yet waits for it; the
# registry comes back after 20 s and the reader gets the right bytes, no
# error. Meanwhile `ovlmig status` says the source is unreachable, and
# `ovlmig migrate` waits too, says so once on stderr and then finishes.
# With --fetch-grace 3 and the registry down, a read fails with EIO after
# at least 3 s, status counts the fetch errors, and migrate fails with
# the fetch error.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
require_root "registry outage"
require_tools "registry outage" docker-registry skopeo jq python3 openssl zstd
fusectl_ready || { fail "mount fusectl"; exit 1; }

L=$(layers_dir) || { fail "mklayers"; exit 1; }
registry_start || { fail "registry"; exit 1; }
oci_layout_from_layers "$T/oci" v1 "$L"/l{1,2,3}.tar.gz
registry_push "$T/oci" v1 test/img >"$T/out" 2>&1 ||
	{ fail "skopeo push" "$(head -3 "$T/out")"; exit 1; }
src=docker://127.0.0.1:$REGISTRY_PORT/test/img:v1
f=usr/lib/a.so
want=$(sha256sum <"$L/image.tree/$f" | cut -d' ' -f1)
expected_tree "$L/image.tree" "$T/expected"

# indexes given: a cold mount would keep the layers it streams, and then
# no read would need the registry
index_layers "$L" || exit 1
idx=("${LAYER_INDEX_ARGS[@]}")
# m: the default grace period (60 s); g: --fetch-grace 3. Strategy
# datadir: its migrate copies up through lowerfs and watches lowerfs for
# the outage. Strategy store's migrate fetches in-process:
# remote_outage_store.sh.
for x in m g; do
	extra=("${idx[@]}")
	[[ $x == g ]] && extra+=(--fetch-grace 3)
	if ! ovlmig_mount "$T/$x" --strategy datadir --source "$src" --insecure "${extra[@]}" \
		--upper "$T/$x.u" --work "$T/$x.w" --cache "$T/$x.cache" >"$T/out" 2>&1; then
		fail "ovlmig mount $x" "$(head -3 "$T/out")"; exit 1
	fi
done
ok "mounted $src twice (grace 60 s and 3 s)"
state() { "$OVLMIG" status --json "$1" | jq -r ".source_state.$2"; }
[[ $(state "$T/m" reachable) == true && $(state "$T/m" fetch_grace) == 60 &&
   $(state "$T/g" fetch_grace) == 3 ]] &&
	ok "status: source reachable, grace periods 60 s and 3 s" ||
	fail "status before the outage" "$("$OVLMIG" status --json "$T/m" | jq -c .source_state)"

stop_pid "$REGISTRY_PID"
ok "registry stopped"

# --- grace 3: EIO after at least 3 s, errors counted ---
t0=$(date +%s%N)
v=$(read_verdict "$T/g/$f" "$L/image.tree/$f")
ms=$((($(date +%s%N) - t0) / 1000000))
[[ $v == eio ]] && ok "grace 3: the read fails with EIO" || fail "grace 3: the read: $v"
[[ $ms -ge 3000 ]] && ok "grace 3: the reader waited $ms ms first (>= 3000)" ||
	fail "grace 3: EIO after only $ms ms"
# lowerfs says why: the URL (its host), the cause, the grace period
line=$(grep -h "open /$f: .*127\.0\.0\.1:$REGISTRY_PORT/.*grace period is 3 s" "$OVLMIG_RUN_DIR"/*/lowerfs/lowerfs.log | head -1)
[[ -n $line ]] && ok "grace 3: lowerfs logged: ${line:0:240}" ||
	fail "grace 3: no log line naming the URL and the grace period" "$(tail -3 "$OVLMIG_RUN_DIR"/*/lowerfs/lowerfs.log)"
js=$("$OVLMIG" status --json "$T/g")
[[ $(jq -r .source_state.reachable <<<"$js") == false &&
   $(jq -r .source_state.fetch_errors_transient <<<"$js") -ge 1 &&
   $(jq -r .source_state.last_fetch_error <<<"$js") == "127.0.0.1:$REGISTRY_PORT: "* ]] &&
	ok "grace 3: status --json: $(jq -c .source_state <<<"$js")" ||
	fail "grace 3: status --json" "$(jq -c .source_state <<<"$js")"
"$OVLMIG" status "$T/g" >"$T/status.txt"
grep -Eq "^  source    unreachable for [0-9]+ s \(127\.0\.0\.1:$REGISTRY_PORT: .*Connection refused.*\); [1-9][0-9]* fetch errors?" "$T/status.txt" &&
	ok "grace 3: status: $(grep '^  source' "$T/status.txt")" ||
	fail "grace 3: status text" "$(cat "$T/status.txt")"
if "$OVLMIG" migrate "$T/g" >"$T/gmig.out" 2>"$T/gmig.err"; then
	fail "grace 3: migrate succeeded with the registry down"
else
	grep -q "source is unreachable for .*127\.0\.0\.1:$REGISTRY_PORT" "$T/gmig.err" &&
		ok "grace 3: migrate fails with the fetch error: $(grep -m1 'source is unreachable' "$T/gmig.err")" ||
		fail "grace 3: migrate's error" "$(head -5 "$T/gmig.err")"
fi
# it stopped at the first file the source could not give: not one each
n=$("$OVLMIG" status --json "$T/g" | jq -r .lowerfs.fetch_errors)
[[ $n -le 4 ]] && ok "grace 3: migrate stopped after $n failed files (jobs 2)" ||
	fail "grace 3: $n files failed: migrate went on through a dead source"

# --- the default grace: a reader and migrate ride out 20 s ---
start=$(date +%s%N)
( sha256sum <"$T/m/$f" >"$T/read.sum" 2>"$T/read.err"; echo $? >"$T/read.rc" ) &
reader=$!
on_exit "kill $reader 2>/dev/null"
"$OVLMIG" migrate "$T/m" >"$T/mig.out" 2>"$T/mig.err" &
migrate=$!
on_exit "kill $migrate 2>/dev/null"
sleep 5
[[ ! -e $T/read.rc ]] && ok "after 5 s the reader still waits" ||
	fail "the reader ended at once: rc $(cat "$T/read.rc") $(cat "$T/read.err")"
js=$("$OVLMIG" status --json "$T/m")
[[ $(jq -r .source_state.reachable <<<"$js") == false &&
   $(jq -r .source_state.unreachable_for <<<"$js") -ge 1 ]] &&
	ok "during the outage, status --json: $(jq -c .source_state <<<"$js")" ||
	fail "during the outage, status --json" "$(jq -c .source_state <<<"$js")"
"$OVLMIG" status "$T/m" >"$T/status.txt"
grep -q "^  source    unreachable for" "$T/status.txt" &&
	ok "during the outage, status: $(grep '^  source' "$T/status.txt")" ||
	fail "during the outage, status text" "$(cat "$T/status.txt")"
sleep 15
[[ ! -e $T/read.rc ]] && ok "after 20 s the reader still waits, without an error" ||
	fail "the reader ended during the outage: rc $(cat "$T/read.rc") $(cat "$T/read.err")"
kill -0 "$migrate" 2>/dev/null && ok "after 20 s migrate still waits" ||
	fail "migrate ended during the outage" "$(cat "$T/mig.err")"
registry_restart && ok "registry restarted" || fail "registry restart"

for _ in $(seq 600); do [[ -e $T/read.rc ]] && break; sleep 0.1; done
ms=$((($(date +%s%N) - start) / 1000000))
got=$(cut -d' ' -f1 <"$T/read.sum" 2>/dev/null)
[[ $(cat "$T/read.rc" 2>/dev/null) == 0 && ! -s $T/read.err ]] &&
	ok "the reader saw no error ($ms ms)" ||
	fail "the reader: rc $(cat "$T/read.rc" 2>/dev/null)" "$(cat "$T/read.err")"
[[ $got == "$want" ]] && ok "the reader got the right bytes: sha256 $got" ||
	fail "the reader got sha256 $got, the image has $want"
[[ $ms -ge 15000 ]] && ok "the reader waited the outage out ($ms ms >= 15000)" ||
	fail "the reader ended after only $ms ms: it did not wait for the registry"
wait "$migrate"; rc=$?
[[ $rc -eq 0 ]] && ok "migrate went on and finished: $(head -1 "$T/mig.out")" ||
	fail "migrate: exit $rc" "$(head -5 "$T/mig.err")"
n=$(grep -c "waiting for the source" "$T/mig.err")
[[ $n -eq 1 ]] && ok "migrate said once that it waits: $(grep -m1 'waiting for the source' "$T/mig.err")" ||
	fail "migrate said $n times that it waits" "$(head -5 "$T/mig.err")"
same_tree "after the outage, the overlay equals the image" "$T/expected" "$T/m"
js=$("$OVLMIG" status --json "$T/m")
[[ $(jq -r .source_state.reachable <<<"$js") == true &&
   $(jq -r .source_state.fetch_errors_transient <<<"$js") -ge 1 ]] &&
	ok "after the outage, status: reachable, $(jq -r .source_state.fetch_errors_transient <<<"$js") transient errors counted" ||
	fail "after the outage, status --json" "$(jq -c .source_state <<<"$js")"
# three readers (the reader, migrate's two workers) waited on one outage:
# one probe at a time, backing off to 5 s, not three each
n=$(jq -r .source_state.fetch_errors_transient <<<"$js")
[[ $n -le 14 ]] && ok "the readers shared the outage: $n failed requests in all" ||
	fail "$n failed requests during a ~20 s outage: the readers hammered the registry"
