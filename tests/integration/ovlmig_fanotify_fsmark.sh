#!/usr/bin/env bash
# The fanotify filler with one filesystem mark (issue 16, "Scale";
# docs/FANOTIFY.md "Marks"): the images root (--store) is the root of a
# loop XFS of the test's own, so the filler watches that filesystem with
# one mark and places no mark per placeholder (the group's fdinfo: one
# "sdev:" line, no "ino:" line asking for events). Every open and read on
# that filesystem is then an event: a file outside the image opens while
# the worker is stopped (the keeper allows it at once), also with 800
# readers of unfilled files queued for the worker (more than the socket
# to it holds: the keeper never blocks on it); those readers wait, and get
# the right bytes when the worker is killed -9 (its keeper starts another). Two images on one store filesystem:
# each keeper allows the other's placeholders at once, each tree equals
# its image entry by entry. Detach (after migrate), kill -9 of the
# filler, umount: that filler's mark goes, no other. A store below the
# filesystem's root keeps inode marks.
. "$(dirname "$0")/../lib.sh"
require_root "ovlmig fanotify filesystem mark"

mk_src() { # DIR SEED: a small tree with a binary and two files read late
	"$TOOLS/gentree" --small --seed "$2" "$1" >/dev/null || return 1
	mkdir -p "$1/bin" "$1/data" && cp "$TOOLS/holder" "$1/bin/holder" &&
		head -c 5000000 /dev/urandom >"$1/data/big" &&
		head -c 3000000 /dev/urandom >"$1/data/mapped" &&
		head -c 100000 /dev/urandom >"$1/data/unread"
}
mk_src "$T/a" 61 && mk_src "$T/b" 67 || { fail "sources"; exit 1; }
# many small files in A: more readers waiting at once than the keeper's
# socket to its worker holds (a few hundred events)
mkdir "$T/a/many" && for i in $(seq 800); do echo "file $i" >"$T/a/many/f$i"; done ||
	{ fail "many files"; exit 1; }
for s in a b; do
	"$TOOLS/treesum" --no-atime --exclude-xattr-prefix trusted.overlay. "$T/$s" >"$T/expected-$s"
done

truncate -s 512M "$T/sfs.img" && mkfs.xfs -q "$T/sfs.img" && mkdir "$T/sfs" &&
	mount -o loop "$T/sfs.img" "$T/sfs" || { fail "loop XFS for the store"; exit 1; }
on_exit "umount -l $T/sfs"
# the kernel's dev_t of the store's filesystem, as fdinfo prints it
sdev=$(printf '%x' $(($(stat -c %Hd "$T/sfs") << 20 | $(stat -c %Ld "$T/sfs"))))
# a file on that filesystem that no image owns
mkdir "$T/sfs/other" && echo "not the image's" >"$T/sfs/other/file" || { fail "other file"; exit 1; }

run_of() { grep -l "\"target\": *\"$1\"" "$OVLMIG_RUN_DIR"/*/state.json 2>/dev/null | xargs -r dirname; }
keeper() { cat "$(run_of "$1")/filler.pid" 2>/dev/null; }
worker() { cat "$(run_of "$1")/filler-worker.pid" 2>/dev/null; }
# marks KEEPER-PID: the mark lines of its fanotify group
marks() {
	local fd
	for fd in /proc/"$1"/fd/*; do
		[[ $(readlink "$fd") == "anon_inode:[fanotify]" ]] && grep '^fanotify ' "/proc/$1/fdinfo/${fd##*/}"
	done
}
# every mark on the store's filesystem, in any process (a keeper's
# group fd is its worker's too), and the processes that hold them
marks_on_fs() { grep -h "sdev:$sdev " /proc/[0-9]*/fdinfo/* 2>/dev/null; }
mark_holders() { grep -l "sdev:$sdev " /proc/[0-9]*/fdinfo/* 2>/dev/null | cut -d/ -f3; }
gone() { ! kill -0 "$1" 2>/dev/null || [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) == Z ]]; }
mnt() { # SRC M STORE
	ovlmig_mount "$2" --strategy store --fill fanotify --store "$3" \
		--source "dir:$1" --upper "$T/u-${2##*/}" --work "$T/w-${2##*/}"
}
# treesum_is M SRC: the tree M shows equals SRC's, entry by entry
treesum_is() {
	"$TOOLS/treesum" --no-atime "$1" >"$T/got-$2"
	diff -u "$T/expected-$2" "$T/got-$2" >"$T/diff-$2"
}

ma=$T/ma mb=$T/mb
out=$(mnt "$T/a" "$ma" "$T/sfs" 2>&1) && ok "mount --fill fanotify, store at the root of its XFS" ||
	{ fail "mount" "$out"; exit 1; }
ka=$(keeper "$ma") wa=$(worker "$ma")
[[ -n $ka && -n $wa ]] && grep -q "one filesystem mark" "$(run_of "$ma")/filler.log" &&
	ok "the filler says: one filesystem mark" ||
	{ fail "filler" "$(cat "$(run_of "$ma")/filler.log")"; exit 1; }
marks "$ka" >"$T/marks"
nfs=$(grep -c "^fanotify sdev:$sdev " "$T/marks")
nino=$(grep '^fanotify ino:' "$T/marks" | grep -vc ' mask:0 ')
holes=$(find "$T/sfs" -path '*/holes/*' -type f | wc -l)
[[ $nfs == 1 && $nino == 0 && $holes -gt 100 ]] &&
	ok "one filesystem mark, no inode mark for $holes placeholders" ||
	fail "marks: $nfs filesystem, $nino inode, $holes placeholders" "$(head -5 "$T/marks")"
img=$(find "$T/sfs" -maxdepth 1 -name 'sha256-*' | head -1)
[[ $(getfattr --absolute-names -n trusted.ovlmig.hole --only-values "$img/holes/data/big" 2>/dev/null |
	wc -c) == 8 && $(stat -c %s "$img/holes/data/big") == 0 ]] &&
	ok "placeholders: empty, tagged with their store" || fail "placeholder tag" "$(getfattr -d -m - "$img/holes/data/big" 2>&1)"

# the worker stopped with an unfilled file's read in hand: that reader
# waits; a file outside the image on the same filesystem opens at once
kill -STOP "$wa"
timeout 120 cat "$ma/data/unread" >"$T/got" &
reader=$!
sleep 0.5
kill -0 "$reader" 2>/dev/null && ok "a reader of an unfilled file waits on the stopped worker" ||
	fail "the reader did not wait"
t0=$(date +%s%N)
got=$(timeout 5 cat "$T/sfs/other/file")
ms=$((($(date +%s%N) - t0) / 1000000))
[[ $got == "not the image's" ]] && ((ms < 1000)) &&
	ok "a file outside the image on the store's filesystem opens at once ($ms ms, worker stopped)" ||
	fail "other file: '$got' after $ms ms"
got=$(timeout 5 cat "$img/image.json" | jq -r .state)
[[ $got == lazy ]] && ok "the store's own files open at once too (image.json)" || fail "image.json: '$got'"
# 800 readers more waiting: the worker's queue fills up, the keeper
# still answers the rest at once
# (timeout: a keeper and worker that deadlock fail here, not hang the suite)
timeout 120 python3 - "$ma/many" >"$T/many.out" 2>&1 <<'PY' &
import sys, threading
def read(i):
    with open(f"{sys.argv[1]}/f{i}") as f:
        got[i] = f.read()
got = {}
ts = [threading.Thread(target=read, args=(i,)) for i in range(1, 801)]
for t in ts: t.start()
for t in ts: t.join()
print(sum(got[i] == f"file {i}\n" for i in range(1, 801)))
PY
many=$!
sleep 2
t0=$(date +%s%N)
got=$(timeout 5 cat "$T/sfs/other/file")
ms=$((($(date +%s%N) - t0) / 1000000))
kill -0 "$many" 2>/dev/null && [[ $got == "not the image's" ]] &&
	ok "800 more readers wait on the worker: a file outside the image still opens at once ($ms ms)" ||
	fail "with 800 readers waiting: other file '$got' after $ms ms"
kill -KILL "$wa"
wait "$reader"
rc=$?
wait "$many"
[[ $(cat "$T/many.out") == 800 ]] && ok "the 800 readers read the right bytes (a new worker got the queue)" ||
	fail "800 readers" "$(tail -3 "$T/many.out")"
[[ $rc == 0 ]] && cmp -s "$T/got" "$T/a/data/unread" && [[ $(worker "$ma") != "$wa" ]] &&
	ok "kill -9 of the worker during a read: the reader gets the right bytes" ||
	fail "kill -9 of the worker: exit $rc, $(stat -c %s "$T/got") bytes" "$(tail -3 "$(run_of "$ma")/filler.log")"

# a second image on the same store filesystem: its own filler, its own
# filesystem mark; A's keeper allows B's placeholders at once
out=$(mnt "$T/b" "$mb" "$T/sfs" 2>&1) && ok "a second image on the same store filesystem" ||
	{ fail "mount b" "$out"; exit 1; }
kb=$(keeper "$mb") wa=$(worker "$ma")
[[ $(marks "$kb" | grep -c "^fanotify sdev:$sdev ") == 1 ]] && ok "B's filler: its own filesystem mark" ||
	fail "B's marks" "$(marks "$kb" | head -3)"
kill -STOP "$wa"
got=$(timeout 10 cat "$mb/data/unread" | cmp - "$T/b/data/unread" 2>&1) && ok "A's worker stopped: B's unfilled file reads right" ||
	fail "B's file with A's worker stopped" "$got"
kill -CONT "$wa"
treesum_is "$ma" a && ok "A's tree equals its image entry by entry ($(wc -l <"$T/got-a") entries)" ||
	fail "A's tree differs" "$(head -20 "$T/diff-a")"
treesum_is "$mb" b && ok "B's tree equals its image entry by entry ($(wc -l <"$T/got-b") entries)" ||
	fail "B's tree differs" "$(head -20 "$T/diff-b")"
got=$("$mb/bin/holder" --help 2>&1)
[[ $got == "$("$T/b/bin/holder" --help 2>&1)" ]] && ok "exec of a lazily filled binary" || fail "exec" "$got"
nino=$(marks "$ka" | grep '^fanotify ino:' | grep -vc ' mask:0 ')
[[ $nino == 0 ]] && ok "after the fills: still no inode mark asking for events ($(marks "$ka" | grep -c "^fanotify ino:.* mask:0 ") evictable ignore marks)" ||
	fail "inode marks after the fills: $nino"

# migrate and detach B: its filler, its group and its mark go; A's stays
holders_start "$mb"
out=$("$OVLMIG" migrate "$mb" 2>&1) && out2=$("$OVLMIG" detach "$mb" 2>&1) &&
	ok "B: migrate, detach: $out2" || fail "B: migrate, detach" "$out $out2"
holders_check "B: migrate and detach"
for _ in $(seq 50); do gone "$kb" && break; sleep 0.1; done
holders=$(mark_holders | sort -u | tr '\n' ' ')
gone "$kb" && [[ $holders == "$(printf '%s\n' "$ka" "$(worker "$ma")" | sort -u | tr '\n' ' ')" ]] &&
	ok "B detached: its filler gone, only A's keeper and worker hold marks" ||
	fail "after B's detach: marks held by $holders (A: $ka $(worker "$ma"), B: $kb)"
"$TOOLS/treesum" --no-atime "$mb" | grep -v -e "^$HOLDER_DEEP " -e '\.holder-' >"$T/got-b"
diff -u <(grep -v -e "^$HOLDER_DEEP " -e '\.holder-' "$T/expected-b") "$T/got-b" >"$T/diff-b" &&
	ok "B detached: tree equals its image" || fail "B's tree after detach" "$(head -20 "$T/diff-b")"

# A's keeper and worker killed: the group closes, its mark goes with it
wa=$(worker "$ma")
kill -KILL "$ka" "$wa"
for _ in $(seq 50); do gone "$ka" && gone "$wa" && break; sleep 0.1; done
gone "$ka" && [[ -z $(marks_on_fs) ]] &&
	ok "A's filler killed: no mark left on the store's filesystem in any process" ||
	fail "marks left after the kill" "$(marks_on_fs | head -3)"
cmp -s "$ma/data/big" "$T/a/data/big" && ok "A's filled files read on" || fail "A's data/big after the kill"
"$OVLMIG" umount "$ma" >/dev/null && "$OVLMIG" umount "$mb" >/dev/null &&
	! mountpoint -q "$ma" && ! mountpoint -q "$mb" && ok "umount both" || fail "umount"

# the same store kept below its filesystem's root: inode marks, as before
out=$(mnt "$T/a" "$ma" "$T/sfs/below" 2>&1) && ka=$(keeper "$ma") &&
	grep -q "an inode mark per placeholder" "$(run_of "$ma")/filler.log" &&
	[[ $(marks "$ka" | grep -c '^fanotify sdev:') == 0 && $(marks "$ka" | grep -c '^fanotify ino:') -gt 100 ]] &&
	cmp -s "$ma/data/big" "$T/a/data/big" &&
	ok "a store below the filesystem's root: inode marks, reads right" ||
	fail "store below the root" "$out $(marks "$ka" | head -3)"
"$OVLMIG" umount "$ma" >/dev/null && for _ in $(seq 50); do gone "$ka" && break; sleep 0.1; done &&
	gone "$ka" && [[ -z $(marks_on_fs) ]] && ok "umount: the filler gone, no mark left" ||
	fail "after umount" "$(marks_on_fs | head -3)"
