#!/usr/bin/env bash
# The kernel probe of strategy_choose, once per boot: the first mount
# probes and keeps the result in RUN_ROOT/.kernel-features.json (boot id,
# kernel release); a later mount takes it without probing. A file of
# another boot or kernel, a torn one, OVLMIG_REPROBE=1 and mount
# --reprobe probe again.
# That the kept file decides is seen from auto's pick: a file of this boot
# that denies FUSE passthrough makes auto pick datadir, not store.
. "$(dirname "$0")/../lib.sh"
require_root "ovlmig probe cache"

src=$T/src
"$TOOLS/gentree" --small --seed 7 "$src" >/dev/null || { fail "gentree"; exit 1; }
kept=$OVLMIG_RUN_DIR/.kernel-features.json
boot=$(cat /proc/sys/kernel/random/boot_id)
release=$(uname -r)

n=0
# mount_n [ENV...]: mount $T/m$n with OVLMIG_DEBUG (and $EXTRA options),
# output in $T/out$n, umount
mount_n() {
	n=$((n + 1))
	mkdir -p "$T/m$n"
	on_exit "ovlmig_cleanup $T/m$n"
	env OVLMIG_DEBUG=1 "$@" "$OVLMIG" mount --source "dir:$src" --upper "$T/u$n" \
		--work "$T/w$n" ${EXTRA:-} "$T/m$n" >"$T/out$n" 2>&1 ||
		{ fail "mount $n" "$(head -5 "$T/out$n")"; return 1; }
	"$OVLMIG" umount "$T/m$n" >/dev/null || fail "umount $n"
}
probed() { grep -q '^ovlmig: kernel probed: ' "$T/out$1"; }
from_boot() { grep -q '^ovlmig: kernel features kept from this boot (no probe): ' "$T/out$1"; }
picked() { grep -q "strategy $2" "$T/out$1"; }

mount_n || exit 1
probed 1 && ! from_boot 1 && picked 1 store &&
	ok "first mount probes the kernel (auto: store)" || fail "first mount" "$(cat "$T/out1")"
jq -e --arg b "$boot" --arg r "$release" \
	'.boot_id == $b and .release == $r and .data_layers == true and .fuse_passthrough == true' \
	"$kept" >/dev/null && [[ $(stat -c %a "$kept") == 644 ]] &&
	ok "kept: this boot id, this release, the features found" || fail "kept file" "$(cat "$kept" 2>&1)"

mount_n || exit 1
from_boot 2 && ! probed 2 && picked 2 store &&
	ok "second mount: no probe, the kept result" || fail "second mount" "$(cat "$T/out2")"

# the kept file decides: this boot, passthrough denied -> datadir
jq '.fuse_passthrough = false' "$kept" >"$T/k" && cp "$T/k" "$kept"
mount_n || exit 1
from_boot 3 && picked 3 datadir &&
	ok "a kept result of this boot is what auto picks from (no passthrough: datadir)" ||
	fail "kept result not used" "$(cat "$T/out3")"

# another boot: probed again, the file replaced
jq '.boot_id = "00000000-0000-0000-0000-000000000000"' "$kept" >"$T/k" && cp "$T/k" "$kept"
mount_n || exit 1
probed 4 && picked 4 store && jq -e --arg b "$boot" '.boot_id == $b and .fuse_passthrough' "$kept" >/dev/null &&
	ok "a changed boot id probes again and replaces the file" || fail "other boot" "$(cat "$T/out4"; cat "$kept")"

jq '.release = "0.0.0-other"' "$kept" >"$T/k" && cp "$T/k" "$kept"
mount_n || exit 1
probed 5 && picked 5 store && ok "a changed kernel release probes again" || fail "other release" "$(cat "$T/out5")"

head -c 20 "$kept" >"$T/k" && cp "$T/k" "$kept"
mount_n || exit 1
probed 6 && picked 6 store && jq -e .boot_id "$kept" >/dev/null &&
	ok "a torn file probes again and is replaced" || fail "torn file" "$(cat "$T/out6")"

mount_n OVLMIG_REPROBE=1 || exit 1
probed 7 && ! from_boot 7 && ok "OVLMIG_REPROBE=1 probes" || fail "OVLMIG_REPROBE" "$(cat "$T/out7")"
EXTRA=--reprobe mount_n || exit 1
probed 8 && ! from_boot 8 && ok "mount --reprobe probes" || fail "--reprobe" "$(cat "$T/out8")"
mount_n || exit 1
from_boot 9 && ! probed 9 && ok "and the next mount takes the result again" || fail "after --reprobe" "$(cat "$T/out9")"

[[ -z $(ls "$OVLMIG_RUN_DIR") ]] && ok "no state left beside the kept file" ||
	fail "state left" "$(ls "$OVLMIG_RUN_DIR")"
