#!/usr/bin/env bash
# Strategy store, the fill of many small files in one directory over a
# real HTTP source (nginx): a job reads a directory's names once (from
# its second file there on) and looks up by name in data/ only the files
# it found there, not every file (a negative lookup per file); counted by
# the fill itself (OVLMIG_DEBUG=1: "looked up in data/ by name: N of M
# files"). Files already in data/ when the fill starts are still looked
# up: a whole one is kept, a short one (data a crash lost) is replaced;
# the tree equals the image.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
. "$(dirname "$0")/../store_lib.sh"
require_root "ovlmig store fill of small files"
require_tools "ovlmig store fill of small files" nginx jq
fusectl_ready || { fail "mount fusectl"; exit 1; }

# 2000 small files in one directory, 20 in another, one large file
src=$T/src www=$T/www N=2000
mkdir -p "$src/many" "$src/few" "$www"
(cd "$src/many" && for i in $(seq -w $N); do echo "small file $i" >"f$i"; done)
for i in $(seq 20); do echo "few $i" >"$src/few/g$i"; done
head -c 3000000 /dev/urandom >"$src/big"
touch -d @1700000000 "$src"/many/* "$src"/few/* "$src"/big "$src/many" "$src/few" "$src"
store_serve_gz "$src" ""
nfiles=$((N + 21))

complete() { [[ $(jq -r .state "$IMG/image.json") == complete ]]; }
# lookups OUT: looked, of from "looked up in data/ by name: N of M files" in OUT
lookups() {
	local line
	looked='' of=''
	line=$(grep -m1 'looked up in data/ by name:' <<<"$1") || return 1
	line=${line##*by name: }
	of=${line#* of } of=${of%% *} looked=${line%% *}
}

# a fresh fill: almost no lookups
if mount_fresh; then
	if out=$(OVLMIG_DEBUG=1 "$OVLMIG" migrate "$M" 2>&1) && complete; then
		ok "migrate: ${out##*$'\n'}"
	else
		fail "migrate" "$out"
	fi
	if lookups "$out"; then
		[[ $of == "$nfiles" ]] && ok "the fill counted $of files" ||
			fail "the fill counted $of files, the image has $nfiles"
		# each job looks up its first file in a directory, and after
		# reading the names those other jobs placed meanwhile (never
		# its own files): at most a few per job and directory
		((looked <= 100)) && ok "looked up $looked of $of files by name" ||
			fail "looked up $looked of $of files by name (one per file: no directory read)"
	else
		fail "no lookup count in migrate's debug output" "$(grep 'ovlmig migrate:' <<<"$out")"
	fi
	ndata=$(find "$IMG/data" -type f -printf x | wc -c)
	((ndata == nfiles)) && ok "data/ holds each file once ($ndata)" ||
		fail "data/ has $ndata files, the image $nfiles"
	same_tree "after the fill: tree equals the image" "$T/expected" "$M"
fi

# files in data/ before the fill: looked up, kept whole, replaced short
if mount_fresh; then
	mkdir -p "$IMG/data/many" &&
		install -m 0600 "$src/many/f0007" "$IMG/data/many/f0007" &&
		head -c 5 "$src/many/f0500" >"$IMG/data/many/f0500" &&
		chmod 0600 "$IMG/data/many/f0500" || fail "place files in data/"
	ino=$(stat -c %i "$IMG/data/many/f0007")
	if out=$(OVLMIG_DEBUG=1 "$OVLMIG" migrate "$M" 2>&1) && complete; then
		ok "migrate over a partial data/: ${out##*$'\n'}"
	else
		fail "migrate over a partial data/" "$out"
	fi
	lookups "$out" && ((looked >= 2)) && ok "the files there were looked up ($looked lookups)" ||
		fail "the files in data/ before the fill were not looked up (${looked:-no count})"
	[[ $(stat -c %i "$IMG/data/many/f0007") == "$ino" ]] && ok "a whole file in data/ is kept" ||
		fail "a whole file in data/ was replaced"
	cmp -s "$src/many/f0500" "$IMG/data/many/f0500" && ok "a short file in data/ is replaced" ||
		fail "data/many/f0500: $(wc -c <"$IMG/data/many/f0500") bytes, the image $(wc -c <"$src/many/f0500")"
	same_tree "after the fill over a partial data/: tree equals the image" "$T/expected" "$M"
fi
