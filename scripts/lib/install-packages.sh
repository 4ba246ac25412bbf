# Sourced by scripts/setup-deps.sh and scripts/kernel/deps.sh.
# install_packages WHO PACKAGE...: install the Debian packages that are
# missing; quiet when none is. WHO names the caller in messages.
install_packages() {
	local who=$1 p status
	shift
	local missing=()
	for p in "$@"; do
		status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		[[ $status == "install ok installed" ]] || missing+=("$p")
	done
	[[ ${#missing[@]} -eq 0 ]] && return 0

	if [[ $(id -u) -ne 0 ]]; then
		echo "$who: missing packages: ${missing[*]}" >&2
		echo "$who: run as root (or: apt-get install ${missing[*]})" >&2
		return 1
	fi
	echo "$who: installing ${missing[*]}"
	# other builds may hold the dpkg lock for a while: wait for it
	local apt_opts=(-o DPkg::Lock::Timeout=600)
	DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update -qq
	DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
	echo "$who: done"
}
