#!/usr/bin/env bash
# `ovlmig mount --strategy store` of a registry image of ENTRIES small
# files (default 100,000: issue 11's "100k-entry image ready in <= 1 s,
# a second container <= 0.2 s"), step by step (OVLMIG_DEBUG=1):
#   container 1: the first, builds META; container 2: while the image is
#   lazy (its own lowerfs); then `ovlmig migrate` of 1, and container 3:
#   the image complete (no lowerfs).
# The image is one gzip layer pushed to a local docker-registry; its index
# is given with --index (made once by `ovlmig index`), so no layer byte
# crosses the link at mount. Prints the seconds of each `ovlmig mount`
# and its steps, and the load average; asserts nothing.
#
#   scripts/bench/store_mount.sh      (as root, after make)
#
# Environment: BUILD (default build; another tree's build/ compares two
# versions on one image), ENTRIES, IMAGE_CACHE (a directory: the layer
# and its index are kept there and reused). Needs docker-registry,
# skopeo, jq, python3, busybox-static. Everything else lives under a fresh
# /tmp/ovlmig-test.XXXXXX, stopped and removed on exit.
set -u -o pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/lib.sh"
. "$TOP/tests/remote_lib.sh"

ENTRIES=${ENTRIES:-100000}
die() { echo "store_mount.sh: $*" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || die "run as root"
[[ $ENTRIES =~ ^[1-9][0-9]*$ ]] || die "ENTRIES must be a positive integer"
for t in docker-registry skopeo jq python3 bc; do
	command -v "$t" >/dev/null || die "missing $t (scripts/setup-deps.sh)"
done
BUSYBOX=$(command -v busybox) || die "no busybox"
fusectl_ready || die "mount fusectl"

img=${IMAGE_CACHE:+$IMAGE_CACHE/store-mount-$ENTRIES}
img=${img:-$T/image}
if [[ ! -s $img/layer.index ]]; then
	echo "store_mount.sh: building an image of $ENTRIES files in $img" >&2
	rm -rf "$img" && mkdir -p "$img/tree/bin" || die "mkdir $img"
	cp "$BUSYBOX" "$img/tree/bin/busybox" || die "busybox"
	python3 - "$img/tree" "$ENTRIES" <<'PY' || die "tree"
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2]); r = random.Random(1)
for i in range(n):
    d = os.path.join(root, "d%03d" % (i // 1000))
    if i % 1000 == 0:
        os.mkdir(d)
    with open(os.path.join(d, "f%04d" % (i % 1000)), "wb") as f:
        f.write(r.randbytes(r.randint(100, 2000)))
PY
	tar -C "$img/tree" --numeric-owner -cf - . | gzip -1 >"$img/layer.tar.gz" || die "tar"
	rm -rf "$img/tree"
	"$OVLMIG" index "$img/layer.tar.gz" -o "$img/layer.index" >&2 || die "index"
fi
oci_layout_from_layers "$T/oci" v1 "$img/layer.tar.gz"
registry_start || die "registry"
registry_push "$T/oci" v1 bench/img || die "push"
src=docker://127.0.0.1:$REGISTRY_PORT/bench/img:v1
export OVLMIG_STORE_DIR=$T/store

# container N: mount it, run busybox in it, print the times
container() {
	local n=$1 t0 t1
	t0=$(date +%s.%N)
	OVLMIG_DEBUG=1 ovlmig_mount "$T/m$n" --strategy store --source "$src" --insecure \
		--index "$img/layer.index" --upper "$T/u$n" --work "$T/w$n" >"$T/out$n" 2>&1 ||
		die "mount $n: $(head -3 "$T/out$n")"
	t1=$(date +%s.%N)
	chroot "$T/m$n" /bin/busybox true || die "the command failed in container $n"
	printf 'container %s (%s): ovlmig mount %.3f s, load %s\n' "$n" "$2" \
		"$(bc <<<"$t1 - $t0")" "$(cut -d' ' -f1 /proc/loadavg)"
	sed -n -e 's/^ovlmig mount (store): /    /p' -e 's/^ovlmig: \(kernel .*\)/    \1/p' \
		-e 's/.*lowerfs\[[0-9]*\]: \(tree from the saved tree\|no saved tree\|saved tree refused\).*/    lowerfs: \1/p' "$T/out$n"
	# a lowerfs that loads its tree in the background (after the mount
	# returned) says how in its log; the command above waited for it
	local name log
	name=$("$OVLMIG" status --json "$T/m$n" | jq -r .name)
	log=$OVLMIG_RUN_DIR/$name/lowerfs/lowerfs.log
	[[ -f $log ]] && sed -n -e 's/.*\(tree from the saved tree\|no saved tree\|saved tree refused\).*/    lowerfs (after the mount): \1/p' \
		-e 's/.*\(tree loaded in the background in [0-9.]* s\).*/    lowerfs (after the mount): \1/p' "$log"
	return 0
}
container 1 "first"
container 2 "second, image lazy"
"$OVLMIG" migrate "$T/m1" >"$T/migrate.out" 2>&1 || die "migrate: $(tail -3 "$T/migrate.out")"
container 3 "third, image complete"
for n in 1 2 3; do "$OVLMIG" umount "$T/m$n" >/dev/null || echo "umount $n failed" >&2; done
