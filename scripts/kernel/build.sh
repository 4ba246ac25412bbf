#!/usr/bin/env bash
# Build the check-kernel guest kernel: Debian's linux-source-6.12 with our
# overlayfs patches (kernel/patches/*.patch) and the config fragment
# (kernel/ovlmig-guest.config on top of allnoconfig). Prints the path of
# the bzImage on its last line.
#
# The result is cached by the hash of (source package version, compiler
# version, this script, the config fragment, the patches) under
# $KERNEL_CACHE (default /var/cache/ovlmig-kernel), which survives
# `make clean`. The source tree and object directory live under
# $BUILD/kernel/ and are reused: a changed patch recompiles only the files
# it touches.
#
# Environment: BUILD (default build), KERNEL_CACHE, JOBS (default 2),
# KERNEL_VARIANT=debug (add kernel/ovlmig-debug.config: KASAN, lockdep;
# its own object directory), KERNEL_PRINT_KEY=1 (print the cache key and
# exit).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-build}
[[ $BUILD == /* ]] || BUILD=$top/$BUILD
KERNEL_CACHE=${KERNEL_CACHE:-/var/cache/ovlmig-kernel}
JOBS=${JOBS:-2}
tarball=/usr/src/linux-source-6.12.tar.xz
variant=${KERNEL_VARIANT:-}
fragments=("$top/kernel/ovlmig-guest.config")
[[ -z $variant ]] || fragments+=("$top/kernel/ovlmig-$variant.config")
for f in "${fragments[@]}"; do
	[[ -f $f ]] || { echo "kernel/build: no $f" >&2; exit 2; }
done
mapfile -t patches < <(find "$top/kernel/patches" -name '*.patch' | sort)

"$here/deps.sh" >&2

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
ccver=$(gcc -dumpfullversion)
key=$( {
	echo "linux-source-6.12 $srcver"
	echo "gcc $ccver"
	cat "$0" "${fragments[@]}"
	[[ ${#patches[@]} -eq 0 ]] || cat "${patches[@]}"
} | sha256sum | cut -c1-16)
if [[ ${KERNEL_PRINT_KEY:-} == 1 ]]; then
	echo "$key"
	exit 0
fi
out=$KERNEL_CACHE/$key
if [[ -s $out/bzImage ]]; then
	echo "kernel/build: cached $out (build took $(cat "$out/build-seconds" 2>/dev/null || echo ?) s)" >&2
	echo "$out/bzImage"
	exit 0
fi

kdir=$BUILD/kernel
src=$kdir/src/linux-source-6.12
obj=$kdir/obj${variant:+-$variant}
mkdir -p "$kdir"
exec 9>"$kdir/.lock"
flock 9

# the unpacked source, once per source package version
if [[ ! -f $kdir/src/.version || $(cat "$kdir/src/.version") != "$srcver" ]]; then
	echo "kernel/build: unpacking $tarball ($srcver)" >&2
	rm -rf "$kdir/src" "$kdir"/obj*
	mkdir -p "$kdir/src"
	tar -C "$kdir/src" -xf "$tarball"
	mkdir -p "$kdir/src/pristine"
	: >"$kdir/src/applied.list"
	echo "$srcver" >"$kdir/src/.version"
fi

# undo the previously applied patches: restore every touched file from its
# pristine copy, remove the files the patches created
while read -r f; do
	[[ -n $f ]] || continue
	if [[ -f $kdir/src/pristine/$f ]]; then
		cp "$kdir/src/pristine/$f" "$src/$f"
	else
		rm -f "$src/$f"
	fi
done <"$kdir/src/applied.list"
: >"$kdir/src/applied.list"

# apply ours, keeping a pristine copy of each file before it is touched
for p in "${patches[@]}"; do
	while read -r f; do
		if [[ -f $src/$f && ! -f $kdir/src/pristine/$f ]]; then
			mkdir -p "$(dirname "$kdir/src/pristine/$f")"
			cp "$src/$f" "$kdir/src/pristine/$f"
		fi
		echo "$f" >>"$kdir/src/applied.list"
	done < <(sed -n 's|^+++ b/||p' "$p")
	echo "kernel/build: applying $(basename "$p")" >&2
	patch -p1 -s --batch --forward -d "$src" <"$p"
done

mkdir -p "$obj"
fragment=$obj/fragment.config
cat "${fragments[@]}" >"$fragment"
kmake() {
	nice -n 19 make -C "$src" O="$obj" KBUILD_BUILD_USER=ovlmig \
		KBUILD_BUILD_HOST=check-kernel KBUILD_BUILD_TIMESTAMP="$srcver" "$@"
}
kmake -s KCONFIG_ALLCONFIG="$fragment" allnoconfig >&2
missing=0
while read -r line; do
	[[ $line == CONFIG_* ]] || continue
	if ! grep -qx -- "$line" "$obj/.config"; then
		echo "kernel/build: $line did not survive allnoconfig (missing dependency?)" >&2
		missing=1
	fi
done <"$fragment"
[[ $missing -eq 0 ]] || exit 1

echo "kernel/build: building bzImage (-j$JOBS, nice 19); log: $kdir/build.log" >&2
start=$(date +%s)
if ! kmake -j"$JOBS" bzImage >"$kdir/build.log" 2>&1; then
	tail -30 "$kdir/build.log" >&2
	echo "kernel/build: build failed" >&2
	exit 1
fi
secs=$(( $(date +%s) - start ))
# warnings in our files are errors
if grep -E '^[^ ]*fs/overlayfs/[^ ]*: (warning|error)' "$kdir/build.log" >&2; then
	echo "kernel/build: warnings in fs/overlayfs" >&2
	exit 1
fi

mkdir -p "$KERNEL_CACHE"
tmp=$(mktemp -d "$KERNEL_CACHE/.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp "$obj/arch/x86/boot/bzImage" "$tmp/bzImage"
cp "$obj/.config" "$tmp/config"
echo "$secs" >"$tmp/build-seconds"
{
	echo "linux-source-6.12 $srcver, gcc $ccver${variant:+, variant $variant}"
	for p in "${patches[@]}"; do sha256sum "$p"; done
} >"$tmp/inputs"
rm -rf "$out"
chmod 0755 "$tmp"
mv "$tmp" "$out"
trap - EXIT
echo "kernel/build: built in ${secs}s: $out" >&2
echo "$out/bzImage"
