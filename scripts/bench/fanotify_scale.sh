#!/bin/bash
# fanotify fill: the kernel facts the filler rests on, measured on this
# machine (docs/FANOTIFY-KERNEL.md, docs/PERFORMANCE.md "fanotify fill: kernel
# measurements"). Everything lives under a fresh temp dir: a tmpfs, a loop
# XFS and a loop ext4 as stores, a tmpfs META with metacopy files that
# redirect into the store, the overlay lowerdir=META::STORE. Marks go on
# those filesystems only, never on the root filesystem.
#
#   scripts/bench/fanotify_scale.sh [N...]     (default: 100000 1000000)
#
# The scale part and the evictable-mark check drop the kernel's dentry and
# inode caches (echo 2 > /proc/sys/vm/drop_caches) to see what marks pin.
set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
COUNTS=("$@")
[[ ${#COUNTS[@]} -gt 0 ]] || COUNTS=(100000 1000000)
[[ $(id -u) -eq 0 ]] || { echo "fanotify_scale: needs root (mounts, marks)" >&2; exit 1; }

. "$TOP/scripts/bench/fanotify_lib.sh" fanotify-scale

loopfs() { # loopfs TYPE DIR SIZE
	truncate -s "$3" "$T/$1-$(basename "$2").img"
	case $1 in
	xfs) mkfs.xfs -q "$T/$1-$(basename "$2").img" ;;
	ext4) mkfs.ext4 -q "$T/$1-$(basename "$2").img" ;;
	esac
	mnt "$2" -o loop "$T/$1-$(basename "$2").img"
}
events() { grep -c '^event' "$T/events" || true; }
# op LABEL CMD...: run CMD, then print the events it raised
op() {
	local label=$1 before
	shift
	before=$(wc -l <"$T/events")
	"$@" >/dev/null 2>&1 || true
	sleep 0.2
	echo "$label:"
	tail -n +$((before + 1)) "$T/events" | sed 's/^/    /'
}

echo "# fanotify fill: kernel measurements ($(uname -r), $(date -u +%F))"
echo
echo "## 1. Which store filesystems accept which marks (FAN_CLASS_PRE_CONTENT group)"
loopfs xfs "$T/xfs" 1G
loopfs ext4 "$T/ext4" 1G
mnt "$T/tmpfs" -t tmpfs -o size=2g tmpfs
for fs in tmpfs xfs ext4; do
	: >"$T/$fs/probe"
	echo "$fs: $("$P" caps "$T/$fs/probe" | paste -sd' ' | sed 's/ \(inode\|mount\|fs\)/; \1/g')"
done

echo
echo "## 2. Placeholders: what a reader of lowerdir=META::STORE gets (STORE on XFS)"
mnt "$T/meta" -t tmpfs tmpfs
S=$T/xfs
: >"$S/zero"
truncate -s 10000 "$S/sparse"
head -c 5000 /dev/zero | tr '\0' x >"$S/trunc"
head -c 10000 /dev/zero | tr '\0' x >"$S/full"
head -c 4194304 /dev/urandom >"$S/big"
for f in zero sparse trunc full; do meta $f 10000; done
meta big 4194304
cp /bin/true "$S/true"
meta true "$(stat -c %s /bin/true)"
chmod +x "$T/meta/true"
: >"$S/truez"
meta truez "$(stat -c %s /bin/true)"
chmod +x "$T/meta/truez"
truncate -s 10000 "$T/meta/missing"
setfattr -n trusted.overlay.metacopy "$T/meta/missing"
setfattr -n trusted.overlay.redirect -v /missing "$T/meta/missing"
mnt "$T/ovl" -t overlay overlay -o "lowerdir=$T/meta::$S,metacopy=on,redirect_dir=follow"
O=$T/ovl
echo "META size 10000; STORE: zero = size 0, sparse = hole of 10000, trunc = 5000 bytes 'x', full = 10000 bytes 'x', missing = absent"
for f in zero sparse trunc full missing; do
	for m in fstat read mmap sendfile splice; do
		echo "no listener  $f: $("$P" read $m "$O/$f" 2>&1)"
	done
	rc=0
	cat "$O/$f" >"$T/out" 2>/dev/null || rc=$?
	echo "no listener  $f: cat: $(wc -c <"$T/out") bytes, rc=$rc"
done
echo "no listener  truez (size-0 ELF placeholder): execv: $(python3 -c "import os; os.execv('$O/truez', ['x'])" 2>&1 | tail -1)"
for f in zero sparse trunc; do
	for m in read mmap; do
		listen -t fs -m open,pre -r hang "$S"
		"$P" read $m "$O/$f" >"$T/reader" 2>&1 &
		RP=$!
		sleep 0.5
		state=$(ps -o stat= -p "$RP" || true)
		kill -KILL "$LP"
		wait "$LP" 2>/dev/null || true
		wait "$RP" || true
		echo "listener kill -9 with the event pending  $f: reader was '$state'; then $(cat "$T/reader")"
	done
done

echo
echo "## 3. Events through the overlay (filesystem mark FAN_OPEN_PERM|FAN_PRE_ACCESS on the XFS store)"
listen -t fs -m open,pre "$S"
op "read(10000)@0" "$P" read read "$O/full"
op "pread(100)@1000000" "$P" read pread "$O/big" 1000000 100
op "pread(1000)@4194000 (crosses the image's EOF)" "$P" read pread "$O/big" 4194000 1000
op "read of a size-0 placeholder" "$P" read read "$O/zero"
op "pread@6000 of a 5000-byte file" "$P" read pread "$O/trunc" 6000 100
op "mmap of 4 MiB, every page read" "$P" read mmap "$O/big"
op "sendfile" "$P" read sendfile "$O/full"
op "splice 64k" "$P" read splice "$O/big"
op "cat" cat "$O/full"
op "exec of /bin/true (filled)" "$O/true"
op "exec of a size-0 ELF placeholder" python3 -c "import os; os.execv('$O/truez', ['x'])"
unlisten
for how in "mount mark on STORE's mount:-t mount $S" "inode mark:-t inode $S/full" \
	   "evictable inode mark:-t inode -e $S/full" "filesystem mark:-t fs $S"; do
	# shellcheck disable=SC2086
	listen -m open,pre ${how#*:}
	"$P" read read "$O/full" >/dev/null
	unlisten
	echo "${how%%:*}: $(events) events for one read through the overlay"
done
for how in "evictable inode mark:-t inode -e $S/zero" "inode mark:-t inode $S/zero" \
	   "filesystem mark:-t fs $S"; do
	# shellcheck disable=SC2086
	listen -m open,pre ${how#*:}
	sync
	echo 2 >/proc/sys/vm/drop_caches
	"$P" read read "$O/zero" >/dev/null
	unlisten
	echo "${how%%:*}, caches dropped before the read: $(events) events"
done
mnt "$T/bind" --bind "$S"
for how in "inode mark:-t inode $S/full" "filesystem mark:-t fs $S"; do
	# shellcheck disable=SC2086
	listen -m open,pre -i "$T/bind" ${how#*:}
	"$P" read read "$T/bind/full" >/dev/null
	"$P" read read "$O/full" >/dev/null
	unlisten
	echo "${how%%:*} + ignore mark (FAN_MARK_MOUNT|FAN_MARK_IGNORE_SURV) on a bind mount of STORE: a read through the bind mount, then one through the overlay: $(events) events ($(grep -o 'pid=[0-9]*' "$T/events" | sort -u | wc -l) reader)"
done
: >"$S/early"
meta early 10000
exec {early}<"$O/early"
listen -t fs -m open,pre -r errno:5 "$S"
got=$(dd bs=100 count=1 status=none <&"$early" | wc -c)
early_events=$(events)
out=$("$P" read read "$O/early" || true)
unlisten
exec {early}<&-
echo "fd opened through the overlay before the mark (answers EIO): read gives $got bytes with $early_events events; a new open after the mark: $out"
if command -v mkfs.erofs >/dev/null; then
	mkdir -p "$T/erofs-src"
	head -c 200000 /dev/urandom >"$T/erofs-src/data"
	mkfs.erofs "$S/meta.erofs" "$T/erofs-src" >/dev/null 2>&1
	listen -t fs -m open,pre "$S"
	mnt "$T/erofs" -t erofs -o ro "$S/meta.erofs"
	sleep 0.2
	at_mount=$(events)
	cmp -s "$T/erofs/data" "$T/erofs-src/data" && r=right || r=WRONG
	unlisten
	echo "file-backed EROFS image on the marked store, mounted after the mark: $at_mount events at mount ($(grep -o 'OPEN_PERM\|PRE_ACCESS' "$T/events" | head -1) on the image), $(($(events) - at_mount)) more for a read of a file in it ($r bytes)"
fi
mnt "$T/ovlt" -t overlay overlay -o "lowerdir=$T/meta::$T/tmpfs,metacopy=on,redirect_dir=follow"
head -c 10000 /dev/zero | tr '\0' x >"$T/tmpfs/full"
listen -t fs -m open "$T/tmpfs"
"$P" read read "$T/ovlt/full" >/dev/null
unlisten
echo "tmpfs store, filesystem mark FAN_OPEN_PERM: $(events) events for an open through the overlay"
for r in deny errno:1 errno:2 errno:5 errno:11 errno:13 errno:16 errno:26 errno:28 errno:61 errno:122; do
	listen -t fs -m open -r $r "$S"
	out=$("$P" read read "$O/full" | head -1 || true)
	unlisten
	echo "answer $r at FAN_OPEN_PERM: reader: $out $(grep -o 'response.*' "$T/events" || true)"
done
listen -t fs -m pre -r errno:5 "$S"
echo "answer errno:5 at FAN_PRE_ACCESS: reader: $("$P" read read "$O/full" || true)"
unlisten

echo
echo "## 3b. Filling during the event (through the ignore-marked bind mount)"
mkdir -p "$T/src"
cp "$S/big" "$T/src/big"
slice() { dd if="$1" iflag=skip_bytes skip="$2" bs="$3" count=1 status=none | od -An -tx1 | tr -d ' \n'; }
for how in range prefix whole; do
	: >"$S/big"
	mask=pre
	[[ $how == whole ]] && mask=open
	listen -t fs -m $mask -i "$T/bind" -b "$T/bind" -s "$T/src" -r fill:$how "$S"
	if [[ $(slice "$O/big" 500000 100) == "$(slice "$T/src/big" 500000 100)" ]]; then r=right; else r=WRONG; fi
	kill -KILL "$LP"
	wait "$LP" 2>/dev/null || true
	echo "fill:$how, reader pread(100)@500000 while the filler runs: $r bytes; store size then $(stat -c %s "$S/big")"
	echo "  then nobody listening, read whole: $("$P" read read "$O/big"); the source's first $(stat -c %s "$S/big") bytes: $("$P" read pread "$T/src/big" 0 "$(stat -c %s "$S/big")")"
done
cp "$T/src/big" "$S/big"

echo
echo "## 4. Scale: memory and time per unfilled file"
loopfs xfs "$T/xfsbig" 8G
mnt "$T/tmpbig" -t tmpfs -o size=4g,nr_inodes=0 tmpfs
for n in "${COUNTS[@]}"; do
	for fs in xfsbig tmpbig; do
		rm -rf "${T:?}/$fs/s"
		start=$(date +%s.%N)
		"$P" mkfiles "$T/$fs/s" "$n" 0
		echo "$fs: $n size-0 files made in $(echo "$(date +%s.%N) - $start" | bc) s"
		mask=open,pre
		[[ $fs == tmpbig ]] && mask=open
		for how in "-t inode" "-t inode -e" "-t fs" "-t mount"; do
			echo "-- $fs n=$n $how -m $mask"
			# shellcheck disable=SC2086
			"$P" scale $how -m $mask -d "$T/$fs/s" "$n"
		done
		rm -rf "${T:?}/$fs/s"
	done
done
