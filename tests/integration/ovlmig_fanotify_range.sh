#!/usr/bin/env bash
# Range fill of the fanotify filler (issue 16, docs/FANOTIFY.md "Range
# fill"): a large data file (>= --fill-range-min) is not filled at open
# but at its reads, the prefix up to the read (widened to 2 MiB): a 1 MiB
# read fetches about that much, the bytes are the image's; executables,
# ELF files and small files are still filled whole at open. Keeper and
# worker killed in the middle of a range fill: the waiting read gets a
# right prefix or EOF, never zeros, the placeholder is a right prefix
# ending on a page boundary, mmap reads it right then SIGBUS. migrate
# completes every file: each equals the source.
# The store is on a loop ext4 of the test's own: no mark ever goes on the
# root filesystem.
. "$(dirname "$0")/../lib.sh"
require_root "ovlmig fanotify range fill"

MiB=1048576
src=$T/src
mkdir -p "$src/data" "$src/bin"
head -c $((64 * MiB)) /dev/urandom >"$src/data/large"
head -c $((96 * MiB)) /dev/urandom >"$src/data/killed"
head -c $((20 * MiB)) /dev/urandom >"$src/bin/tool"
head -c $((32 * MiB)) /dev/urandom >"$src/data/appended"
chmod 755 "$src/bin/tool"
{ printf '\177ELF'; head -c $((20 * MiB)) /dev/urandom; } >"$src/data/elf"
head -c $((4 * MiB)) /dev/urandom >"$src/data/small"

truncate -s 1G "$T/sfs.img" && mkfs.ext4 -q -F "$T/sfs.img" && mkdir "$T/sfs" &&
	mount -o loop "$T/sfs.img" "$T/sfs" || { fail "loop ext4 for the store"; exit 1; }
on_exit "umount -l $T/sfs"
store=$T/sfs/images
m=$T/m
status() { "$OVLMIG" status --json "$1" | jq -r ".$2"; }
filler_pid() { cat "$OVLMIG_RUN_DIR"/*/filler.pid 2>/dev/null; }
worker() { cat "$OVLMIG_RUN_DIR"/*/filler-worker.pid 2>/dev/null; }
gone() { ! kill -0 "$1" 2>/dev/null || [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) == Z ]]; }
mnt() {
	ovlmig_mount "$m" --strategy store --fill fanotify --store "$store" \
		--source "dir:$src" --upper "$T/u" --work "$T/w" "$@"
}
size() { stat -c %s "$1"; }
# prefix N FILE: the first N bytes of FILE, read no further (a read of a
# placeholder on the store raises events too: past its end it would fill)
prefix() { head -c "$1" "$2"; }
# range FILE OFF LEN: LEN bytes of FILE at OFF, to stdout
range() { dd if="$1" iflag=skip_bytes,count_bytes skip="$2" count="$3" bs=$MiB status=none; }

mkdir -p "$m" "$T/u" "$T/w"
out=$("$OVLMIG" mount --strategy store --fill fuse --fill-range-min $MiB --store "$store" \
	--source "dir:$src" --upper "$T/u" --work "$T/w" "$m" 2>&1)
[[ $? == 2 && $out == *"only the fanotify fill"* ]] && ok "--fill-range-min with --fill fuse: exit 2" ||
	fail "--fill-range-min with --fill fuse" "$out"

out=$(mnt 2>&1) && ok "mount --fill fanotify: $out" || { fail "mount --fill fanotify" "$out"; exit 1; }
img=$(status "$m" store)
pid=$(filler_pid)
[[ -n $pid && -f $img/holes/data/large && $(size "$img/holes/data/large") == 0 ]] ||
	{ fail "no filler or no placeholder" "$(cat "$OVLMIG_RUN_DIR"/*/filler.log)"; exit 1; }

# opened, not read: nothing filled
exec 7<"$m/data/large"
[[ $(size "$img/holes/data/large") == 0 ]] && ok "a large file opened, not read: nothing filled" ||
	fail "open filled data/large" "$(size "$img/holes/data/large")"
exec 7<&-
# 1 MiB read at its start: about that much filled, the right bytes
range "$m/data/large" 0 $MiB >"$T/got"
n=$(size "$img/holes/data/large")
cmp -s "$T/got" <(range "$src/data/large" 0 $MiB) && ((n >= MiB && n <= 4 * MiB)) &&
	ok "1 MiB read at 0 of a 64 MiB file: the image's bytes, $n bytes filled" ||
	fail "1 MiB read at 0" "$n bytes filled, $(size "$T/got") read"
# at 8 MiB: the prefix up to there (the filled part stays a prefix)
range "$m/data/large" $((8 * MiB)) $MiB >"$T/got"
n=$(size "$img/holes/data/large")
cmp -s "$T/got" <(range "$src/data/large" $((8 * MiB)) $MiB) && ((n >= 9 * MiB && n <= 12 * MiB)) &&
	cmp -s <(prefix "$n" "$img/holes/data/large") <(prefix "$n" "$src/data/large") &&
	ok "1 MiB read at 8 MiB: the image's bytes; the placeholder is the file's first $n bytes" ||
	fail "1 MiB read at 8 MiB" "$n bytes filled"
[[ ! -e $img/data/data/large ]] && ok "partly filled: not in data/ yet" || fail "data/large in data/ while partial"
# a read inside what is filled needs no new fill
range "$m/data/large" 4096 4096 >"$T/got"
[[ $(size "$img/holes/data/large") == "$n" ]] && cmp -s "$T/got" <(range "$src/data/large" 4096 4096) &&
	ok "a read inside the filled part: right bytes, nothing more filled" || fail "read inside the prefix"

# a copy-up of a partly filled file (written by the container): the upper
# gets the whole file, the kernel's copy raises the reads' events
range "$m/data/appended" 0 $MiB >/dev/null
n=$(size "$img/holes/data/appended")
echo tail >>"$m/data/appended"
cat "$src/data/appended" - <<<tail >"$T/want"
((n < 32 * MiB)) && cmp -s "$T/want" "$m/data/appended" && cmp -s "$T/want" "$T/u/data/appended" &&
	ok "copy-up of a file filled by ranges ($n bytes filled at the write): the upper holds it whole" ||
	fail "copy-up of a partly filled file" "$n bytes filled; $(size "$T/u/data/appended") in the upper"

# what may be mapped is filled whole at open
for f in bin/tool data/elf data/small; do
	exec 7<"$m/$f"
	exec 7<&-
	[[ $(size "$img/holes/$f") == $(size "$src/$f") && -f $img/data/$f ]] &&
		ok "$f (executable, ELF or small) filled whole at open" ||
		fail "$f not whole at open" "$(size "$img/holes/$f")"
done

# keeper and worker killed in the middle of a range fill, a reader waiting
# for 8 MiB at 40 MiB: the worker is stopped before the read and let run in
# slices of a few milliseconds until the placeholder holds more than 41 MiB
# (the fill goes from 0 to 48 MiB: a prefix).
w=$(worker)
kill -STOP "$w" || fail "stop the worker"
range "$m/data/killed" $((40 * MiB)) $((8 * MiB)) >"$T/got" 2>"$T/err" &
reader=$!
python3 -c 'import os,sys,signal,time
t=time.time(); w=int(sys.argv[2])
while time.time()-t<60:
    os.kill(w,signal.SIGCONT); time.sleep(0.002); os.kill(w,signal.SIGSTOP)
    if os.stat(sys.argv[1]).st_size>41<<20: break' "$img/holes/data/killed" "$w"
kill -KILL "$pid" "$w"
for _ in $(seq 50); do gone "$pid" && gone "$w" && break; sleep 0.1; done
wait "$reader"
rc=$?
part=$(size "$img/holes/data/killed")
got=$(size "$T/got")
want_got=$((part > 40 * MiB ? (part - 40 * MiB < 8 * MiB ? part - 40 * MiB : 8 * MiB) : 0))
((part > 0 && part < 96 * MiB && part % 4096 == 0)) &&
	cmp -s "$img/holes/data/killed" <(head -c "$part" "$src/data/killed") &&
	ok "killed mid-range: the placeholder is a right prefix of $part bytes, on a page boundary" ||
	fail "killed mid-range: placeholder of $part bytes"
[[ $rc == 0 && $got == "$want_got" ]] && cmp -s "$T/got" <(range "$src/data/killed" $((40 * MiB)) "$got") &&
	ok "killed mid-range: the waiting read gets $got right bytes, then EOF, no zeros" ||
	fail "killed mid-range: reader exit $rc, $got bytes (expected $want_got)" "$(cat "$T/err")"
(python3 -c 'import mmap,sys
f=open(sys.argv[1],"rb"); m=mmap.mmap(f.fileno(),0,prot=mmap.PROT_READ); r=open(sys.argv[2],"rb")
i=0
while i<len(m):
    if m[i:i+4096]!=r.read(4096): print("differs at",i); sys.exit(3)
    i+=4096
    print(i, flush=True)' "$m/data/killed" "$src/data/killed" >"$T/mm"
	exit $?) 2>/dev/null # a subshell of its own: no "Bus error" line from this one
rc=$?
[[ $rc == 135 && $(tail -1 "$T/mm") == "$part" ]] &&
	ok "killed mid-range: mmap reads the $part bytes right, then SIGBUS, no zeros" ||
	fail "killed mid-range: mmap exit $rc, last $(tail -1 "$T/mm"), part $part"
"$OVLMIG" umount "$m" >/dev/null && ! mountpoint -q "$m" || fail "umount after the kill"

# mounted again: ranges again, then migrate completes every file
out=$(mnt 2>&1) && ok "mount again" || { fail "mount again" "$out"; exit 1; }
range "$m/data/killed" $((50 * MiB)) $MiB >"$T/got"
cmp -s "$T/got" <(range "$src/data/killed" $((50 * MiB)) $MiB) &&
	ok "mounted again: a range read of the file left partial gives the image's bytes" ||
	fail "range read after mounting again"
exec 8<"$m/data/large"	# an fd open on the partial placeholder over migrate
if out=$("$OVLMIG" migrate "$m" 2>&1); then ok "migrate: $out"; else fail "migrate" "$out"; fi
bad=
for f in data/large data/killed bin/tool data/elf data/small data/appended; do
	mine=$src/$f
	[[ $f == data/appended ]] && mine=$T/want	# the container's copy
	cmp -s "$src/$f" "$img/holes/$f" && cmp -s "$src/$f" "$img/data/$f" && cmp -s "$mine" "$m/$f" ||
		bad+=" $f"
done
[[ -z $bad ]] && ok "migrate completed every file: placeholder, data/ and the mount equal the source" ||
	fail "after migrate, differs:$bad"
cmp -s "$src/data/large" /dev/fd/8 && ok "an fd opened on the partial file before migrate reads it whole" ||
	fail "the fd opened before migrate"
exec 8<&-
"$OVLMIG" umount "$m" >/dev/null && ! mountpoint -q "$m" && [[ -z $(ls "$OVLMIG_RUN_DIR" 2>/dev/null) ]] &&
	ok "umount: overlay gone, state gone" || fail "umount" "$(ls "$OVLMIG_RUN_DIR")"
