#!/usr/bin/env bash
# Benchmark the ovlmig core: `find -exec stat` over 100,000 files and a
# sequential read of 1 GiB on
#   (a) the ovlmig overlay before migration (lazy, lowerfs below),
#   (b) the same overlay after migrate + detach,
#   (c) a plain overlay over the same tree on local disk (the baseline),
# plus migration throughput. Prints ratios b/c and a/c from this one run;
# nothing is asserted. Usage: scripts/bench/detach.sh (as root)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
OVLMIG=$PWD/$BUILD/ovlmig
FILES=${BENCH_FILES:-100000}
BIG_MB=${BENCH_BIG_MB:-1024}
RUNS=3
[[ $(id -u) -eq 0 ]] || { echo "detach.sh: run as root" >&2; exit 2; }
for t in "$OVLMIG" jq dd find stat; do
	command -v "$t" >/dev/null || { echo "detach.sh: missing $t" >&2; exit 2; }
done

. scripts/lib/teardown.sh
T=$(mktemp -d /tmp/ovlmig-bench.XXXXXX)
export OVLMIG_RUN_DIR=$T/run
cleanup() {
	ovlmig_teardown "$T/m"
	umount -l "$T/plain" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
evict() { dd if="$1" iflag=nocache count=0 status=none 2>/dev/null || true; }

stat_walk() {
	local t0
	t0=$(now)
	find "$1" -type f -exec stat --format=%s {} + >/dev/null
	secs "$t0" "$(now)"
}
read_big() {
	local t0
	t0=$(now)
	dd if="$1" of=/dev/null bs=1M status=none
	secs "$t0" "$(now)"
}
# measure NAME DIR BACKING: cold read (BACKING evicted first), warm medians
declare -A R
measure() {
	local name=$1 dir=$2 backing=$3 i s=() r=()
	evict "$backing"
	R[$name.read_cold]=$(read_big "$dir/big")
	for i in $(seq $RUNS); do r+=("$(read_big "$dir/big")"); s+=("$(stat_walk "$dir/files")"); done
	R[$name.read_warm]=$(median "${r[@]}")
	R[$name.stat_warm]=$(median "${s[@]}")
}

echo "building: $FILES files in $((FILES / 1000)) directories, one ${BIG_MB} MiB file"
src=$T/src
mkdir -p "$src/files"
for d in $(seq 0 $(((FILES - 1) / 1000))); do
	mkdir "$src/files/d$d"
	(cd "$src/files/d$d" && for f in $(seq 0 999); do
		[[ $((d * 1000 + f)) -lt $FILES ]] && echo "$d $f" >"f$f"
	done)
done
head -c $((BIG_MB * 1048576)) /dev/urandom >"$src/big"
sync

# (c) plain overlay over local disk
mkdir -p "$T/plain" "$T/pu" "$T/pw"
mount -t overlay overlay -o "lowerdir=$src,upperdir=$T/pu,workdir=$T/pw" "$T/plain"
measure plain "$T/plain" "$src/big"
umount "$T/plain"

# (a) ovlmig before migration
mkdir -p "$T/m"
"$OVLMIG" mount --source "dir:$src" --upper "$T/u" --work "$T/w" "$T/m" >/dev/null
evict "$src/big"
t0=$(now)
stat_walk "$T/m/files" >/dev/null
R[lazy.stat_cold]=$(secs "$t0" "$(now)")
measure lazy "$T/m" "$src/big"

# migration throughput
t0=$(now)
"$OVLMIG" migrate "$T/m" >/dev/null
mig=$(secs "$t0" "$(now)")
st=$("$OVLMIG" status --json "$T/m")
entries=$(jq -r .progress.entries_done <<<"$st")
bytes=$(jq -r .progress.bytes_done <<<"$st")
t0=$(now)
"$OVLMIG" detach "$T/m" >/dev/null
det=$(secs "$t0" "$(now)")

# (b) after detach: the data is in the upper
measure detached "$T/m" "$T/u/big"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf '\n%-26s %10s %10s %10s %8s %8s\n' "" "(a) lazy" "(b) detach" "(c) plain" "a/c" "b/c"
row() {
	printf '%-26s %10s %10s %10s %8s %8s\n' "$1" "${R[lazy.$2]}" "${R[detached.$2]}" \
		"${R[plain.$2]}" "$(ratio "${R[lazy.$2]}" "${R[plain.$2]}")" \
		"$(ratio "${R[detached.$2]}" "${R[plain.$2]}")"
}
row "stat $FILES files, warm (s)" stat_warm
row "read ${BIG_MB} MiB, cold (s)" read_cold
row "read ${BIG_MB} MiB, warm (s)" read_warm
echo
echo "lazy stat walk right after mount: ${R[lazy.stat_cold]} s"
awk -v s="$mig" -v e="$entries" -v b="$bytes" -v d="$det" 'BEGIN {
	printf "migration: %d entries, %.0f MiB in %.2f s: %.0f entries/s, %.0f MiB/s; detach %.2f s\n",
	       e, b / 1048576, s, e / s, b / 1048576 / s, d }'
