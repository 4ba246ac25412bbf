#!/usr/bin/env bash
# Install every Debian package the build, the tests and the demo need.
# Idempotent and quiet when everything is present; run by `make check`
# and `make demo`. Packages come from Debian only.
set -euo pipefail

packages=(
	# build
	gcc make pkg-config
	libmount-dev libarchive-dev libcurl4-openssl-dev xfslibs-dev
	libjansson-dev libzstd-dev zlib1g-dev libssl-dev libsodium-dev
	# tests: unit framework, sanitizer runtime, tree tools, mounts
	libcmocka-dev attr xfsprogs util-linux procps jq time
	# the EROFS writer's independent checks: fsck.erofs, dump.erofs, mkfs.erofs
	erofs-utils
	# container runtimes and a static busybox for the runtime tests
	runc crun busybox-static
	# benchmarks: the FUSE baseline
	bindfs
	# remote images: HTTP and registry servers, layer tools, fault proxy
	nginx-light docker-registry skopeo zstd gzip curl python3
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $status == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
	echo "setup-deps: missing packages: ${missing[*]}" >&2
	echo "setup-deps: run as root (or: apt-get install ${missing[*]})" >&2
	exit 1
fi
echo "setup-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup-deps: done"
