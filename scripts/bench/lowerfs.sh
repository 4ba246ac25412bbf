#!/usr/bin/env bash
# Benchmark lowerfs against the same tree read natively and through bindfs:
# cold and warm sequential read of one 1 GiB file, and `stat` of 100,000
# small files. Prints one table of times and ratios against native, all
# from this one run; timings are never compared against thresholds.
#
#   scripts/bench/lowerfs.sh            (or: make bench)
#
# Environment: BUILD (build dir, relative to the repo root; default build).
# For a quick try: BIG_MB (default 1024), NDIRS (100), NPER (1000 files per
# directory), SMALL (bytes per small file, 256), REPEAT (warm runs, 3).
#
# Needs root, /dev/fuse, bindfs, jq and GNU coreutils. Works under a fresh
# /tmp/ovlmig-bench.XXXXXX and undoes everything (mounts, daemons, files) on
# exit, also on failure or Ctrl-C. It never drops the global page cache:
# "cold" evicts the files involved with `dd iflag=nocache count=0`
# (posix_fadvise DONTNEED) and uses fresh mounts and a fresh lowerfs cache.
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
NFILES=$((NDIRS * NPER))
BIG_BYTES=$((BIG_MB * 1024 * 1024))

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

# --- requirements ------------------------------------------------------------
[[ $(id -u) -eq 0 ]] || die "must run as root (FUSE mounts; passthrough needs CAP_SYS_ADMIN)"
[[ -c /dev/fuse ]] || die "/dev/fuse is missing (modprobe fuse)"
[[ -x $LOWERFS ]] || die "$LOWERFS not found: run make first (or set BUILD)"
missing=()
for tool in bindfs jq dd date find xargs stat split head sync sort awk \
	    mountpoint umount mktemp; do
	command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
((${#missing[@]} == 0)) ||
	die "missing tools: ${missing[*]} (Debian: apt-get install bindfs jq coreutils findutils util-linux; or scripts/setup-deps.sh)"
dd --help 2>/dev/null | grep -q nocache || die "dd lacks iflag=nocache (GNU coreutils >= 8.11 needed)"
for v in BIG_MB NDIRS NPER SMALL REPEAT; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, not '${!v}'"
done
HAVE_FINCORE=0
command -v fincore >/dev/null 2>&1 && HAVE_FINCORE=1

# --- clean-up ----------------------------------------------------------------
T=
declare -A LOWERFS_RUNS=()	# run dir -> mountpoint, while mounted
declare -A BINDFS_PIDS=()	# pid -> mountpoint, while mounted

# stop_pid PID COMM: TERM the process if it is still COMM, wait, then KILL
stop_pid() {
	local pid=$1 comm=$2 i
	[[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$comm" ]] || return 0
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

# --- mounts ------------------------------------------------------------------
# mount_lowerfs NAME [OPTIONS...]: mount the source at $T/mnt-NAME, run dir
# $T/run-NAME; sets MNT and MOUNT_NS (time until the daemon returned).
mount_lowerfs() {
	local name=$1 t0 t1; shift
	local run=$T/run-$name
	MNT=$T/mnt-$name
	mkdir -p "$MNT"
	LOWERFS_RUNS[$run]=$MNT
	t0=$(date +%s%N)
	"$LOWERFS" --run-dir "$run" "$@" "dir:$SRC" "$MNT" ||
		die "lowerfs $name failed to mount (log: $run/lowerfs.log)"
	t1=$(date +%s%N)
	MOUNT_NS=$((t1 - t0))
	mountpoint -q "$MNT" || die "lowerfs $name returned but $MNT is not mounted"
}
umount_lowerfs() {
	local run=$T/run-$1
	stop_pid "$(cat "$run/lowerfs.pid")" lowerfs
	unmount_if_mounted "${LOWERFS_RUNS[$run]}"
	unset "LOWERFS_RUNS[$run]"
}
lowerfs_stats() { "$LOWERFS" ctl --run-dir "$T/run-$1" stats; }

# mount_bindfs NAME: bindfs of the source at $T/mnt-NAME, in the foreground
# of a background job so that its pid is known; sets MNT, MOUNT_NS, BINDFS_PID
mount_bindfs() {
	local name=$1 t0 t1 i
	MNT=$T/mnt-$name
	mkdir -p "$MNT"
	t0=$(date +%s%N)
	bindfs -f "$SRC" "$MNT" >"$T/bindfs-$name.log" 2>&1 &
	BINDFS_PID=$!
	BINDFS_PIDS[$BINDFS_PID]=$MNT
	for ((i = 0; i < 200; i++)); do
		mountpoint -q "$MNT" && break
		kill -0 "$BINDFS_PID" 2>/dev/null ||
			die "bindfs exited: $(cat "$T/bindfs-$name.log")"
		sleep 0.01
	done
	mountpoint -q "$MNT" || die "bindfs did not mount $MNT within 2 s"
	t1=$(date +%s%N)
	MOUNT_NS=$((t1 - t0))
}
umount_bindfs() {
	stop_pid "$BINDFS_PID" bindfs
	wait "$BINDFS_PID" 2>/dev/null || true
	unmount_if_mounted "${BINDFS_PIDS[$BINDFS_PID]}"
	unset "BINDFS_PIDS[$BINDFS_PID]"
}

# --- measurements ------------------------------------------------------------
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
# timed CMD...: run CMD, set LAST_NS to its wall time in ns
timed() {
	local t0 t1
	t0=$(date +%s%N)
	"$@"
	t1=$(date +%s%N)
	LAST_NS=$((t1 - t0))
}
# timed_median CMD...: REPEAT runs, set LAST_NS to the median, SAMPLES to all
timed_median() {
	local i s=()
	for ((i = 0; i < REPEAT; i++)); do
		timed "$@"
		s+=("$LAST_NS")
	done
	SAMPLES="${s[*]}"
	LAST_NS=$(printf '%s\n' "${s[@]}" | sort -n |
		awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
}

declare -A READ_COLD READ_WARM STAT_COLD STAT_WARM MOUNT RAW
CONFIGS=()
sec() { awk -v n="$1" 'BEGIN { printf "%.3f", n / 1e9 }'; }

# bench_read CONFIG FILE BACKING...: the BACKING files' pages are evicted
# (never FILE itself when it is on a mount: opening it would fetch it), one
# cold read of FILE, then REPEAT warm reads
bench_read() {
	local cfg=$1 file=$2; shift 2
	evict "$@"
	timed read_file "$file"
	READ_COLD[$cfg]=$LAST_NS
	sync	# write-back of a fetch must not run during the warm reads
	timed_median read_file "$file"
	READ_WARM[$cfg]=$LAST_NS
	RAW[$cfg]+="read cold $(sec "${READ_COLD[$cfg]}"); read warm"
	for s in $SAMPLES; do RAW[$cfg]+=" $(sec "$s")"; done
	RAW[$cfg]+="; "
}
# bench_stat CONFIG DIR [nocold]: one stat of every file on a fresh mount
# (cold), then REPEAT warm runs
bench_stat() {
	local cfg=$1 dir=$2
	if [[ ${3:-} == nocold ]]; then
		stat_all "$dir"	# make sure it is warm
	else
		timed stat_all "$dir"
		STAT_COLD[$cfg]=$LAST_NS
		RAW[$cfg]+="stat cold $(sec "$LAST_NS"); "
	fi
	timed_median stat_all "$dir"
	STAT_WARM[$cfg]=$LAST_NS
	RAW[$cfg]+="stat warm"
	for s in $SAMPLES; do RAW[$cfg]+=" $(sec "$s")"; done
	RAW[$cfg]+="; "
}

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

COUNTERS=()

# --- 1. native ---------------------------------------------------------------
echo "bench: native"
cfg=native; CONFIGS+=("$cfg")
bench_read "$cfg" "$BIG" "$BIG"
bench_stat "$cfg" "$SMALLDIR" nocold

# --- 2. bindfs ---------------------------------------------------------------
echo "bench: bindfs"
cfg=bindfs; CONFIGS+=("$cfg")
mount_bindfs bindfs-read
bench_read "$cfg" "$MNT/big" "$BIG"
umount_bindfs
mount_bindfs bindfs-stat
MOUNT[$cfg]=$MOUNT_NS
bench_stat "$cfg" "$MNT/small"
umount_bindfs

# --- 3. lowerfs --cache: cold read includes the fetch into a fresh cache -------
echo "bench: lowerfs --cache"
cfg="lowerfs --cache"; CONFIGS+=("$cfg")
mount_lowerfs cache-read --cache "$T/cache-a"
bench_read "$cfg" "$MNT/big" "$BIG"
COUNTERS+=("$cfg, read: $(lowerfs_stats cache-read | jq -c '{bytes_fetched, files_fetched, cache_hits, passthrough, passthrough_opens, fallback_opens, bytes_read}')")
umount_lowerfs cache-read
mount_lowerfs cache-stat --cache "$T/cache-b"
MOUNT[$cfg]=$MOUNT_NS
bench_stat "$cfg" "$MNT/small"
COUNTERS+=("$cfg, stat: $(lowerfs_stats cache-stat | jq -c '{entries, bytes_fetched, requests}')")
umount_lowerfs cache-stat

# --- 3b. the same cache, restarted: cold = cached file not in the page cache ---
echo "bench: lowerfs --cache, restarted on the filled cache"
cfg="lowerfs --cache (hit)"; CONFIGS+=("$cfg")
mount_lowerfs cache-hit --cache "$T/cache-a"
cache_files=()
for f in "$T"/cache-a/*; do [[ -f $f && $(stat -c %s "$f") -eq $BIG_BYTES ]] && cache_files+=("$f"); done
((${#cache_files[@]} == 1)) || die "expected one cached copy of the big file in $T/cache-a"
bench_read "$cfg" "$MNT/big" "$BIG" "${cache_files[@]}"
COUNTERS+=("$cfg, read: $(lowerfs_stats cache-hit | jq -c '{bytes_fetched, files_fetched, cache_hits, passthrough, passthrough_opens, fallback_opens, bytes_read}')")
umount_lowerfs cache-hit

# --- 4. lowerfs without cache: passthrough onto the source ---------------------
echo "bench: lowerfs (no cache)"
cfg="lowerfs"; CONFIGS+=("$cfg")
mount_lowerfs direct-read
bench_read "$cfg" "$MNT/big" "$BIG"
COUNTERS+=("$cfg, read: $(lowerfs_stats direct-read | jq -c '{bytes_fetched, passthrough, passthrough_opens, fallback_opens, bytes_read}')")
umount_lowerfs direct-read
mount_lowerfs direct-stat
MOUNT[$cfg]=$MOUNT_NS
bench_stat "$cfg" "$MNT/small"
COUNTERS+=("$cfg, stat: $(lowerfs_stats direct-stat | jq -c '{entries, requests}')")
umount_lowerfs direct-stat

# --- report ------------------------------------------------------------------
# ratio NS BASE_NS: time ratio, > 1 is slower than native
ratio() { [[ -n $1 && -n $2 ]] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }' || echo -; }
secs() { [[ -n $1 ]] && sec "$1" || echo -; }
mbps() { [[ -n $1 ]] && awk -v n="$1" -v b="$BIG_BYTES" 'BEGIN { printf "%.0f", b / (n / 1e9) / 1e6 }' || echo -; }

nat_rc=${READ_COLD[native]} nat_rw=${READ_WARM[native]} nat_sw=${STAT_WARM[native]}
echo
echo "lowerfs benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $(nproc) CPUs, $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "read: ${BIG_MB} MiB file, dd bs=1M; stat: $NFILES files (find | xargs stat); warm = median of $REPEAT"
echo "x = time / native time from this run (1.00 = native, higher is slower); MB/s = 10^6 bytes/s"
echo
fmt='%-22s %9s %7s %6s | %9s %7s %6s | %9s %7s | %9s %6s | %7s\n'
printf "$fmt" configuration "read cold" MB/s x "read warm" MB/s x "stat cold" "x*" "stat warm" x "mount"
printf "$fmt" "" s "" "" s "" "" s "" s "" s
for cfg in "${CONFIGS[@]}"; do
	rc=${READ_COLD[$cfg]:-} rw=${READ_WARM[$cfg]:-} sc=${STAT_COLD[$cfg]:-} sw=${STAT_WARM[$cfg]:-}
	mt=${MOUNT[$cfg]:-}
	printf "$fmt" "$cfg" \
		"$(secs "$rc")" "$(mbps "$rc")" "$(ratio "$rc" "$nat_rc")" \
		"$(secs "$rw")" "$(mbps "$rw")" "$(ratio "$rw" "$nat_rw")" \
		"$(secs "$sc")" "$(ratio "$sc" "$nat_sw")" \
		"$(secs "$sw")" "$(ratio "$sw" "$nat_sw")" \
		"$(secs "$mt")"
done
cat <<EOF

native stat cold: not measured. Without a global drop_caches the kernel's
  dentry/inode caches for the source cannot be emptied (the tree was just
  written). x* = stat cold time / native *warm* stat time.
cold read: the file's pages evicted first (dd iflag=nocache), fresh mount.
  lowerfs --cache: fresh empty cache, so cold includes fetching the whole
  file into it. lowerfs --cache (hit): restarted on that filled cache, the
  cached copy and the source evicted (a cache hit served from disk).
cold stat: fresh mount, so FUSE's dentry/attribute caches are empty; the
  source's own kernel caches stay warm. lowerfs builds its image at mount
  (the "mount" column includes that scan of the $((NFILES + NDIRS + 3))-entry tree).

raw (s):
EOF
for cfg in "${CONFIGS[@]}"; do printf '  %-22s %s\n' "$cfg" "${RAW[$cfg]%; }"; done
echo
echo "lowerfs counters (lowerfs ctl stats):"
for c in "${COUNTERS[@]}"; do echo "  $c"; done
