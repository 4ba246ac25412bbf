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
T=$(mktemp -d /tmp/ovlmig-test.XXXXXX)

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
# Each test keeps its ovlmig state under its own temp dir.
export OVLMIG_RUN_DIR=$T/ovlmig-run
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
