#!/usr/bin/env bash
# make demo: the main job on the built-in sample image.
# Today (lowerfs): a lazy mount over an emulated slow link, a process that
# uses the image, what was fetched, a background prefetch, shutdown.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
LOWERFS=$PWD/$BUILD/lowerfs
[[ $(id -u) -eq 0 ]] || { echo "demo: run as root (it mounts)" >&2; exit 2; }

T=$(mktemp -d /tmp/ovlmig-demo.XXXXXX)
run=$T/run mnt=$T/mnt
cleanup() {
	[[ -f $run/lowerfs.pid ]] && kill "$(cat "$run/lowerfs.pid")" 2>/dev/null
	sleep 0.2
	umount -l "$mnt" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
if [[ -t 1 ]]; then bold=$'\033[1m' plain=$'\033[0m'; else bold= plain=; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
stats() {
	"$LOWERFS" ctl --run-dir "$run" stats |
		jq -r '"   fetched \(.files_fetched) of \(.files) files, \(.bytes_fetched / 1048576 | floor) MiB of \(.bytes_total / 1048576 | floor) MiB; passthrough \(.passthrough) (\(.passthrough_opens) opens)"'
}

step "building the sample image in $T/image"
scripts/sample-image.sh "$T/image"
du -sh "$T/image" | sed 's/^/   /'

step "lazy mount: lowerfs over an emulated remote link (20 ms, 50 MB/s)"
mkdir -p "$mnt"
t0=$(date +%s%N)
"$LOWERFS" --run-dir "$run" --cache "$T/cache" --latency 20 --bandwidth 50 \
	"dir:$T/image" "$mnt"
echo "   mounted in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
stats

step "a process uses the image at once"
t0=$(date +%s%N)
"$mnt/app/run.sh" | sed 's/^/   /'
echo "   ran in $(( ($(date +%s%N) - t0) / 1000000 )) ms, fetching only what it read:"
stats

step "the rest is fetched in the background"
"$LOWERFS" ctl --run-dir "$run" prefetch >/dev/null
while [[ $("$LOWERFS" ctl --run-dir "$run" stats | jq .prefetch_running) == true ]]; do
	sleep 0.5
	stats
done
stats
cmp "$T/image/data/blob-large" "$mnt/data/blob-large" && echo "   data/blob-large identical to the image"
ls -l "$mnt/app/helper" | sed 's/^/   /'

step "shutdown: lowerfs unmounts and exits"
"$LOWERFS" ctl --run-dir "$run" shutdown >/dev/null
sleep 0.3
grep -q " $mnt " /proc/mounts && echo "   still mounted!" || echo "   nothing left mounted"
echo
echo "Next (ovlmig core): overlay on top, migrate, detach with the container running."
