#!/usr/bin/env bash
# Density: CONTAINERS containers of one dir: image, with --strategy store
# (one store) and then with --strategy datadir, each mounted, migrated and
# detached. For each strategy:
#   disk: what the store (or the metadata layers) and the uppers use, in
#         `du` KiB, against one extracted image (the source directory);
#   page cache: every file of the image read through the first container,
#         then through the others; the pages resident in the files behind
#         the overlays (store data, uppers, metadata layers, the source)
#         counted with fincore after the first and after all: ratio all /
#         one (1.0 = one copy shared, CONTAINERS = one copy each).
#         /proc/meminfo Cached grows by about as much (other processes on
#         the machine make it noisy: printed, not used for the ratio).
# Only the files of this run are evicted (posix_fadvise DONTNEED after a
# sync): the global page cache is never dropped. Others may drop it (the
# test suite's `drop_caches 3`): a canary file read before the reads must
# still be resident after them, else the measurement is made again (up to
# 3 tries; "retries" says how many were thrown away, 3 = every try was
# disturbed and the figures are not to be trusted). Figures from one run;
# nothing is asserted.
#
#   scripts/bench/density.sh        (as root; make first)
#
# Environment: BUILD (default build), CONTAINERS (default 10),
# SMALL_FILES (default 20000, text files of 10-400 bytes in directories
# of 1000), BIG_FILES and BIG_MB (default 4 random files of 64 MiB),
# STRATEGIES (default "store datadir").
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$PWD/$BUILD
OVLMIG=$BUILD/ovlmig
N=${CONTAINERS:-10}
SMALL=${SMALL_FILES:-20000}
BIG_FILES=${BIG_FILES:-4}
BIG_MB=${BIG_MB:-64}
read -r -a STRATEGIES <<<"${STRATEGIES:-store datadir}"
die() { echo "density.sh: $*" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || die "run as root"
[[ -x $OVLMIG ]] || die "no $OVLMIG (make first)"
for v in N SMALL BIG_FILES BIG_MB; do
	[[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a number"
done
[[ $N -ge 2 ]] || die "CONTAINERS must be at least 2"
for t in fincore python3 du awk; do command -v "$t" >/dev/null || die "missing $t"; done

. scripts/lib/teardown.sh
T=$(mktemp -d /tmp/ovlmig-bench.XXXXXX)
export OVLMIG_RUN_DIR=$T/run OVLMIG_STORE_DIR=$T/store
teardown_all() {
	local i
	for ((i = 1; i <= N; i++)); do ovlmig_teardown "$T/m$i"; done
}
cleanup() {
	teardown_all
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

src=$T/src
echo "building: $SMALL small files, $BIG_FILES random files of $BIG_MB MiB, under $T"
mkdir -p "$src/usr/share/doc" "$src/usr/lib" "$src/etc"
echo 'root:x:0:0:root:/:/bin/sh' >"$src/etc/passwd"
# one awk for all the small files: a fork each would take minutes
awk -v n="$SMALL" -v dir="$src/usr/share/doc" 'BEGIN {
	for (i = 0; i < n; i++) {
		d = sprintf("%s/d%d", dir, int(i / 1000))
		if (i % 1000 == 0)
			system("mkdir -p " d)
		f = sprintf("%s/f%d", d, i)
		printf "document %d\n", i >f
		for (j = 0; j < i % 50; j++) print i + j >f
		close(f)
	}
}'
for ((i = 0; i < BIG_FILES; i++)); do
	head -c $((BIG_MB * 1048576)) /dev/urandom >"$src/usr/lib/big$i.so"
done
head -c $((4 * 1048576)) /dev/urandom >"$T/canary"
sync
image_kib=$(du -sk "$src" | cut -f1)

# evict DIR...: drop the clean pages of every regular file under DIRs
evict() {
	sync
	python3 - "$@" <<-'EOF'
	import os, sys
	for top in sys.argv[1:]:
	    for d, _, files in os.walk(top):
	        for f in files:
	            p = os.path.join(d, f)
	            if os.path.islink(p) or not os.path.isfile(p):
	                continue
	            fd = os.open(p, os.O_RDONLY | os.O_NOFOLLOW)
	            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
	            os.close(fd)
	EOF
}
# resident DIR...: bytes of page cache held by the regular files under DIRs
resident() {
	find "$@" -type f -print0 | xargs -0 -r fincore -b -n -o RES | awk '{ s += $1 } END { print s + 0 }'
}
# disk_kib: KiB used by everything the containers made (uppers, work
# dirs, the metadata layers and caches beside them, the store); a file
# with several links counts once
disk_kib() {
	local p=() f
	for f in "$T"/u* "$T"/w* "$T"/.d*.* "$T"/.u* "$T/store"; do [[ -e $f ]] && p+=("$f"); done
	du -skc "${p[@]}" | tail -1 | cut -f1
}
cached_kib() { awk '$1 == "Cached:" { print $2 }' /proc/meminfo; }
# readall MNT: read every file of the image through one container
readall() { find "$1" -type f -print0 | xargs -0 -r cat >/dev/null; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }

declare -A R
run_strategy() {
	local st=$1 i t0 backing c0 r1 c1 rn cn
	rm -rf "$T/store" "$T"/u* "$T"/w* "$T"/.d*.* "$T"/.u*
	t0=$(date +%s)
	for ((i = 1; i <= N; i++)); do
		mkdir -p "$T/m$i"
		"$OVLMIG" mount --strategy "$st" --source "dir:$src" --name "d$i" \
			--upper "$T/u$i" --work "$T/w$i" "$T/m$i" >/dev/null ||
			die "$st: mount of container $i failed"
	done
	R[$st.lazy_kib]=$(disk_kib)
	for ((i = 1; i <= N; i++)); do
		"$OVLMIG" migrate "$T/m$i" >/dev/null || die "$st: migrate of container $i failed"
		"$OVLMIG" detach "$T/m$i" >/dev/null || die "$st: detach of container $i failed"
	done
	R[$st.secs]=$(($(date +%s) - t0))
	# after detach: what stays on disk for the N containers
	R[$st.kib]=$(disk_kib)
	backing=("$src" "$T"/u*)
	[[ -d $T/store ]] && backing+=("$T/store")
	for i in "$T"/.d*.*; do [[ -d $i ]] && backing+=("$i"); done
	R[$st.retries]=0
	while :; do
		evict "${backing[@]}"
		R[$st.evicted]=$(resident "${backing[@]}")
		cat "$T/canary" >/dev/null
		c0=$(cached_kib)
		readall "$T/m1"
		r1=$(resident "${backing[@]}") c1=$(cached_kib)
		for ((i = 2; i <= N; i++)); do readall "$T/m$i"; done
		rn=$(resident "${backing[@]}") cn=$(cached_kib)
		R[$st.res1]=$r1 R[$st.resn]=$rn
		R[$st.cached1]=$(((c1 - c0) * 1024)) R[$st.cachedn]=$(((cn - c0) * 1024))
		[[ $(resident "$T/canary") -ge $((4 * 1048576)) ]] && break
		R[$st.retries]=$((R[$st.retries] + 1))
		echo "$st: the page cache was dropped during the measurement (canary evicted)" >&2
		[[ ${R[$st.retries]} -lt 3 ]] || break
	done
	teardown_all
}

for st in "${STRATEGIES[@]}"; do
	echo "$st: $N containers: mount, migrate, detach, read"
	run_strategy "$st"
done

echo
echo "image: $(mib $((image_kib * 1024))) MiB on disk extracted ($SMALL small files," \
	"$BIG_FILES x $BIG_MB MiB); $N containers; $(uname -r); $(date -u '+%F %H:%M UTC')"
printf '%-8s %14s %14s %9s %14s %14s %14s %9s %16s %8s\n' strategy "disk lazy MiB" "disk det. MiB" \
	"x image" "cache 1 MiB" "cache $N MiB" "evicted MiB" "x one" "Cached +1/+$N MiB" retries
for st in "${STRATEGIES[@]}"; do
	printf '%-8s %14s %14s %9s %14s %14s %14s %9s %16s %8s\n' "$st" \
		"$(mib $((R[$st.lazy_kib] * 1024)))" "$(mib $((R[$st.kib] * 1024)))" \
		"$(ratio "${R[$st.kib]}" "$image_kib")" \
		"$(mib "${R[$st.res1]}")" "$(mib "${R[$st.resn]}")" "$(mib "${R[$st.evicted]}")" \
		"$(ratio "${R[$st.resn]}" "${R[$st.res1]}")" \
		"$(mib "${R[$st.cached1]}")/$(mib "${R[$st.cachedn]}")" "${R[$st.retries]}"
done
echo "disk: du of the store or metadata layers and the uppers after migrate + detach, against du of the image"
echo "cache: page cache held by the files behind the overlays after reading the image through 1 and through $N containers"
