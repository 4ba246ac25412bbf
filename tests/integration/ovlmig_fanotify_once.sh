#!/usr/bin/env bash
# A store filled by fanotify keeps one copy of the image on ext4
# (docs/FANOTIFY.md "One copy on disk"): migrate's fill writes data/, then
# the filler fills each placeholder from data/ (copy_file_range: a copy on
# ext4, no reflink) and replaces the data/ file by a link to the filled
# placeholder. On a loop ext4 of the test's own, after migrate and detach,
# the store's allocated blocks (du of the image's store directory, and the
# filesystem's df against its empty state) are at most 1.1 times the
# image's file bytes (each inode of the source counted once); before the
# fix they were about twice. The trees the fanotify mount and a FUSE store
# mount of the same image (mounted before migrate, reading data/ by
# redirects while its files are replaced) show equal the source entry by
# entry, link counts included (the data file's second name in holes/ must
# not show).
. "$(dirname "$0")/../lib.sh"
require_root "ovlmig fanotify store: one copy on ext4"

src=$T/src
"$TOOLS/gentree" --small --seed 83 "$src" >/dev/null &&
	mkdir -p "$src/bin" "$src/data" "$src/big/a" && cp "$TOOLS/holder" "$src/bin/holder" &&
	head -c 8000000 /dev/urandom >"$src/data/read-before" &&
	head -c 12000000 /dev/urandom >"$src/big/a/twelve" &&
	head -c 6000000 /dev/urandom >"$src/big/six" &&
	ln "$src/big/six" "$src/big/six-again" &&
	head -c 4000000 /dev/urandom >"$src/data/fuse-read" &&
	head -c 24000000 /dev/urandom >"$src/data/ranged" ||
	{ fail "source"; exit 1; }
"$TOOLS/treesum" --no-atime --exclude-xattr-prefix trusted.overlay. "$src" >"$T/expected"
# the image's file bytes: each regular file's inode once
bytes=$(find "$src" -type f -printf '%i %s\n' | sort -u | awk '{s += $2} END {print s}')

truncate -s 512M "$T/sfs.img" && mkfs.ext4 -q -F "$T/sfs.img" && mkdir "$T/sfs" &&
	mount -o loop "$T/sfs.img" "$T/sfs" || { fail "loop ext4 for the store"; exit 1; }
on_exit "umount -l $T/sfs"
# df's used bytes of the store's filesystem
used() { df -B1 --output=used "$T/sfs" | tail -1 | tr -d ' '; }
sync
used0=$(used)

run_of() { grep -l "\"target\": *\"$1\"" "$OVLMIG_RUN_DIR"/*/state.json 2>/dev/null | xargs -r dirname; }
treesum_is() { # M NAME: the tree M shows equals the source's, entry by entry
	"$TOOLS/treesum" --no-atime "$1" >"$T/got-$2"
	diff -u "$T/expected" "$T/got-$2" >"$T/diff-$2"
}

ma=$T/ma mb=$T/mb
mnt_a() {
	ovlmig_mount "$ma" --strategy store --fill fanotify --store "$T/sfs" --source "dir:$src" \
		--cache "$T/cache-a" --upper "$T/ua" --work "$T/wa"
}
# a worker killed between its link and its rename: data/F a copy of its
# own beside the whole placeholder, the placeholder's second name in
# tmp/ (a PID that cannot run): the next filler's lay makes them one
out=$(mnt_a 2>&1) && cmp -s "$ma/data/read-before" "$src/data/read-before" &&
	"$OVLMIG" umount "$ma" >/dev/null || { fail "first mount" "$out"; exit 1; }
img=$(find "$T/sfs" -maxdepth 1 -name 'sha256-*' | head -1)
mkdir -p "$img/tmp" && cp "$img/data/data/read-before" "$img/tmp/copy" && mv "$img/tmp/copy" "$img/data/data/read-before" &&
	ln "$img/holes/data/read-before" "$img/tmp/fan-99999999-1" &&
	[[ $(stat -c %i "$img/holes/data/read-before") != $(stat -c %i "$img/data/data/read-before") ]] ||
	{ fail "two copies of data/read-before"; exit 1; }
out=$(mnt_a 2>&1) && [[ $(stat -c %i "$img/holes/data/read-before") == $(stat -c %i "$img/data/data/read-before") ]] &&
	ok "a second copy a killed worker left in data/: the next lay renames the placeholder over it" ||
	fail "lay over a data/ copy of its own" "$out"
# before migrate: a file filled whole at its open (fetched into the
# placeholder, linked into data/), a large one by ranges (a prefix)
cmp -s "$ma/data/read-before" "$src/data/read-before" && ok "a file read before migrate" ||
	fail "read before migrate"
dd if="$ma/data/ranged" of="$T/part" bs=1M skip=2 count=1 status=none &&
	cmp -s "$T/part" <(dd if="$src/data/ranged" bs=1M skip=2 count=1 status=none) &&
	sz=$(stat -c %s "$img/holes/data/ranged") && ((sz > 0 && sz < 24000000)) &&
	ok "a range of a large file read before migrate (placeholder filled to $sz bytes)" ||
	fail "range read before migrate" "$(stat -c %s "$img/holes/data/ranged")"

# a FUSE store mount of the same image: reads data/ by redirects, its
# lowerfs puts what it fetches into data/ (a copy of its own there)
out=$(ovlmig_mount "$mb" --strategy store --fill fuse --store "$T/sfs" --source "dir:$src" \
	--cache "$T/cache-b" --upper "$T/ub" --work "$T/wb" 2>&1) &&
	ok "a FUSE store mount of the same image" || { fail "mount fuse" "$out"; exit 1; }
cmp -s "$mb/data/fuse-read" "$src/data/fuse-read" && cmp -s "$mb/big/six" "$src/big/six" &&
	ok "the FUSE mount reads before migrate" || fail "FUSE mount read"

out=$("$OVLMIG" migrate "$ma" 2>&1) && ok "migrate: $(tail -1 <<<"$out")" ||
	{ fail "migrate" "$out $(tail -5 "$(run_of "$ma")/filler.log")"; exit 1; }
grep -q "keeps a copy of its own" "$(run_of "$ma")/filler.log" &&
	fail "the filler could not replace a data/ copy" "$(grep "copy of its own" "$(run_of "$ma")/filler.log" | head -3)"
out=$("$OVLMIG" detach "$ma" 2>&1) && ok "detach: $out" || fail "detach" "$out"

# one inode for each file: data/PATH is holes/PATH wherever there is one
n=0 bad=()
while IFS= read -r -d '' h; do
	rel=${h#"$img/holes/"}
	n=$((n + 1))
	[[ $(stat -c %i "$h") == $(stat -c %i "$img/data/$rel") ]] || bad+=("$rel")
done < <(find "$img/holes" -type f -print0)
((n > 100 && ${#bad[@]} == 0)) && ok "each of $n placeholders is its data/ file (one inode)" ||
	fail "placeholders with a data/ copy of their own: ${#bad[@]} of $n" "${bad[*]:0:5}"
left=$(find "$img/tmp" -mindepth 1 2>/dev/null | head -3)
[[ -z $left ]] && ok "nothing left in the store's tmp/" || fail "left in tmp/" "$left"

# the trees a process sees: the fanotify mount (detached), the FUSE mount
treesum_is "$ma" a && ok "the fanotify mount's tree equals the source, link counts included ($(wc -l <"$T/got-a") entries)" ||
	fail "fanotify mount's tree differs" "$(head -20 "$T/diff-a")"
treesum_is "$mb" b && ok "the FUSE mount's tree equals the source after migrate replaced data/ files" ||
	fail "FUSE mount's tree differs" "$(head -20 "$T/diff-b")"
got=$("$ma/bin/holder" --help 2>&1)
[[ $got == "$("$src/bin/holder" --help 2>&1)" ]] && ok "exec from the store" || fail "exec" "$got"
"$OVLMIG" umount "$mb" >/dev/null && ! mountpoint -q "$mb" && ok "umount the FUSE mount" ||
	fail "umount the FUSE mount"

# the disk: du of the image's store directory (each inode once), and
# the filesystem's used bytes against its empty state
sync
du=$(du -s -B1 "$img" | cut -f1)
df=$(($(used) - used0))
limit=$((bytes * 11 / 10))
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
((du <= limit)) && ok "du of the store: $(mib "$du") for $(mib "$bytes") of file bytes (at most 1.1x)" ||
	fail "du of the store: $(mib "$du") for $(mib "$bytes") of file bytes (limit $(mib "$limit"))" \
		"$(du -s -B1 "$img"/* | sort -n | tail -4 | tr '\n' ' ')"
((df <= limit)) && ok "df of the store's filesystem: $(mib "$df") used more than empty (at most 1.1x)" ||
	fail "df of the store's filesystem: $(mib "$df") used for $(mib "$bytes") of file bytes (limit $(mib "$limit"))"
treesum_is "$ma" a2 && ok "after the FUSE mount went: the fanotify mount's tree still equals the source" ||
	fail "tree after umount of the FUSE mount" "$(head -20 "$T/diff-a2")"

"$OVLMIG" umount "$ma" >/dev/null && ! mountpoint -q "$ma" && ok "umount" || fail "umount"
