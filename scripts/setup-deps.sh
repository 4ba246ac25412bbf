#!/usr/bin/env bash
# Install every Debian package the build, the tests and the demo need.
# Idempotent and quiet when everything is present; run by `make check`
# and `make demo`. Packages come from Debian only.
set -euo pipefail

packages=(
	# build
	gcc make pkg-config
	libmount-dev libarchive-dev libcurl4-openssl-dev xfslibs-dev
	libjansson-dev libzstd-dev zlib1g-dev libdeflate-dev libssl-dev libsodium-dev
	# tests: unit framework, sanitizer runtime, tree tools, mounts
	libcmocka-dev attr xfsprogs util-linux procps jq time
	# man pages: rendered and checked (groff, man, mandoc -Tlint, col)
	groff-base man-db mandoc bsdextrautils
	# the EROFS writer's independent checks: fsck.erofs, dump.erofs, mkfs.erofs
	erofs-utils
	# container runtimes (runc, crun, podman) and a static busybox for the runtime tests
	runc crun podman busybox-static
	# benchmarks: the FUSE baseline, the plots (scripts/bench/plot_timeline.sh)
	bindfs gnuplot-nox
	# remote images: HTTP and registry servers, layer tools, fault proxy
	nginx-light docker-registry skopeo buildah zstd gzip curl python3
	# eStargz test images: ctr-remote (stargz-snapshotter) converts through a containerd
	containerd stargz-snapshotter
)

. "$(dirname "$0")/lib/install-packages.sh"
install_packages setup-deps "${packages[@]}"
