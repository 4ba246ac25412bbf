#!/usr/bin/env bash
# Install the Debian packages `make deb` and `make check-deb` need besides
# scripts/setup-deps.sh's: the package tools and lintian. Idempotent and
# quiet when everything is present. Packages come from Debian only.
set -euo pipefail

packages=(
	dpkg-dev debhelper lintian
	# check-deb: the man pages of the installed package
	man-db
)

. "$(dirname "$0")/../lib/install-packages.sh"
install_packages deb/deps "${packages[@]}"
