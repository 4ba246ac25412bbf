#!/usr/bin/env bash
# make demo: the main job on the built-in sample image. A lazy mount, a
# process using it at once, migration while it runs, detach of the lazy
# layer with the process still running, status at each step.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
# OVLMIG: an installed ovlmig instead of the build's (make check-deb)
OVLMIG=${OVLMIG:-$PWD/$BUILD/ovlmig}
[[ $(id -u) -eq 0 ]] || { echo "demo: run as root (it mounts)" >&2; exit 2; }

. scripts/lib/teardown.sh
T=$(mktemp -d /tmp/ovlmig-demo.XXXXXX)
export OVLMIG_RUN_DIR=$T/run
m=$T/container-root
worker=
cleanup() {
	[[ -n $worker ]] && kill "$worker" 2>/dev/null && wait "$worker" 2>/dev/null
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

step "ovlmig mount: the overlay over the lazy image"
mkdir -p "$m"
t0=$(date +%s%N)
"$OVLMIG" mount --source "dir:$T/image" --upper "$T/upper" --work "$T/work" "$m" | sed 's/^/   /'
echo "   ready in $(ms_since "$t0") ms"

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

step "ovlmig migrate: copy the image up while the process runs"
"$OVLMIG" migrate "$m" | sed 's/^/   /'
"$OVLMIG" status "$m" | sed 's/^/   /'

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

step "ovlmig umount"
"$OVLMIG" umount "$m" | sed 's/^/   /'
