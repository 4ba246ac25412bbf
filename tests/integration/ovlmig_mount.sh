#!/usr/bin/env bash
# ovlmig mount/status/umount: the lazy overlay shows exactly the image;
# strategy choice on this kernel; clear errors; nothing left behind.
. "$(dirname "$0")/../lib.sh"
require_root "ovlmig mount"

src=$T/src
"$TOOLS/gentree" --small --seed 11 "$src" >/dev/null || { fail "gentree"; exit 1; }
"$TOOLS/treesum" --no-atime --exclude-xattr-prefix trusted.overlay. "$src" >"$T/expected"

if out=$(ovlmig_mount "$T/m" --source "dir:$src" --upper "$T/u" --work "$T/w" 2>&1); then
	ok "mount: $out"
else
	fail "mount" "$out"; exit 1
fi
[[ $out == *"strategy store"* ]] && ok "auto picks store on this kernel (data-only layers, FUSE passthrough)" ||
	fail "auto strategy" "$out"
"$TOOLS/treesum" --no-atime "$T/m" >"$T/got"
if diff -u "$T/expected" "$T/got" >"$T/diff"; then
	ok "lazy overlay equals the image ($(wc -l <"$T/expected") entries)"
else
	fail "lazy overlay differs from the image" "$(head -20 "$T/diff")"
fi
st=$("$OVLMIG" status --json "$T/m")
[[ $(jq -r .phase <<<"$st") == lazy && $(jq -r .lower_attached <<<"$st") == true &&
   $(jq -r .strategy <<<"$st") == store ]] &&
	ok "status: store, lazy, lower attached" || fail "status" "$st"
[[ $("$OVLMIG" status "$T/m") == *"strategy  store"* ]] && ok "status says the strategy" ||
	fail "status" "$("$OVLMIG" status "$T/m")"
state=$(echo "$OVLMIG_RUN_DIR"/*/state.json)
store=$(jq -r .store "$state")
[[ $(jq -r .strategy "$state") == store && $store == "$OVLMIG_STORE_DIR"/sha256-* &&
   $(jq -r .meta "$state") == "$store/meta.erofs" && -f $store/meta.erofs ]] &&
	ok "state.json records strategy store, its image in the store and META there" ||
	fail "state.json" "$(cat "$state")"
[[ ! -e $T/.$(jq -r .name "$state").meta ]] && ok "no metadata layer beside the upper" ||
	fail "a metadata layer beside the upper"
# the upper holds only what was copied up by reading? nothing: reads do not copy up
[[ -z $(find "$T/u" -mindepth 1 -not -name '.*' | head -1) ]] &&
	ok "reading the image copied nothing up" || fail "upper has entries after reads"

# errors: one clear line, documented exit codes
expect() {
	local name=$1 code=$2 want=$3 out rc; shift 3
	out=$("$@" 2>&1); rc=$?
	[[ $rc -eq $code && $out == *"$want"* ]] && ok "$name: exit $rc, '$out'" ||
		fail "$name" "exit $rc (want $code): $out"
}
mkdir -p "$T/m2"
expect "nofollow refused on this kernel" 3 "strategy nofollow: this kernel's overlayfs rejects xino=nofollow" \
	"$OVLMIG" mount --strategy nofollow --source "dir:$src" --upper "$T/u2" --work "$T/w2" "$T/m2"
# an upper detached by nofollow (its record as detach writes it) needs
# xino=nofollow to be mounted again: refused here, nothing mounted
mkdir -p "$T/nu" "$T/nw"
printf '{"upper": "%s", "upper_id": "%s", "source": "dir:%s", "strategy": "nofollow"}\n' \
	"$T/nu" "$(stat -c '%i-%.9W' "$T/nu")" "$src" >"$T/.nu.ovlmig-detached"
expect "a nofollow-detached upper is refused on this kernel" 3 \
	"detached upper $T/nu: strategy nofollow: this kernel's overlayfs rejects xino=nofollow" \
	"$OVLMIG" mount --upper "$T/nu" --work "$T/nw" "$T/m2"
expect "an unknown strategy is bad usage" 2 "unknown strategy 'fanotify' (auto, datadir, nofollow, store)" \
	"$OVLMIG" mount --strategy fanotify --source "dir:$src" --upper "$T/u2" --work "$T/w2" "$T/m2"
expect "upper in use" 2 "already used by a mounted overlay" \
	"$OVLMIG" mount --source "dir:$src" --upper "$T/u" --work "$T/w3" "$T/m2"
expect "missing source" 2 "source directory $T/nope: No such file or directory" \
	"$OVLMIG" mount --source "dir:$T/nope" --upper "$T/u4" --work "$T/w4" "$T/m2"
expect "not root" 2 "must run as root" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$OVLMIG" mount --source "dir:$src" --upper "$T/u5" --work "$T/w5" "$T/m2"
expect "umount of a non-ovlmig path" 2 "is not an ovlmig mount" "$OVLMIG" umount "$T/m2"
grep -q " $T/m2 " /proc/mounts && fail "a failed mount left a mount at $T/m2"
[[ -z $(ls "$OVLMIG_RUN_DIR" | grep m2) ]] && ok "failed mounts left no state" ||
	fail "failed mounts left state" "$(ls "$OVLMIG_RUN_DIR")"

# where store cannot run, auto falls back to datadir: a metadata layer of
# the mount's own (--meta), a lower given as a mounted filesystem
if out=$(ovlmig_mount "$T/m8" --meta "$T/meta8" --source "dir:$src" --upper "$T/u10" --work "$T/w10" 2>&1) &&
   [[ $out == *"strategy datadir"* &&
      $(jq -r .meta "$OVLMIG_RUN_DIR/$("$OVLMIG" status --json "$T/m8" | jq -r .name)/state.json") == "$T/meta8" ]]; then
	ok "auto with --meta picks datadir"
else
	fail "auto with --meta" "$out"
fi
"$OVLMIG" umount "$T/m8" >/dev/null || fail "umount m8"
mkdir -p "$T/lm"
mount -t tmpfs -o size=4m ovlmig-test "$T/lm" || fail "mount a tmpfs lower"
on_exit "umount -l $T/lm"
echo lower >"$T/lm/f"
if out=$(ovlmig_mount "$T/m9" --lower-mount "$T/lm" --upper "$T/u9" --work "$T/w9" 2>&1) &&
   [[ $out == *"strategy datadir"* && $(cat "$T/m9/f") == lower ]]; then
	ok "auto with --lower-mount picks datadir"
else
	fail "auto with --lower-mount" "$out"
fi
"$OVLMIG" umount "$T/m9" >/dev/null || fail "umount m9"

pid=$(jq -r .lowerfs_pid <<<"$st")
if out=$("$OVLMIG" umount "$T/m" 2>&1); then ok "umount: $out"; else fail "umount" "$out"; fi
grep -qE " ($T/m|$OVLMIG_RUN_DIR/[^ ]*) " /proc/mounts && fail "umount left mounts" ||
	ok "umount left nothing mounted"
pid_running "$pid" && fail "lowerfs $pid still running" || ok "lowerfs stopped"
[[ $("$OVLMIG" status) == "no ovlmig mounts" ]] && ok "state removed" || fail "state left"

# --xino: passed to the overlay; anything else than on/off/auto refused
expect "bad --xino" 2 "--xino on, off or auto" \
	"$OVLMIG" mount --xino maybe --source "dir:$src" --upper "$T/u6" --work "$T/w6" "$T/m2"
# a metadata layer on a filesystem of its own, so that xino matters
mkdir -p "$T/metafs"
mount -t tmpfs ovlmig-meta "$T/metafs" && on_exit "umount -l $T/metafs"
if ovlmig_mount "$T/m3" --xino on --meta "$T/metafs/m" --source "dir:$src" \
	--upper "$T/u7" --work "$T/w7" >/dev/null; then
	devs=$(find "$T/m3" -xdev -printf '%D\n' 2>/dev/null | sort -u | wc -l)
	[[ $devs -eq 1 ]] && ok "--xino on: one st_dev for every file" || fail "--xino on: $devs st_dev values"
else
	fail "--xino on mount"
fi
"$OVLMIG" umount "$T/m3" >/dev/null || fail "umount --xino mount"
# detach refuses while xino is active (see unionmount-tests/README.md)
if ovlmig_mount "$T/m4" --xino on --meta "$T/metafs/m4" --source "dir:$src" \
	--upper "$T/u8" --work "$T/w8" >/dev/null; then
	out=$("$OVLMIG" detach --wait "$T/m4" 2>&1); rc=$?
	[[ $rc -eq 1 && $out == *"xino=on is active"* ]] && ok "detach refuses with xino active" ||
		fail "detach with xino" "exit $rc: $out"
	"$OVLMIG" umount "$T/m4" >/dev/null || fail "umount m4"
fi
