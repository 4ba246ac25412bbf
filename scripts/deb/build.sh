#!/usr/bin/env bash
# make deb: the Debian package of this tree (debian/, debhelper) built
# from a copy of it under $BUILD/deb/ (so dpkg-buildpackage writes its
# results there, not beside the checkout), then lintian on it: any error
# fails. Prints the path of the .deb last.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
top=$PWD
out=$top/$BUILD/deb
version=$(dpkg-parsechangelog -S Version)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
src=$out/ovlmig-$version

rm -rf "$out"
mkdir -p "$src"
# the tree as it is, without builds or git
tar -c --exclude-vcs --exclude='./build*' --exclude='./debian/ovlmig' \
	--exclude='./debian/.debhelper' . | tar -x -C "$src"
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1 || {
	tail -30 "$out/build.log" >&2
	echo "make deb: dpkg-buildpackage failed, see $out/build.log" >&2
	exit 1
}
deb=$out/ovlmig_${version}_$arch.deb
[[ -f $deb ]] || { echo "make deb: no $deb" >&2; exit 1; }
# lintian's verdict: errors fail, warnings are shown
lintian "$out"/ovlmig_"${version}"_"$arch".changes >"$out/lintian.log" 2>&1 || true
cat "$out/lintian.log"
if grep -q '^E: ' "$out/lintian.log"; then
	echo "make deb: lintian reports errors" >&2
	exit 1
fi
echo "$deb"
