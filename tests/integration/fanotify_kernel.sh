#!/usr/bin/env bash
# The kernel facts the fanotify filler relies on (docs/FANOTIFY-KERNEL.md),
# checked through a real overlay lowerdir=META::STORE so that a kernel
# that changes them fails here, not in a container:
# - a filesystem FAN_OPEN_PERM mark on a store tmpfs fires for an open
#   through the overlay, with a read-only event fd; a mount mark on the
#   store's own mount does not (the overlay reads through a private clone);
# - FAN_DENY_ERRNO(EIO) makes the reader's open fail with EIO;
# - an ignore mark on the filler's bind mount silences the filler's opens;
# - a size-0 placeholder reads as EOF (no zeros) and mmaps as SIGBUS when
#   nobody listens, also when the listener is killed with the event pending;
# - on XFS, FAN_PRE_ACCESS reports the read's range, page aligned; a
#   reader waiting on it reads what the filler wrote through its bind mount
#   (open_by_handle_at) during the event; a whole fill at FAN_OPEN_PERM
#   reads right through mmap.
# Marks go on filesystems of the test's own, never on the root filesystem.
. "$(dirname "$0")/../lib.sh"
require_root "fanotify kernel facts"
command -v mkfs.xfs >/dev/null || { fail "mkfs.xfs missing (xfsprogs)"; exit 1; }

P=$T/fanotify_probe
cflags=(-std=gnu11 -O2 -g -Wall -Wextra -Werror)
# under make check-asan the probe is a sanitized program too
[[ -n ${SANITIZER_LOG_DIR:-} ]] &&
	cflags+=(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
"${CC:-cc}" "${cflags[@]}" -o "$P" "$TOP/scripts/bench/fanotify_probe.c" ||
	{ fail "build scripts/bench/fanotify_probe.c"; exit 1; }

mnt() { # mnt DIR ARGS...: mount, unmounted at exit
	local dir=$1; shift
	mkdir -p "$dir"
	mount "$@" "$dir" || return 1
	on_exit "umount -l $dir"
}
# meta NAME SIZE: a metacopy file in META whose data is /NAME in STORE
meta() {
	truncate -s "$2" "$T/meta/$1" &&
	setfattr -n trusted.overlay.metacopy "$T/meta/$1" &&
	setfattr -n trusted.overlay.redirect -v "/$1" "$T/meta/$1"
}
# listen ARGS...: a probe listener in the background (LP), killed at exit
listen() {
	rm -f "$T/ready"
	"$P" listen -R "$T/ready" "$@" >"$T/events" 2>&1 &
	LP=$!
	on_exit "kill -KILL $LP"
	for _ in $(seq 200); do
		[[ -e $T/ready ]] && return 0
		kill -0 "$LP" 2>/dev/null || break
		sleep 0.05
	done
	fail "listener $*" "$(cat "$T/events")"
	return 1
}
unlisten() {
	sleep 0.2
	kill -TERM "$LP" 2>/dev/null
	wait "$LP" 2>/dev/null
}

mnt "$T/store" -t tmpfs -o size=64m tmpfs || { fail "mount store tmpfs"; exit 1; }
mnt "$T/meta" -t tmpfs -o size=64m tmpfs || { fail "mount meta tmpfs"; exit 1; }
head -c 10000 /dev/zero | tr '\0' x >"$T/store/full"
: >"$T/store/zero"
meta full 10000 && meta zero 10000 || { fail "metacopy xattrs on tmpfs"; exit 1; }
mnt "$T/ovl" -t overlay overlay -o "lowerdir=$T/meta::$T/store,metacopy=on,redirect_dir=follow" ||
	{ fail "mount overlay META::STORE"; exit 1; }
O=$T/ovl
[[ $(stat -c %s "$O/zero") == 10000 ]] && ok "a placeholder's size through the overlay is META's" ||
	fail "placeholder size" "$(stat -c %s "$O/zero")"

# nobody listens: the size-0 placeholder stops short, never reads zeros
out=$("$P" read read "$O/zero")
[[ $out == *"bytes=0 "* ]] && ok "size-0 placeholder, no listener: read gets EOF ($out)" ||
	fail "size-0 placeholder read" "$out"
out=$("$P" read mmap "$O/zero")
[[ $out == *"bytes=0 "*"result=SIGBUS "* ]] && ok "size-0 placeholder, no listener: mmap faults SIGBUS" ||
	fail "size-0 placeholder mmap" "$out"

listen -t fs -m open "$T/store" || exit 1
out=$("$P" read read "$O/full")
unlisten
[[ $out == *"bytes=10000 zero=0 nonzero=10000 "* ]] && ok "allowed open reads the data" ||
	fail "allowed read" "$out"
ev=$(grep -c "^event OPEN_PERM .*path=/full .*fd_flags=ro" "$T/events")
[[ $ev == 1 ]] && ok "filesystem FAN_OPEN_PERM mark on a store tmpfs fires for an open through the overlay, read-only fd" ||
	fail "FAN_OPEN_PERM through the overlay" "$(cat "$T/events")"

listen -t mount -m open "$T/store" || exit 1
"$P" read read "$O/full" >/dev/null
unlisten
[[ $(grep -c '^event' "$T/events") == 0 ]] && ok "a mount mark on the store's own mount sees no overlay open" ||
	fail "mount mark saw an overlay open: the filler could use a mount mark now" "$(cat "$T/events")"

listen -t fs -m open -r errno:5 "$T/store" || exit 1
out=$("$P" read read "$O/full")
unlisten
[[ $out == "mode=read open=EIO" ]] && ok "FAN_DENY_ERRNO(EIO) at open: the reader's open fails EIO" ||
	fail "FAN_DENY_ERRNO(EIO)" "$out / $(cat "$T/events")"

mnt "$T/bind" --bind "$T/store" || { fail "bind mount of the store"; exit 1; }
listen -t fs -m open -i "$T/bind" "$T/store" || exit 1
"$P" read read "$T/bind/full" >/dev/null
"$P" read read "$O/full" >/dev/null
unlisten
[[ $(grep -c '^event' "$T/events") == 1 && $(grep -c 'path=/full ' "$T/events") == 1 ]] &&
	ok "ignore mark on the filler's bind mount: its open raises nothing, the overlay's still does" ||
	fail "ignore mark on the bind mount" "$(cat "$T/events")"

# the listener dies with the event pending: the kernel lets the reader go
# on, and the size-0 placeholder still gives no zeros
listen -t fs -m open -r hang "$T/store" || exit 1
"$P" read read "$O/zero" >"$T/reader" 2>&1 &
rp=$!
on_exit "kill -KILL $rp"
for _ in $(seq 100); do grep -q '^event' "$T/events" && break; sleep 0.05; done
kill -0 "$rp" 2>/dev/null && ok "the reader waits while the event is pending" ||
	fail "reader did not wait for the answer" "$(cat "$T/reader")"
kill -KILL "$LP"
{ wait "$LP"; } 2>/dev/null # quiet: bash reports the KILL
for _ in $(seq 100); do kill -0 "$rp" 2>/dev/null || break; sleep 0.05; done
wait "$rp"
out=$(cat "$T/reader")
[[ $out == *"bytes=0 "* ]] && ok "listener killed with the event pending: the reader gets EOF, not zeros" ||
	fail "reader after the listener died" "$out"

# XFS store: pre-content events and their range
truncate -s 300M "$T/store.xfs"
mkfs.xfs -q "$T/store.xfs" || { fail "mkfs.xfs"; exit 1; }
mnt "$T/xfs" -o loop "$T/store.xfs" || { fail "mount loop xfs"; exit 1; }
head -c 1048576 /dev/urandom >"$T/xfs/big"
meta big 1048576 || { fail "metacopy big"; exit 1; }
mnt "$T/ovlx" -t overlay overlay -o "lowerdir=$T/meta::$T/xfs,metacopy=on,redirect_dir=follow" ||
	{ fail "mount overlay META::XFS"; exit 1; }
listen -t fs -m pre "$T/xfs" || exit 1
"$P" read pread "$T/ovlx/big" 500000 100 >/dev/null
"$P" read mmap "$T/ovlx/big" >/dev/null
unlisten
# 500000 lies in the page at 499712 (122 * 4096)
grep -q '^event PRE_ACCESS .*path=/big .*range=499712+4096$' "$T/events" &&
	ok "FAN_PRE_ACCESS through the overlay reports the read's range, page aligned" ||
	fail "PRE_ACCESS range" "$(cat "$T/events")"
[[ $(grep -c '^event' "$T/events") == 1 ]] &&
	ok "mmap through the overlay raises no FAN_PRE_ACCESS (fill whole files at open)" ||
	fail "mmap raised pre-access events: range fill for mmap may be possible now" "$(cat "$T/events")"

# fill through the ignore-marked bind mount while the reader waits
mkdir -p "$T/src"
cp "$T/xfs/big" "$T/src/big"
mnt "$T/bindx" --bind "$T/xfs" || { fail "bind mount of the XFS store"; exit 1; }
: >"$T/xfs/big"
listen -t fs -m pre -i "$T/bindx" -b "$T/bindx" -s "$T/src" -r fill:prefix "$T/xfs" || exit 1
got=$(dd if="$T/ovlx/big" iflag=skip_bytes skip=500000 bs=100 count=1 status=none | od -An -tx1 | tr -d ' \n')
want=$(dd if="$T/src/big" iflag=skip_bytes skip=500000 bs=100 count=1 status=none | od -An -tx1 | tr -d ' \n')
unlisten
[[ -n $want && $got == "$want" ]] &&
	ok "a reader waiting at FAN_PRE_ACCESS reads the bytes the filler wrote during the event" ||
	fail "range fill at PRE_ACCESS" "$(cat "$T/events")"
[[ $(stat -c %s "$T/xfs/big") == $((499712 + 4096)) ]] &&
	ok "the filler wrote the prefix up to the range's end through its bind mount" ||
	fail "store file size after the prefix fill" "$(stat -c %s "$T/xfs/big")"
# nobody listens now: the filled prefix, then EOF, no zeros
out=$("$P" read read "$T/ovlx/big")
cmp -s -n $((499712 + 4096)) "$T/ovlx/big" "$T/src/big" && [[ $out == *"bytes=503808 "*"result=short "* ]] &&
	ok "after the filler is gone a prefix-filled file reads right, then stops short" ||
	fail "prefix-filled file without a listener" "$out"

: >"$T/xfs/big"
listen -t fs -m open -i "$T/bindx" -b "$T/bindx" -s "$T/src" -r fill:whole "$T/xfs" || exit 1
"$P" read mmap "$T/ovlx/big" >"$T/mmap.out"
unlisten
want=$("$P" read read "$T/src/big" | grep -o 'bytes=1048576 .*')
cmp -s "$T/ovlx/big" "$T/src/big" && [[ $(cat "$T/mmap.out") == "mode=mmap $want" ]] &&
	ok "filled whole at FAN_OPEN_PERM, the file reads right through mmap" ||
	fail "whole fill at open then mmap" "$(cat "$T/mmap.out" "$T/events")"
