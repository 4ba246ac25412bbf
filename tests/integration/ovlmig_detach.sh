#!/usr/bin/env bash
# Must show 1, 2 and 5: processes started on the overlay before migration
# (cwd deep in the tree, an open fd, a shared mmap, a running binary from
# the image) keep running through migrate and detach with 0 errors; after
# detach, and again after the kernel drops its caches, an operation suite
# gets 0 errors; lowerfs and its FUSE connection are gone; the merged tree
# equals the image; status reports each phase.
# The default strategy (auto: store here); ovlmig_detach_datadir.sh runs
# the same for datadir.
. "$(dirname "$0")/../lib.sh"
require_root "ovlmig detach"
strategy=${DETACH_STRATEGY:-auto} want=${DETACH_STRATEGY:-store}
fusectl_ready || { fail "mount fusectl"; exit 1; }

src=$T/src
"$TOOLS/gentree" --small --seed 41 "$src" >/dev/null || { fail "gentree"; exit 1; }
mkdir -p "$src/bin" "$src/data"
cp "$TOOLS/holder" "$src/bin/holder"
head -c 3000000 /dev/urandom >"$src/data/mapped"
"$TOOLS/treesum" --no-atime --exclude-xattr-prefix trusted.overlay. "$src" >"$T/expected"

m=$T/m
phase() { "$OVLMIG" status --json "$m" | jq -r .phase; }
ovlmig_mount "$m" --strategy "$strategy" --source "dir:$src" --upper "$T/u" --work "$T/w" >/dev/null ||
	{ fail "mount"; exit 1; }
[[ $(phase) == lazy ]] && ok "status: lazy after mount" || fail "status after mount: $(phase)"
[[ $("$OVLMIG" status --json "$m" | jq -r .strategy) == "$want" ]] && ok "strategy $strategy: $want" ||
	fail "strategy $strategy" "$("$OVLMIG" status --json "$m" | jq -r .strategy)"
conn=$(stat -c %d "$OVLMIG_RUN_DIR"/*/lower)
lowerfs_pid=$("$OVLMIG" status --json "$m" | jq -r .lowerfs_pid)

deep=$HOLDER_DEEP
holders_start "$m"

# a slow migration, so status can be seen in the migrating phase
"$OVLMIG" migrate --bandwidth 20 "$m" >"$T/migrate.out" 2>&1 &
mig=$!
seen=""
while kill -0 $mig 2>/dev/null; do
	[[ $(phase) == migrating ]] && seen=yes
	sleep 0.05
done
wait $mig && ok "migrate: $(cat "$T/migrate.out")" || fail "migrate" "$(cat "$T/migrate.out")"
[[ $seen == yes ]] && ok "status: migrating while it runs" || fail "never saw phase migrating"
st=$("$OVLMIG" status --json "$m")
[[ $(jq -r .phase <<<"$st") == migrated &&
   $(jq -r '.progress.entries_done >= .progress.entries_total' <<<"$st") == true ]] &&
	ok "status: migrated, $(jq -r .progress.entries_done <<<"$st") of $(jq -r .progress.entries_total <<<"$st") entries" ||
	fail "status after migrate" "$st"

if out=$("$OVLMIG" detach "$m" 2>&1); then ok "detach: $out"; else fail "detach" "$out"; fi
st=$("$OVLMIG" status --json "$m")
[[ $(jq -r .phase <<<"$st") == detached && $(jq -r .lower_attached <<<"$st") == false ]] &&
	ok "status: detached, lower not attached" || fail "status after detach" "$st"
pid_running "$lowerfs_pid" && fail "lowerfs $lowerfs_pid still running" ||
	ok "lowerfs process gone"
grep -q " $OVLMIG_RUN_DIR/[^ ]*/lower " /proc/mounts && fail "lowerfs still mounted" ||
	ok "lowerfs mount gone"
# The overlay keeps the aborted connection's superblock as a data layer
# until it is unmounted itself: its directory stays, but it is dead.
if [[ -e /sys/fs/fuse/connections/$conn ]]; then
	[[ $(cat "/sys/fs/fuse/connections/$conn/waiting") == 0 ]] &&
		ok "FUSE connection $conn aborted (no request waiting; gone at umount)" ||
		fail "FUSE connection $conn has waiting requests"
else
	ok "FUSE connection $conn gone"
fi

# the tree, except what the holder in $deep writes there itself
filter() { grep -v -e "^$deep " -e '\.holder-'; }
"$TOOLS/treesum" --no-atime "$m" | filter >"$T/got"
diff -u <(filter <"$T/expected") "$T/got" >"$T/diff" &&
	ok "merged tree after detach equals the image ($(wc -l <"$T/got") entries)" ||
	fail "merged tree differs" "$(head -20 "$T/diff")"

opsuite_rounds "$m"

holders_check "migrate and detach"
"$OVLMIG" umount "$m" >/dev/null && ok "umount" || fail "umount"
fuse_conn_gone "$conn" && ok "FUSE connection $conn gone after umount" ||
	fail "FUSE connection $conn still there 10 s after umount"
