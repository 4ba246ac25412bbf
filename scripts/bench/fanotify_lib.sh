# The fanotify benches' shared part (fanotify_scale.sh, fanotify_ranges.sh),
# sourced under set -euo pipefail with TOP set:
#   . "$TOP/scripts/bench/fanotify_lib.sh" NAME
# A fresh temp dir T (/tmp/NAME.XXXXXX); at exit every listener still
# running is killed, every mount made by mnt undone (the last first) and
# T removed; the probe built as $P. Marks go only on the filesystems the
# bench mounts under T, never on the root filesystem.

T=$(mktemp -d "/tmp/$1.XXXXXX")
MOUNTS=()
LP=
cleanup() {
	local i
	# this shell's own background jobs only: never a PID that may be reused
	for i in $(jobs -p); do kill -KILL "$i" 2>/dev/null || true; done
	for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
		umount "${MOUNTS[i]}" 2>/dev/null || umount -l "${MOUNTS[i]}" 2>/dev/null || true
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

P=$T/fanotify_probe
cc -std=gnu11 -O2 -Wall -Wextra -Werror -o "$P" "$TOP/scripts/bench/fanotify_probe.c"

# mnt DIR ARGS...: mount, undone at exit
mnt() {
	local dir=$1; shift
	mkdir -p "$dir"
	mount "$@" "$dir"
	MOUNTS+=("$dir")
}
# meta NAME SIZE: a metacopy file in META ($T/meta) redirecting to /NAME in STORE
meta() {
	truncate -s "$2" "$T/meta/$1"
	setfattr -n trusted.overlay.metacopy "$T/meta/$1"
	setfattr -n trusted.overlay.redirect -v "/$1" "$T/meta/$1"
}
# listen ARGS...: `fanotify_probe listen ARGS` in the background, its
# output in $T/events; returns once its marks are in. LP: its PID.
listen() {
	rm -f "$T/ready"
	"$P" listen -R "$T/ready" "$@" >"$T/events" 2>&1 &
	LP=$!
	while [[ ! -e $T/ready ]]; do
		kill -0 "$LP" 2>/dev/null || { echo "listener did not start: $(cat "$T/events")" >&2; return 1; }
		sleep 0.05
	done
}
# unlisten: stop the listener once the last events are in
unlisten() {
	sleep 0.3
	kill -TERM "$LP" 2>/dev/null || true
	wait "$LP" 2>/dev/null || true
	LP=
}
