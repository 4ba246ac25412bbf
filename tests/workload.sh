#!/usr/bin/env bash
# A deterministic writer workload, run against a tree: creates, writes,
# renames files and directories, unlinks, hardlinks, and changes image
# entries too. Run once on the overlay while it migrates and detaches,
# once on a plain copy of the image: the two results must be equal.
# Usage: workload.sh DIR SEED ROUNDS [STOPFILE]
# With STOPFILE, keeps going (in more rounds of the same sequence) until
# STOPFILE exists, then finishes the round it is in; prints the rounds.
set -u
dir=$1 seed=$2 rounds=$3 stop=${4:-}
cd "$dir" || exit 2
errors=0
op() { "$@" 2>/tmp/workload.$$ || { errors=$((errors + 1)); echo "workload: $*: $(cat /tmp/workload.$$)" >&2; }; }

one_round() {
	local r=$1 i n f
	RANDOM=$((seed + r))
	op mkdir -p "wl/r$r/a" "wl/r$r/b"
	files=()
	for i in $(seq 1 12); do
		n=$((RANDOM % 4))
		f=wl/r$r/a/f$i
		case $n in
		0|1) op sh -c "printf 'data %s %s\n' $r $i > '$f'"; files+=("$f") ;;
		2) op sh -c "head -c $((RANDOM * 7)) /dev/zero | tr '\\0' x > '$f'"; files+=("$f") ;;
		3) op mkdir "wl/r$r/a/d$i"; op sh -c "echo in > 'wl/r$r/a/d$i/x'" ;;
		esac
	done
	for f in "${files[@]}"; do
		case $((RANDOM % 5)) in
		0) op sh -c "echo more >> '$f'" ;;
		1) op mv "$f" "$f.moved" ;;
		2) op rm "$f" ;;
		3) op ln "$f" "$f.link" ;;
		4) op ln -s "$(basename "$f")" "$f.sym" ;;
		esac
	done
	op mv "wl/r$r/a" "wl/r$r/b/a-moved"
}

# image entries the workload changes (they exist in gentree's tree)
image_changes() {
	op sh -c 'echo appended >> files/size-1'
	op rm files/size-0
	op mv dirs/mode-0555 dirs/renamed-0555
	op ln files/size-4096 files/size-4096.link
	op chmod 0600 files/size-4095
}

mkdir -p wl
image_changes
r=0
while :; do
	r=$((r + 1))
	one_round $r
	[[ -n $stop ]] && [[ ! -e $stop ]] && continue
	[[ $r -ge $rounds ]] && break
done
# fixed times on what changed, so the two runs compare equal
op find wl -exec touch -h -d @1600000000 {} +
op touch -h -d @1600000000 . files dirs dirs/renamed-0555 files/size-1 files/size-4095 files/size-4096
echo "rounds=$r errors=$errors"
rm -f /tmp/workload.$$
[[ $errors -eq 0 ]]
