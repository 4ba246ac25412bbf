#!/usr/bin/env bash
# Benchmark lazy start of a remote image against pulling it first. An
# image of 3 gzip layers (>= 500 MiB compressed: a static busybox, many
# small files, large random files) is served by nginx behind one shared
# 50 MB/s link on loopback, and measured:
#   (a) lazy: from starting `lowerfs tar:URL,URL,URL` until a command from
#       the image has run in it (chroot MNT /bin/busybox true); bytes
#       fetched (layers and indexes) against bytes the command read;
#   (a') the same through `ovlmig mount --source tar:...`;
#   (b) full pull: `curl URL | tar -xz` of every layer, then the command;
#   (d) full migration: ovlmig mount + ovlmig migrate, against (b);
#   (e) the same until `ovlmig detach` has returned: the image is local
#       and the lower gone;
#   after (b): `stat` of every file and a read of every large file, warm,
#       in the detached overlay of (e) against a plain overlay over the
#       pulled tree (median of 3 each).
# With --strategy store, also the second container of the image: its
# `ovlmig mount` time while the first one is still lazy (it reuses the
# store: no fetch, no metadata build).
# With --fill fanotify (strategy store), the store is filled by the
# fanotify filler instead of lowerfs (docs/FANOTIFY.md) and lies on a loop
# XFS of its own under the temp dir (pre-content events; never the root
# filesystem); --fill both keeps lowerfs for (a'), (d), (e) and adds
# (a''): ovlmig mount --fill fanotify (a fresh store on the loop XFS) to
# the command exited, then umount.
# With --source registry, the same layers are an OCI image (gzip layers)
# in a local docker-registry, their indexes pushed with `ovlmig index
# --push` (as scripts/bench/index_push.sh), and the registry sits behind
# the same link: (a), (a'), (a'') mount docker://.../bench/img:v1, (b)
# pulls the same blobs (curl of /v2/.../blobs/DIGEST | tar -xz), and the
# bytes are counted from the registry's access log (layer blobs; indexes,
# configs and manifests as index bytes). LINK is then always the proxy.
# --format estargz|zstd-chunked (with --source registry) converts that
# image before the measurements: its layers become eStargz (ctr-remote
# image convert --estargz, default 4 MiB chunks) or zstd:chunked (skopeo
# copy --dest-compress-format zstd:chunked), no index of ours is pushed
# (lowerfs reads the layers' own TOC), and (b) pulls the converted blobs
# through the same link (curl | gzip -d or zstd -d | tar -x).
# Prints the figures and ratios of this one run; asserts nothing.
#
#   scripts/bench/startup.sh [--strategy auto|datadir|store]
#                            [--fill fuse|fanotify|both]
#                            [--source tar|registry]
#                            [--format gzip|estargz|zstd-chunked]
#                                   (as root; make first; default auto,
#                                    fuse, tar, gzip)
#
# Environment: BUILD (default build), IMAGE_MB (compressed image size,
# default 512), SMALL_FILES (default 20000), RATE_MB (link, MB/s = 10^6
# bytes/s, default 50), LINK (proxy: one token bucket shared by every
# connection, the default, fair to a client that opens several; nginx:
# nginx's limit_rate, per response, so parallel ranges get more), CMD
# (default "/bin/busybox true"), LOWERFS_OPTS (extra lowerfs options, e.g.
# --prefetch), TIMELINE (a directory: the link's bytes over time and the
# moments of (a'), (d), (e) and (b) are written there and drawn as
# TIMELINE/startup.svg by plot_timeline.sh; needs LINK=proxy and gnuplot),
# IMAGE_CACHE (a directory: the built layers and indexes are kept there
# and reused by a later run with the same IMAGE_MB and SMALL_FILES, which
# skips the build), OVLMIG_DEBUG (set: print the steps of migrate and
# detach with their times), ONLY_START (set: only (a) and (b), the
# start-up against the pull: no ovlmig mount, migrate or detach),
# MIGRATE_WRAP (a command `ovlmig migrate` runs under, e.g. "perf record
# -g -o FILE" or "/usr/bin/time -v"; its output is shown with OVLMIG_DEBUG).
#
# The layers' indexes (`ovlmig index`, made once by whoever publishes the
# image) lie next to the layers and count as fetched bytes. Needs root,
# /dev/fuse, nginx, curl, python3, jq, busybox-static (and docker-registry,
# skopeo for --source registry). Uses the test
# helpers (tests/lib.sh, tests/remote_lib.sh): everything lives under a
# fresh /tmp/ovlmig-test.XXXXXX and is stopped and removed on exit.
set -u -o pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/lib.sh"
. "$TOP/tests/remote_lib.sh"

IMAGE_MB=${IMAGE_MB:-512}
SMALL_FILES=${SMALL_FILES:-20000}
RATE_MB=${RATE_MB:-50}
LINK=${LINK:-proxy}
CMD=${CMD:-/bin/busybox true}
read -r -a LOWERFS_EXTRA <<<"${LOWERFS_OPTS:-}"
MiB=1048576

die() { echo "startup.sh: $*" >&2; exit 2; }
note() { echo "startup.sh: $*" >&2; }
STRATEGY=auto FILL=fuse SOURCE=tar FORMAT=gzip
usage="usage: startup.sh [--strategy auto|datadir|store] [--fill fuse|fanotify|both] [--source tar|registry] [--format gzip|estargz|zstd-chunked]"
while [[ $# -gt 0 ]]; do
	case $1 in
	--strategy) [[ $# -ge 2 ]] || die "$usage"; STRATEGY=$2; shift 2 ;;
	--fill) [[ $# -ge 2 ]] || die "$usage"; FILL=$2; shift 2 ;;
	--source) [[ $# -ge 2 ]] || die "$usage"; SOURCE=$2; shift 2 ;;
	--format) [[ $# -ge 2 ]] || die "$usage"; FORMAT=$2; shift 2 ;;
	*) die "$usage" ;;
	esac
done
[[ $STRATEGY == auto || $STRATEGY == datadir || $STRATEGY == store ]] ||
	die "--strategy auto, datadir or store"
[[ $FILL == fuse || $FILL == fanotify || $FILL == both ]] || die "--fill fuse, fanotify or both"
[[ $FILL == fuse || $STRATEGY == store ]] || die "--fill $FILL needs --strategy store"
[[ $SOURCE == tar || $SOURCE == registry ]] || die "--source tar or registry"
[[ $FORMAT == gzip || $FORMAT == estargz || $FORMAT == zstd-chunked ]] ||
	die "--format gzip, estargz or zstd-chunked"
[[ $FORMAT == gzip || $SOURCE == registry ]] || die "--format $FORMAT needs --source registry"
STRATEGY_ARGS=(--strategy "$STRATEGY")
# fan_store: a loop XFS of the bench's own for fanotify stores (the
# filler refuses the root filesystem; tmpfs has no pre-content events)
FANFS=$T/fanfs
fan_store() {
	[[ -d $FANFS/images ]] && return 0
	truncate -s $((IMAGE_MB * 4 + 1024))M "$T/fanfs.img" && mkfs.xfs -q "$T/fanfs.img" &&
		mkdir -p "$FANFS" && mount -o loop "$T/fanfs.img" "$FANFS" ||
		die "loop XFS for the fanotify store"
	on_exit "umount -l $FANFS"
	mkdir -p "$FANFS/images" || die "mkdir $FANFS/images"
}
if [[ $FILL == fanotify ]]; then
	STRATEGY_ARGS+=(--fill fanotify --store "$FANFS/images/first")
elif [[ $STRATEGY == store ]]; then
	# --fill fuse said: where the store's filesystem allows fanotify (a
	# fresh one, scripts/bench/fresh_fs.sh) ovlmig would pick that fill
	STRATEGY_ARGS+=(--fill fuse --store "$T/store")
fi
[[ $(id -u) -eq 0 ]] || die "run as root (FUSE mounts, chroot)"
[[ -c /dev/fuse ]] || die "/dev/fuse is missing"
[[ $FILL == fuse ]] || command -v mkfs.xfs >/dev/null || die "missing mkfs.xfs (xfsprogs)"
for t in "$LOWERFS" "$OVLMIG" nginx curl python3 jq openssl gzip tar chroot; do
	command -v "$t" >/dev/null || die "missing $t (make; scripts/setup-deps.sh)"
done
if [[ $SOURCE == registry ]]; then
	for t in docker-registry skopeo; do
		command -v "$t" >/dev/null || die "missing $t (scripts/setup-deps.sh)"
	done
fi
BUSYBOX=$(command -v busybox) || die "no busybox (apt-get install busybox-static)"
ldd "$BUSYBOX" >/dev/null 2>&1 && die "$BUSYBOX is dynamic: busybox-static is needed"
for v in IMAGE_MB SMALL_FILES RATE_MB; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
[[ $LINK == proxy || $LINK == nginx ]] || die "LINK is proxy or nginx"
[[ $SOURCE == tar || $LINK == proxy ]] || die "--source registry needs LINK=proxy"
TIMELINE=${TIMELINE:-}
if [[ -n $TIMELINE ]]; then
	[[ $LINK == proxy ]] || die "TIMELINE needs LINK=proxy (the proxy counts the link's bytes)"
	command -v gnuplot >/dev/null || die "TIMELINE needs gnuplot (apt-get install gnuplot-nox)"
	mkdir -p "$TIMELINE" && TIMELINE=$(cd "$TIMELINE" && pwd) || die "cannot make $TIMELINE"
	rm -f "$TIMELINE/link.txt" "$TIMELINE/marks.txt"
fi
# mark NAME: when NAME happened, for the timeline plot
mark() { [[ -z $TIMELINE ]] || echo "$(now) $1" >>"$TIMELINE/marks.txt"; }

now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0) ? a / b : 0 }'; }
ratio2() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# timed CMD...: seconds CMD took (its output discarded)
timed() {
	local t0
	t0=$(now)
	"$@" >/dev/null 2>&1 || die "failed: $*"
	secs3 "$t0" "$(now)"
}
secs3() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
stat_all() { find "$1" -type f -exec stat --format=%s {} + >/dev/null; }
read_big() { find "$1/usr/lib" "$1/app/data" -type f -exec cat {} + >/dev/null; }
# warm DIR: medians of 3 warm runs of stat_all and read_big (after one
# untimed run of each) as "STAT READ"
warm() {
	local s=() r=() i
	if ! stat_all "$1" || ! read_big "$1"; then die "reading $1 failed"; fi
	for i in 1 2 3; do
		s+=("$(timed stat_all "$1")")
		r+=("$(timed read_big "$1")")
	done
	echo "$(median "${s[@]}") $(median "${r[@]}")"
}

. "$TOP/scripts/bench/image_lib.sh"

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(now)
image_cached build_image "${IMAGE_MB}m-${SMALL_FILES}f" "a ${IMAGE_MB} MiB image"
image_bytes=$(cat "$T/www"/*.tar.gz | wc -c)
index_bytes=$(cat "$T/www"/*.index | wc -c)
note "image built in $(secs "$t0" "$(now)") s: $(mib "$image_bytes") MiB of layers, $(mib "$index_bytes") MiB of indexes"

# --- the link ----------------------------------------------------------------
# SRC: the image as lowerfs and ovlmig take it; SRC_OPTS their options for
# it; layer_bytes, idx_bytes: what crossed the link so far; pull_layers
# DIR: the full pull of (b)
SRC_OPTS=()
if [[ $SOURCE == registry ]]; then
	registry_start || die "registry"
	oci_layout_from_layers "$T/oci" v1 "$T/www"/{base,libs,app}.tar.gz
	registry_push "$T/oci" v1 bench/img || die "skopeo push"
	R0=127.0.0.1:$REGISTRY_PORT repo=bench/img unpack=(gzip -dc)
	t0=$(now)
	case $FORMAT in
	gzip)
		image_index_push bench/img
		;;
	zstd-chunked)
		repo=bench/zstd unpack=(zstd -dcq)
		# through uncompressed blobs (from the gzip ones skopeo would
		# reuse the registry's blobs as they are, same digests), and
		# with a blob info cache of its own (an empty tmpfs in a mount
		# namespace of its own): the host's knows these uncompressed
		# digests as the gzip blobs already in this registry
		skopeo copy -q --dest-decompress "oci:$T/oci:v1" "dir:$T/plain" >"$T/out" 2>&1 &&
			unshare -m sh -c 'mkdir -p /var/lib/containers/cache 2>/dev/null;
				mount -t tmpfs none /var/lib/containers/cache &&
				exec skopeo copy -q --dest-tls-verify=false --dest-compress \
					--dest-compress-format zstd:chunked "$1" "$2"' sh \
				"dir:$T/plain" "docker://$R0/$repo:v1" >"$T/out" 2>&1 ||
			die "skopeo copy to zstd:chunked: $(head -3 "$T/out")"
		rm -rf "$T/plain"
		;;
	estargz)
		repo=bench/estargz
		skopeo copy -q "oci:$T/oci:v1" "oci-archive:$T/img.tar:localhost/bench:v1" >"$T/out" 2>&1 ||
			die "skopeo copy to an OCI archive: $(head -3 "$T/out")"
		containerd_start || die "containerd"
		estargz_push "$T/img.tar" localhost/bench:v1 "$R0/$repo:v1" || die "ctr-remote convert and push"
		stop_pid "$CTD_PID"
		rm -f "$T/img.tar"
		;;
	esac
	[[ $FORMAT == gzip ]] || note "converted to $FORMAT in $(secs "$t0" "$(now)") s"
	mapfile -t layers < <(curl -sf -H "Accept: application/vnd.oci.image.manifest.v1+json" \
		"http://$R0/v2/$repo/manifests/v1" | jq -r '.layers[].digest')
	((${#layers[@]} == 3)) || die "the $FORMAT image has ${#layers[@]} layers, not 3"
	[[ $FORMAT == gzip ]] || curl -sf -H "Accept: application/vnd.oci.image.manifest.v1+json" \
		"http://$R0/v2/$repo/manifests/v1" | jq -e '[.layers[].annotations // {} | keys[] |
		select(. == "io.containers.zstd-chunked.manifest-position" or
		       . == "containerd.io/snapshot/stargz/toc.digest")] | length == 3' >/dev/null ||
		die "the $FORMAT image's layers do not all carry a TOC annotation"
	image_bytes=$(curl -sf -H "Accept: application/vnd.oci.image.manifest.v1+json" \
		"http://$R0/v2/$repo/manifests/v1" | jq '[.layers[].size] | add')
	faultproxy_start "$REGISTRY_PORT" none --rate $((RATE_MB * 1000000)) \
		${TIMELINE:+--timeline "$TIMELINE/link.txt"} || die "proxy"
	REG=127.0.0.1:$FAULTPROXY_PORT
	SRC=docker://$REG/$repo:v1 SRC_OPTS=(--insecure)
	# reg_bytes KIND: body bytes of GETs through the proxy in the
	# registry's access log (the push and index --push went to the
	# registry's own port: before any figure is taken), KIND layers (the
	# image's layer blobs) or other (index blobs, config, manifests)
	reg_bytes() {
		local re
		re=$(IFS='|'; echo "${layers[*]}")
		awk -v re="/blobs/($re) " -v kind="$1" '$6 == "\"GET" && $7 ~ /^\/v2\// {
			if (($0 ~ re) == (kind == "layers")) n += $10 } END { printf "%.0f\n", n }' "$REGISTRY_DIR/log"
	}
	layer_bytes() { reg_bytes layers; }
	idx_bytes() { reg_bytes other; }
	pull_layers() {
		local d
		for d in "${layers[@]}"; do
			curl -sf "http://$REG/v2/$repo/blobs/$d" | "${unpack[@]}" |
				tar -x --numeric-owner -C "$1" ||
				die "pulling $d failed"
		done
	}
else
	if [[ $LINK == nginx ]]; then
		nginx_start "$T/www" "${RATE_MB}m" || die "nginx"	# nginx's m: MiB/s
		base=http://127.0.0.1:$NGINX_PORT
	else
		nginx_start "$T/www" || die "nginx"
		faultproxy_start "$NGINX_PORT" none --rate $((RATE_MB * 1000000)) \
			${TIMELINE:+--timeline "$TIMELINE/link.txt"} || die "proxy"
		base=http://127.0.0.1:$FAULTPROXY_PORT
	fi
	SRC=tar:$base/base.tar.gz,$base/libs.tar.gz,$base/app.tar.gz
	layer_bytes() { nginx_bytes '\.tar\.gz$'; }
	idx_bytes() { nginx_bytes '\.index$'; }
	pull_layers() {
		local l
		for l in base libs app; do
			curl -sf "$base/$l.tar.gz" | tar -xz --numeric-owner -C "$1" || die "pulling $l.tar.gz failed"
		done
	}
fi
read -r -a cmd <<<"$CMD"

# --- (a) lazy with lowerfs ------------------------------------------------------
l0=$(layer_bytes) i0=$(idx_bytes)
t0=$(now)
start_lowerfs lazy "$SRC" "$T/mnt" "${SRC_OPTS[@]}" --cache "$T/cache-lazy" "${LOWERFS_EXTRA[@]}" >"$T/out" 2>&1 ||
	die "lowerfs mount failed: $(head -3 "$T/out")"
t1=$(now)
chroot "$T/mnt" "${cmd[@]}" || die "the command failed in the lazy mount"
t2=$(now)
A_mount=$(secs "$t0" "$t1") A_total=$(secs "$t0" "$t2")
A_layers=$(($(layer_bytes) - l0)) A_index=$(($(idx_bytes) - i0))
# what the command used: files fetched whole (then read by passthrough,
# which lowerfs does not see) and bytes served by READ
A_read=$(ctl lazy stats | jq -r '(.bytes_fetched // 0) + (.bytes_read // 0)')
A_http=$(ctl lazy stats | jq -r '.remote.http_bytes // 0')
stop_lowerfs lazy "$T/mnt"

# --- (a'), (d), (e): ovlmig mount, the command, migrate, detach ----------------
O_cmd=- O_mount=- O_second=- F_cmd=- F_mount=- O_migrated=- O_detached=- O_layers=0 O_index=0
# (not indented: ONLY_START skips the whole section)
if [[ -z ${ONLY_START:-} ]]; then
[[ $FILL == fuse ]] || fan_store
l0=$(layer_bytes) i0=$(idx_bytes)
t0=$(now)
mark ovlmig-start
ovlmig_mount "$T/m" "${STRATEGY_ARGS[@]}" --source "$SRC" "${SRC_OPTS[@]}" --upper "$T/u" --work "$T/w" \
	--cache "$T/cache-ovlmig" >"$T/out" 2>&1 || die "ovlmig mount failed: $(head -3 "$T/out")"
tm=$(now)
mark ovlmig-mounted
chroot "$T/m" "${cmd[@]}" || die "the command failed in the ovlmig mount"
t1=$(now)
mark ovlmig-first-command
O_mount=$(secs3 "$t0" "$tm") O_cmd=$(secs "$t0" "$t1")
O_second=- S_layers=0 S_index=0
# not with --fill fanotify: two fillers on one store are not supported yet
if [[ $STRATEGY == store && $FILL != fanotify && -z $TIMELINE ]]; then
	# a second container of the image while the first is lazy (not with
	# TIMELINE: the plot shows one container's start)
	sl0=$(layer_bytes) si0=$(idx_bytes)
	t20=$(now)
	ovlmig_mount "$T/m2" "${STRATEGY_ARGS[@]}" --source "$SRC" "${SRC_OPTS[@]}" --upper "$T/u2" \
		--work "$T/w2" --cache "$T/cache-ovlmig2" >"$T/out" 2>&1 ||
		die "second ovlmig mount failed: $(head -3 "$T/out")"
	O_second=$(secs3 "$t20" "$(now)")
	chroot "$T/m2" "${cmd[@]}" || die "the command failed in the second mount"
	"$OVLMIG" umount "$T/m2" >/dev/null 2>&1 || note "umount of the second container failed"
	S_layers=$(($(layer_bytes) - sl0)) S_index=$(($(idx_bytes) - si0))
	# its time is not part of the first container's migration
	t0=$((t0 + $(now) - t20))
fi
F_mount=- F_cmd=- F_layers=0 F_index=0
if [[ $FILL == both ]]; then
	# (a''): the same start with the fanotify filler on a fresh store
	# while the first container is lazy; not part of its migration
	fl0=$(layer_bytes) fi0=$(idx_bytes)
	tf0=$(now)
	ovlmig_mount "$T/mf" --strategy store --fill fanotify --store "$FANFS/images/both" \
		--source "$SRC" "${SRC_OPTS[@]}" --upper "$T/uf" --work "$T/wf" --cache "$T/cache-fan" \
		>"$T/out" 2>&1 || die "ovlmig mount --fill fanotify failed: $(head -3 "$T/out")"
	tfm=$(now)
	chroot "$T/mf" "${cmd[@]}" || die "the command failed in the fanotify mount"
	tf1=$(now)
	F_mount=$(secs3 "$tf0" "$tfm") F_cmd=$(secs "$tf0" "$tf1")
	F_layers=$(($(layer_bytes) - fl0)) F_index=$(($(idx_bytes) - fi0))
	"$OVLMIG" umount "$T/mf" >/dev/null 2>&1 || note "umount of the fanotify mount failed"
	t0=$((t0 + $(now) - tf0))
fi
${MIGRATE_WRAP:-} "$OVLMIG" migrate "$T/m" >"$T/migrate.out" 2>&1 ||
	die "ovlmig migrate failed: $(head -3 "$T/migrate.out")"
t2=$(now)
mark ovlmig-migrated
O_detached=-
if "$OVLMIG" detach "$T/m" >"$T/detach.out" 2>&1; then
	O_detached=$(secs "$t0" "$(now)")
	mark ovlmig-detached
else
	note "detach failed: $(head -3 "$T/detach.out")"
fi
# OVLMIG_DEBUG=1: where migrate's and detach's time went
[[ -n ${OVLMIG_DEBUG:-} ]] && cat "$T/migrate.out" "$T/detach.out" >&2
O_migrated=$(secs "$t0" "$t2")
# the second container's and (a'')'s fetches are not the first one's
O_layers=$(($(layer_bytes) - l0 - S_layers - F_layers))
O_index=$(($(idx_bytes) - i0 - S_index - F_index))

fi	# ONLY_START

# --- (b) full pull: download and extract every layer, then the command -----------
l0=$(layer_bytes)
mkdir -p "$T/pulled"
t0=$(now)
mark pull-start
pull_layers "$T/pulled"
t1=$(now)
mark pull-extracted
chroot "$T/pulled" "${cmd[@]}" || die "the command failed in the pulled tree"
t2=$(now)
mark pull-first-command
B_pull=$(secs "$t0" "$t1") B_total=$(secs "$t0" "$t2")
B_layers=$(($(layer_bytes) - l0))

# --- after detach: the detached overlay against a plain one over the pull --------
W_det=- W_plain=-
if [[ $O_detached != - ]]; then
	mkdir -p "$T/plain" "$T/pu" "$T/pw"
	mount -t overlay overlay -o "lowerdir=$T/pulled,upperdir=$T/pu,workdir=$T/pw" "$T/plain" ||
		die "plain overlay mount failed"
	on_exit "umount -l $T/plain"
	W_det=$(warm "$T/m") W_plain=$(warm "$T/plain")
fi
"$OVLMIG" umount "$T/m" >/dev/null 2>&1

# --- report ------------------------------------------------------------------------
if [[ -n $TIMELINE ]]; then
	sleep 0.3	# the proxy's last sample
	"$TOP/scripts/bench/plot_timeline.sh" "$TIMELINE" \
		"$(mib "$image_bytes") MiB image, $SMALL_FILES small files, $RATE_MB MB/s link, strategy $STRATEGY" ||
		note "plot_timeline.sh failed"
fi
echo
echo "image: 3 $FORMAT layers, $(mib "$image_bytes") MiB (indexes $(mib "$index_bytes") MiB)," \
	"$SMALL_FILES small files, source $SOURCE; link: $RATE_MB MB/s ($LINK); command: $CMD;" \
	"strategy: $STRATEGY; fill: $FILL; load average before $LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-44s %9s %12s\n' "" "seconds" "MiB fetched"
printf '%-44s %9s %12s\n' "(a) lazy: lowerfs start to command exited" "$A_total" "$(mib $((A_layers + A_index)))"
printf '%-44s %9s\n' "    of which the mount" "$A_mount"
printf '%-44s %9s %12s\n' "(a') lazy: ovlmig mount to command exited" "$O_cmd" ""
printf '%-44s %9s\n' "    of which ovlmig mount" "$O_mount"
[[ $STRATEGY == store ]] &&
	printf '%-44s %9s\n' "    ovlmig mount of a second container" "$O_second"
if [[ $FILL == both ]]; then
	printf '%-44s %9s %12s\n' "(a'') the same with --fill fanotify" "$F_cmd" "$(mib "$F_layers")"
	printf '%-44s %9s\n' "    of which ovlmig mount" "$F_mount"
fi
printf '%-44s %9s %12s\n' "(b) full pull: curl | tar -xz, then command" "$B_total" "$(mib "$B_layers")"
printf '%-44s %9s\n' "    of which download and extract" "$B_pull"
printf '%-44s %9s %12s\n' "(d) ovlmig mount + migrate (full copy)" "$O_migrated" "$(mib "$O_layers")"
printf '%-44s %9s\n' "(e) ovlmig mount + migrate + detach" "$O_detached"
echo
echo "start-up: full pull / lazy = $(ratio "$B_total" "$A_total")x"
echo "fetched by the lazy start: $(mib "$A_layers") MiB of layers + $(mib "$A_index") MiB of indexes" \
	"for $(mib "$A_read") MiB of files the command opened ($(ratio $((A_layers + A_index)) "$A_read")x);" \
	"lowerfs counted $(mib "$A_http") MiB"
echo "of the image: lazy start fetched $(awk -v a=$((A_layers + A_index)) -v b="$image_bytes" 'BEGIN { printf "%.1f", 100 * a / b }')%"
echo "over the link: (d) $(mib "$O_layers") MiB of layers + $(mib "$O_index") MiB of indexes;" \
	"(b) $(mib "$B_layers") MiB; the image's layers $(mib "$image_bytes") MiB"
[[ $O_migrated != - ]] &&
	echo "full migration / full pull = $(ratio "$O_migrated" "$B_pull")x (time to a tree that needs no network)"
[[ $O_cmd != - ]] &&
	echo "start-up through ovlmig: full pull / (a') = $(ratio "$B_total" "$O_cmd")x (fill $([[ $FILL == fanotify ]] && echo fanotify || echo fuse))"
[[ $FILL == both ]] &&
	echo "start-up through ovlmig --fill fanotify: full pull / (a'') = $(ratio "$B_total" "$F_cmd")x;" \
		"(a'') / (a') = $(ratio2 "$F_cmd" "$O_cmd")x"
[[ $O_detached != - ]] &&
	echo "migrated and detached / full pull = $(ratio2 "$O_detached" "$B_pull")x"
if [[ $W_det != - ]]; then
	read -r ds dr <<<"$W_det"
	read -r ps pr <<<"$W_plain"
	echo "after detach, warm, against a plain overlay over the pulled tree:" \
		"stat of $(find "$T/plain" -type f | wc -l) files $ds s / $ps s = $(ratio2 "$ds" "$ps")x;" \
		"read of the large files $dr s / $pr s = $(ratio2 "$dr" "$pr")x"
fi
