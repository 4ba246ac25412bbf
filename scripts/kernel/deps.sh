#!/usr/bin/env bash
# Install the Debian packages `make check-kernel` needs on the host: the
# kernel sources, the kernel build tools, qemu and debootstrap for the
# guest's root image. Idempotent and quiet when everything is present.
# Packages come from Debian only (linux-source-6.12 from bookworm-security).
set -euo pipefail

packages=(
	# our overlayfs patch applies to Debian's linux-source-6.12
	linux-source-6.12
	# kernel build
	gcc make bc bison flex libelf-dev libssl-dev xz-utils patch git
	# guest: the machine, the root image, its filesystems
	qemu-system-x86 debootstrap e2fsprogs xfsprogs
)

. "$(dirname "$0")/../lib/install-packages.sh"
install_packages kernel/deps "${packages[@]}"
