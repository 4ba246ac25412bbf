#!/usr/bin/env bash
# Strategy store against datadir on one dir: image of BENCH_FILES small
# files and one BENCH_BIG_MB MiB file: mount time of a first and a second
# container (store) and of a datadir container; migrate and detach times;
# disk used by two store containers against one datadir container.
# Prints figures from this one run; nothing is asserted.
# Usage: scripts/bench/store.sh (as root)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
OVLMIG=$PWD/$BUILD/ovlmig
FILES=${BENCH_FILES:-20000}
BIG_MB=${BENCH_BIG_MB:-256}
[[ $(id -u) -eq 0 ]] || { echo "store.sh: run as root" >&2; exit 2; }

. scripts/lib/teardown.sh
T=$(mktemp -d /tmp/ovlmig-bench.XXXXXX)
export OVLMIG_RUN_DIR=$T/run OVLMIG_STORE_DIR=$T/store
cleanup() {
	local m
	for m in a b d; do ovlmig_teardown "$T/$m"; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
# timed NAME CMD...: run CMD, record its seconds in R[NAME]
declare -A R
timed() {
	local name=$1 t0; shift
	t0=$(now)
	"$@" >/dev/null
	R[$name]=$(secs "$t0" "$(now)")
}
mnt() {
	local m=$1; shift
	mkdir -p "$T/$m"
	"$OVLMIG" mount --source "dir:$src" --upper "$T/u$m" --work "$T/w$m" "$@" "$T/$m"
}

echo "building: $FILES files in $((FILES / 1000 + 1)) directories, one ${BIG_MB} MiB file"
src=$T/src
mkdir -p "$src/files"
for d in $(seq 0 $(((FILES - 1) / 1000))); do
	mkdir "$src/files/d$d"
	(cd "$src/files/d$d" && for f in $(seq 0 999); do
		[[ $((d * 1000 + f)) -lt $FILES ]] && head -c $((f * 16 + 1)) /dev/zero >"f$f"
	done)
done
head -c $((BIG_MB * 1048576)) /dev/urandom >"$src/big"
sync

timed datadir.mount mnt d --strategy datadir
timed datadir.migrate "$OVLMIG" migrate "$T/d"
timed datadir.detach "$OVLMIG" detach "$T/d"
R[datadir.disk]=$(du -smc "$T/ud" "$T"/.*-d.meta | tail -1 | cut -f1)

timed store.mount1 mnt a --strategy store
timed store.mount2 mnt b --strategy store
timed store.migrate "$OVLMIG" migrate "$T/a"
timed store.detach "$OVLMIG" detach "$T/a"
timed store.migrate2 "$OVLMIG" migrate "$T/b"
timed store.detach2 "$OVLMIG" detach "$T/b"
R[store.disk]=$(du -smc "$T/store" "$T/ua" "$T/ub" | tail -1 | cut -f1)

printf '%-18s %s\n' "image" "$(du -sm "$src" | cut -f1) MiB, $FILES files"
for k in datadir.mount datadir.migrate datadir.detach store.mount1 store.mount2 \
	 store.migrate store.detach store.migrate2 store.detach2; do
	printf '%-18s %s s\n' "$k" "${R[$k]}"
done
printf '%-18s %s MiB (one container: upper + metadata layer)\n' datadir.disk "${R[datadir.disk]}"
printf '%-18s %s MiB (two containers: store + both uppers)\n' store.disk "${R[store.disk]}"
