#!/usr/bin/env bash
# Must show 3: a concurrent writer workload runs during migrate and detach;
# the final tree equals what the same operations give on a plain copy of
# the image (the model), with 0 errors. Strategy auto (store here);
# ovlmig_workload_datadir.sh runs it for datadir.
. "$(dirname "$0")/../lib.sh"
require_root "ovlmig with a concurrent writer"

src=$T/src
"$TOOLS/gentree" --small --seed 51 "$src" >/dev/null || { fail "gentree"; exit 1; }
cp -a "$src" "$T/model"
ovlmig_mount "$T/m" --strategy "${WORKLOAD_STRATEGY:-auto}" --source "dir:$src" --upper "$T/u" --work "$T/w" >/dev/null ||
	{ fail "mount"; exit 1; }
"$TOP/tests/workload.sh" "$T/m" 77 3 "$T/stop" >"$T/wl.out" 2>&1 &
wl=$!
on_exit "touch $T/stop; kill $wl"
"$OVLMIG" migrate "$T/m" >"$T/mig.out" 2>&1 && ok "migrate during the workload" ||
	fail "migrate" "$(cat "$T/mig.out")"
if out=$("$OVLMIG" detach "$T/m" 2>&1); then ok "detach during the workload: $out"; else fail "detach" "$out"; fi
touch "$T/stop"
wait $wl; rc=$?
rounds=$(sed -n 's/^rounds=\([0-9]*\).*/\1/p' "$T/wl.out")
[[ $rc -eq 0 ]] && ok "workload: 0 errors ($(tail -1 "$T/wl.out"))" ||
	fail "workload errors" "$(tail -5 "$T/wl.out")"
"$TOP/tests/workload.sh" "$T/model" 77 "${rounds:-3}" >/dev/null 2>&1 || fail "model run"
"$TOOLS/treesum" --no-atime --exclude-xattr-prefix trusted.overlay. "$T/model" >"$T/expected"
"$TOOLS/treesum" --no-atime "$T/m" >"$T/got"
diff -u "$T/expected" "$T/got" >"$T/diff" &&
	ok "final tree equals the model ($(wc -l <"$T/got") entries, $rounds rounds)" ||
	fail "final tree differs from the model" "$(head -20 "$T/diff")"
