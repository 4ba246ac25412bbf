#!/usr/bin/env bash
# detach refuses while migration is incomplete (--wait finishes it first),
# and refuses, naming the path and the process, while a file that only
# the lower can still serve is also open for writing; nothing is aborted.
. "$(dirname "$0")/../lib.sh"
require_root "ovlmig detach refusals"

src=$T/src
"$TOOLS/gentree" --small --seed 61 "$src" >/dev/null || { fail "gentree"; exit 1; }
"$TOOLS/treesum" --no-atime --exclude-xattr-prefix trusted.overlay. "$src" >"$T/expected"
m=$T/m
ovlmig_mount "$m" --source "dir:$src" --upper "$T/u" --work "$T/w" >/dev/null || { fail "mount"; exit 1; }
phase() { "$OVLMIG" status --json "$m" | jq -r .phase; }

out=$("$OVLMIG" detach "$m" 2>&1); rc=$?
[[ $rc -eq 1 && $out == *"migration is not complete (phase lazy)"* && $(phase) == lazy ]] &&
	ok "detach before migrate refused: $out" || fail "detach before migrate" "exit $rc: $out"

# a reader from before migration keeps the lower's file open; after
# migration another process opens the same file for writing
exec 8<"$m/files/size-4097"
"$OVLMIG" migrate "$m" >/dev/null || fail "migrate"
sleep 1000 8<&- 9<>"$m/files/size-4097" &
writer=$!
on_exit "kill $writer"
out=$("$OVLMIG" detach "$m" 2>&1); rc=$?
if [[ $rc -eq 1 && $out == *"/files/size-4097: open for writing"* &&
      $out == *"held by pid $writer (sleep) fd 9 for writing"* ]]; then
	ok "detach refused while a live file is open for writing"
else
	fail "detach with a writer" "exit $rc: $out"
fi
[[ $(phase) == migrated && $("$OVLMIG" status --json "$m" | jq -r .lower_attached) == true ]] &&
	ok "nothing aborted: still migrated, lower attached" || fail "state after refusal"
cmp -s <(cat <&8) "$src/files/size-4097" && ok "the reader still reads" || fail "reader after refusal"

kill $writer; wait $writer 2>/dev/null
if out=$("$OVLMIG" detach "$m" 2>&1); then ok "detach once the writer is gone: $out"; else fail "detach" "$out"; fi
exec 8<&-
"$TOOLS/treesum" --no-atime "$m" >"$T/got"
diff -u "$T/expected" "$T/got" >"$T/diff" && ok "tree equals the image" ||
	fail "tree differs" "$(head -20 "$T/diff")"

# --wait: migrate and detach in one go
m2=$T/m2
ovlmig_mount "$m2" --source "dir:$src" --upper "$T/u2" --work "$T/w2" >/dev/null || { fail "mount 2"; exit 1; }
if out=$("$OVLMIG" detach --wait "$m2" 2>&1); then ok "detach --wait migrates first: $(tail -1 <<<"$out")"; else fail "detach --wait" "$out"; fi
[[ $("$OVLMIG" status --json "$m2" | jq -r .phase) == detached ]] && ok "phase detached" || fail "phase after --wait"
"$TOOLS/treesum" --no-atime "$m2" >"$T/got2"
diff -u "$T/expected" "$T/got2" >"$T/diff2" && ok "tree after detach --wait equals the image" ||
	fail "tree after --wait differs" "$(head -20 "$T/diff2")"
