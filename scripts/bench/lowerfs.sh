#!/usr/bin/env bash
# Benchmark lowerfs against the same tree read natively and through bindfs:
# cold and warm sequential read of one 1 GiB file, and `stat` of 100,000
# small files. Prints one table of times and of ratios against native, all
# from this one run; timings are never compared against thresholds.
#
#   scripts/bench/lowerfs.sh            (or: make bench)
#
# Environment: BUILD (build dir, relative to the repo root; default build).
# For a quick try: BIG_MB (default 1024), NDIRS (100), NPER (1000 files per
# directory), SMALL (bytes per small file, 256), REPEAT (runs per figure, 3).
#
# Needs root, /dev/fuse, bindfs, jq and GNU coreutils. Works under a fresh
# /tmp/ovlmig-bench.XXXXXX and undoes everything (mounts, daemons, files) on
# exit, also on failure or Ctrl-C. It never drops the global page cache:
# "cold" evicts the files involved with `dd iflag=nocache count=0`
# (posix_fadvise DONTNEED) and uses fresh mounts and a fresh lowerfs cache.
# Every figure is the median of REPEAT runs, cold ones each on a fresh mount
# and after one discarded warm-up run.
set -eu -o pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$TOP"
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
LOWERFS=$BUILD/lowerfs

BIG_MB=${BIG_MB:-1024}
NDIRS=${NDIRS:-100}
NPER=${NPER:-1000}
SMALL=${SMALL:-256}
REPEAT=${REPEAT:-3}

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

# --- requirements ------------------------------------------------------------
[[ $(id -u) -eq 0 ]] || die "must run as root (FUSE mounts; passthrough needs CAP_SYS_ADMIN)"
[[ -c /dev/fuse ]] || die "/dev/fuse is missing (modprobe fuse)"
[[ -x $LOWERFS ]] || die "$LOWERFS not found: run make first (or set BUILD)"
missing=()
for tool in bindfs jq dd date find xargs stat split head sync sort awk wc \
	    mountpoint umount mktemp; do
	command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
((${#missing[@]} == 0)) ||
	die "missing tools: ${missing[*]} (Debian: apt-get install bindfs jq coreutils findutils util-linux, or run scripts/setup-deps.sh)"
dd --help 2>/dev/null | grep -q nocache || die "dd lacks iflag=nocache (GNU coreutils >= 8.11 needed)"
for v in BIG_MB NDIRS NPER SMALL REPEAT; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, not '${!v}'"
done
NFILES=$((NDIRS * NPER))
BIG_BYTES=$((BIG_MB * 1024 * 1024))
HAVE_FINCORE=0
command -v fincore >/dev/null 2>&1 && HAVE_FINCORE=1

# --- clean-up ----------------------------------------------------------------
T=
declare -A LOWERFS_RUNS=()	# run dir -> mountpoint, while mounted
declare -A BINDFS_PIDS=()	# pid -> mountpoint, while mounted

# stop_pid PID COMM: TERM the process if it is still COMM, wait, then KILL
stop_pid() {
	local pid=$1 comm=$2 i
	[[ -n $pid && $(cat "/proc/$pid/comm" 2>/dev/null) == "$comm" ]] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
}
unmount_if_mounted() { ! mountpoint -q "$1" 2>/dev/null || umount -l "$1"; }

cleanup() {
	local rc=$? run pid m
	trap - EXIT INT TERM
	set +e
	for run in "${!LOWERFS_RUNS[@]}"; do
		stop_pid "$(cat "$run/lowerfs.pid" 2>/dev/null)" lowerfs
		unmount_if_mounted "${LOWERFS_RUNS[$run]}"
	done
	for pid in "${!BINDFS_PIDS[@]}"; do
		stop_pid "$pid" bindfs
		unmount_if_mounted "${BINDFS_PIDS[$pid]}"
	done
	if [[ -n $T && -d $T ]]; then
		# anything else still mounted under $T, deepest first
		awk -v t="$T/" 'index($2, t) == 1 { print $2 }' /proc/mounts |
			sort -r | while read -r m; do umount -l "$m"; done
		rm -rf --one-file-system "$T"
	fi
	((rc == 0)) || echo "bench: failed (exit $rc); cleaned up" >&2
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

T=$(mktemp -d /tmp/ovlmig-bench.XXXXXX)
SRC=$T/src
BIG=$SRC/big
SMALLDIR=$SRC/small

# --- timing ------------------------------------------------------------------
# timed CMD...: run CMD, set LAST_NS to its wall time in ns
timed() {
	local t0 t1 rc=0
	t0=$(date +%s%N)
	"$@" || rc=$?
	t1=$(date +%s%N)
	LAST_NS=$((t1 - t0))
	return "$rc"
}
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
sec() { awk -v n="$1" 'BEGIN { printf "%.3f", n / 1e9 }'; }
secs_list() { local s out=; for s; do out+=" $(sec "$s")"; done; echo "${out# }"; }

declare -A READ_COLD READ_WARM STAT_COLD STAT_WARM MOUNT MOUNTS RAW
CONFIGS=()
COUNTERS=()
cfg=

# --- mounts: one at a time, the current one is CUR -----------------------------
CUR=
# mount_lowerfs NAME [OPTIONS...]: the source at $T/mnt-NAME, run dir
# $T/run-NAME; sets MNT; the time until the daemon returned goes to MOUNTS
mount_lowerfs() {
	local name=$1; shift
	local run=$T/run-$name
	MNT=$T/mnt-$name
	mkdir -p "$MNT"
	LOWERFS_RUNS[$run]=$MNT
	timed "$LOWERFS" --run-dir "$run" "$@" "dir:$SRC" "$MNT" ||
		die "lowerfs $name failed to mount (log: $run/lowerfs.log)"
	mountpoint -q "$MNT" || die "lowerfs $name returned but $MNT is not mounted"
	MOUNTS[$cfg]+=" $LAST_NS"
	CUR=lowerfs:$run
}
lowerfs_stats() { "$LOWERFS" ctl --run-dir "${CUR#lowerfs:}" stats; }

# mount_bindfs NAME: bindfs of the source at $T/mnt-NAME, in the foreground
# of a background job so that its pid is known; sets MNT
mount_bindfs() {
	local name=$1 t0 t1 i pid
	MNT=$T/mnt-$name
	mkdir -p "$MNT"
	t0=$(date +%s%N)
	bindfs -f "$SRC" "$MNT" >"$T/bindfs-$name.log" 2>&1 &
	pid=$!
	BINDFS_PIDS[$pid]=$MNT
	for ((i = 0; i < 500; i++)); do
		mountpoint -q "$MNT" && break
		kill -0 "$pid" 2>/dev/null || die "bindfs exited: $(cat "$T/bindfs-$name.log")"
		sleep 0.01
	done
	mountpoint -q "$MNT" || die "bindfs did not mount $MNT within 5 s"
	t1=$(date +%s%N)
	MOUNTS[$cfg]+=" $((t1 - t0))"
	CUR=bindfs:$pid
}

umount_cur() {
	local what=${CUR#*:}
	case $CUR in
	lowerfs:*)
		stop_pid "$(cat "$what/lowerfs.pid")" lowerfs
		unmount_if_mounted "${LOWERFS_RUNS[$what]}"
		unset "LOWERFS_RUNS[$what]" ;;
	bindfs:*)
		stop_pid "$what" bindfs
		wait "$what" 2>/dev/null || true
		unmount_if_mounted "${BINDFS_PIDS[$what]}"
		unset "BINDFS_PIDS[$what]" ;;
	esac
	CUR=
}

# --- the measured operations -----------------------------------------------------
# evict FILE...: write back, then drop these files' pages from the page cache
evict() {
	local f res
	for f; do
		sync "$f"
		dd if="$f" iflag=nocache count=0 status=none
		if ((HAVE_FINCORE)); then
			res=$(fincore -b -n -o RES "$f" | tr -d ' ')
			((res <= $(stat -c %s "$f") / 100 + 65536)) ||
				note "warning: $f still has $res bytes cached after eviction"
		fi
	done
}
read_file() { dd if="$1" of=/dev/null bs=1M status=none; }
stat_all() {
	local n
	n=$(find "$1" -type f -print0 | xargs -0 stat --format=%s | wc -l)
	[[ $n -eq $NFILES ]] || die "stat saw $n files under $1, expected $NFILES"
}

# Cold runs start with one more, discarded, warm-up run: on this kind of VM
# the first cold run after a pause is up to 4x slower than the next ones
# with the same guest state (the host side of the virtual disk and memory),
# which would otherwise land on whichever configuration comes first.

# bench_read PREPARE: a warm-up and REPEAT cold reads, each after
# `PREPARE I`, which (re)mounts as needed and sets RFILE (the file to read)
# and EVICT (the files on disk behind it: never RFILE itself when it is on a
# lowerfs mount, opening it there would fetch it); then REPEAT warm reads on
# the last mount
bench_read() {
	local prep=$1 i cold=() warm=() first
	for ((i = 0; i <= REPEAT; i++)); do
		"$prep" "$i"
		evict "${EVICT[@]}"
		timed read_file "$RFILE"
		if ((i == 0)); then first=$LAST_NS; else cold+=("$LAST_NS"); fi
		sync	# write-back of a fetch is not timed, nor left to disturb later runs
	done
	for ((i = 1; i <= REPEAT; i++)); do
		timed read_file "$RFILE"
		warm+=("$LAST_NS")
	done
	READ_COLD[$cfg]=$(median "${cold[@]}")
	READ_WARM[$cfg]=$(median "${warm[@]}")
	RAW[$cfg]+="read cold (warm-up $(sec "$first")) $(secs_list "${cold[@]}"), warm $(secs_list "${warm[@]}"); "
}
# bench_stat PREPARE|-: a warm-up and REPEAT cold stats of every file, each
# after `PREPARE I`, which mounts afresh and sets SDIR; then REPEAT warm runs
# on the last mount. With -, only warm runs of SDIR.
bench_stat() {
	local prep=$1 i cold=() warm=() first
	if [[ $prep == - ]]; then
		stat_all "$SDIR"	# warm it up
	else
		for ((i = 0; i <= REPEAT; i++)); do
			"$prep" "$i"
			timed stat_all "$SDIR"
			if ((i == 0)); then first=$LAST_NS; else cold+=("$LAST_NS"); fi
		done
		STAT_COLD[$cfg]=$(median "${cold[@]}")
		RAW[$cfg]+="stat cold (warm-up $(sec "$first")) $(secs_list "${cold[@]}"), "
	fi
	for ((i = 1; i <= REPEAT; i++)); do
		timed stat_all "$SDIR"
		warm+=("$LAST_NS")
	done
	STAT_WARM[$cfg]=$(median "${warm[@]}")
	RAW[$cfg]+="stat warm $(secs_list "${warm[@]}"); "
}
begin() { cfg=$1; CONFIGS+=("$cfg"); echo "bench: $cfg"; }
end() {
	local m
	# shellcheck disable=SC2086 # MOUNTS holds a list of numbers
	if [[ -n ${MOUNTS[$cfg]:-} ]]; then
		m=$(median ${MOUNTS[$cfg]}); MOUNT[$cfg]=$m
		RAW[$cfg]+="mount $(secs_list ${MOUNTS[$cfg]}); "
	fi
}
counters() { COUNTERS+=("$cfg, $1: $(lowerfs_stats | jq -c "$2")"); }
READ_COUNTERS='{bytes_fetched, files_fetched, cache_hits, passthrough, passthrough_opens, fallback_opens, bytes_read}'
STAT_COUNTERS='{entries, bytes_fetched, requests}'

# --- the tree ----------------------------------------------------------------
echo "bench: building the tree under $T: ${BIG_MB} MiB file + $NFILES files of $SMALL bytes in $NDIRS directories"
mkdir -p "$SMALLDIR"
head -c "$BIG_BYTES" /dev/urandom >"$BIG"
suffix=${#NPER}
for ((d = 0; d < NDIRS; d++)); do
	dir=$(printf '%s/d%03d' "$SMALLDIR" "$d")
	mkdir "$dir"
	head -c $((NPER * SMALL)) /dev/urandom | split -b "$SMALL" -a "$suffix" -d - "$dir/f"
done
sync

# --- 1. native ---------------------------------------------------------------
begin native
prep_native() { RFILE=$BIG; EVICT=("$BIG"); }
bench_read prep_native
SDIR=$SMALLDIR
bench_stat -
end

# --- 2. bindfs ---------------------------------------------------------------
begin bindfs
prep_bindfs_read() { umount_cur; mount_bindfs "read-$1"; RFILE=$MNT/big; EVICT=("$BIG"); }
bench_read prep_bindfs_read
umount_cur
prep_bindfs_stat() { umount_cur; mount_bindfs "stat-$1"; SDIR=$MNT/small; }
bench_stat prep_bindfs_stat
umount_cur
end

# --- 3. lowerfs --cache: a cold read includes the fetch into a fresh cache -----
begin "lowerfs --cache"
prep_cache_read() {
	umount_cur
	rm -rf "$T/cache-read"
	mount_lowerfs "cache-read-$1" --cache "$T/cache-read"
	RFILE=$MNT/big; EVICT=("$BIG")
}
bench_read prep_cache_read
counters read "$READ_COUNTERS"
umount_cur
prep_cache_stat() {
	umount_cur
	rm -rf "$T/cache-stat"
	mount_lowerfs "cache-stat-$1" --cache "$T/cache-stat"
	SDIR=$MNT/small
}
bench_stat prep_cache_stat
counters stat "$STAT_COUNTERS"
umount_cur
end

# --- 3b. restarted on that filled cache: a cold read is a cache hit from disk ---
begin "lowerfs --cache (hit)"
cached=()
for f in "$T"/cache-read/*; do
	[[ -f $f && $(stat -c %s "$f") -eq $BIG_BYTES ]] && cached+=("$f")
done
((${#cached[@]} == 1)) || die "expected one cached copy of the big file in $T/cache-read"
prep_cache_hit() {
	umount_cur
	mount_lowerfs "cache-hit-$1" --cache "$T/cache-read"
	RFILE=$MNT/big; EVICT=("$BIG" "${cached[0]}")
}
bench_read prep_cache_hit
counters read "$READ_COUNTERS"
umount_cur
end

# --- 4. lowerfs without cache: passthrough onto the source ---------------------
begin lowerfs
prep_direct_read() { umount_cur; mount_lowerfs "direct-read-$1"; RFILE=$MNT/big; EVICT=("$BIG"); }
bench_read prep_direct_read
counters read "$READ_COUNTERS"
umount_cur
prep_direct_stat() { umount_cur; mount_lowerfs "direct-stat-$1"; SDIR=$MNT/small; }
bench_stat prep_direct_stat
counters stat "$STAT_COUNTERS"
umount_cur
end

# --- report ------------------------------------------------------------------
# ratio NS BASE_NS: time ratio, > 1 is slower than native
ratio() { if [[ -n $1 && -n $2 ]]; then awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; else echo -; fi; }
secs() { if [[ -n $1 ]]; then sec "$1"; else echo -; fi; }
mbps() { if [[ -n $1 ]]; then awk -v n="$1" -v b="$BIG_BYTES" 'BEGIN { printf "%.0f", b / (n / 1e9) / 1e6 }'; else echo -; fi; }

nat_rc=${READ_COLD[native]} nat_rw=${READ_WARM[native]} nat_sw=${STAT_WARM[native]}
echo
echo "lowerfs benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), Linux $(uname -r), $(nproc) CPUs, commit $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "read: ${BIG_MB} MiB file, dd bs=1M; stat: $NFILES files (find | xargs stat); every figure the median of $REPEAT runs"
echo "x = time / native time, this run (1.00 = native, higher is slower); MB/s = 10^6 bytes/s"
echo
fmt='%-22s %9s %6s %6s | %9s %6s %6s | %9s %6s | %9s %6s | %6s\n'
# shellcheck disable=SC2059 # one format for the header and the rows
row() { printf "$fmt" "$@"; }
row configuration "read cold" MB/s x "read warm" MB/s x "stat cold" "x*" "stat warm" x mount
row "" s "" "" s "" "" s "" s "" s
for c in "${CONFIGS[@]}"; do
	rc=${READ_COLD[$c]:-} rw=${READ_WARM[$c]:-} sc=${STAT_COLD[$c]:-} sw=${STAT_WARM[$c]:-}
	row "$c" \
		"$(secs "$rc")" "$(mbps "$rc")" "$(ratio "$rc" "$nat_rc")" \
		"$(secs "$rw")" "$(mbps "$rw")" "$(ratio "$rw" "$nat_rw")" \
		"$(secs "$sc")" "$(ratio "$sc" "$nat_sw")" \
		"$(secs "$sw")" "$(ratio "$sw" "$nat_sw")" \
		"$(secs "${MOUNT[$c]:-}")"
done
cat <<EOF

cold read: the file's pages on disk evicted first (dd iflag=nocache), each
  run on a fresh mount. lowerfs --cache: fresh empty cache each run, so cold
  includes fetching the whole file into it (not its write-back). (hit):
  restarted on the filled cache, the cached copy and the source evicted.
  Before the cold runs of each configuration one more is run and discarded
  (raw: warm-up): on a VM the first cold run after a pause is often much
  slower than the next ones with the same guest state.
cold stat: each run on a fresh mount (FUSE dentry/attribute caches empty);
  the source's kernel caches stay warm. Native cold stat is not measured:
  without a global drop_caches the source's dentries and inodes stay cached.
  x* = stat cold / native *warm* stat.
mount: until mounted; lowerfs scans the $((NFILES + NDIRS + 3))-entry tree into its image.

raw (s):
EOF
for c in "${CONFIGS[@]}"; do printf '  %-22s %s\n' "$c" "${RAW[$c]%; }"; done
echo
echo "lowerfs counters (lowerfs ctl stats, last mount of each kind):"
for c in "${COUNTERS[@]}"; do echo "  $c"; done
