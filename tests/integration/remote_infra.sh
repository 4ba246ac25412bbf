#!/usr/bin/env bash
# The remote-image tests' own machinery, checked without lowerfs: the
# generated layers are what they claim to be, nginx serves ranges, counts
# bytes and limits the rate, docker-registry takes a push from skopeo with
# digests intact, the fault proxy injects each kind of fault (and only
# when told). If this fails, the remote_* tests prove nothing.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
require_root "remote test infrastructure"
require_tools "remote test infrastructure" nginx docker-registry skopeo zstd curl jq python3 openssl

L=$(layers_dir) || { fail "mklayers"; exit 1; }
ok "layers generated in $L"

# --- the layers --------------------------------------------------------------
# each archive of base extracts (by GNU tar) to exactly base.tree
expected_tree "$L/base.tree" "$T/base.sum"
for f in base.tar base.tar.gz base.tar.zst base.multiframe.tar.zst; do
	x=$T/x-$f
	mkdir -p "$x"
	case $f in
	*.zst) zstd -dcq "$L/$f" ;;
	*.gz) gzip -dc "$L/$f" ;;
	*) cat "$L/$f" ;;
	esac | tar -x -C "$x" --xattrs --xattrs-include='*' --numeric-owner -p
	same_tree "$f extracts to base.tree" "$T/base.sum" "$x"
	rm -rf "$x"
done
grep -q 'xattr:security.capability' "$T/base.sum" &&
grep -q 'xattr:user.origin' "$T/base.sum" && grep -q ' type=fifo ' "$T/base.sum" &&
grep -q ' type=blk ' "$T/base.sum" && grep -q ' hl=' "$T/base.sum" &&
grep -q ' mode=4755 ' "$T/base.sum" && grep -q ' uid=1000 ' "$T/base.sum" &&
grep -qE ' mtime=[0-9]+\.[0-9]*[1-9]' "$T/base.sum" &&
	ok "base.tree has a capability, user xattrs, a fifo, devices, a hardlink, setuid, owners, ns mtimes" ||
	fail "base.tree lacks a kind of entry" "$(head -5 "$T/base.sum")"
frames=$(zstd -lv "$L/base.multiframe.tar.zst" 2>/dev/null | awk '/Frames/ { print $NF }')
[[ ${frames:-0} -gt 1 ]] && ok "multi-frame zstd: $frames frames" || fail "multi-frame zstd has ${frames:-?} frames"

# image.tree: what the whiteouts and type changes must give
i=$L/image.tree
[[ ! -e $i/etc/keep && ! -e $i/etc/keep2 && -f $i/etc/stays ]] && ok "image: .wh.NAME removed files" ||
	fail "image: whiteouts of files"
[[ ! -e $i/usr/lib/b.so && -f $i/usr/lib/a.so ]] && ok "image: .wh.b.so removed b.so only" ||
	fail "image: usr/lib whiteout"
[[ $(ls -A "$i/opt/old") == fresh ]] && ok "image: a dir re-created after its whiteout holds only the new entries" ||
	fail "image: opt/old holds $(ls -A "$i/opt/old" | tr '\n' ' ')"
[[ $(ls -A "$i/var/cache/x" | tr '\n' ' ') == "new newer " ]] && ok "image: opaque dir hides the lower entries only" ||
	fail "image: var/cache/x holds $(ls -A "$i/var/cache/x" | tr '\n' ' ')"
[[ -z $(ls -A "$i/data") ]] && ok "image: opaque dir with nothing else ends empty" || fail "image: data/ not empty"
[[ -f $i/srv/was-dir && ! -L $i/srv/was-dir && -d $i/srv/was-file ]] &&
	ok "image: dir replaced by a file and file by a dir" || fail "image: type changes"
[[ $(readlink "$i/etc/os-release") == ../usr/lib/os-release ]] && ok "image: file replaced by a symlink" ||
	fail "image: etc/os-release"
[[ $(stat -c %a "$i/home/user") == 700 && $(stat -c %i "$i/usr/bin/tool") == $(stat -c %i "$i/usr/bin/tool-link") ]] &&
	ok "image: upper dir metadata wins; hardlink kept" || fail "image: home/user mode or tool hardlink"
! find "$i" -name '.wh.*' | grep -q . && ok "image: no whiteout file left" || fail "image: whiteout files left"
cmp -s <(gzip -dc "$L/l2.tar.gz" | tar -xO ./usr/lib/a.so) "$i/usr/lib/a.so" && ok "image: a.so has l2's content" ||
	fail "image: a.so content"

# the hostile layers are hostile the way the tests say
tar -tf "$L/evil-size.tar" >/dev/null 2>&1 && fail "evil-size.tar reads fine" || ok "evil-size.tar: tar fails on it"
! gzip -t "$L/evil-trunc.tar.gz" 2>/dev/null && ! gzip -t "$L/evil-corrupt.tar.gz" 2>/dev/null &&
	! gzip -t "$L/evil-crc.tar.gz" 2>/dev/null && ok "evil gzips fail gzip -t" || fail "an evil gzip passes gzip -t"
gzip -t "$L/evil-corrupt.tar.gz" 2>&1 | grep -q 'format violated' && ok "evil-corrupt: broken deflate data" ||
	fail "evil-corrupt: $(gzip -t "$L/evil-corrupt.tar.gz" 2>&1)"
[[ $(tar -tf "$L/evil-dup.tar" | grep -c '^dup.txt$') == 2 && $(tar -xOf "$L/evil-dup.tar" dup.txt | tail -1) == 'second, and longer' ]] &&
	ok "evil-dup: dup.txt twice" || fail "evil-dup"
names=$(python3 -c 'import sys, tarfile; print(" ".join(m.name + ("->" + m.linkname if m.linkname else "") for m in tarfile.open(sys.argv[1])))' "$L/evil-hardlink.tar")
[[ $names == *"h-passwd->../../etc/passwd"* && $names == *"h-shadow->/etc/shadow"* ]] &&
	ok "evil-hardlink: $names" || fail "evil-hardlink: $names"
names=$(python3 -c 'import sys, tarfile; print(" ".join(m.name for m in tarfile.open(sys.argv[1])))' "$L/evil-dotdot.tar")
[[ $names == *"../ovlmig-evil-dotdot"* ]] && ok "evil-dotdot: $names" || fail "evil-dotdot: $names"

# --- nginx: ranges, byte counts, rate ----------------------------------------
www=$T/www
serve_layers "$www" "$L/base.tar" "$L/half.tar.gz"
head -c $((50 * 1048576)) /dev/zero >"$www/50m"
nginx_start "$www" || { fail "nginx start"; exit 1; }
ok "nginx on port $NGINX_PORT (pid $NGINX_PID)"
u=http://127.0.0.1:$NGINX_PORT
code=$(curl -s -r 1000-1999 -o "$T/range" -w '%{http_code}' "$u/base.tar")
[[ $code == 206 ]] && cmp -s "$T/range" <(tail -c +1001 "$L/base.tar" | head -c 1000) &&
	ok "nginx: Range 1000-1999 -> 206 and the right 1000 bytes" || fail "nginx range: $code"
curl -s -o /dev/null "$u/half.tar.gz"
[[ $(nginx_bytes '^/half') -eq $(stat -Lc %s "$L/half.tar.gz") && $(nginx_bytes '^/base') -eq 1000 &&
   $(nginx_requests) -ge 2 ]] &&
	ok "nginx_bytes: $(nginx_bytes) bytes in $(nginx_requests) responses, per URI too" ||
	fail "nginx_bytes: half $(nginx_bytes '^/half') base $(nginx_bytes '^/base')"

nginx_start "$www" 50m || { fail "nginx start with a rate"; exit 1; }
t=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$NGINX_PORT/50m")
awk -v t="$t" 'BEGIN { exit !(t >= 0.8 && t <= 2.5) }' &&
	ok "nginx limit_rate 50m: 50 MiB in ${t} s" || fail "nginx limit_rate 50m: 50 MiB in ${t} s (expected ~1 s)"

# --- registry and skopeo -------------------------------------------------------
registry_start || { fail "registry start"; exit 1; }
ok "docker-registry on port $REGISTRY_PORT (pid $REGISTRY_PID)"
oci=$T/oci
oci_layout_from_layers "$oci" v1 "$L"/l{1,2,3}.tar.gz
oci_layout_from_layers "$oci" mixed "$L/base.tar.zst" "$L/base.tar" "$L/half.tar.gz"
# skopeo reads the layout itself: it is a valid one
for tag in v1 mixed; do
	if out=$(registry_push "$oci" "$tag" test/img 2>&1); then
		ok "skopeo pushed oci:$tag"
	else
		fail "skopeo push oci:$tag" "$out"
		continue
	fi
	want=$(oci_manifest_digest "$oci" "$tag")
	accept='Accept: application/vnd.oci.image.manifest.v1+json'
	curl -s -D "$T/h" -H "$accept" -o "$T/m" "http://127.0.0.1:$REGISTRY_PORT/v2/test/img/manifests/$tag"
	got=$(awk 'tolower($1) == "docker-content-digest:" { print $2 }' "$T/h" | tr -d '\r')
	[[ $got == "$want" ]] && cmp -s "$T/m" "$oci/blobs/sha256/${want#sha256:}" &&
		ok "registry $tag: the manifest byte for byte ($got)" ||
		fail "registry $tag: manifest digest $got, layout has $want"
	layers=$(jq -r '[.layers[] | .mediaType + " " + .digest] | join(", ")' "$T/m")
	want_layers=$(jq -r '[.layers[] | .mediaType + " " + .digest] | join(", ")' "$oci/blobs/sha256/${want#sha256:}")
	[[ $layers == "$want_layers" ]] && ok "registry $tag layers: $layers" || fail "registry $tag layers: $layers"
done
d=$(jq -r '.layers[0].digest' "$T/m")
code=$(curl -s -r 10-19 -o "$T/blobrange" -w '%{http_code}' "http://127.0.0.1:$REGISTRY_PORT/v2/test/img/blobs/$d")
[[ $code == 206 ]] && cmp -s "$T/blobrange" <(tail -c +11 "$oci/blobs/sha256/${d#sha256:}" | head -c 10) &&
	ok "registry serves blob ranges (206)" || fail "registry blob range: $code"
if out=$(skopeo --insecure-policy copy --quiet --src-tls-verify=false \
	"docker://127.0.0.1:$REGISTRY_PORT/test/img:v1" "oci:$T/pulled:v1" 2>&1); then
	ok "skopeo pulls the image back"
else
	fail "skopeo pull" "$out"
fi

# --- the fault proxy -----------------------------------------------------------
nginx_start "$www" || { fail "nginx start"; exit 1; }
src=$L/base.tar
range() { tail -c +$(($1 + 1)) "$src" | head -c $(($2 - $1 + 1)); }
# get MODE-RESULT-FILE RANGE: curl through the proxy; prints the curl exit status
get() {
	curl -s -r "$2" -o "$1" --max-time 20 "http://127.0.0.1:$FAULTPROXY_PORT/base.tar"
	echo $?
}

faultproxy_start "$NGINX_PORT" none || { fail "faultproxy start"; exit 1; }
v=$(curl -sv -o /dev/null -o /dev/null "http://127.0.0.1:$FAULTPROXY_PORT/base.tar" \
	"http://127.0.0.1:$FAULTPROXY_PORT/half.tar.gz" 2>&1)
[[ $v == *"Re-using existing connection"* ]] && ok "faultproxy none: keep-alive" || fail "faultproxy: no keep-alive"
rc=$(get "$T/r" 5000-70000)
[[ $rc == 0 ]] && cmp -s "$T/r" <(range 5000 70000) && [[ $(faultproxy_count) == 0 ]] &&
	ok "faultproxy none: ranges pass untouched" || fail "faultproxy none: rc $rc"
[[ $(curl -sI "http://127.0.0.1:$FAULTPROXY_PORT/base.tar" | awk 'tolower($1) == "content-length:" { print $2 }' | tr -d '\r') == $(stat -Lc %s "$src") ]] &&
	ok "faultproxy: HEAD passes Content-Length" || fail "faultproxy: HEAD"

# each mode: the first request of a range is broken, the retry is not
for mode in reset stall 500 short flip; do
	opts=()
	[[ $mode == stall ]] && opts=(--stall-seconds 2)
	faultproxy_start "$NGINX_PORT" "$mode" "${opts[@]}" || { fail "faultproxy $mode start"; continue; }
	rc=$(get "$T/r1" 0-999999)
	size=$(stat -c %s "$T/r1" 2>/dev/null || echo 0)
	rc2=$(get "$T/r2" 0-999999)
	good=no
	[[ $rc2 == 0 ]] && cmp -s "$T/r2" <(range 0 999999) && good=yes
	case $mode in
	flip) bad=$([[ $rc == 0 && $size == 1000000 ]] && ! cmp -s "$T/r1" <(range 0 999999) && echo yes) ;;
	500) bad=$([[ $(curl -s -r 0-9 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$FAULTPROXY_PORT/half.tar.gz") == 500 ]] && echo yes) ;;
	*) bad=$([[ $rc != 0 && $size -lt 1000000 ]] && cmp -s "$T/r1" <(range 0 $((size - 1))) && echo yes) ;;
	esac
	n=$(faultproxy_count "$mode")
	[[ $bad == yes && $good == yes && $n -ge 1 ]] &&
		ok "faultproxy $mode: first answer broken (curl $rc, $size bytes), retry right, $n counted" ||
		fail "faultproxy $mode: first curl $rc/$size bytes bad=$bad, retry curl $rc2 good=$good, counted $n"
	stop_pid "$FAULTPROXY_PID"
done

# stall --stall-seconds 0 holds until the client gives up: curl's own
# low-speed limit ends it
faultproxy_start "$NGINX_PORT" stall --stall-seconds 0 || fail "faultproxy stall start"
s=$(date +%s)
curl -s -r 0-999999 -o /dev/null -y 2 -Y 1 "http://127.0.0.1:$FAULTPROXY_PORT/base.tar"; rc=$?
[[ $rc == 28 && $(($(date +%s) - s)) -lt 10 ]] && ok "faultproxy stall forever: client times out (curl 28)" ||
	fail "faultproxy stall forever: curl $rc"
stop_pid "$FAULTPROXY_PID"

# --every N: only every Nth eligible request
faultproxy_start "$NGINX_PORT" 500 --every 3 || fail "faultproxy --every start"
codes=""
for _ in 1 2 3 4 5 6; do
	codes+=$(curl -s -r 0-9 -o /dev/null -w '%{http_code} ' "http://127.0.0.1:$FAULTPROXY_PORT/base.tar")
done
[[ $codes == "206 206 500 206 206 500 " ]] && ok "faultproxy --every 3: $codes" || fail "faultproxy --every 3: $codes"
stop_pid "$FAULTPROXY_PID"

# persistent-flip: always the same byte, in every response that covers it
faultproxy_start "$NGINX_PORT" persistent-flip --flip-range 300000-300000 || fail "persistent-flip start"
for _ in 1 2 3; do get "$T/p" 262144-524287 >/dev/null; done
cmp "$T/p" <(range 262144 524287) 2>/dev/null | grep -q 'byte 37857,' &&
	[[ $(cmp -l "$T/p" <(range 262144 524287) | wc -l) == 1 ]] && ok "persistent-flip: byte 300000 flipped, only it" ||
	fail "persistent-flip" "$(cmp -l "$T/p" <(range 262144 524287) | head -3)"
get "$T/p" 0-262143 >/dev/null
cmp -s "$T/p" <(range 0 262143) && [[ $(faultproxy_count persistent-flip) == 3 ]] &&
	ok "persistent-flip: ranges without it untouched; 3 injections counted" ||
	fail "persistent-flip: counted $(faultproxy_count persistent-flip)"
stop_pid "$FAULTPROXY_PID"

# --rate: one link shared by every connection
faultproxy_start "$NGINX_PORT" none --rate $((20 * 1048576)) || fail "faultproxy --rate start"
s=$(date +%s%N)
curls=()
for _ in 1 2; do curl -s -o /dev/null "http://127.0.0.1:$FAULTPROXY_PORT/base.tar" & curls+=($!); done
curl -s -o /dev/null "http://127.0.0.1:$FAULTPROXY_PORT/half.tar.gz"
wait "${curls[@]}"	# not a bare wait: the servers are our children too
ms=$((($(date +%s%N) - s) / 1000000))
total=$(( (2 * $(stat -Lc %s "$src") + $(stat -Lc %s "$L/half.tar.gz")) ))
expect=$((total * 1000 / (20 * 1048576)))
[[ $ms -ge $((expect * 8 / 10)) && $ms -le $((expect * 2 + 500)) ]] &&
	ok "faultproxy --rate 20 MiB/s: $total bytes on 3 connections in $ms ms (expected ~$expect)" ||
	fail "faultproxy --rate: $total bytes in $ms ms, expected ~$expect"
