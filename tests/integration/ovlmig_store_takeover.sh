#!/usr/bin/env bash
# Strategy store, lowerfs killed (-9) while a reader reads the lazy
# overlay: the keeper's new lowerfs is started with the first one's
# --store-image, so it goes on feeding the image store. The reader sees 0
# errors, a file first read after the takeover lands in STORE/data, every
# file read is there with the image's bytes, and the new lowerfs counts
# what it fed.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../store_lib.sh"
require_root "ovlmig store across a lowerfs takeover"
fusectl_ready || { fail "mount fusectl"; exit 1; }

src=$T/src
mkdir -p "$src/d" "$src/late"
for i in $(seq 1 300); do head -c $((RANDOM * 3 + 1)) /dev/urandom >"$src/d/f$i"; done
head -c 100000 /dev/urandom >"$src/late/after"
m=$T/m
ovlmig_mount "$m" --strategy store --source "dir:$src" --upper "$T/u" --work "$T/w" >"$T/out" 2>&1 ||
	{ fail "mount" "$(cat "$T/out")"; exit 1; }
img=$(status "$m" store)
run=$OVLMIG_RUN_DIR/$(status "$m" name)/lowerfs
[[ -d $img/data ]] || { fail "no image store" "$img"; exit 1; }

# the reader: every file once, compared with the source, slowly enough
# that the kill lands in the middle
(e=0; for i in $(seq 1 300); do cmp -s "$src/d/f$i" "$m/d/f$i" || e=$((e + 1)); sleep 0.005; done
 echo "errors=$e") >"$T/reader" &
reader=$!
on_exit "kill -KILL $reader 2>/dev/null"
sleep 0.6
old=$(status "$m" lowerfs_pid)
[[ $old -gt 0 ]] && kill -9 "$old" && ok "lowerfs $old killed with -9 mid-read" || fail "kill lowerfs"
wait $reader
[[ $(cat "$T/reader") == "errors=0" ]] && ok "reader across the crash: $(cat "$T/reader")" ||
	fail "reader errors" "$(cat "$T/reader")"
new=$(status "$m" lowerfs_pid)
[[ $new -gt 0 && $new != "$old" && $(status "$m" lowerfs.taken_over) == true ]] &&
	ok "a new lowerfs ($new) took over the connection" || fail "takeover" "$("$OVLMIG" status --json "$m")"

# first read after the takeover: fed by the new lowerfs alone
[[ ! -e $img/data/late/after ]] || fail "late/after in the store before it was read"
cmp -s "$src/late/after" "$m/late/after" && ok "read of /late/after after the takeover" ||
	fail "read of /late/after"
cmp -s "$src/late/after" "$img/data/late/after" && ok "fed into the store after the takeover: data/late/after" ||
	fail "data/late/after not fed" "$(ls -l "$img/data/late" 2>&1; tail -3 "$run/lowerfs.log")"
fed=$("$LOWERFS" ctl --run-dir "$run" stats | jq -r .store_fed_files)
[[ $fed -ge 1 ]] && ok "the new lowerfs fed $fed files" || fail "the new lowerfs fed $fed files"
missing=0
for i in $(seq 1 300); do cmp -s "$src/d/f$i" "$img/data/d/f$i" || missing=$((missing + 1)); done
[[ $missing -eq 0 ]] && ok "every file read, before and after the crash, is in the store" ||
	fail "$missing of 300 files read are not in the store"
if out=$("$OVLMIG" detach --wait "$m" 2>&1); then ok "migrate and detach after the takeover"; else fail "detach" "$out"; fi
[[ $(jq -r .state "$img/image.json") == complete ]] && ok "image complete" ||
	fail "image.json" "$(cat "$img/image.json")"
diff -q <("$TOOLS/treesum" --no-atime "$src") <("$TOOLS/treesum" --no-atime "$m") >/dev/null &&
	ok "tree equals the image" || fail "tree differs"
"$OVLMIG" umount "$m" >/dev/null || fail "umount"
