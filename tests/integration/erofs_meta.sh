#!/usr/bin/env bash
# The EROFS writer (erofs/): images of a varied tree pass fsck.erofs,
# mount file-backed, and equal their source entry by entry; compact
# inodes and shared xattrs are used where they fit; a metacopy image
# under an overlay with a data-only layer serves the data layer's files.
. "$(dirname "$0")/../lib.sh"
require_root "erofs meta"
HELPERS=$BUILD/helpers
if ! command -v fsck.erofs >/dev/null || ! grep -qw erofs /proc/filesystems; then
	skip "erofs meta" "needs erofs-utils and the erofs filesystem"
	exit 0
fi

# mount_erofs IMAGE DIR: file-backed, or on a loop device (autoclear) if
# the kernel refuses a file; unmounted at exit either way
mount_erofs() {
	mkdir -p "$2"
	on_exit "umount -l $2"
	"$TOOLS/mount_file" erofs "$1" "$2" 2>/dev/null ||
		mount -t erofs -o ro,loop "$1" "$2"
}
# dump_field IMAGE PATH FIELD: one number from dump.erofs' inode report
dump_field() {
	dump.erofs --path="$2" "$1" | sed -n "s/.*$3: *\([0-9]*\).*/\1/p"
}

src=$T/src
"$TOOLS/gentree" --seed 11 "$src" >/dev/null || { fail "gentree"; exit 1; }
# The writer takes file data in memory: gentree's 2 GiB file with data
# islands becomes a hole of the same size (its data is checked through
# the overlay below). Owners beyond 16 bits, one capability on many
# files (the shared xattr table), a large xattr value.
rm "$src/files/sparse-2g" && truncate -s 2G "$src/files/sparse-2g"
touch -d '2020-02-02 02:02:02.123456789' "$src/files/sparse-2g"
mkdir "$src/wide" && chown 100000:200000 "$src/wide"
echo big-owner >"$src/wide/file" && chown 4000000000:4000000001 "$src/wide/file"
cap=0sAQAAAgAEAAAAAAAAAAAAAAAAAAA=	# cap_net_bind_service=ep
for i in $(seq 50); do
	echo "$i" >"$src/wide/cap$i"
	setfattr -h -n security.capability -v "$cap" "$src/wide/cap$i"
done
setfattr -h -n user.large -v "0s$(head -c 3000 /dev/urandom | base64 -w0)" "$src/wide/file"
"$TOOLS/treesum" --no-atime "$src" >"$T/expected" || { fail "treesum source"; exit 1; }

img=$T/tree.erofs
if "$HELPERS/erofs_from_dir" "$src" "$img" >"$T/build.log" 2>&1; then
	ok "image written ($(stat -c %s "$img") bytes for $(wc -l <"$T/expected") entries)"
else
	fail "write image" "$(cat "$T/build.log")"
	exit 1
fi
check "fsck.erofs accepts the image" fsck.erofs "$img"
check "fsck.erofs decodes every file" fsck.erofs --extract "$img"

if mount_erofs "$img" "$T/mnt"; then
	ok "image mounts"
	"$TOOLS/treesum" --no-atime "$T/mnt" >"$T/got" 2>"$T/got.err"
	if diff -u "$T/expected" "$T/got" >"$T/diff"; then
		ok "mounted tree equals the source ($(wc -l <"$T/expected") entries)"
	else
		fail "mounted tree differs" "$(head -20 "$T/diff")"
	fi
	missing=""
	for t in reg dir lnk chr blk fifo sock; do
		grep -q " type=$t " "$T/got" || missing+=" $t"
	done
	[[ -z $missing ]] && ok "every file type present" ||
		fail "no entry of type$missing"
	# treesum leaves out directory link counts: 2 + subdirectories
	(cd "$src" && find . -type d -printf '%p %n\n' | sort) >"$T/dirs.expected"
	(cd "$T/mnt" && find . -type d -printf '%p %n\n' | sort) >"$T/dirs.got"
	check "directory link counts" cmp -s "$T/dirs.expected" "$T/dirs.got"
	n=$(find "$T/mnt/big" -mindepth 1 -maxdepth 1 | wc -l)
	[[ $n -eq 10000 && -f $T/mnt/big/f09999 && -f $T/mnt/big/f00000 ]] &&
		ok "a 10k-entry directory: listed and looked up" ||
		fail "10k-entry directory" "$n entries"
fi

# the order entries are added in does not change a byte of the image
"$HELPERS/erofs_from_dir" --shuffle "$src" "$T/shuffled.erofs" >/dev/null 2>"$T/shuffle.err" &&
	check "children added before their parents: the same image" cmp -s "$img" "$T/shuffled.erofs" ||
	fail "write shuffled image" "$(cat "$T/shuffle.err")"

# compact inodes where they fit, extended otherwise; shared xattrs
small=$T/small
mkdir -p "$small/d"
for f in a b c; do echo "$f" >"$small/d/$f"; done
chown 70000 "$small/d/b"
for f in a b c cap1 cap2; do touch -d '2021-01-01 00:00:00' "$small/d/$f" 2>/dev/null; done
echo cap >"$small/d/cap1" && echo cap >"$small/d/cap2" && echo solo >"$small/d/solo"
setfattr -n security.capability -v "$cap" "$small/d/cap1"
setfattr -n security.capability -v "$cap" "$small/d/cap2"
setfattr -n security.capability -v 0sAQAAAgAIAAAAAAAAAAAAAAAAAAA= "$small/d/solo"	# another value
touch -d '2021-01-01 00:00:00' "$small/d/a" "$small/d/b" "$small/d/cap1" "$small/d/cap2" \
	"$small/d" "$small"
touch -d '2021-01-01 00:00:00.5' "$small/d/c"
truncate -s 15T "$small/huge" && touch -d '2021-01-01 00:00:00' "$small/huge"
if "$HELPERS/erofs_from_dir" "$small" "$T/small.erofs" >/dev/null 2>"$T/small.err"; then
	got="a=$(dump_field "$T/small.erofs" /d/a 'Inode size')"
	got+=" b=$(dump_field "$T/small.erofs" /d/b 'Inode size')"
	got+=" c=$(dump_field "$T/small.erofs" /d/c 'Inode size')"
	got+=" huge=$(dump_field "$T/small.erofs" /huge 'Inode size')"
	[[ $got == "a=32 b=64 c=64 huge=64" ]] &&
		ok "compact inodes unless owner, time or size needs more" ||
		fail "inode sizes" "$got"
	# 12-byte header + one 4-byte shared id, against the whole entry inline
	got="cap1=$(dump_field "$T/small.erofs" /d/cap1 'Xattr size')"
	got+=" solo=$(dump_field "$T/small.erofs" /d/solo 'Xattr size')"
	[[ $got == "cap1=16 solo=48" ]] && ok "a repeated xattr is shared" ||
		fail "xattr sizes" "$got"
	if mount_erofs "$T/small.erofs" "$T/small-mnt"; then
		size=$(stat -c %s "$T/small-mnt/huge")
		tailbytes=$(tail -c 8192 "$T/small-mnt/huge" | tr -d '\0' | wc -c)
		[[ $size -eq $((15 << 40)) && $tailbytes -eq 0 ]] &&
			ok "a 15 TiB file of holes: its size, zeros at its end" ||
			fail "huge hole file" "size $size, $tailbytes non-zero bytes"
		[[ $(getfattr --absolute-names -h --only-values -n security.capability "$T/small-mnt/d/cap2" | base64 -w0) == "${cap#0s}" ]] &&
			ok "a shared xattr reads back" || fail "shared xattr value"
	fi
else
	fail "write small image" "$(cat "$T/small.err")"
fi

# The overlay's metadata layer: regular files are metacopy files that
# redirect into a plain data directory, a data-only layer.
data=$T/data
"$TOOLS/gentree" --small --seed 12 "$data" >/dev/null || { fail "gentree data"; exit 1; }
"$TOOLS/treesum" --no-atime --exclude-xattr-prefix trusted.overlay. "$data" \
	>"$T/data.expected" || { fail "treesum data"; exit 1; }
if "$HELPERS/erofs_from_dir" --metacopy "$data" "$T/meta.erofs" >/dev/null 2>"$T/meta.err" &&
	fsck.erofs "$T/meta.erofs" >/dev/null 2>&1; then
	ok "metadata image written and checked"
else
	fail "metadata image" "$(cat "$T/meta.err")"
	exit 1
fi
# chunk-based (layout 4) with hole chunks: the image holds none of the data
data_bytes=$(du -sb --apparent-size "$data" | cut -f1)
[[ $(dump_field "$T/meta.erofs" /files/size-4097 'Size') -eq 4097 &&
   $(dump_field "$T/meta.erofs" /files/size-4097 'Layout') -eq 4 &&
   $(stat -c %s "$T/meta.erofs") -lt $((data_bytes / 8)) ]] &&
	ok "metacopy files carry their size and no data" ||
	fail "metacopy file size" "$(dump.erofs --path=/files/size-4097 "$T/meta.erofs"; stat -c %s "$T/meta.erofs") of $data_bytes"
mount_erofs "$T/meta.erofs" "$T/meta" || { fail "mount metadata image"; exit 1; }
mkdir -p "$T/merged"
on_exit "umount -l $T/merged"
if mount -t overlay overlay -o "lowerdir=$T/meta::$data,metacopy=on,redirect_dir=on" \
	"$T/merged" 2>"$T/ovl.err"; then
	ok "overlay mounts over the metadata image and the data directory"
	"$TOOLS/treesum" --no-atime --exclude-xattr-prefix trusted.overlay. "$T/merged" \
		>"$T/merged.got" 2>"$T/merged.err"
	if diff -u "$T/data.expected" "$T/merged.got" >"$T/merged.diff"; then
		ok "merged tree equals the data directory, data included ($(wc -l <"$T/data.expected") entries)"
	else
		fail "merged tree differs" "$(head -20 "$T/merged.diff")"
	fi
	[[ $(stat -c %a "$T/merged/files/setuid") == 4755 &&
	   $(stat -c %a "$T/merged/files/setgid") == 2755 ]] &&
		ok "setuid and setgid kept in the merged tree" ||
		fail "setuid bits" "$(stat -c '%a %n' "$T/merged/files/setuid" "$T/merged/files/setgid")"
else
	fail "overlay mount" "$(cat "$T/ovl.err"; dmesg | tail -3)"
fi
