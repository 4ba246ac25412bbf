#!/usr/bin/env bash
# Disk used by strategy store for one registry image, step by step: the
# image of startup.sh (3 gzip layers, IMAGE_MB compressed, SMALL_FILES
# small files) pushed to a local docker-registry with its indexes
# (`ovlmig index --push`), behind one link of RATE_MB (the proxy), then
#   ovlmig mount --strategy store (a fresh store; the cache where mount
#   puts it unless CACHE=DIR: beside the upper), migrate, detach, umount,
#   ovlmig gc
# with the bytes allocated (du) of the cache directory, per part (blobs:
# compressed chunks; indexes; whole files: fetched by lowerfs; other),
# and of the store (data/, META and saved tree, rest) after each step,
# and the peak of cache + store sampled every 0.2 s during migrate.
# Against the image's compressed size (the manifest's layer sizes) and
# its uncompressed size (sum of the regular files' sizes in the store).
# Prints the figures of this one run; asserts nothing.
#
#   IMAGE_CACHE=DIR scripts/bench/store_disk.sh   (as root; make first)
#
# Environment: BUILD, IMAGE_MB (512), SMALL_FILES (20000), RATE_MB (50),
# IMAGE_CACHE (as startup.sh: reuse the built layers and indexes), CACHE
# (set: `--cache $T/cache` instead of the default beside the upper;
# tmpfs: that directory a tmpfs, so the chunk cache's writes cost no
# disk: the most writing each byte once could gain),
# MIGRATE_ARGS (e.g. "--jobs 4"), FILL (fanotify: `--fill fanotify`,
# the store on a loop filesystem of its own, 4 GiB sparse under the test
# dir: STORE_FS, ext4 or xfs; its used blocks (df) in the last column,
# which counts a reflinked extent once where du counts it per file).
set -u -o pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/lib.sh"
. "$TOP/tests/remote_lib.sh"

IMAGE_MB=${IMAGE_MB:-512}
SMALL_FILES=${SMALL_FILES:-20000}
RATE_MB=${RATE_MB:-50}
MiB=1048576
BUSYBOX=$(command -v busybox) || BUSYBOX=/bin/busybox

die() { echo "store_disk.sh: $*" >&2; exit 2; }
note() { echo "store_disk.sh: $*" >&2; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

[[ $(id -u) == 0 ]] || die "needs root"
for t in docker-registry skopeo jq curl; do
	command -v "$t" >/dev/null || die "needs $t"
done
. "$TOP/scripts/bench/image_lib.sh"

cached=${IMAGE_CACHE:+$IMAGE_CACHE/${IMAGE_MB}m-${SMALL_FILES}f}
if [[ -n $cached && -s $cached/app.tar.gz.index ]]; then
	note "reusing the image in $cached"
	mkdir -p "$T/www" && cp "$cached"/* "$T/www/" || die "copy $cached"
else
	note "building a ${IMAGE_MB} MiB image under $T"
	build_image
	if [[ -n $cached ]]; then
		mkdir -p "$cached" && cp "$T/www"/* "$cached/" || die "keep the image in $cached"
	fi
fi

registry_start || die "registry"
oci_layout_from_layers "$T/oci" v1 "$T/www"/{base,libs,app}.tar.gz
registry_push "$T/oci" v1 bench/img || die "skopeo push"
rm -rf "$T/oci" "$T/www"
R0=127.0.0.1:$REGISTRY_PORT
"$OVLMIG" index --push "docker://$R0/bench/img:v1" --insecure >"$T/out" 2>&1 ||
	die "index --push: $(head -3 "$T/out")"
compressed=$(curl -sf -H "Accept: application/vnd.oci.image.manifest.v1+json" \
	"http://$R0/v2/bench/img/manifests/v1" | jq '[.layers[].size] | add')
faultproxy_start "$REGISTRY_PORT" none --rate $((RATE_MB * 1000000)) || die "proxy"
SRC=docker://127.0.0.1:$FAULTPROXY_PORT/bench/img:v1

# bytes allocated under each argument (missing: 0)
alloc() {
	local p n=0
	for p in "$@"; do
		[[ -e $p ]] || continue
		n=$((n + $(du -s -B1 "$p" | cut -f1)))
	done
	echo "$n"
}
# the cache's parts: blobs indexes whole-files other
cache_parts() {
	local c=$1 all blobs idx whole
	if [[ ! -d $c ]]; then echo "0 0 0 0 0"; return; fi
	all=$(alloc "$c")
	blobs=$(alloc "$c/blobs")
	idx=$(alloc "$c/indexes")
	whole=$(find "$c" -maxdepth 1 -type f -regextype egrep -regex '.*/[0-9a-f]{8}' \
		-printf '%b\n' | awk '{ n += $1 * 512 } END { printf "%.0f\n", n }')
	echo "$all $blobs $idx $whole $((all - blobs - idx - whole))"
}
store_parts() {
	local s=$1 all data
	all=$(alloc "$s")
	data=$(alloc "$s"/*/data)
	echo "$all $data $(alloc "$s"/*/holes)"
}
# used bytes of the store's own filesystem (FILL=fanotify), else -
fs_used() {
	[[ -d $T/sfs ]] && df -B1 --output=used "$T/sfs" | tail -1 || echo -
}
# trash of a detached cache being deleted beside it
trash() { alloc "$(dirname "$CACHE_DIR")"/."$(basename "$CACHE_DIR")".ovlmig-trash-*; }
row() {
	local c s
	read -r -a c <<<"$(cache_parts "$CACHE_DIR")"
	read -r -a s <<<"$(store_parts "$OVLMIG_STORE_DIR")"
	local used
	used=$(fs_used)
	[[ $used != - ]] && used=$(mib "$used")
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" \
		"$(mib "${c[0]}")" "$(mib "${c[1]}")" "$(mib "${c[2]}")" "$(mib "${c[3]}")" \
		"$(mib "${c[4]}")" "$(mib "$(trash)")" "$(mib "${s[0]}")" "$(mib "${s[1]}")" \
		"$(mib "${s[2]}")" "$used" "$(cut -d' ' -f1 /proc/loadavg)"
}

cache_args=()
if [[ ${CACHE:-} == tmpfs ]]; then
	# what writing each byte once could gain at most: the chunk cache's
	# writes cost no disk (the store's still do)
	mkdir -m 0700 "$T/cache" && mount -t tmpfs -o mode=0700,size=2g none "$T/cache" ||
		die "tmpfs at $T/cache"
	on_exit "umount -l $T/cache"
	cache_args=(--cache "$T/cache")
elif [[ -n ${CACHE:-} ]]; then
	cache_args=(--cache "$T/cache")
fi
fill_args=()
if [[ ${FILL:-} == fanotify ]]; then
	# fanotify marks never on the root filesystem: a store of its own
	case ${STORE_FS:-ext4} in
	ext4) mkfs=(mkfs.ext4 -q -F) ;;
	xfs) mkfs=(mkfs.xfs -q) ;;
	*) die "STORE_FS: ext4 or xfs" ;;
	esac
	truncate -s 4G "$T/sfs.img" && "${mkfs[@]}" "$T/sfs.img" && mkdir "$T/sfs" &&
		mount -o loop "$T/sfs.img" "$T/sfs" || die "loop ext4 for the store"
	on_exit "umount -l $T/sfs"
	export OVLMIG_STORE_DIR=$T/sfs/images
	fill_args=(--fill fanotify)
fi
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
ovlmig_mount "$T/m" --strategy store --source "$SRC" --insecure --upper "$T/u" --work "$T/w" \
	"${cache_args[@]}" "${fill_args[@]}" >"$T/out" 2>&1 || die "mount: $(head -3 "$T/out")"
CACHE_DIR=$(jq -r .cache "$OVLMIG_RUN_DIR"/*/state.json)
[[ -n $CACHE_DIR && $CACHE_DIR != null ]] || die "no cache in the mount's state"
echo "image: $(mib "$compressed") MiB compressed; cache $CACHE_DIR; fill $(jq -r '.fill // "fuse"' "$OVLMIG_RUN_DIR"/*/state.json); load before $LOAD_BEFORE"
echo
echo "| step | cache MiB | blobs | indexes | whole files | other | trash | store MiB | store data | store holes | store fs used | load |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
row "mounted (lazy)"

# peak of cache + store + trash while migrate runs
(
	peak=0
	while [[ ! -e $T/migrated ]]; do
		n=$(( $(alloc "$CACHE_DIR" "$OVLMIG_STORE_DIR") ))
		((n > peak)) && peak=$n && echo "$peak" >"$T/peak"
		sleep 0.2
	done
) &
sampler=$!
on_exit "kill $sampler"
t0=$(date +%s%N)
# shellcheck disable=SC2086
"$OVLMIG" migrate ${MIGRATE_ARGS:-} "$T/m" >"$T/out" 2>&1 || die "migrate: $(head -3 "$T/out")"
t1=$(date +%s%N)
touch "$T/migrated"
wait "$sampler"
row "migrated (complete)"
uncompressed=$(find "$OVLMIG_STORE_DIR"/*/data -type f -printf '%s\n' | awk '{ n += $1 } END { printf "%.0f\n", n }')
"$OVLMIG" detach "$T/m" >"$T/out" 2>&1 || die "detach: $(head -3 "$T/out")"
row "detached (at once)"
sleep 3
row "detached (+3 s)"
"$OVLMIG" umount "$T/m" >"$T/out" 2>&1 || die "umount: $(head -3 "$T/out")"
row "umounted"
rm -rf "$T/u" "$T/w"
"$OVLMIG" gc >"$T/out" 2>&1 || die "gc: $(head -3 "$T/out")"
row "upper deleted, gc"
echo
echo "image $(mib "$compressed") MiB compressed, $(mib "$uncompressed") MiB in its files;" \
	"peak during migrate (cache + store, 0.2 s samples): $(mib "$(cat "$T/peak" 2>/dev/null || echo 0)") MiB;" \
	"migrate $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }') s;" \
	"load after $(cut -d' ' -f1-3 /proc/loadavg)"
