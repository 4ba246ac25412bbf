#!/usr/bin/env bash
# Strategy store against datadir on one dir: image of BENCH_FILES small
# files and one BENCH_BIG_MB MiB file: mount time of a first and a second
# container (store, image lazy), of a third once the image is complete
# (no lowerfs), and of a datadir container (unless BENCH_DATADIR=0);
# migrate and detach times; disk used by two store containers against
# one datadir container.
# Prints figures from this one run; nothing is asserted.
# Usage: scripts/bench/store.sh (as root)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
OVLMIG=$PWD/$BUILD/ovlmig
FILES=${BENCH_FILES:-20000}
BIG_MB=${BENCH_BIG_MB:-256}
DATADIR=${BENCH_DATADIR:-1}	# 0: the store alone
[[ $(id -u) -eq 0 ]] || { echo "store.sh: run as root" >&2; exit 2; }

. scripts/lib/teardown.sh
T=$(mktemp -d /tmp/ovlmig-bench.XXXXXX)
export OVLMIG_RUN_DIR=$T/run OVLMIG_STORE_DIR=$T/store
cleanup() {
	local m
	for m in a b c d; do ovlmig_teardown "$T/$m"; done
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
# one process writes them all: a head per file takes minutes for 100k
python3 - "$src/files" "$FILES" <<'PY'
import os, sys
top, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(top, "d%d" % (i // 1000))
    if i % 1000 == 0:
        os.makedirs(d)
    with open(os.path.join(d, "f%d" % (i % 1000)), "wb") as f:
        f.write(bytes((i % 1000) * 16 + 1))
PY
head -c $((BIG_MB * 1048576)) /dev/urandom >"$src/big"
sync

if [[ $DATADIR == 1 ]]; then
	timed datadir.mount mnt d --strategy datadir
	timed datadir.migrate "$OVLMIG" migrate "$T/d"
	timed datadir.detach "$OVLMIG" detach "$T/d"
	R[datadir.disk]=$(du -smc "$T/ud" "$T"/.*-d.meta | tail -1 | cut -f1)
fi

timed store.mount1 mnt a --strategy store
timed store.mount2 mnt b --strategy store
timed store.migrate "$OVLMIG" migrate "$T/a"
timed store.detach "$OVLMIG" detach "$T/a"
timed store.migrate2 "$OVLMIG" migrate "$T/b"
timed store.detach2 "$OVLMIG" detach "$T/b"
# a third container once the image is complete: no lowerfs at all
timed store.mount3 mnt c --strategy store
R[store.disk]=$(du -smc "$T/store" "$T/ua" "$T/ub" | tail -1 | cut -f1)

printf '%-18s %s\n' "image" "$(du -sm "$src" | cut -f1) MiB, $FILES files"
for k in datadir.mount datadir.migrate datadir.detach store.mount1 store.mount2 \
	 store.migrate store.detach store.migrate2 store.detach2 store.mount3; do
	[[ -n ${R[$k]:-} ]] && printf '%-18s %s s\n' "$k" "${R[$k]}"
done
[[ $DATADIR == 1 ]] &&
	printf '%-18s %s MiB (one container: upper + metadata layer)\n' datadir.disk "${R[datadir.disk]}"
printf '%-18s %s MiB (two containers: store + both uppers)\n' store.disk "${R[store.disk]}"
