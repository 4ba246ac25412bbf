# Shared by the integration tests: results, clean-up, mounts.
# A test sources this file, then calls ok/fail/skip/check. Every test
# works under a fresh temporary directory and undoes what it did (mounts,
# processes) on exit, also when it fails.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$TOP/$BUILD
LOWERFS=$BUILD/lowerfs
TOOLS=$BUILD/tools
# OVLMIG_TEST_TMPDIR: where the temp dir goes (default /tmp), e.g. a fresh
# filesystem for a benchmark (scripts/bench/fresh_fs.sh)
T=$(mktemp -d "${OVLMIG_TEST_TMPDIR:-/tmp}/ovlmig-test.XXXXXX")

_cleanups=()
# Register a command to run at exit; they run last-registered first.
on_exit() { _cleanups+=("$*"); }
_run_cleanups() {
	local i log
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_cleanups[i]}" >/dev/null 2>&1 || true
	done
	# daemons log to their run dir: a sanitizer report there is a failure
	for log in "$T"/run-*/lowerfs.log; do
		[[ -f $log ]] || continue
		if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log"; then
			fail "sanitizer report in $(basename "$(dirname "$log")")" \
				"$(grep -m3 -E 'Sanitizer|runtime error' "$log")"
		fi
	done
	rm -rf "$T"
}
trap _run_cleanups EXIT
trap 'exit 130' INT TERM

ok() { echo "ok - $1"; }
fail() { echo "not ok - $1${2:+: $2}"; }
# Under CI a skipped privileged test is a failure: CI must prove the real thing.
skip() {
	if [[ ${CI:-} == true ]]; then
		echo "not ok - $1: skipped under CI=true: $2"
	else
		echo "ok - $1 # SKIP $2"
	fi
}
# check NAME CMD...: ok if CMD succeeds.
check() {
	local name=$1; shift
	if "$@"; then ok "$name"; else fail "$name" "command failed: $*"; fi
}
# Skip the whole file unless root with FUSE and overlayfs.
require_root() {
	if [[ $(id -u) -ne 0 ]]; then
		skip "$1" "needs root (mounts)"
		exit 0
	fi
	if [[ ! -c /dev/fuse ]]; then
		skip "$1" "needs /dev/fuse"
		exit 0
	fi
}

fusectl_ready() {
	mountpoint -q /sys/fs/fuse/connections ||
		mount -t fusectl fusectl /sys/fs/fuse/connections
}

# fuse_conn_gone CONN: true once /sys/fs/fuse/connections/CONN is gone,
# false if it is still there after 10 s. The kernel drops a connection
# when its last reference goes (the superblock, every /dev/fuse fd), which
# can trail an umount or a process exit by a moment on a loaded machine.
fuse_conn_gone() {
	local i
	for ((i = 0; i < 100; i++)); do
		[[ -e /sys/fs/fuse/connections/$1 ]] || return 0
		sleep 0.1
	done
	return 1
}

# pid_running PID: true while PID runs. A zombie has ended (it holds no
# files, no FUSE fd): a daemon's parent is init, which may reap it a
# second later, and ovlmig does not wait for that.
pid_running() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[[ ${st:0:1} != [ZX] ]]
}

# start_lowerfs NAME SOURCE MOUNTPOINT [OPTIONS...]: daemon with its run
# dir at $T/run-NAME; unmounted and killed at exit.
start_lowerfs() {
	local name=$1 src=$2 mnt=$3; shift 3
	local run=$T/run-$name
	mkdir -p "$mnt"
	on_exit "kill_lowerfs $run; umount -l $mnt"
	"$LOWERFS" --run-dir "$run" "$@" "$src" "$mnt"
}
kill_lowerfs() {
	local pid
	pid=$(cat "$1/lowerfs.pid" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null
}
# ctl NAME COMMAND: JSON from the lowerfs started as NAME.
ctl() { "$LOWERFS" ctl --run-dir "$T/run-$1" "$2"; }
# stat_of NAME KEY: one counter from `lowerfs ctl stats`.
stat_of() { ctl "$1" stats | jq -r ".$2"; }

OVLMIG=$BUILD/ovlmig
# Each test keeps its ovlmig state under its own temp dir, and its image
# store too (strategy store is the default): never the host's.
export OVLMIG_RUN_DIR=$T/ovlmig-run
export OVLMIG_STORE_DIR=$T/ovlmig-store
# ovlmig_mount TARGET ARGS...: mount, and undo at exit whatever happens.
ovlmig_mount() {
	local target=$1; shift
	mkdir -p "$target"
	on_exit "ovlmig_cleanup $target"
	"$OVLMIG" mount "$@" "$target"
}
ovlmig_cleanup() {
	"$OVLMIG" umount "$1" >/dev/null 2>&1 && return
	# the state may be gone or broken: take down what is left by hand
	umount -l "$1" 2>/dev/null
	local pidf
	for pidf in "$OVLMIG_RUN_DIR"/*/lowerfs/lowerfs.pid; do
		[[ -f $pidf ]] && kill_lowerfs "$(dirname "$pidf")"
	done
	for m in "$OVLMIG_RUN_DIR"/*/lower; do umount -l "$m" 2>/dev/null; done
}

# The pinned users of a tree made by tests/tools/mktree, for migrate and
# detach to run under: a cwd deep in it, an open fd, a shared mapping, an
# executable running from it. They record their errors in $T/NAME.report.
HOLDER_DEEP=deep/d01/d02/d03/d04/d05/d06/d07/d08/d09/d10
HOLDER_DEEPER=$HOLDER_DEEP/d11/d12/d13/d14/d15/d16/d17/d18/d19/d20
_holder_names=(cwd fd mmap exe)
# holders_start M: start them on the mount M; sets HOLDER_PIDS.
holders_start() {
	local m=$1 h i
	local cmds=("$TOOLS/holder --cwd $m/$HOLDER_DEEP" "$TOOLS/holder --fd $m/links/two-1"
		    "$TOOLS/holder --mmap $m/data/mapped" "$m/bin/holder")
	HOLDER_PIDS=()
	for i in "${!_holder_names[@]}"; do
		h=${_holder_names[$i]}
		${cmds[$i]} --report "$T/$h.report" --ready "$T/$h.ready" &
		HOLDER_PIDS+=($!)
		on_exit "kill -KILL $!"
	done
	for h in "${_holder_names[@]}"; do
		for _ in $(seq 400); do [[ -e $T/$h.ready ]] && break; sleep 0.05; done
		[[ -e $T/$h.ready ]] || fail "holder $h did not start"
	done
}
# holders_check WHAT: stop them; each must have seen no error through WHAT.
holders_check() {
	local what=$1 i h rc report
	for i in "${!HOLDER_PIDS[@]}"; do kill -TERM "${HOLDER_PIDS[$i]}"; done
	for i in "${!_holder_names[@]}"; do
		h=${_holder_names[$i]}
		wait "${HOLDER_PIDS[$i]}"; rc=$?
		report=$(cat "$T/$h.report" 2>/dev/null)
		if [[ $rc -eq 0 && $report == *" errors=0 "* ]]; then
			ok "holder $h ran through $what: $report"
		else
			fail "holder $h: exit $rc" "$report"
		fi
	done
}
# opsuite_pinned M: the operation suite on M, around the holders.
opsuite_pinned() {
	"$TOOLS/opsuite" --pinned "$HOLDER_DEEP" --deep "$HOLDER_DEEPER" --exec bin/holder "$1"
}
# opsuite_rounds M: the operation suite on M as it is, after the kernel
# dropped its dentries and inodes, and after it dropped the page cache too
# (so nothing is served from what the kernel remembered of the lower).
opsuite_rounds() {
	local m=$1 out
	if out=$(opsuite_pinned "$m" 2>&1); then ok "after detach: $(head -1 <<<"$out")"
	else fail "operation suite after detach" "$out"; fi
	sync
	echo 2 >/proc/sys/vm/drop_caches
	if out=$(opsuite_pinned "$m" 2>&1); then ok "after dropping dentries and inodes: $(head -1 <<<"$out")"
	else fail "operation suite after drop_caches 2" "$out"; fi
	echo 3 >/proc/sys/vm/drop_caches
	if out=$(opsuite_pinned "$m" 2>&1); then ok "after dropping the page cache too: $(head -1 <<<"$out")"
	else fail "operation suite after drop_caches 3" "$out"; fi
}
