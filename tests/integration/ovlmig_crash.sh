#!/usr/bin/env bash
# Must show 4: kill -9 of `ovlmig migrate` at several points, then a rerun
# completes, with the same final tree; detach then works.
. "$(dirname "$0")/../lib.sh"
require_root "ovlmig migrate after kill -9"

src=$T/src
"$TOOLS/gentree" --small --seed 21 "$src" >/dev/null || { fail "gentree"; exit 1; }
mkdir -p "$src/blobs"
for i in $(seq 1 12); do head -c 2000000 /dev/urandom >"$src/blobs/b$i"; done
"$TOOLS/treesum" --no-atime --exclude-xattr-prefix trusted.overlay. "$src" >"$T/expected"
# datadir: its upper is the record of what migrate did (a killed fill of
# strategy store resumes in ovlmig_store.sh)
ovlmig_mount "$T/m" --strategy datadir --source "dir:$src" --upper "$T/u" --work "$T/w" >/dev/null ||
	{ fail "mount"; exit 1; }

# a slow migration (5 MB/s for ~30 MB) killed at several points
seed=${CRASH_SEED:-$RANDOM}
echo "# kill points from seed $seed"
RANDOM=$seed
kills=0
for attempt in 1 2 3 4; do
	"$OVLMIG" migrate --bandwidth 5 "$T/m" >/dev/null 2>&1 &
	pid=$!
	sleep "0.$((RANDOM % 9 + 1))"
	if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
	wait "$pid" 2>/dev/null
	phase=$("$OVLMIG" status --json "$T/m" | jq -r .phase)
	done_bytes=$(jq -r .bytes_done "$OVLMIG_RUN_DIR"/*/progress.json 2>/dev/null || echo 0)
	echo "# attempt $attempt: killed=$kills phase=$phase bytes_done=$done_bytes"
done
[[ $kills -ge 3 ]] && ok "migrate killed with -9 $kills times mid-way" ||
	fail "migrate finished before it could be killed ($kills kills)"
[[ $("$OVLMIG" status --json "$T/m" | jq -r .phase) == migrating ]] &&
	ok "status says migrating after the crashes" || fail "phase after crash"
if out=$("$OVLMIG" migrate "$T/m" 2>&1); then ok "rerun completes: $out"; else fail "rerun" "$out"; fi
[[ $("$OVLMIG" status --json "$T/m" | jq -r .phase) == migrated ]] &&
	ok "phase migrated" || fail "phase after rerun"
"$TOOLS/treesum" --no-atime "$T/m" >"$T/got"
diff -u "$T/expected" "$T/got" >"$T/diff" && ok "tree after crashes and rerun equals the image" ||
	fail "tree differs" "$(head -20 "$T/diff")"
# nothing half-done is left in the upper: every file is complete
left=$(find "$T/u" -type f -exec getfattr -h --absolute-names -n trusted.overlay.metacopy {} + 2>/dev/null | grep -c '^# file' || true)
[[ $left -eq 0 ]] && ok "no metacopy-only file left in the upper" || fail "$left files still metacopy"
if out=$("$OVLMIG" detach "$T/m" 2>&1); then ok "detach: $out"; else fail "detach" "$out"; fi
"$TOOLS/treesum" --no-atime "$T/m" >"$T/got2"
diff -u "$T/expected" "$T/got2" >"$T/diff2" && ok "tree after detach equals the image" ||
	fail "tree after detach differs" "$(head -20 "$T/diff2")"
