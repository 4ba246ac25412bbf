#!/usr/bin/env bash
# make check-deb: build the package (scripts/deb/build.sh, lintian
# included), install it with apt, check what it put where, run the demo
# with the installed programs, purge it and check that nothing is left:
# none of its files, no /var/lib/ovlmig, no /run/ovlmig, nothing of it in
# /etc. Refuses to run where ovlmig is installed or its directories exist
# already (it would remove someone's state). Prints "check-deb: ok" last.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
[[ $(id -u) -eq 0 ]] || { echo "check-deb: run as root (it installs a package)" >&2; exit 2; }
if dpkg-query -W -f='${Status}' ovlmig 2>/dev/null | grep -q 'ok installed'; then
	echo "check-deb: ovlmig is installed here already; not touching it" >&2
	exit 2
fi
for d in /var/lib/ovlmig /run/ovlmig; do
	[[ ! -e $d ]] || { echo "check-deb: $d exists already; not touching it" >&2; exit 2; }
done

T=$(mktemp -d /tmp/ovlmig-check-deb.XXXXXX)
installed=
cleanup() {
	[[ -n $installed ]] && apt-get -o DPkg::Lock::Timeout=600 purge -y -qq ovlmig >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
failures=0
ok() { echo "ok - $1"; }
fail() { echo "not ok - $1${2:+: $2}"; failures=$((failures + 1)); }

echo "== make deb"
deb=$(scripts/deb/build.sh | tail -1)
ok "built $(basename "$deb"), lintian: no error"
find /etc -name '*ovlmig*' | sort >"$T/etc.before"

echo "== apt-get install $deb"
installed=1
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
	--no-install-recommends "$deb" >"$T/apt.log" 2>&1 ||
	{ cat "$T/apt.log"; fail "apt-get install"; exit 1; }
dpkg -L ovlmig | sort >"$T/files"
f0=$failures
for f in /usr/bin/ovlmig /usr/bin/lowerfs /usr/share/man/man8/ovlmig.8.gz \
	 /usr/share/man/man8/lowerfs.8.gz /lib/systemd/system/ovlmig.service \
	 /usr/lib/tmpfiles.d/ovlmig.conf \
	 /usr/share/containers/oci/hooks.d/ovlmig-createruntime.json \
	 /usr/share/containers/oci/hooks.d/ovlmig-poststop.json; do
	grep -qxF "$f" "$T/files" && [[ -e $f ]] || fail "installed $f"
done
((failures == f0)) && ok "installed: $(grep -c . "$T/files") paths ($(grep -c '^/usr/bin/' "$T/files") programs)"
[[ $(man -w ovlmig) == /usr/share/man/man8/ovlmig.8.gz &&
   $(man -w lowerfs) == /usr/share/man/man8/lowerfs.8.gz ]] &&
	ok "man finds ovlmig(8) and lowerfs(8)" || fail "man -w" "$(man -w ovlmig lowerfs 2>&1)"
echo "# man ovlmig | head -30"
MANWIDTH=80 man ovlmig 2>&1 | head -30 | sed 's/^/# /'
for h in /usr/share/containers/oci/hooks.d/ovlmig-*.json; do
	p=$(jq -r .hook.path "$h")
	[[ $p == /usr/bin/ovlmig ]] || fail "$h runs $p"
done
grep -q '^ExecStart=/usr/bin/ovlmig serve$' /lib/systemd/system/ovlmig.service &&
	ok "hooks.d and the unit run /usr/bin/ovlmig" || fail "unit ExecStart"
# made by systemd-tmpfiles in postinst
f0=$failures
for d in /run/ovlmig /var/lib/ovlmig; do
	[[ $(stat -c '%a %U' "$d" 2>/dev/null) == "700 root" ]] ||
		fail "$d: $(stat -c '%a %U' "$d" 2>&1)"
done
((failures == f0)) && ok "tmpfiles.d made /run/ovlmig and /var/lib/ovlmig, 0700 root"

echo "== the demo with /usr/bin/ovlmig (and the lowerfs beside it)"
if OVLMIG=/usr/bin/ovlmig PATH=/usr/sbin:/usr/bin:/sbin:/bin scripts/demo.sh >"$T/demo.log" 2>&1; then
	sed 's/^/# /' "$T/demo.log"
	grep -q 'errors=0' "$T/demo.log" && grep -q 'no lowerfs process left\|still run' "$T/demo.log" &&
		ok "demo: mount, migrate, detach, umount; the workload saw no error" ||
		fail "demo output" "$(tail -5 "$T/demo.log")"
else
	fail "demo" "$(tail -20 "$T/demo.log")"
fi

echo "== apt-get purge ovlmig"
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 purge -y -qq ovlmig \
	>"$T/apt.log" 2>&1 || { cat "$T/apt.log"; fail "apt-get purge"; }
installed=
left=()
while read -r f; do
	# directories the package shares with others (/usr/bin) stay
	[[ -e $f && ! -d $f ]] && left+=("$f")
done <"$T/files"
for d in /usr/share/doc/ovlmig /var/lib/ovlmig /run/ovlmig; do
	[[ -e $d ]] && left+=("$d")
done
find /etc -name '*ovlmig*' | sort >"$T/etc.after"
left+=($(comm -13 "$T/etc.before" "$T/etc.after"))
dpkg-query -W ovlmig >/dev/null 2>&1 && left+=("dpkg still knows ovlmig")
((${#left[@]} == 0)) && ok "purged: nothing left under /usr, /etc, /var/lib/ovlmig, /run/ovlmig" ||
	fail "left after purge" "${left[*]}"

((failures == 0)) && echo "check-deb: ok" || { echo "check-deb: $failures failed"; exit 1; }
