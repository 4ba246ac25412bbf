#!/usr/bin/env bash
# Strategy store filled by fanotify (issue 16): mount --fill fanotify puts
# an empty placeholder in STORE/holes for every file not yet local and a
# filler fills it whole at its first open. No lowerfs, no FUSE connection
# at any point; the tree equals the image; read, exec and mmap of lazily
# filled files give the image's bytes. The filler's worker killed during
# a read: its keeper starts another, the reader gets the right bytes;
# keeper and worker killed: a reader of an unfilled file gets a short read
# (EOF at 0, no error) or SIGBUS, never zeros; killed in the middle of a
# fill: read() gets the part filled (a right prefix), then EOF, an mmap
# the same part then SIGBUS; the next filler empties the part. migrate
# fills data/ and every placeholder (also those a stat resolved); detach
# only stops the filler (the mount unchanged, 0 errors for the holders);
# status shows the same phases and bytes; umount leaves nothing.
# The store is on a loop ext4 of the test's own: no mark ever goes on
# the root filesystem (tmpfs has no pre-content events).
. "$(dirname "$0")/../lib.sh"
require_root "ovlmig fanotify"
fusectl_ready || { fail "mount fusectl"; exit 1; }

src=$T/src
"$TOOLS/gentree" --small --seed 47 "$src" >/dev/null || { fail "gentree"; exit 1; }
mkdir -p "$src/bin" "$src/data"
cp "$TOOLS/holder" "$src/bin/holder"
head -c 3000000 /dev/urandom >"$src/data/mapped"
head -c 20000000 /dev/urandom >"$src/data/big"
head -c 100000 /dev/urandom >"$src/data/unread"
head -c 100000 /dev/urandom >"$src/data/unread2"
head -c 200000000 /dev/urandom >"$src/data/half"
"$TOOLS/treesum" --no-atime --exclude-xattr-prefix trusted.overlay. "$src" >"$T/expected"

truncate -s 512M "$T/sfs.img" && mkfs.ext4 -q -F "$T/sfs.img" && mkdir "$T/sfs" &&
	mount -o loop "$T/sfs.img" "$T/sfs" || { fail "loop ext4 for the store"; exit 1; }
on_exit "umount -l $T/sfs"
store=$T/sfs/images
m=$T/m

status() { "$OVLMIG" status --json "$1" | jq -r ".$2"; }
# No FUSE for this container: no FUSE mount under the test's directory
# (other tests may run FUSE mounts meanwhile: the connection count is
# the host's), the overlay's layers all on the store's ext4 (META is an
# EROFS image in it), no /dev/fuse open in the filler.
no_fuse() {
	local opts
	! awk -v t="$T" '$5 ~ "^" t && / - fuse/' /proc/self/mountinfo | grep -q . || return 1
	opts=$(findmnt -n -o OPTIONS "$m") || return 1
	[[ $opts != *lower* || $opts == *"$T/sfs/"* ]] || return 1
	! ls -l "/proc/$(filler_pid)/fd" 2>/dev/null | grep -q /dev/fuse
}
# a process gone (a zombie counts: its reaper may be slow)
gone() { ! kill -0 "$1" 2>/dev/null || [[ $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) == Z ]]; }
# read_short WHAT RC: $T/got, what a read of data/unread (100000 bytes)
# gave, is short and a prefix of the file: no zeros
read_short() {
	local n
	n=$(stat -c %s "$T/got")
	if ((n < 100000)) && cmp -s "$T/got" <(head -c "$n" "$src/data/unread"); then
		ok "$1: data/unread reads short ($n bytes, cat exit $2), no zeros"
	else
		fail "$1: read $n bytes of data/unread, exit $2" "$(od -An -tx1 -N16 "$T/got")"
	fi
}
filler_pid() { cat "$OVLMIG_RUN_DIR"/*/filler.pid 2>/dev/null; }
mnt() {
	ovlmig_mount "$m" --strategy store --fill fanotify --store "$store" \
		--source "dir:$src" --upper "$T/u" --work "$T/w"
}

# bad usage: exit 2, nothing made
out=$("$OVLMIG" mount --strategy store --fill nfs --store "$store" --source "dir:$src" \
	--upper "$T/u" --work "$T/w" "$m" 2>&1)
[[ $? == 2 && $out == *"--fill fuse or fanotify"* ]] && ok "--fill nfs: exit 2" || fail "--fill nfs" "$out"
mkdir -p "$T/u" "$T/w" "$m"
out=$("$OVLMIG" mount --strategy datadir --fill fanotify --source "dir:$src" \
	--upper "$T/u" --work "$T/w" "$m" 2>&1)
[[ $? == 2 && $out == *"only strategy store"* ]] && ok "--fill with datadir: exit 2" ||
	fail "--fill with datadir" "$out"
# a store on the root filesystem: refused before any mark
if [[ $(stat -c %d "$T") == $(stat -c %d /) ]]; then
	out=$("$OVLMIG" mount --strategy store --fill fanotify --store "$T/rootstore" \
		--source "dir:$src" --upper "$T/u" --work "$T/w" "$m" 2>&1)
	[[ $? != 0 && $out == *"root filesystem"* ]] && ! mountpoint -q "$m" && [[ -z $(filler_pid) ]] &&
		ok "a store on the root filesystem: refused, nothing mounted" ||
		fail "store on the root filesystem" "$out"
fi

out=$(mnt 2>&1) && ok "mount --fill fanotify: $out" || { fail "mount --fill fanotify" "$out"; exit 1; }
img=$(status "$m" store)
pid=$(filler_pid)
[[ $img == "$store/sha256-"* && -n $pid ]] && kill -0 "$pid" && ok "filler $pid runs for ${img#$T/}" ||
	{ fail "no filler" "$img $(cat "$OVLMIG_RUN_DIR"/*/filler.log)"; exit 1; }
no_fuse && ! pgrep -f "lowerfs.*$m" >/dev/null &&
	ok "no FUSE mount, no FUSE fd, no lowerfs: $(findmnt -n -o OPTIONS "$m")" ||
	fail "FUSE for the container" "$(grep fuse /proc/self/mountinfo)"
[[ -f $img/holes/data/big && $(stat -c %s "$img/holes/data/big") == 0 && ! -e $img/data/data/big ]] &&
	ok "placeholders: empty, in holes/; data/ has nothing yet" ||
	fail "placeholders" "$(ls -l "$img/holes/data" "$img/data" 2>&1)"

# lazily filled: read, exec, mmap give the image's bytes
cmp "$src/data/big" "$m/data/big" && ok "read of a lazily filled 20 MB file: the image's bytes" ||
	fail "read of data/big differs"
[[ $(stat -c %i "$img/holes/data/big") == $(stat -c %i "$img/data/data/big" 2>/dev/null) ]] &&
	ok "filled: linked into data/ (one inode)" || fail "data/big not linked into data/"
got=$("$m/bin/holder" --help 2>&1)
[[ $got == "$("$src/bin/holder" --help 2>&1)" ]] &&
	ok "exec of a lazily filled binary" ||
	fail "exec of bin/holder" "$got; $(cat "$OVLMIG_RUN_DIR"/*/filler.log)"
sum=$(python3 -c 'import mmap,sys,hashlib
f=open(sys.argv[1],"rb"); print(hashlib.sha256(mmap.mmap(f.fileno(),0,prot=mmap.PROT_READ)[:]).hexdigest())' "$m/data/mapped")
[[ $sum == $(sha256sum <"$src/data/mapped" | cut -d' ' -f1) ]] &&
	ok "mmap of a lazily filled file (first access): the image's bytes" || fail "mmap of data/mapped: $sum"

# the worker killed during a read (stopped with the read's event in hand):
# its keeper starts another one, which fills; the reader gets the bytes
worker() { cat "$OVLMIG_RUN_DIR"/*/filler-worker.pid 2>/dev/null; }
w=$(worker)
kill -STOP "$w"
cat "$m/data/unread2" >"$T/got2" &
reader=$!
sleep 0.5
kill -0 "$reader" 2>/dev/null && ok "a reader waits on a stopped worker" || fail "the reader did not wait"
kill -KILL "$w"
wait "$reader"
rc=$?
[[ $rc == 0 ]] && cmp -s "$T/got2" "$src/data/unread2" && [[ $(worker) != "$w" ]] && kill -0 "$pid" &&
	ok "kill -9 of the worker during a read: the reader gets the right bytes (worker $w -> $(worker))" ||
	fail "kill -9 of the worker during a read: exit $rc, $(stat -c %s "$T/got2") bytes" "$(tail -3 "$OVLMIG_RUN_DIR"/*/filler.log)"

# keeper and worker killed, a read waiting: the kernel allows it and
# the reader reads the empty placeholder: short, never zeros
w=$(worker)
kill -STOP "$w"
cat "$m/data/unread" >"$T/got" 2>"$T/err" &
reader=$!
sleep 0.5
kill -KILL "$pid" "$w"
for _ in $(seq 50); do gone "$pid" && gone "$w" && break; sleep 0.1; done
wait "$reader"
rc=$?
read_short "keeper and worker killed during a read" "$rc"
cat "$m/data/unread" >"$T/got" 2>"$T/err"
rc=$?
read_short "filler gone, a new read" "$rc"
# (in a shell of its own: no "Bus error" line from this one)
bash -c 'python3 -c "import mmap,sys
f=open(sys.argv[1],\"rb\"); m=mmap.mmap(f.fileno(),0,prot=mmap.PROT_READ); print(m[:16].hex())" "$1" >"$2"; exit $?' \
	_ "$m/data/unread" "$T/mm" 2>/dev/null
rc=$?
[[ $rc != 0 && $(cat "$T/mm") != 00000000* ]] &&
	ok "filler gone: mmap of an unfilled file faults (exit $rc), no zeros" ||
	fail "filler gone: mmap of data/unread gave exit $rc" "$(cat "$T/mm")"
cmp "$src/data/big" "$m/data/big" && ok "filler gone: filled files read on" || fail "data/big after the kill"
"$OVLMIG" umount "$m" >/dev/null && ! mountpoint -q "$m" &&
	ok "umount after the filler died" || fail "umount after the kill"

# mounted again: a new filler takes the placeholders left as they are
out=$(mnt 2>&1) && ok "mount again" || { fail "mount again" "$out"; exit 1; }
pid=$(filler_pid)
cmp "$src/data/unread" "$m/data/unread" && ok "mounted again: the file left unfilled reads right" ||
	fail "data/unread after mounting again"

# keeper and worker killed in the middle of a fill, a reader waiting.
# The worker is stopped before the read and let run in slices of a few
# milliseconds until the placeholder has some bytes: a fill from a local
# source takes well under a second on a quiet machine, so a watcher that
# only polls would often see it whole.
w=$(worker)
kill -STOP "$w" || fail "stop the worker"
python3 -c 'import os,sys
fd=os.open(sys.argv[1],os.O_RDONLY); out=open(sys.argv[2],"wb")
while True:
    b=os.read(fd,1<<20)
    if not b: break
    out.write(b)' "$m/data/half" "$T/got" 2>"$T/err" &
reader=$!
python3 -c 'import os,sys,signal,time
t=time.time(); w=int(sys.argv[2])
while time.time()-t<60:
    os.kill(w,signal.SIGCONT); time.sleep(0.002); os.kill(w,signal.SIGSTOP)
    if os.stat(sys.argv[1]).st_size>0: break' \
	"$img/holes/data/half" "$w"
kill -KILL "$pid" "$w"
for _ in $(seq 50); do gone "$pid" && gone "$w" && break; sleep 0.1; done
wait "$reader"
rc=$?
part=$(stat -c %s "$img/holes/data/half")
n=$(stat -c %s "$T/got")
[[ $rc == 0 && $n == "$part" ]] && ((part > 0 && part < 200000000)) && cmp -s "$T/got" <(head -c "$n" "$src/data/half") &&
	ok "keeper and worker killed mid-fill: the waiting read() gets the $n bytes filled (a right prefix), then EOF, no error" ||
	fail "killed mid-fill: reader exit $rc, $n bytes, the placeholder $part" "$(cat "$T/err")"
# an mmap of it: the filled part right, then SIGBUS (the part ends on a
# page boundary: the kernel grows a file page by page while it is written)
python3 -c 'import mmap,os,sys
f=open(sys.argv[1],"rb"); m=mmap.mmap(f.fileno(),0,prot=mmap.PROT_READ); r=open(sys.argv[2],"rb")
i=0
while True:
    if i>=len(m): sys.exit(0)  # whole: no fault to see (a fill not cut)
    if m[i:i+4096]!=r.read(4096): print("differs at",i); sys.exit(3)
    i+=4096
    print(i, flush=True)' "$m/data/half" "$src/data/half" >"$T/mm" 2>/dev/null
rc=$?
last=$(tail -1 "$T/mm")
[[ $rc == 135 && $last == "$part" ]] &&
	ok "killed mid-fill: an mmap reads the $part bytes filled right, then SIGBUS" ||
	fail "killed mid-fill: mmap exit $rc, last: $last, part $part"
"$OVLMIG" umount "$m" >/dev/null && ! mountpoint -q "$m" || fail "umount after the second kill"
out=$(mnt 2>&1) && ok "mount a third time" || { fail "mount a third time" "$out"; exit 1; }
pid=$(filler_pid)
[[ $(stat -c %s "$img/holes/data/half") == 0 ]] && cmp "$src/data/half" "$m/data/half" &&
	ok "the next filler emptied the part and fills the file whole" ||
	fail "data/half after mounting again" "$(stat -c %s "$img/holes/data/half")"
[[ $(status "$m" phase) == lazy && $(status "$m" lower_attached) == true && $(status "$m" error) == null ]] &&
	ok "status: lazy, served by the filler, no error" || fail "status" "$("$OVLMIG" status --json "$m")"
# a stat resolves a file's data layer to its placeholder without filling it
find "$m" -xdev -type f -exec stat -c %b {} + >/dev/null
holders_start "$m"
if out=$("$OVLMIG" migrate "$m" 2>&1); then ok "migrate: $out"; else fail "migrate" "$out"; fi
[[ $(status "$m" phase) == migrated && $(jq -r .state "$img/image.json") == complete &&
   $(status "$m" progress.bytes_done) -gt 20000000 ]] &&
	ok "status: migrated, $(status "$m" progress.bytes_done) bytes; image complete" ||
	fail "status after migrate" "$("$OVLMIG" status --json "$m")"
# each placeholder as big as its file now, and in data/
bad=$(cd "$img/holes" && find . -type f -print0 | while IFS= read -r -d '' f; do
	[[ $(stat -c %s "$f") == $(stat -c %s "$src/$f") && -f $img/data/$f ]] || echo "$f"; done)
[[ -z $bad ]] && ok "migrate filled every placeholder and data/" || fail "placeholders left unfilled" "$(head -3 <<<"$bad")"
before=$(grep " $m " /proc/self/mountinfo)
if out=$("$OVLMIG" detach "$m" 2>&1); then ok "detach: $out"; else fail "detach" "$out"; fi
[[ $(status "$m" phase) == detached ]] && gone "$pid" && [[ $(grep " $m " /proc/self/mountinfo) == "$before" ]] &&
	ok "detached: the filler (its group, its marks) gone, the container's mount unchanged" ||
	fail "after detach" "$(status "$m" phase) $(grep " $m " /proc/self/mountinfo)"
holders_check "migrate and detach"
"$TOOLS/treesum" --no-atime "$m" | grep -v -e "^$HOLDER_DEEP " -e '\.holder-' >"$T/got"
diff -u <(grep -v -e "^$HOLDER_DEEP " -e '\.holder-' "$T/expected") "$T/got" >"$T/diff" &&
	ok "tree equals the image entry by entry ($(wc -l <"$T/got") entries: hardlinks, setuid, caps, xattrs)" ||
	fail "tree differs" "$(head -20 "$T/diff")"
opsuite_rounds "$m"
no_fuse && ok "still no FUSE" || fail "FUSE for the container" "$(grep fuse /proc/self/mountinfo)"
"$OVLMIG" umount "$m" >/dev/null && ! mountpoint -q "$m" && [[ -z $(ls "$OVLMIG_RUN_DIR" 2>/dev/null) ]] &&
	ok "umount: overlay gone, state gone" || fail "umount" "$(ls "$OVLMIG_RUN_DIR")"
# the detached upper mounts again on the store alone: no filler
out=$(ovlmig_mount "$m" --source "dir:$src" --upper "$T/u" --work "$T/w" 2>&1) &&
	[[ $(status "$m" phase) == detached && -z $(filler_pid) ]] && cmp "$src/data/big" "$m/data/big" &&
	ok "detached upper mounted again: no filler ($out)" || fail "mount the detached upper" "$out"
"$OVLMIG" umount "$m" >/dev/null || fail "umount the detached upper"
