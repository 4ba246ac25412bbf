#!/usr/bin/env bash
# Must show 5: 8 threads reading concurrently get correct data, through
# passthrough and through lowerfs' own READ handler.
. "$(dirname "$0")/../lib.sh"
require_root "lowerfs concurrent reads"

src=$T/src
mkdir -p "$src/a/b"
for i in 1 2 3 4; do head -c $((i * 1500007)) /dev/urandom >"$src/f$i"; done
head -c 9000001 /dev/urandom >"$src/a/b/big"
files=(f1 f2 f3 f4 a/b/big)
for mode in passthrough userspace; do
	opts=(--cache "$T/cache-$mode" --threads 4)
	[[ $mode == userspace ]] && opts+=(--no-passthrough)
	start_lowerfs "$mode" "dir:$src" "$T/mnt-$mode" "${opts[@]}" || { fail "$mode: mount"; continue; }
	if out=$("$TOOLS/mtread" --threads 8 --iterations 400 --seed 42 "$src" "$T/mnt-$mode" "${files[@]}" 2>&1); then
		ok "$mode: 8 threads read correct data ($(tail -1 <<<"$out"))"
	else
		fail "$mode: concurrent reads" "$out"
	fi
	if [[ $mode == userspace ]]; then
		n=$(stat_of "$mode" bytes_read)
		[[ $n -gt 0 ]] && ok "$mode: reads went through lowerfs ($n bytes)" ||
			fail "$mode: lowerfs served no READ"
	fi
done
