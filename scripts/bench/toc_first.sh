#!/usr/bin/env bash
# Issue 18 on layers with per-file entry points: the first command of a
# zstd:chunked and of an eStargz image (the layer's own TOC, no index of
# ours), each in a docker-registry behind one shared RATE_MB MB/s link
# (the fault proxy's token bucket). One image of one layer, built once by
# buildah: a static busybox, 4 libraries of this host (real code, 18 MiB),
# SMALL_FILES small text files and FILLER_MB of random data. The command
# is apt-like: `busybox md5sum` of the 4 libraries and 36 small files
# spread over the layer (41 files with busybox itself), run in a fresh
# lowerfs mount (empty --cache) once it is up. Measured for each format:
#   - link bytes of the command (the proxy's timeline) against the sum of
#     the compressed bytes of exactly the files read (from the TOC: a
#     file's data from its first frame or gzip member to the next file's);
#   - the layer's range requests of the command (the proxy's request
#     log) and the most of them in flight at once;
#   - the command's seconds against link bytes / rate + 0.15 s, and the
#     time its on-demand fetches took inside lowerfs (open of a file to
#     its cached copy: request, decompression, verification, write).
# Prints the figures of this one run; asserts nothing. As root, after
# `make`. Uses the test helpers: everything lives under a fresh
# /tmp/ovlmig-test.XXXXXX and is stopped and removed on exit.
#
# Environment: RATE_MB (50), SMALL_FILES (2000), FILLER_MB (40),
# FORMATS ("zstd:chunked estargz"), LOWERFS_OPTS (extra lowerfs options),
# DELAY (none: seconds the proxy holds each request, a distant registry's
# round trip; the target link/rate + 0.15 s does not count it),
# MOUNT (1: also `ovlmig mount --strategy store` of the image twice, the
# second container's mount timed with its steps (OVLMIG_DEBUG=1): the
# store warm for metadata, META and the store entry made by the first),
# LIST (1: the first run records its opens (--record-access), the list is
# published with `ovlmig index --push --startup-list` (an artifact of the
# list alone: the layer has its own TOC) and the command is measured
# again on a fresh cache, a second host: issue 18's "with a published
# list <= 0.5x the time without it"), REPEAT (3: with LIST=1, runs with
# and without the list, alternating, each on a fresh cache; the ratio is
# of the medians; without the list from a second repository of the same
# image, where none is published), BUILDS (none: build directories whose
# lowerfs are measured in turn within each repeat, e.g. "/work/main/build
# build": before and after in one run, same registry, same load; with it
# the recording run is not counted), TRACE (none: a directory that gets
# each run's proxy request log, the lowerfs log, an strace of the
# command's execve/openat/close, the run's times and the TOC, for
# scripts/bench/toc_timeline.py; the strace slows the command a little).
set -u -o pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/lib.sh"
. "$TOP/tests/remote_lib.sh"

RATE_MB=${RATE_MB:-50}
SMALL_FILES=${SMALL_FILES:-2000}
FILLER_MB=${FILLER_MB:-40}
FORMATS=${FORMATS:-zstd:chunked estargz}
MOUNT=${MOUNT:-1}
LIST=${LIST:-1}
REPEAT=${REPEAT:-3}
read -r -a BUILDS <<<"${BUILDS:-}"
TRACE=${TRACE:-}
if [[ -n $TRACE ]]; then
	mkdir -p "$TRACE" || exit 2
	TRACE=$(cd "$TRACE" && pwd)
fi
runs=0
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
read -r -a LOWERFS_EXTRA <<<"${LOWERFS_OPTS:-}"
LIBDIR=/usr/lib/x86_64-linux-gnu
LIBS=(libc.so.6 libcrypto.so.3 libperl.so.5.36.0 libpython3.11.so.1.0)
die() { echo "toc_first.sh: $*" >&2; exit 2; }
now() { date +%s.%N; }
link_bytes() { sleep 0.3; tail -1 "$T/timeline" | awk '{ print $2 }'; }
# link_bytes_at SECONDS: the link's bytes at the last sample (0.1 s apart) before that time
link_bytes_at() { awk -v t="$1" '$1 / 1e9 <= t { b = $2 } END { print b + 0 }' "$T/timeline"; }

# --- the image ------------------------------------------------------------------
src=$T/src
mkdir -p "$src/bin" "$src/usr/lib" "$src/usr/share/doc" "$src/opt"
cp /bin/busybox "$src/bin/busybox" || die "no /bin/busybox (busybox-static)"
for l in "${LIBS[@]}"; do
	cp -L "$LIBDIR/$l" "$src/usr/lib/$l" || die "no $LIBDIR/$l on this host"
done
for i in $(seq 1 "$SMALL_FILES"); do seq "$i" $((i + 200 + i % 700)) >"$src/usr/share/doc/f$i"; done
for i in $(seq 1 $((FILLER_MB / 10))); do head -c $((10 << 20)) /dev/urandom >"$src/opt/filler$i"; done
read_files=(/bin/busybox)
for l in "${LIBS[@]}"; do read_files+=("/usr/lib/$l"); done
for i in $(seq 1 36); do read_files+=("/usr/share/doc/f$(( (i * 997) % SMALL_FILES + 1 ))"); done
printf '%s\n' "${read_files[@]}" | sed 's|^/||' >"$T/read.list"
cmd=(/bin/busybox md5sum "${read_files[@]:1}")

buildah_image "$src" localhost/first:1 || die "buildah"
registry_start || die "registry"
R0=127.0.0.1:$REGISTRY_PORT
accept="application/vnd.oci.image.manifest.v1+json"

push_zstd() { zstd_chunked_push localhost/first:1 "$R0/test/zstd:1"; }
push_estargz() {
	buildah_archive localhost/first:1 "$T/src.tar" &&
		containerd_start &&
		estargz_push "$T/src.tar" localhost/first:1 "$R0/test/estargz:1" &&
		stop_pid "$CTD_PID"
}

# compressed_bytes TOC LIST: the compressed bytes of the files in LIST (one
# path a line) in the TOC: each file's data runs from its first offset to
# the next data's (zstd:chunked: to its endOffset)
compressed_bytes() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
toc = json.load(open(sys.argv[1]))["entries"]
want = set(l.strip() for l in open(sys.argv[2]) if l.strip())
starts = sorted((e["offset"], e["name"].lstrip("./")) for e in toc
                if e.get("type") in ("reg", "chunk") and e.get("offset"))
ends = {e["name"].lstrip("./"): e["endOffset"] for e in toc
        if e.get("type") == "reg" and e.get("endOffset")}
total = 0
for k, (off, name) in enumerate(starts):
    if name not in want:
        continue
    nxt = starts[k + 1][0] if k + 1 < len(starts) else off
    total += (min(nxt, ends[name]) if name in ends else nxt) - off
print(total)
EOF
}

# layer_gets REPO SINCE: "START END RANGE" of the layer's ranged GETs after
# line SINCE of the request log
layer_gets() {
	tail -n +"$(($2 + 1))" "$T/requests" |
		awk -v p="/v2/$1/blobs/" '$3 == "GET" && index($4, p) && $5 != "-" { print $1, $2, $5 }'
}
# busy_seconds: how long at least one request ("START END" lines) was in flight
busy_seconds() {
	sort -n -k1,1 | awk '{ if ($1 > e) { t += $2 - $1; e = $2 } else if ($2 > e) { t += $2 - e; e = $2 } }
		END { printf "%.3f", t / 1e9 }'
}
HZ=$(getconf CLK_TCK)
# cpu_ticks VAR PID: VAR = user + system clock ticks of PID so far (bash
# builtins only: no process started between the mount and the command)
cpu_ticks() {
	local st f
	read -r st <"/proc/$2/stat" || return 1
	read -r -a f <<<"${st##*) }"
	printf -v "$1" '%d' $((f[11] + f[12]))
}
faultproxy_start "$REGISTRY_PORT" none --rate $((RATE_MB * 1000000)) --timeline "$T/timeline" \
	--requests "$T/requests" ${DELAY:+--delay "$DELAY"} || die "proxy"
R=127.0.0.1:$FAULTPROXY_PORT
read_bytes=$(cd "$src" && cat $(cat "$T/read.list") | wc -c)
(cd "$src" && busybox md5sum $(sed 1d "$T/read.list")) | awk '{ print $1 }' >"$T/want.md5"
load=$(cut -d' ' -f1-3 /proc/loadavg)
# the proxy's log is on CLOCK_MONOTONIC, the rest on the wall clock
[[ -z $TRACE ]] || python3 -c 'import time; print(time.time_ns() - time.monotonic_ns())' >"$TRACE/clock_offset_ns"

# measure NAME REPO KIND [LOWERFS-OPTION...]: a fresh lowerfs (empty
# cache) of REPO behind the link, the command in it, and one line of
# figures in results; KIND w: without a published list, l: with it (the
# command starts once the mount is up, as in w: the list's prefetch runs
# beside it). Appends to cmd_s[KIND] and total_s[KIND] (lowerfs start to
# the command's exit), space-separated seconds of each run.
declare -A cmd_s total_s target_x ret_s
measure() {
	local name=$1 repo=$2 kind=$3; shift 3
	local tag=$name-$kind-$((++runs)) t0 t1 t2 t3 before after since gets over busy cpu0 cpu1 lat pid
	local -a req
	local run_cmd=(chroot "$T/m-$tag" "${cmd[@]}")
	[[ -z $TRACE ]] || run_cmd=(strace -qq -f -ttt -T --seccomp-bpf -e trace=execve,openat,close
		-o "$TRACE/$tag.strace" "${run_cmd[@]}")
	t0=$EPOCHREALTIME
	start_lowerfs "$tag" "docker://$R/$repo:1" "$T/m-$tag" --insecure --cache "$T/cache-$tag" \
		--log "$T/$tag.log" "${LOWERFS_EXTRA[@]}" "$@" 2>>"$T/$tag.log" ||
		die "lowerfs: $(tail -3 "$T/$tag.log")"
	t1=$EPOCHREALTIME
	# nothing slow between the mount and the command (builtins only): a
	# published list's prefetch has begun (l), and would get a head start
	mapfile -t req <"$T/requests"
	since=${#req[@]}
	read -r pid <"$T/run-$tag/lowerfs.pid"
	cpu_ticks cpu0 "$pid"
	t2=$EPOCHREALTIME
	"${run_cmd[@]}" >"$T/$tag.md5" || die "$fmt: the command failed"
	t3=$EPOCHREALTIME
	cpu_ticks cpu1 "$pid"
	grep -q "index: the layer's" "$T/$tag.log" || die "$fmt: the TOC was not used"
	# the mount fetches no file: every fetch so far was the command's or
	# the list's prefetch (summed over the threads that ran them)
	lat=$(stat_of "$tag" fetch_latency_sum_us)
	before=$(link_bytes_at "$t1") after=$(link_bytes)
	awk '{ print $1 }' "$T/$tag.md5" | cmp -s - "$T/want.md5" || die "$fmt: wrong bytes read"
	layer_gets "$repo" "$since" >"$T/$tag.gets"
	gets=$(wc -l <"$T/$tag.gets")
	over=$(max_overlap <"$T/$tag.gets")
	busy=$(busy_seconds <"$T/$tag.gets")
	stop_lowerfs "$tag" "$T/m-$tag"
	if [[ -n $TRACE ]]; then
		cp "$T/$tag.log" "$TRACE/" && cp "$T/requests" "$TRACE/requests" &&
			echo "$t0 $t1 $t2 $t3 $since $repo $build $pid" >"$TRACE/$tag.times" || die "TRACE: copy"
	fi
	[[ $kind == l ]] || ! grep -q "prefetch list in the registry" "$T/$tag.log" ||
		die "$fmt: a list was found without one published"
	cmd_s[$build$kind]+=" $(echo "$t3 - $t2" | bc)" total_s[$build$kind]+=" $(echo "$t3 - $t0" | bc)"
	ret_s[$build$kind]+=" $(echo "$t3 - $t1" | bc)"
	target_x[$build$kind]+=" $(awk -v c="$(echo "$t3 - $t2" | bc)" -v lb="$((after - before))" \
		-v rate="$RATE_MB" 'BEGIN { printf "%.3f", c / (lb / (rate * 1e6) + 0.15) }')"
	results+=("$build_label$(awk -v f="$fmt" -v k="$kind" -v ls="$layer_size" -v m="$(echo "$t1 - $t0" | bc)" \
		-v c="$(echo "$t3 - $t2" | bc)" -v lb="$((after - before))" -v cb="$comp" \
		-v rb="$read_bytes" -v g="$gets" -v o="$over" -v rate="$RATE_MB" -v busy="$busy" \
		-v cpu="$(echo "scale=2; ($cpu1 - $cpu0) / $HZ" | bc)" -v fetch="$lat" -v c1="$(echo "$t3 - $t1" | bc)" -v load1="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
		target = lb / (rate * 1e6) + 0.15
		printf "%s (layer %.1f MiB), %s: mount %.3f s; command %.3f s (target link/rate + 0.15 = %.3f s: %.2fx; from the mount'"'"'s return %.3f s);" \
			" link (mount returned to command exited) %.2f MiB against %.2f MiB compressed of the files read (%.2fx; %.2f MiB uncompressed);" \
			" %d range requests, at most %d at once, in flight %.3f s of the command;" \
			" files fetched (open or prefetch to cached file: request, decompress, verify, write; summed over threads) %.3f s;" \
			" lowerfs CPU %.2f s; load %s\n", f, ls / 1048576, k == "w" ? "no list" : "published list", m, c,
			target, c / target, c1, lb / 1048576, cb / 1048576, lb / cb, rb / 1048576, g, o, busy,
			fetch / 1e6, cpu, load1
	}')")
}

results=() mounts=()
export OVLMIG_RUN_DIR=$T/ovlmig-run OVLMIG_STORE_DIR=$T/ovlmig-store
for fmt in $FORMATS; do
	case $fmt in
	zstd:chunked) repo=test/zstd; push_zstd || die "skopeo push" ;;
	estargz) repo=test/estargz; push_estargz || die "ctr-remote convert and push" ;;
	*) die "FORMATS: zstd:chunked or estargz" ;;
	esac
	layer_toc_json "$R0" "$repo" 1 >"$T/toc.json" || die "$fmt: no TOC"
	comp=$(compressed_bytes "$T/toc.json" "$T/read.list")
	layer_size=$(curl -sf -H "Accept: $accept" "http://$R0/v2/$repo/manifests/1" |
		jq '[.layers[].size] | add')
	name=${fmt%%:*}
	cmd_s=() total_s=() target_x=() ret_s=()
	if [[ $LIST == 1 ]]; then
		# the same image in a second repository with no list
		# published: the runs without the list alternate with those
		# with it (the load drifts)
		skopeo copy -q --src-tls-verify=false --dest-tls-verify=false \
			"docker://$R0/$repo:1" "docker://$R0/$repo-nolist:1" || die "skopeo copy to $repo-nolist"
	fi
	[[ -z $TRACE ]] || cp "$T/toc.json" "$TRACE/toc-$name.json"
	build=0 build_label=
	measure "$name" "$repo" w --record-access "$T/$name.rec"
	# with BUILDS, the recording run is not counted
	((${#BUILDS[@]} == 0)) || cmd_s=() total_s=() target_x=() ret_s=() results=("${results[@]:0:${#results[@]}-1}")
	if [[ $LIST == 1 ]]; then
		# the recorded start-up published as the image's start-up list
		# (an artifact of the list alone: the layer has its own TOC),
		# then a second host: a fresh cache
		"$OVLMIG" index --push --startup-list "$T/$name.rec" "docker://$R0/$repo:1" --insecure \
			>"$T/$name.push" 2>&1 || die "$fmt: index --push --startup-list: $(tail -3 "$T/$name.push")"
		for ((k = 0; k < REPEAT; k++)); do
			for ((build = 0; build < (${#BUILDS[@]} ? ${#BUILDS[@]} : 1); build++)); do
				if ((${#BUILDS[@]})); then
					LOWERFS=${BUILDS[build]}/lowerfs build_label="[${BUILDS[build]}] "
				fi
				measure "$name" "$repo" l
				grep -q "prefetch list in the registry: $(wc -l <"$T/$name.rec") files" "$T/$name-l-$runs.log" ||
					die "$fmt: the published list was not used: $(grep -i prefetch "$T/$name-l-$runs.log" | head -3)"
				((${#BUILDS[@]} || k + 1 < REPEAT)) && measure "$name" "$repo-nolist" w
			done
		done
		LOWERFS=$BUILD/lowerfs build=0 build_label=
	fi
	# the mount with the store warm for metadata: a second container of
	# the image (its store entry and META made by the first)
	if [[ $MOUNT == 1 ]]; then
		for k in 1 2; do
			mkdir -p "$T/o$k-$name"
			on_exit "$OVLMIG umount $T/o$k-$name >/dev/null 2>&1"
			ta=$(now)
			OVLMIG_DEBUG=1 "$OVLMIG" mount --strategy store --source "docker://$R/$repo:1" --insecure \
				--cache "$T/oc$k-$name" --upper "$T/ou$k-$name" --work "$T/ow$k-$name" \
				"$T/o$k-$name" >"$T/o$k-$name.out" 2>&1 || die "ovlmig mount $k: $(tail -3 "$T/o$k-$name.out")"
			tb=$(now)
			secs[k]=$(echo "$tb - $ta" | bc | sed 's/^\./0./')
			chroot "$T/o$k-$name" /bin/busybox true || die "$fmt: command in ovlmig mount $k"
		done
		mounts+=("$fmt: ovlmig mount --strategy store: 1st container ${secs[1]} s, 2nd (store warm for metadata) ${secs[2]} s; the 2nd's steps:")
		mounts+=("$(head -40 "$T/o2-$name.out" | sed 's/^/    /')")
		# lowerfs' own log of the 2nd container, against the mount's start
		mounts+=("    (ovlmig mount started $(date -u -d "@$ta" +%H:%M:%S.%3N); lowerfs' log:)")
		mounts+=("$(cat "$OVLMIG_RUN_DIR"/*o2-"$name"*/lowerfs/lowerfs.log 2>/dev/null | head -12 | sed 's/^/    /')")
		"$OVLMIG" umount "$T/o2-$name" >/dev/null 2>&1
		"$OVLMIG" umount "$T/o1-$name" >/dev/null 2>&1
	fi
	if [[ $LIST == 1 ]]; then
		for ((build = 0; build < (${#BUILDS[@]} ? ${#BUILDS[@]} : 1); build++)); do
			b=$build
			cw=$(median ${cmd_s[${b}w]}) cl=$(median ${cmd_s[${b}l]})
			tw=$(median ${total_s[${b}w]}) tl=$(median ${total_s[${b}l]})
			rw=$(median ${ret_s[${b}w]}) rl=$(median ${ret_s[${b}l]})
			results+=("${BUILDS[build]:+[${BUILDS[build]}] }$fmt: medians of $REPEAT runs each: command without the list $cw s (runs:${cmd_s[${b}w]}), with it $cl s (runs:${cmd_s[${b}l]}): $(awk -v a="$cl" -v b="$cw" 'BEGIN { printf "%.2f", a / b }')x; with the list / (link/rate + 0.15 s) $(median ${target_x[${b}l]})x (runs:${target_x[${b}l]}); from the mount's return to the command's exit $rw s, $rl s: $(awk -v a="$rl" -v b="$rw" 'BEGIN { printf "%.2f", a / b }')x; lowerfs start to command exited $tw s, $tl s: $(awk -v a="$tl" -v b="$tw" 'BEGIN { printf "%.2f", a / b }')x")
		done
	fi
done
echo "link $RATE_MB MB/s; command: busybox md5sum of ${#read_files[@]} files ($(basename -a "${LIBS[@]}" | xargs), 36 small); load average at start $load"
printf '%s\n' "${results[@]}" "${mounts[@]}"
