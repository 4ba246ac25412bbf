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

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $status == "install ok installed" ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
	echo "kernel/deps: missing packages: ${missing[*]}" >&2
	echo "kernel/deps: run as root (or: apt-get install ${missing[*]})" >&2
	exit 1
fi
echo "kernel/deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# other builds may hold the dpkg lock for a while: wait for it
apt_opts=(-o DPkg::Lock::Timeout=600)
apt-get "${apt_opts[@]}" update -qq
apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "kernel/deps: done"
