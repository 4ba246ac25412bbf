#!/usr/bin/env bash
# Must show 5 of the remote-image issue: hostile layers (.. and absolute
# paths, hardlinks and symlinks pointing outside, a file written through a
# symlink, duplicate entries, a file longer than its stream, truncated and
# corrupt gzip) end in a clear error naming the layer, or in a mount with
# the bad entries left out. Never is anything outside the image read or
# written: canary files around every directory lowerfs works in stay
# unread and unchanged, /etc/passwd and /etc/shadow too, nothing appears
# under /tmp; symlinks are served as symlinks, never followed; of
# duplicates the later wins; no reader gets a wrong byte.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
require_root "remote hostile layers"
require_tools "remote hostile layers" nginx curl jq python3 openssl zstd

L=$(layers_dir) || { fail "mklayers"; exit 1; }
evil=(evil-dotdot.tar evil-abs.tar evil-hardlink.tar evil-symlink.tar evil-dup.tar
	evil-size.tar evil-trunc.tar.gz evil-corrupt.tar.gz evil-crc.tar.gz)
# layers that cannot be read through: refused, or their file unreadable
broken=" evil-size.tar evil-trunc.tar.gz evil-corrupt.tar.gz evil-crc.tar.gz "

# The places a "../../x" could land: where the layer lies, where it is
# mounted, the cache, lowerfs' cwd; each gets etc/passwd, etc/shadow and
# tmp/ canaries one and two levels up.
C=$T/canary
www=$C/www/a/b mnt=$C/mnt/a/b cache=$C/cache/a/b cwd=$C/cwd/a/b
mkdir -p "$www" "$mnt" "$cache" "$cwd"
for d in "$C" "$C/www" "$C/www/a" "$C/mnt" "$C/mnt/a" "$C/cache" "$C/cache/a" "$C/cwd" "$C/cwd/a"; do
	mkdir -p "$d/etc" "$d/tmp"
	echo "CANARY $d/etc/passwd" >"$d/etc/passwd"
	echo "CANARY $d/etc/shadow" >"$d/etc/shadow"
done
serve_layers "$www" "${evil[@]/#/$L/}"
canaries() {
	(cd "$C" && find . -path ./cache/a/b -prune -o -path ./mnt/a/b -prune -o -printf '%y %p %s %T@\n' |
		sort; find . -path ./cache/a/b -prune -o -path ./mnt/a/b -prune -o -type f -print0 | sort -z |
		xargs -0 sha256sum)
}
host() { sha256sum /etc/passwd /etc/shadow /etc/group 2>/dev/null; ls -A /tmp | grep ovlmig-evil; }
canaries >"$T/canaries.before"
host >"$T/host.before"
if grep -q ovlmig-evil "$T/host.before"; then
	fail "left over from an earlier run: $(ls -d /tmp/ovlmig-evil* | tr '\n' ' ') (removed)"
	rm -rf /tmp/ovlmig-evil*
	host >"$T/host.before"
fi

# the contents evil-{trunc,corrupt,crc}.tar.gz and evil-size.tar hold, when intact
python3 -c 'import sys; sys.stdout.buffer.write(b"".join(b"line %08d of a compressible file\n" % i for i in range(60000)))' >"$T/text.txt"
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 4096)' >"$T/big.bin"
printf 'harmless\n' >"$T/ok.txt"

nginx_start "$C/www" || { fail "nginx"; exit 1; }

# checks once a hostile layer is mounted: what must be there, and what not
check_mounted() {
	local name=$1 m=$2 f v
	v=$(read_verdict "$m/ok.txt" "$T/ok.txt")
	[[ $v == right ]] && ok "$name: ok.txt still served" || fail "$name: ok.txt: $v"
	# nothing served is a canary or a host secret (a hardlink followed out)
	local leaked=""
	while IFS= read -r -d '' f; do
		if grep -q CANARY "$f" 2>/dev/null || cmp -s "$f" /etc/passwd || cmp -s "$f" /etc/shadow; then
			leaked+=" ${f#"$m"/}"
		fi
	done < <(find "$m" -type f -print0)
	[[ -z $leaked ]] && ok "$name: no file outside the image is served" ||
		fail "$name: served from outside the image:$leaked"
	case $name in
	evil-dotdot.tar|evil-abs.tar)
		[[ -z $(find "$m" -name 'ovlmig-evil*' -o -path "$m/etc/passwd") ]] &&
			ok "$name: the escaping entries left out" ||
			fail "$name: escaping entries served: $(find "$m" -name 'ovlmig-evil*' -o -path "$m/etc/passwd")" ;;
	evil-hardlink.tar)
		[[ ! -e $m/h-passwd && ! -e $m/h-shadow && ! -e $m/h-missing && ! -e $m/h-later ]] &&
			ok "$name: hardlinks out, to nothing or to a later entry left out" ||
			fail "$name: served $(cd "$m" && ls -d h-* 2>/dev/null | tr '\n' ' ')"
		[[ $(cat "$m/later.txt" 2>&1) == later ]] && ok "$name: later.txt served" || fail "$name: later.txt" ;;
	evil-symlink.tar)
		[[ -L $m/s-passwd && $(readlink "$m/s-passwd") == /etc/passwd &&
		   -L $m/s-up && $(readlink "$m/s-up") == ../../.. ]] &&
			ok "$name: symlinks served as symlinks, targets as stored" ||
			fail "$name: s-passwd/s-up: $(ls -l "$m" 2>&1 | head -5)"
		# d/file either left out, or kept inside the image: never a dir
		# of lowerfs' own leading outside
		[[ ( -L $m/d && $(readlink "$m/d") == /tmp/ovlmig-evil-symlink ) || ! -e $m/d || -d $m/d && ! -L $m/d ]] &&
			ok "$name: d is $(stat -c %F "$m/d" 2>/dev/null || echo absent)" || fail "$name: d" ;;
	evil-dup.tar)
		[[ $(cat "$m/dup.txt" 2>&1) == 'second, and longer' ]] && ok "$name: the later dup.txt wins" ||
			fail "$name: dup.txt is '$(cat "$m/dup.txt" 2>&1)'"
		[[ $(cat "$m/dupdir/inner" 2>&1) == inner ]] && ok "$name: dupdir/inner" || fail "$name: dupdir/inner" ;;
	evil-size.tar)
		v=$(read_verdict "$m/big.bin" "$T/big.bin")
		[[ ! -e $m/big.bin || $v == eio ]] && ok "$name: big.bin left out or EIO (${v})" ||
			fail "$name: big.bin: $v" ;;
	*.gz)
		if [[ -e $m/text.txt ]]; then
			v=$(read_verdict "$m/text.txt" "$T/text.txt")
			[[ $v == eio ]] && ok "$name: text.txt fails with EIO" || fail "$name: text.txt: $v"
		else
			ok "$name: text.txt left out"
		fi ;;
	esac
}

n=0
for f in "${evil[@]}"; do
	# ovlmig index: the broken ones fail, naming the layer
	if "$OVLMIG" index "$www/$f" -o "$T/$f.index" >"$T/out" 2>&1; then
		[[ $broken == *" $f "* ]] && fail "ovlmig index $f succeeded" || ok "ovlmig index $f (bad entries left out)"
	else
		grep -q "$f" "$T/out" && ok "ovlmig index $f: $(head -1 "$T/out")" ||
			fail "ovlmig index $f failed without naming it" "$(head -2 "$T/out")"
	fi
	for url in "file://$www/$f" "http://127.0.0.1:$NGINX_PORT/a/b/$f"; do
		n=$((n + 1))
		how=${url%%:*}
		# from $cwd: a path resolved against the cwd lands among canaries
		pushd "$cwd" >/dev/null
		start_lowerfs "h$n" "tar:$url" "$mnt" --cache "$cache" >"$T/out" 2>&1; rc=$?
		popd >/dev/null
		if [[ $rc -ne 0 ]]; then
			[[ ($rc -eq 1 || $rc -eq 2) ]] && grep -q "$f" "$T/out" &&
				ok "$f over $how: refused (exit $rc): $(tail -1 "$T/out")" ||
				fail "$f over $how: exit $rc without naming the layer" "$(head -2 "$T/out")"
			continue
		fi
		[[ $broken == *" $f "* ]] && ok "$f over $how: mounted (reads must fail)" ||
			ok "$f over $how: mounted"
		check_mounted "$f" "$mnt"
		stop_lowerfs "h$n" "$mnt"
	done
done

canaries >"$T/canaries.after"
diff -u "$T/canaries.before" "$T/canaries.after" >"$T/canaries.diff" &&
	ok "canaries around the layer, mount, cache and cwd untouched, nothing new beside them" ||
	fail "canaries changed" "$(head -20 "$T/canaries.diff")"
host >"$T/host.after"
diff -u "$T/host.before" "$T/host.after" >"$T/host.diff" &&
	ok "/etc/passwd, /etc/shadow, /etc/group unchanged; nothing under /tmp" ||
	fail "the host changed" "$(cat "$T/host.diff")"
rm -rf /tmp/ovlmig-evil*	# only ever made by the layers above, if lowerfs failed
