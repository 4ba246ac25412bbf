#!/usr/bin/env bash
# Build the check-kernel guest's root image from Debian packages:
# debootstrap --variant=minbase (Debian 12 bookworm, from Debian's mirror)
# with the tools the guest tests need and the run-time libraries of the
# project's binaries, plus our PID 1 (scripts/kernel/guest/init as
# /sbin/ovlmig-init), made into an ext4 image with mkfs.ext4 -d (no loop
# device, no mount on the host). Prints the image path on its last line.
#
# Cached by the hash of (package list, init, this script) as
# $KERNEL_CACHE/rootfs-KEY.img (default /var/cache/ovlmig-kernel); the
# guest boots it with snapshot=on, so it is never modified.
#
# Environment: BUILD (default build), KERNEL_CACHE, DEBIAN_MIRROR.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$top/$BUILD
KERNEL_CACHE=${KERNEL_CACHE:-/var/cache/ovlmig-kernel}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
init=$here/guest/init

# what the guest runs: the unionmount-testsuite (python3), XFS and xattr
# tools, mountpoint/findmnt, jq for lowerfs ctl output
packages=(python3 xfsprogs attr util-linux procps e2fsprogs jq)
# the run-time libraries of our binaries, by the Debian package that ships them
bins=("$BUILD/ovlmig" "$BUILD/lowerfs" "$BUILD"/tools/*)
for b in "${bins[@]}"; do
	[[ -x $b ]] || { echo "kernel/rootfs: $b missing: run make first" >&2; exit 1; }
done
mapfile -t libs < <(ldd "${bins[@]}" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u)
for l in "${libs[@]}"; do
	p=$(dpkg -S "$l" 2>/dev/null || dpkg -S "$(realpath "$l")" 2>/dev/null) ||
		{ echo "kernel/rootfs: no Debian package ships $l" >&2; exit 1; }
	p=${p%%:*}
	p=${p%%,*}
	packages+=("$p")
done
mapfile -t packages < <(printf '%s\n' "${packages[@]}" | sort -u)

key=$( {
	echo "$suite ${packages[*]}"
	cat "$0" "$init"
} | sha256sum | cut -c1-16)
img=$KERNEL_CACHE/rootfs-$key.img
if [[ -s $img ]]; then
	echo "kernel/rootfs: cached $img" >&2
	echo "$img"
	exit 0
fi

mkdir -p "$KERNEL_CACHE"
tmp=$(mktemp -d /var/tmp/ovlmig-rootfs.XXXXXX)
cleanup() {
	# debootstrap mounts proc and sys in the target while it works
	local m
	for m in $(findmnt -n -l -o TARGET | grep "^$tmp/" | sort -r); do
		umount -l "$m" || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "kernel/rootfs: debootstrap $suite (${packages[*]})" >&2
start=$(date +%s)
if ! debootstrap --variant=minbase --include="$(IFS=,; echo "${packages[*]}")" \
	"$suite" "$tmp/root" "$mirror" >"$tmp/debootstrap.log" 2>&1; then
	tail -20 "$tmp/debootstrap.log" >&2
	cp "$tmp/debootstrap.log" "$KERNEL_CACHE/rootfs-debootstrap.log" || true
	echo "kernel/rootfs: debootstrap failed" >&2
	exit 1
fi
install -m 0755 "$init" "$tmp/root/sbin/ovlmig-init"
mkdir -p "$tmp/root/ovlmig" "$tmp/root/lower" "$tmp/root/upper" "$tmp/root/mnt/union"
echo ovlmig-guest >"$tmp/root/etc/hostname"
rm -rf "$tmp/root/var/cache/apt/archives/"*.deb "$tmp/root/var/lib/apt/lists/"*
size_mb=$(( $(du -sm "$tmp/root" | cut -f1) + 256 ))
mkfs.ext4 -q -F -L ovlmig-root -d "$tmp/root" "$tmp/root.img" "${size_mb}M"
mv "$tmp/root.img" "$img"
echo "kernel/rootfs: built in $(( $(date +%s) - start ))s: $img" >&2
echo "$img"
