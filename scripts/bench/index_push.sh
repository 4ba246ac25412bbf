#!/usr/bin/env bash
# Benchmark a cold start from a registry image whose layer indexes were
# pushed with `ovlmig index --push` (issue 12). The image of startup.sh
# (3 gzip layers, IMAGE_MB MiB) is pushed by skopeo to a local
# docker-registry twice: bench/idx (then `ovlmig index --push`) and
# bench/noidx (no indexes). The registry sits behind one shared RATE_MB
# MB/s link (the fault proxy's token bucket, as startup.sh). Measured, each
# on a fresh cache directory:
#   (p) pushed indexes: `ovlmig mount --source docker://.../bench/idx:v1`
#       until CMD has run in it; layer and index bytes over the link
#       (from the registry's access log) against the bytes CMD read;
#   (n) the same for bench/noidx: every layer streamed to index it;
#   (b) full pull: each layer blob `curl | tar -xz` over the same link,
#       then CMD.
#   (w), (l) issue 18, a published prefetch list: PF_CMD (a start-up
#       reading PF_FILES files one after another: 4 of 16 MiB, then small
#       ones; IMAGE_MB >= 48) on a fresh cache behind
#       a link that also holds each request DELAY_MS (a distant
#       registry): lowerfs start until PF_CMD has exited, (w) without a
#       list, then after a recording run (--record-access) and `ovlmig
#       index --push --startup-list`, (l) with it, as a second host.
#   COMPANION=1 (issue 18, the seekable companion): bench/comp is pushed
#       with `ovlmig index --push --companion`; CMD is run by lowerfs
#       alone on a fresh cache, once on bench/idx (indexes only) and once
#       on bench/comp (companions), in that order, each against the bytes
#       of the files CMD reads (their sizes, uncompressed); then exit.
#       COMPANION_LEVELS="9 19": pushed once per zstd level (default 9).
# Prints the figures of this one run; asserts nothing.
#
#   scripts/bench/index_push.sh [BUILD-DIR...]  (as root; make first)
#
# (a) is measured with the lowerfs of each BUILD-DIR given (default: the
# build's own), one after the other, each on a fresh cache: a before and
# an after of a read path in one run, on the same image and indexes.
# With ONLY_A=1, (p), (n) and (b) are left out (they take most of the run).
#
# Environment: BUILD, IMAGE_MB (default 512), SMALL_FILES (20000),
# RATE_MB (50), CMD ("/bin/busybox true"; `CMD=apt` stands for an
# apt-get-like first command: md5sum of 36 small files of base spread over
# its directories and one 16 MiB library), ONLY_A, DELAY_MS (50),
# PF_FILES (40), SWEEP (below), FIRST (below: issue 18's first command,
# CMD=apt for the apt-like one), REPEAT (3, with FIRST), IMAGE_CACHE (a directory: the built
# layers are kept there and reused, as startup.sh), IMAGE (random, the
# default: build_image; real: build_image_real, this machine's binaries,
# libraries and headers, which deflate; with it CMD=apt reads what
# apt-get and its libraries are, CMD=gcc gcc, its libraries and a hello
# world's headers, each file whole). Needs docker-registry, skopeo,
# nginx-free: python3, jq, curl, openssl, busybox-static.
set -u -o pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/lib.sh"
. "$TOP/tests/remote_lib.sh"

IMAGE_MB=${IMAGE_MB:-512}
SMALL_FILES=${SMALL_FILES:-20000}
RATE_MB=${RATE_MB:-50}
CMD=${CMD:-/bin/busybox true}
MiB=1048576

die() { echo "index_push.sh: $*" >&2; exit 2; }
note() { echo "index_push.sh: $*" >&2; }
[[ $(id -u) -eq 0 ]] || die "run as root (FUSE mounts, chroot)"
for t in "$OVLMIG" docker-registry skopeo python3 jq curl openssl gzip tar chroot; do
	command -v "$t" >/dev/null || die "missing $t"
done
BUSYBOX=$(command -v busybox) || die "no busybox (apt-get install busybox-static)"
ldd "$BUSYBOX" >/dev/null 2>&1 && die "$BUSYBOX is dynamic: busybox-static is needed"

now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }

. "$TOP/scripts/bench/image_lib.sh"

IMAGE=${IMAGE:-random}
if [[ $IMAGE == real ]]; then
	image_cached build_image_real real \
		"an image of this machine's /usr/bin, /usr/lib/x86_64-linux-gnu, /usr/include"
else
	image_cached build_image "${IMAGE_MB}m-${SMALL_FILES}f" "a ${IMAGE_MB} MiB image"
fi
image_bytes=$(cat "$T/www"/{base,libs,app}.tar.gz | wc -c)
registry_start || die "registry"
oci_layout_from_layers "$T/oci" v1 "$T/www"/{base,libs,app}.tar.gz
for repo in bench/idx bench/noidx ${COMPANION:+bench/comp}; do
	registry_push "$T/oci" v1 "$repo" || die "skopeo push $repo"
done
layers=()
for l in base libs app; do layers+=("sha256:$(sha256sum "$T/www/$l.tar.gz" | cut -d' ' -f1)"); done
image_index_push bench/idx

faultproxy_start "$REGISTRY_PORT" none --rate $((RATE_MB * 1000000)) || die "proxy"
REG=127.0.0.1:$FAULTPROXY_PORT
if [[ $IMAGE == real && ( $CMD == apt || $CMD == gcc ) ]]; then
	# what the program and its loader open, as this machine resolves
	# them (ldd), moved under /usr/lib as the image holds them; gcc: and
	# the headers of a hello world (gcc -H), those of /usr/include
	kind=$CMD prog=/usr/bin/apt-get
	[[ $kind == gcc ]] && prog=$(readlink -f /usr/bin/gcc)	# the image holds /usr/bin's regular files
	CMD="/bin/busybox md5sum /etc/passwd /etc/group $prog"
	for f in $(ldd "$prog" | awk '$3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		f=$(readlink -f "$f")
		CMD+=" /usr/lib/x86_64-linux-gnu/${f##*/}"
	done
	if [[ $kind == gcc ]]; then
		for f in $(printf '#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <unistd.h>\nint main(void){return 0;}\n' |
			gcc -E -H -x c - 2>&1 >/dev/null | awk '$1 ~ /^\.+$/ { print $2 }' | grep '^/usr/include/' | sort -u); do
			CMD+=" $f"
		done
	fi
	note "command: $CMD"
elif [[ $CMD == apt ]]; then
	CMD="/bin/busybox md5sum /etc/passwd /etc/group /etc/app.conf /usr/lib/lib1.so"
	for ((i = 0; i < 33; i++)); do
		f=$(((i * 7919) % SMALL_FILES))
		CMD+=" /usr/share/doc/d$((f / 1000))/f$f"
	done
fi
read -r -a cmd <<<"$CMD"
# A command that reads a list of files (CMD=apt, CMD=gcc) is run by the
# host's md5sum on the mount (READER=host, the default): its link bytes
# and its bytes read are then the same files'. READER=chroot runs
# busybox md5sum inside the image, as before 2026-12-05: busybox itself
# (1.9 MiB, about 1 MiB over the link) is then fetched but not counted
# as read.
files=()
[[ ${cmd[0]} == /bin/busybox && ${cmd[1]:-} == md5sum ]] && files=("${cmd[@]:2}")
READER=${READER:-host}
[[ ${#files[@]} -gt 0 ]] || READER=chroot
# run_cmd ROOT: CMD in the tree at ROOT
run_cmd() {
	if [[ $READER == host ]]; then
		(cd "$1" && md5sum "${files[@]/#/.}")
	else
		chroot "$1" "${cmd[@]}"
	fi
}

# blob_bytes KIND: body bytes of blob GETs in the registry's access log,
# KIND layers (the image's layers) or other (index blobs, configs)
blob_bytes() {
	local re
	re=$(IFS='|'; echo "${layers[*]}")
	awk -v re="/blobs/($re) " -v kind="$1" '$6 == "\"GET" && $7 ~ /\/blobs\// {
		if (($0 ~ re) == (kind == "layers")) n += $10 } END { printf "%.0f\n", n }' "$REGISTRY_DIR/log"
}

# blob_gets: blob GETs in the registry's access log so far
blob_gets() {
	awk '$6 == "\"GET" && $7 ~ /\/blobs\// { n++ } END { print n + 0 }' "$REGISTRY_DIR/log"
}

# lazy NAME REPO: mount, CMD, figures into NAME_*
lazy() {
	local name=$1 repo=$2 l0 o0 t0 t1 t2 rundir
	l0=$(blob_bytes layers) o0=$(blob_bytes other)
	t0=$(now)
	ovlmig_mount "$T/m-$name" --source "docker://$REG/$repo:v1" --insecure --upper "$T/u-$name" \
		--work "$T/w-$name" --cache "$T/cache-$name" >"$T/out" 2>&1 ||
		die "ovlmig mount $repo: $(head -3 "$T/out")"
	t1=$(now)
	run_cmd "$T/m-$name" || die "the command failed in $repo"
	t2=$(now)
	rundir=$(dirname "$(ls "$OVLMIG_RUN_DIR"/*-m-"$name"/lowerfs/lowerfs.pid)")
	printf -v "${name}_mount" %s "$(secs "$t0" "$t1")"
	printf -v "${name}_total" %s "$(secs "$t0" "$t2")"
	printf -v "${name}_layers" %s $(($(blob_bytes layers) - l0))
	printf -v "${name}_other" %s $(($(blob_bytes other) - o0))
	printf -v "${name}_read" %s "$("$LOWERFS" ctl --run-dir "$rundir" stats |
		jq -r '(.bytes_fetched // 0) + (.bytes_read // 0)')"
	printf -v "${name}_from" %s "$(cat "$T/out" "$rundir/lowerfs.log" | grep -o 'index: [a-z ]*' | sort | uniq -c | xargs)"
	"$OVLMIG" umount "$T/m-$name" >/dev/null 2>&1 || note "umount $repo failed"
}

# FIRST=1: issue 18's first-command targets on this image with pushed
# indexes, then exit. A second repository bench/nolist of the same image
# gets its indexes pushed and no list; bench/idx gets a start-up list
# recorded by one run (--record-access: `busybox true`, then CMD) and
# pushed with `index --push --startup-list`. Behind a link of its own (the
# fault proxy, RATE_MB, its request log: the body bytes of each response),
# REPEAT (3) rounds of four runs, each on a fresh cache (and for store a
# fresh store: a second host): lowerfs alone and `ovlmig mount --strategy
# store`, each without the list (bench/nolist) and with it (bench/idx),
# timed from the start of lowerfs / ovlmig mount until it returned, until
# `busybox true` has run in it and until CMD has exited; link bytes are
# the bodies of the responses completed by then, the target link bytes /
# rate + 0.15 s. Then the mount with the store warm for metadata: a first
# container of bench/idx, then REPEAT more, each mounted while the first
# is, each unmounted after (the steps of the last with OVLMIG_DEBUG=1).
# Medians of REPEAT. With BUILD-DIRs given, each round runs the four with
# each build's ovlmig and lowerfs in turn (a before and an after in one
# run); the list is recorded with the first. FIRST_DELAY=SECONDS: the
# proxy holds each request that long (a distant registry; the target
# link/rate + 0.15 s does not count it). FIRST_TRACE=DIR keeps each
# run's proxy requests, lowerfs log and times (ns: start, mount returned,
# true exited, CMD exited) there.
if [[ ${FIRST:-} == 1 ]]; then
	REPEAT=${REPEAT:-3}
	median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
	registry_push "$T/oci" v1 bench/nolist || die "skopeo push bench/nolist"
	"$OVLMIG" index --push "docker://127.0.0.1:$REGISTRY_PORT/bench/nolist:v1" --insecure >"$T/out" 2>&1 ||
		die "index --push bench/nolist: $(head -3 "$T/out")"
	faultproxy_start "$REGISTRY_PORT" none --rate $((RATE_MB * 1000000)) --requests "$T/f.req" \
		${FIRST_DELAY:+--delay "$FIRST_DELAY"} || die "proxy"
	FREG=127.0.0.1:$FAULTPROXY_PORT
	: >"$T/f.req"
	# f_bytes SINCE UPTO: body bytes of the responses logged in lines SINCE+1..UPTO
	f_bytes() { sed -n "$(($1 + 1)),$2p" "$T/f.req" | awk '{ n += $6 } END { printf "%.0f\n", n }'; }
	f_lines() { wc -l <"$T/f.req"; }
	# f_run WAY KIND REPO [OPTION...]: WAY lowerfs|store, KIND w|l; figures
	# appended to f_KEY[WAY-KIND] (space-separated, one per run)
	declare -A f_mount f_true f_cmd f_btrue f_bcmd f_pre f_after f_bafter
	f_n=0
	ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
	f_run() {
		local way=$1 kind=$2 repo=$3 tag n0 t0 t1 t2 t3 n1 n2 n3 log key; shift 3
		tag=$way-$kind-$((++f_n)) key=$f_b:$way-$kind
		n0=$(f_lines)
		t0=$(now)
		if [[ $way == lowerfs ]]; then
			start_lowerfs "$tag" "docker://$FREG/$repo:v1" "$T/m-$tag" --insecure --cache "$T/cache-$tag" \
				"$@" >"$T/$tag.out" 2>&1 || die "lowerfs $tag: $(head -3 "$T/$tag.out")"
		else
			ovlmig_mount "$T/m-$tag" --strategy store --store "$T/store-$tag" --source "docker://$FREG/$repo:v1" \
				--insecure --upper "$T/u-$tag" --work "$T/w-$tag" --cache "$T/cache-$tag" "$@" \
				>"$T/$tag.out" 2>&1 || die "ovlmig mount $tag: $(head -3 "$T/$tag.out")"
		fi
		t1=$(now) n1=$(f_lines)
		chroot "$T/m-$tag" /bin/busybox true || die "busybox true failed in $tag"
		t2=$(now) n2=$(f_lines)
		chroot "$T/m-$tag" "${cmd[@]}" >/dev/null || die "the command failed in $tag"
		t3=$(now) n3=$(f_lines)
		if [[ $way == lowerfs ]]; then
			log=$T/run-$tag/lowerfs.log
		else
			log=$(ls "$OVLMIG_RUN_DIR"/*-m-"$tag"/lowerfs/lowerfs.log)
		fi
		if [[ $kind == l ]]; then
			grep -q "prefetch list in the registry" "$log" || note "$tag: the published list was not used"
		else
			! grep -q "prefetch list in the registry" "$log" || die "$tag: a list without one published"
		fi
		f_pre[$key]+=" $(grep -o 'prefetch list in the registry: [0-9]* files' "$log" | grep -o '[0-9]*' || echo 0)"
		if [[ -n ${FIRST_TRACE:-} ]]; then
			# the requests of the run (times from the mount's start) and the logs
			mkdir -p "$FIRST_TRACE"
			sed -n "$((n0 + 1)),\$p" "$T/f.req" >"$FIRST_TRACE/$tag.req"
			cp "$log" "$FIRST_TRACE/$tag.log"
			echo "$t0 $t1 $t2 $t3 $n1 $n2 $n3" >"$FIRST_TRACE/$tag.times"
		fi
		if [[ $way == lowerfs ]]; then
			stop_lowerfs "$tag" "$T/m-$tag"
		else
			"$OVLMIG" umount "$T/m-$tag" >/dev/null 2>&1 || die "umount $tag"
		fi
		rm -rf "$T/cache-$tag" "$T/store-$tag" "$T/u-$tag" "$T/w-$tag"
		f_mount[$key]+=" $(ms "$t0" "$t1")"
		f_true[$key]+=" $(ms "$t0" "$t2")"
		f_cmd[$key]+=" $(ms "$t0" "$t3")"
		f_btrue[$key]+=" $(f_bytes "$n0" "$n2")"
		f_bcmd[$key]+=" $(f_bytes "$n0" "$n3")"
		f_after[$key]+=" $(ms "$t1" "$t3")"
		f_bafter[$key]+=" $(f_bytes "$n1" "$n3")"
	}
	# each build's ovlmig and lowerfs (f_use I: the I-th)
	f_builds=("${@:-$BUILD}")
	f_use() {
		f_b=$1
		OVLMIG=${f_builds[$1]}/ovlmig LOWERFS=${f_builds[$1]}/lowerfs
		[[ $OVLMIG == /* ]] || OVLMIG=$PWD/$OVLMIG LOWERFS=$PWD/$LOWERFS
	}
	f_use 0
	# the start-up list: what `busybox true` and CMD open, recorded once
	f_run lowerfs r bench/idx --record-access "$T/recorded"
	"$OVLMIG" index --push --startup-list "$T/recorded" "docker://127.0.0.1:$REGISTRY_PORT/bench/idx:v1" \
		--insecure >"$T/out" 2>&1 || die "index --push --startup-list: $(head -3 "$T/out")"
	load0=$(cut -d' ' -f1-3 /proc/loadavg)
	for ((k = 0; k < REPEAT; k++)); do
		for i in "${!f_builds[@]}"; do
			f_use "$i"
			f_run lowerfs w bench/nolist
			f_run lowerfs l bench/idx
			f_run store w bench/nolist
			f_run store l bench/idx
		done
	done
	load1=$(cut -d' ' -f1-3 /proc/loadavg)
	# the store warm for metadata: containers 2.. of bench/idx beside the first
	declare -A f_warm
	for i in "${!f_builds[@]}"; do
	f_use "$i"
	rm -rf "$T/store-c" "$T"/cc* "$T"/cu* "$T"/cw*
	ovlmig_mount "$T/c1" --strategy store --store "$T/store-c" --source "docker://$FREG/bench/idx:v1" \
		--insecure --upper "$T/cu1" --work "$T/cw1" --cache "$T/cc1" >"$T/c1.out" 2>&1 ||
		die "first container: $(head -3 "$T/c1.out")"
	chroot "$T/c1" /bin/busybox true || die "busybox true in the first container"
	# its lowerfs done with the published list: the link is the next one's
	c1run=$(dirname "$(ls "$OVLMIG_RUN_DIR"/*-c1/lowerfs/lowerfs.pid)")
	for _ in $(seq 300); do
		[[ $("$LOWERFS" ctl --run-dir "$c1run" stats | jq -r .prefetch_running) != true ]] && break
		sleep 0.1
	done
	warm=()
	for ((k = 2; k < REPEAT + 2; k++)); do
		t0=$(now)
		OVLMIG_DEBUG=1 ovlmig_mount "$T/c$k" --strategy store --store "$T/store-c" \
			--source "docker://$FREG/bench/idx:v1" --insecure --upper "$T/cu$k" --work "$T/cw$k" \
			--cache "$T/cc$k" >"$T/c$k.out" 2>&1 || die "container $k: $(head -3 "$T/c$k.out")"
		t1=$(now)
		chroot "$T/c$k" /bin/busybox true || die "busybox true in container $k"
		warm+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')")
		{ echo "ovlmig mount started $(date -u -d "@${t0:0:10}.${t0:10:3}" +%H:%M:%S.%3N); its lowerfs' log:"
		  head -12 "$OVLMIG_RUN_DIR"/*-c"$k"/lowerfs/lowerfs.log; } >"$T/c$k.lowerfs" 2>&1
		"$OVLMIG" umount "$T/c$k" >/dev/null 2>&1 || die "umount container $k"
	done
	"$OVLMIG" umount "$T/c1" >/dev/null 2>&1 || die "umount the first container"
	f_warm[$i]="${warm[*]}"
	cat "$T/c$((REPEAT + 1)).out" "$T/c$((REPEAT + 1)).lowerfs" >"$T/warm-$i.out"
	done
	echo
	echo "issue 18 first command, image: 3 gzip layers, $(mib "$image_bytes") MiB, $SMALL_FILES small files," \
		"indexes pushed; link $RATE_MB MB/s (proxy)${FIRST_DELAY:+, each request held $FIRST_DELAY s}; CMD: $CMD"
	echo "medians of $REPEAT runs, each on a fresh cache (store: a fresh store); left: seconds from the start of lowerfs / ovlmig mount; right of |: from its return; link MiB: response bodies completed in that time; target: link bytes / rate + 0.15 s"
	for i in "${!f_builds[@]}"; do
	echo "build ${f_builds[$i]}:"
	printf '%-16s %7s %7s %8s %7s %7s %8s %7s %7s | %7s %8s %7s %7s %4s\n' "" mount "true s" "link MiB" target "CMD s" "link MiB" target "CMD/tgt" \
		"CMD s" "link MiB" target "CMD/tgt" list
	for wk in "$i:lowerfs-w" "$i:lowerfs-l" "$i:store-w" "$i:store-l"; do
		m=$(median ${f_mount[$wk]}) a=$(median ${f_true[$wk]}) c=$(median ${f_cmd[$wk]})
		ba=$(median ${f_btrue[$wk]}) bc=$(median ${f_bcmd[$wk]})
		ta=$(awk -v b="$ba" -v r="$RATE_MB" 'BEGIN { printf "%.2f", b / (r * 1e6) + 0.15 }')
		tc=$(awk -v b="$bc" -v r="$RATE_MB" 'BEGIN { printf "%.2f", b / (r * 1e6) + 0.15 }')
		r=$(median ${f_after[$wk]}) br=$(median ${f_bafter[$wk]})
		tr=$(awk -v b="$br" -v r="$RATE_MB" 'BEGIN { printf "%.2f", b / (r * 1e6) + 0.15 }')
		printf '%-16s %7s %7s %8s %7s %7s %8s %7s %7s | %7s %8s %7s %7s %4s\n' "$wk" "$m" "$a" "$(mib "$ba")" "$ta" "$c" \
			"$(mib "$bc")" "$tc" "$(ratio "$c" "$tc")x" "$r" "$(mib "$br")" "$tr" "$(ratio "$r" "$tr")x" "$(median ${f_pre[$wk]})"
		echo "    runs: mount${f_mount[$wk]}; true${f_true[$wk]}; CMD${f_cmd[$wk]}; bytes to CMD${f_bcmd[$wk]}; CMD from the mount's return${f_after[$wk]}"
	done
	for way in lowerfs store; do
		echo "$way: with the list / without, CMD exited: $(ratio "$(median ${f_cmd[$i:$way-l]})" "$(median ${f_cmd[$i:$way-w]})")x," \
			"true: $(ratio "$(median ${f_true[$i:$way-l]})" "$(median ${f_true[$i:$way-w]})")x (target <= 0.5x)"
	done
	echo "store warm for metadata: ovlmig mount of containers 2..$((REPEAT + 1)) beside the first: ${f_warm[$i]} s," \
		"median $(median ${f_warm[$i]}) s (target <= 0.05 s); the last one's steps:"
	head -60 "$T/warm-$i.out" | sed 's/^/    /'
	done
	echo "$(wc -l <"$T/recorded") files in the list; load average before $load0, after $load1, now $(cut -d' ' -f1-3 /proc/loadavg)"
	exit 0
fi

# SWEEP="SPAN:CHUNK ...": (a) once per checkpoint spacing and chunk size
# (bytes), each pushed anew (`ovlmig index --push --checkpoint-span SPAN
# --chunk-size CHUNK`: the newest artifact is the one a mount takes), on a
# fresh cache: index heads (at mount) and windows (as reads need them)
# apart from layer bytes; then exit.
if [[ -n ${SWEEP:-} ]]; then
	read_total=0
	# the compressed bytes of what is read, at the layers' own ratio
	unc=$(for l in base libs app; do gzip -dc "$T/www/$l.tar.gz" | wc -c; done | awk '{ n += $1 } END { print n }')
	echo
	echo "sweep: link bytes of the first command with pushed indexes (lowerfs alone, fresh cache); command: $CMD; reader: $READER"
	printf '%9s %8s %10s %10s %10s %10s %10s %9s %9s %6s  %s\n' span chunk "heads MiB" "windows" "layer MiB" \
		"link MiB" "read MiB" "link/read" "link/gz" GETs "base libs app MiB"
	for sc in $SWEEP; do
		span=${sc%%:*} chunk=${sc##*:}
		"$OVLMIG" index --push --checkpoint-span "$span" --chunk-size "$chunk" \
			"docker://127.0.0.1:$REGISTRY_PORT/bench/idx:v1" --insecure >"$T/out" 2>&1 ||
			die "index --push $span:$chunk: $(head -3 "$T/out")"
		curl -sf -H 'Accept: application/vnd.oci.image.index.v1+json' \
			"http://127.0.0.1:$REGISTRY_PORT/v2/bench/idx/manifests/sha256-$(sha256sum "$T/oci/blobs/sha256/$(jq -r '.manifests[0].digest' "$T/oci/index.json" | cut -c8-)" | cut -d' ' -f1)" \
			>"$T/tag" || die "referrers tag"
		art=$(jq -r '.manifests[-1].digest' "$T/tag")
		curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
			"http://127.0.0.1:$REGISTRY_PORT/v2/bench/idx/manifests/$art" >"$T/art" || die "artifact"
		heads_re=$(jq -r '[.layers[] | select(.mediaType | test("\\.head(\\+gzip)?$")) | .digest] | join("|")' "$T/art")
		wins_re=$(jq -r '[.layers[] | select(.mediaType | endswith(".windows")) | .digest] | join("|")' "$T/art")
		bytes_of() { awk -v re="/blobs/($1) " '$6 == "\"GET" && $0 ~ re { n += $10 } END { printf "%.0f\n", n }' "$REGISTRY_DIR/log"; }
		l0=$(blob_bytes layers) h0=$(bytes_of "$heads_re") w0=$(bytes_of "$wins_re") r0=$(blob_gets)
		p0=()
		for i in 0 1 2; do p0+=("$(bytes_of "${layers[i]}")"); done
		rm -rf "$T/cache-s" "$T/run-s"
		start_lowerfs s "docker://$REG/bench/idx:v1" "$T/mnt" --insecure --cache "$T/cache-s" >"$T/out" 2>&1 ||
			die "lowerfs: $(head -3 "$T/out")"
		run_cmd "$T/mnt" >"$T/cmd.out" || die "the command failed in the lowerfs mount"
		# what the command read, uncompressed: the sizes of its files
		read_total=$(cd "$T/mnt" && for f in "${files[@]}"; do stat -c %s ".$f"; done | awk '{ n += $1 } END { print n }')
		gz=$(awk -v r="$read_total" -v c="$image_bytes" -v u="$unc" 'BEGIN { printf "%.0f", r * c / u }')
		s_l=$(($(blob_bytes layers) - l0)) s_h=$(($(bytes_of "$heads_re") - h0)) s_w=$(($(bytes_of "$wins_re") - w0))
		s_r=$(($(blob_gets) - r0))
		# the layer bytes per layer: base libs app
		per=""
		for i in 0 1 2; do
			per+=" $(awk -v b=$(($(bytes_of "${layers[i]}") - p0[i])) 'BEGIN { printf "%.2f", b / 1048576 }')"
		done
		stop_lowerfs s "$T/mnt"
		printf '%9s %8s %10s %10s %10s %10s %10s %9s %9s %6s %s\n' "$span" "$chunk" "$(mib "$s_h")" "$(mib "$s_w")" \
			"$(mib "$s_l")" "$(mib $((s_h + s_w + s_l)))" "$(mib "$read_total")" \
			"$(ratio $((s_h + s_w + s_l)) "$read_total")x" "$(ratio $((s_h + s_w + s_l)) "$gz")x" "$s_r" "$per"
	done
	echo "load average $(cut -d' ' -f1-3 /proc/loadavg); link/gz: against the bytes read times the layers' compression ratio ($(mib "$image_bytes") / $(mib "$unc") MiB)"
	exit 0
fi

# COMPANION=1: link bytes of CMD's first run, indexes against companions
# (COMPANION_LEVELS: the companions' zstd levels, each pushed anew; the
# newest artifact's companion is the one a mount takes)
if [[ ${COMPANION:-} == 1 ]]; then
	echo
	echo "companion: link bytes of the first command (lowerfs alone, fresh cache); command: $CMD; reader: $READER"
	printf '%-12s %7s %10s %10s %10s %10s %10s %9s %6s  %s\n' repo level "heads MiB" "layer MiB" "other MiB" \
		"link MiB" "read MiB" "link/read" GETs "index from"
	# heads_of REPO: the digests of the index heads of REPO's newest artifact, as a regex
	heads_of() {
		local subj art
		subj=$(jq -r '.manifests[0].digest' "$T/oci/index.json")
		art=$(curl -sf -H 'Accept: application/vnd.oci.image.index.v1+json' \
			"http://127.0.0.1:$REGISTRY_PORT/v2/$1/manifests/sha256-${subj#sha256:}" | jq -r '.manifests[-1].digest')
		curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
			"http://127.0.0.1:$REGISTRY_PORT/v2/$1/manifests/$art" |
			jq -r '[.layers[] | select(.mediaType | test("\\.head(\\+gzip)?$")) | .digest] | join("|")'
	}
	bytes_re() { awk -v re="/blobs/($1) " '$6 == "\"GET" && $0 ~ re { n += $10 } END { printf "%.0f\n", n }' "$REGISTRY_DIR/log"; }
	for run in idx ${COMPANION_LEVELS:-9}; do
		repo=bench/comp
		if [[ $run == idx ]]; then
			repo=bench/idx
		else
			t0=$(now)
			"$OVLMIG" index --push --companion --companion-level "$run" \
				"docker://127.0.0.1:$REGISTRY_PORT/bench/comp:v1" --insecure >"$T/out" 2>&1 ||
				die "index --push --companion: $(head -3 "$T/out")"
			note "index --push --companion --companion-level $run took $(secs "$t0" "$(now)") s"
			grep 'companion sha256' "$T/out" >&2
			comp_bytes=$(grep -o ', [0-9]* bytes (' "$T/out" | awk '{ n += $2 } END { print n + 0 }')
		fi
		heads_re=$(heads_of "$repo")
		l0=$(blob_bytes layers) o0=$(blob_bytes other) r0=$(blob_gets) h0=$(bytes_re "$heads_re")
		rm -rf "$T/cache-c" "$T/run-c"
		start_lowerfs c "docker://$REG/$repo:v1" "$T/mnt" --insecure --cache "$T/cache-c" >"$T/out" 2>&1 ||
			die "lowerfs $repo: $(head -3 "$T/out")"
		run_cmd "$T/mnt" >"$T/cmd.out" || die "the command failed in $repo"
		read_total=$(cd "$T/mnt" && for f in "${files[@]}"; do stat -c %s ".$f"; done | awk '{ n += $1 } END { print n }')
		c_l=$(($(blob_bytes layers) - l0)) c_o=$(($(blob_bytes other) - o0)) c_r=$(($(blob_gets) - r0))
		c_h=$(($(bytes_re "$heads_re") - h0))
		from=$(cat "$T/out" "$T/run-c/lowerfs.log" 2>/dev/null | grep -o 'index: [a-z ]*' | sort | uniq -c | xargs)
		stop_lowerfs c "$T/mnt"
		printf '%-12s %7s %10s %10s %10s %10s %10s %9s %6s  %s\n' "$repo" "${run/idx/-}" "$(mib "$c_h")" "$(mib "$c_l")" \
			"$(mib "$c_o")" "$(mib $((c_l + c_o)))" "$(mib "$read_total")" \
			"$(awk -v a=$((c_l + c_o)) -v b="$read_total" 'BEGIN { printf "%.3f", a / b }')x" "$c_r" "$from"
		echo "  $repo${run/idx/}: $((c_l + c_o)) link bytes, $read_total read" >&2
	done
	echo "layers $(mib "$image_bytes") MiB, companions $(mib "$comp_bytes") MiB ($(ratio "$comp_bytes" "$image_bytes")x);" \
		"load average $(cut -d' ' -f1-3 /proc/loadavg)"
	exit 0
fi

# (a): lowerfs alone, once per build given; a_* are the last one's
a_lines=()
for a_build in "${@:-$BUILD}"; do
	a_lowerfs=$a_build/lowerfs
	[[ $a_build == /* ]] || a_lowerfs=$PWD/$a_build/lowerfs
	l0=$(blob_bytes layers) o0=$(blob_bytes other) r0=$(blob_gets)
	rm -rf "$T/cache-a"
	t0=$(now)
	LOWERFS=$a_lowerfs start_lowerfs a "docker://$REG/bench/idx:v1" "$T/mnt" --insecure --cache "$T/cache-a" >"$T/out" 2>&1 ||
		die "lowerfs of $a_build: $(head -3 "$T/out")"
	t1=$(now)
	run_cmd "$T/mnt" >"$T/cmd.out" || die "the command failed in the lowerfs mount"
	a_total=$(secs "$t0" "$(now)") a_mount=$(secs "$t0" "$t1")
	a_layers=$(($(blob_bytes layers) - l0)) a_other=$(($(blob_bytes other) - o0))
	a_read=$(LOWERFS=$a_lowerfs ctl a stats | jq -r '(.bytes_fetched // 0) + (.bytes_read // 0)')
	a_from=$(cat "$T/out" "$T/run-a/lowerfs.log" 2>/dev/null | grep -o 'index: [a-z ]*' | sort | uniq -c | xargs)
	a_reqs=$(($(blob_gets) - r0))
	a_lines+=("$(printf '%-40s %7s s %9s %9s %9s %7s %6s' "$a_build" "$a_total" "$(mib "$a_layers")" \
		"$(mib "$a_other")" "$(mib "$a_read")" "$(ratio $((a_layers + a_other)) "$a_read")x" "$a_reqs")")
	LOWERFS=$a_lowerfs stop_lowerfs a "$T/mnt"
done
echo
echo "(a) per build: seconds, layer MiB, index MiB, MiB the command read, link / read, blob GETs"
printf '%s\n' "${a_lines[@]}"
if [[ ${ONLY_A:-} == 1 ]]; then
	echo "indexes from: (a) $a_from"
	exit 0
fi

lazy p bench/idx
lazy n bench/noidx

mkdir -p "$T/pulled"
l0=$(blob_bytes layers)
t0=$(now)
for d in "${layers[@]}"; do
	curl -sf "http://$REG/v2/bench/idx/blobs/$d" | tar -xz --numeric-owner -C "$T/pulled" ||
		die "pulling $d failed"
done
t1=$(now)
run_cmd "$T/pulled" || die "the command failed in the pulled tree"
b_total=$(secs "$t0" "$(now)") b_pull=$(secs "$t0" "$t1") b_layers=$(($(blob_bytes layers) - l0))

# --- (w), (l): a start-up reading PF_FILES files, without and with a list
DELAY_MS=${DELAY_MS:-50}
PF_FILES=${PF_FILES:-40}
# like a program loading its libraries and data: 3 of 16 MiB, 1 of the app,
# then small files spread over the base layer
pf_cmd=(/bin/busybox cat /usr/lib/lib0.so /usr/lib/lib1.so /usr/lib/lib2.so /app/data/blob0
	/etc/passwd /etc/group /etc/app.conf /app/run.sh)
for ((i = 0; i < PF_FILES - 8; i++)); do
	k=$((i * SMALL_FILES / (PF_FILES - 8)))
	pf_cmd+=("/usr/share/doc/d$((k / 1000))/f$k")
done
faultproxy_start "$REGISTRY_PORT" none --rate $((RATE_MB * 1000000)) \
	--delay "$(awk -v d="$DELAY_MS" 'BEGIN { print d / 1000 }')" || die "delaying proxy"
DREG=127.0.0.1:$FAULTPROXY_PORT

# startup NAME: fresh cache, lowerfs start until PF_CMD has exited;
# NAME_total, NAME_cmd (from the mount's return), NAME_layers
startup() {
	local name=$1 l0 t0 t1; shift
	l0=$(blob_bytes layers)
	t0=$(now)
	start_lowerfs "$name" "docker://$DREG/bench/idx:v1" "$T/mnt-$name" --insecure \
		--cache "$T/cache-$name" "$@" >"$T/out" 2>&1 || die "lowerfs $name: $(head -3 "$T/out")"
	t1=$(now)
	chroot "$T/mnt-$name" "${pf_cmd[@]}" >/dev/null || die "PF_CMD failed ($name)"
	printf -v "${name}_total" %s "$(secs "$t0" "$(now)")"
	printf -v "${name}_cmd" %s "$(secs "$t1" "$(now)")"
	printf -v "${name}_layers" %s $(($(blob_bytes layers) - l0))
	printf -v "${name}_prefetched" %s "$(ctl "$name" stats | jq -r .prefetch_done)"
	stop_lowerfs "$name" "$T/mnt-$name"
}
startup w
startup r --record-access "$T/recorded"
"$OVLMIG" index --push --startup-list "$T/recorded" "docker://127.0.0.1:$REGISTRY_PORT/bench/idx:v1" \
	--insecure >"$T/out" 2>&1 || die "index --push --startup-list: $(head -3 "$T/out")"
startup l
load=$(cut -d' ' -f1-3 /proc/loadavg)

echo
echo "image: 3 gzip layers, $(mib "$image_bytes") MiB, $SMALL_FILES small files, in docker-registry" \
	"$(docker-registry --version 2>/dev/null | awk '{ print $NF }'); link: $RATE_MB MB/s (proxy); command: $CMD; reader: $READER"
printf '%-48s %9s %12s %12s\n' "" "seconds" "layer MiB" "index MiB"
printf '%-48s %9s %12s %12s\n' "(a) pushed indexes: lowerfs start to command" "$a_total" "$(mib "$a_layers")" "$(mib "$a_other")"
printf '%-48s %9s\n' "    of which the mount" "$a_mount"
printf '%-48s %9s %12s %12s\n' "(p) pushed indexes: mount to command exited" "$p_total" "$(mib "$p_layers")" "$(mib "$p_other")"
printf '%-48s %9s\n' "    of which ovlmig mount" "$p_mount"
printf '%-48s %9s %12s %12s\n' "(n) no index: mount to command exited" "$n_total" "$(mib "$n_layers")" "$(mib "$n_other")"
printf '%-48s %9s\n' "    of which ovlmig mount" "$n_mount"
printf '%-48s %9s %12s\n' "(b) full pull: curl | tar -xz, then command" "$b_total" "$(mib "$b_layers")"
printf '%-48s %9s\n' "    of which download and extract" "$b_pull"
echo
echo "indexes from: (a) $a_from; (p) $p_from; (n) $n_from"
echo "start-up: full pull / (a) = $(ratio "$b_total" "$a_total")x; full pull / (p) = $(ratio "$b_total" "$p_total")x; full pull / (n) = $(ratio "$b_total" "$n_total")x"
echo "link bytes / bytes the command read: (a) $(mib $((a_layers + a_other))) / $(mib "$a_read") MiB = $(ratio $((a_layers + a_other)) "$a_read")x; (p) $(mib $((p_layers + p_other))) / $(mib "$p_read") MiB" \
	"= $(ratio $((p_layers + p_other)) "$p_read")x; (n) $(mib $((n_layers + n_other))) / $(mib "$n_read") MiB"
echo
echo "start-up of $PF_FILES files (64 MiB) read one after another (busybox cat), lowerfs start to exit, link $RATE_MB MB/s + ${DELAY_MS} ms a request:"
printf '%-44s %9s %9s %10s %10s\n' "" "total s" "command s" "layer MiB" "prefetched"
printf '%-44s %9s %9s %10s %10s\n' "(w) without a published list" "$w_total" "$w_cmd" "$(mib "$w_layers")" "$w_prefetched"
printf '%-44s %9s %9s %10s %10s\n' "(l) with the published list (second host)" "$l_total" "$l_cmd" "$(mib "$l_layers")" "$l_prefetched"
echo "(l) / (w): start to exit $(awk -v a="$l_total" -v b="$w_total" 'BEGIN { printf "%.2f", a / b }')x," \
	"first command $(awk -v a="$l_cmd" -v b="$w_cmd" 'BEGIN { printf "%.2f", a / b }')x (issue 18 target: <= 0.5x);" \
	"$(wc -l <"$T/recorded") files recorded; load average $load"
