#!/usr/bin/env bash
# make demo: the main job on the built-in sample image, with the default
# strategy (store where the kernel can run it). A lazy mount, a process
# using it at once, migration (the image store filled) while it runs,
# detach of the lazy layer with the process still running, status and
# the store's images at each step, a second container of the image.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
# OVLMIG: an installed ovlmig instead of the build's (make check-deb)
OVLMIG=${OVLMIG:-$PWD/$BUILD/ovlmig}
[[ $(id -u) -eq 0 ]] || { echo "demo: run as root (it mounts)" >&2; exit 2; }

. scripts/lib/teardown.sh
T=$(mktemp -d /tmp/ovlmig-demo.XXXXXX)
export OVLMIG_RUN_DIR=$T/run
# the demo's own image store, removed with it (the host's: /var/lib/ovlmig/images)
export OVLMIG_STORE_DIR=$T/store
m=$T/container-root m2=$T/container2-root
worker=
cleanup() {
	[[ -n $worker ]] && kill "$worker" 2>/dev/null && wait "$worker" 2>/dev/null
	ovlmig_teardown "$m2"
	ovlmig_teardown "$m"
	rm -rf "$T"
}
trap cleanup EXIT
if [[ -t 1 ]]; then bold=$'\033[1m' plain=$'\033[0m'; else bold= plain=; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

step "building the sample image in $T/image"
scripts/sample-image.sh "$T/image"
du -sh "$T/image" | sed 's/^/   /'

step "ovlmig mount: the overlay over the lazy image (strategy auto)"
mkdir -p "$m"
t0=$(date +%s%N)
"$OVLMIG" mount --source "dir:$T/image" --upper "$T/upper" --work "$T/work" "$m" 2>&1 |
	grep -v ': feeding the image store ' | sed 's/^/   /'
echo "   ready in $(ms_since "$t0") ms"
strategy=$("$OVLMIG" status "$m" | awk '$1 == "strategy" { print $2 }')
case $strategy in
store) echo "   strategy store: the image goes into the shared store $OVLMIG_STORE_DIR, not into each upper" ;;
*) echo "   strategy $strategy: this kernel cannot run store (data-only layers and FUSE passthrough)" ;;
esac

step "a process uses the image at once, and keeps running"
(
	runs=0 errors=0
	trap 'echo "runs=$runs errors=$errors" >"$T/worker.log"; exit 0' TERM
	while :; do
		if "$m/app/run.sh" >/dev/null 2>>"$T/worker.err" &&
			cmp -s "$m/data/blob-small" "$T/image/data/blob-small"; then
			runs=$((runs + 1))
		else
			errors=$((errors + 1))
		fi
		sleep 0.2
	done
) &
worker=$!
t0=$(date +%s%N)
"$m/app/run.sh" | sed 's/^/   /'
echo "   first run took $(ms_since "$t0") ms"
"$OVLMIG" status "$m" | sed 's/^/   /'

step "ovlmig migrate: make the image local while the process runs"
"$OVLMIG" migrate "$m" | sed 's/^/   /'
"$OVLMIG" status "$m" | sed 's/^/   /'
"$OVLMIG" images | sed 's/^/   /'

step "ovlmig detach: the lazy layer goes away under the running process"
"$OVLMIG" detach "$m" | sed 's/^/   /'
"$OVLMIG" status "$m" | sed 's/^/   /'
pgrep -x lowerfs >/dev/null && echo "   (lowerfs processes of other mounts still run)" ||
	echo "   no lowerfs process left"
sleep 1
kill "$worker"; wait "$worker" 2>/dev/null || true
worker=
echo "   the process, all along: $(cat "$T/worker.log")"
cmp "$T/image/data/blob-large" "$m/data/blob-large" && echo "   data/blob-large identical to the image, now on local disk"
ls -l "$m/app/helper" | sed 's/^/   /'

if [[ $strategy == store ]]; then
	step "a second container of the image: no fetch, no build, no lowerfs"
	mkdir -p "$m2"
	t0=$(date +%s%N)
	"$OVLMIG" mount --source "dir:$T/image" --upper "$T/upper2" --work "$T/work2" "$m2" | sed 's/^/   /'
	echo "   ready in $(ms_since "$t0") ms"
	"$m2/app/run.sh" | sed 's/^/   /'
	"$OVLMIG" images | sed 's/^/   /'
	du -sh "$T/upper" "$T/upper2" "$OVLMIG_STORE_DIR" | sed 's/^/   /'
	"$OVLMIG" umount "$m2" | sed 's/^/   /'
fi

step "ovlmig umount"
"$OVLMIG" umount "$m" | sed 's/^/   /'
