#!/usr/bin/env bash
# Must show 3 of the remote-image issue: through a proxy that resets,
# stalls, answers 500, cuts bodies short or flips bytes (each range's
# first answer broken, retries clean), every file of the image reads
# right; a byte corrupted on every answer makes the reads that need it
# fail with EIO; and in no case does a reader ever get a wrong byte.
# The proxy's counters prove the faults happened.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
require_root "remote faults"
require_tools "remote faults" nginx curl jq python3 openssl zstd

L=$(layers_dir) || { fail "mklayers"; exit 1; }
www=$T/www
serve_layers "$www" "$L/base.tar.gz"
# the index is served clean (not faulted: --ranged-only below), so each
# fault lands on the chunk reads this test is about
index_layer "$www/base.tar.gz" 2>"$T/index.err" || { fail "ovlmig index" "$(head -3 "$T/index.err")"; exit 1; }
nginx_start "$www" || { fail "nginx"; exit 1; }
expected_tree "$L/base.tree" "$T/base.sum"

# every regular file of the image, as the reads to check
mapfile -t files < <(cd "$L/base.tree" && find . -type f | sed 's|^\./||' | sort)

# read_all NAME MNT: read every file; counts right, eio, wrong, other
read_all() {
	local mnt=$2 f v
	right=0 eio=0 wrong=0 other=0 bad=""
	for f in "${files[@]}"; do
		v=$(read_verdict "$mnt/$f" "$L/base.tree/$f")
		case $v in
		right) right=$((right + 1)) ;;
		eio) eio=$((eio + 1)) ;;
		wrong) wrong=$((wrong + 1)); bad+=" $f(wrong)" ;;
		*) other=$((other + 1)); bad+=" $f($v)" ;;
		esac
	done
}

# run MODE PROXY-OPTIONS...: a fresh cache, the layer through a proxy in
# MODE; sets right/eio/wrong/other and leaves the mount up as "m-MODE"
run() {
	local mode=$1; shift
	faultproxy_start "$NGINX_PORT" "$mode" --ranged-only "$@" || { fail "$mode: proxy"; return 1; }
	mkdir -p "$T/cache-$mode"
	if ! start_lowerfs "m-$mode" "tar:http://127.0.0.1:$FAULTPROXY_PORT/base.tar.gz" "$T/mnt-$mode" \
		--cache "$T/cache-$mode" >"$T/out" 2>&1; then
		fail "$mode: mount" "$(head -3 "$T/out")"
		return 1
	fi
	read_all "$mode" "$T/mnt-$mode"
}

# transient faults: each range fails once, the retry is clean; stall
# holds the connection until the client's stall timeout gives up on it
# (once only: that takes ~15 s)
for mode in reset 500 short flip stall; do
	opts=()
	[[ $mode == stall ]] && opts=(--stall-seconds 0 --max 1)
	run "$mode" "${opts[@]}" || continue
	n=$(faultproxy_count "$mode")
	[[ $wrong -eq 0 ]] && ok "$mode: no wrong byte reached a reader" ||
		fail "$mode: WRONG BYTES in$bad"
	[[ $right -eq ${#files[@]} ]] && ok "$mode: all ${#files[@]} files read right after retries" ||
		fail "$mode: $right right, $eio EIO, $other other of ${#files[@]}" "$bad"
	[[ $n -ge 1 ]] && ok "$mode: the proxy injected $n faults" || fail "$mode: the proxy injected no fault"
	if [[ $mode == flip ]]; then
		m=$(remote_stat "m-$mode" chunk_mismatches)
		[[ $m -ge 1 ]] && ok "flip: stats counts $m chunk mismatches" || fail "flip: chunk_mismatches is $m"
	else
		r=$(remote_stat "m-$mode" http_retries)
		[[ $r -ge 1 ]] && ok "$mode: stats counts $r retries" || fail "$mode: http_retries is $r"
	fi
	same_tree "$mode: the tree equals the image" "$T/base.sum" "$T/mnt-$mode"
	stop_lowerfs "m-$mode" "$T/mnt-$mode"
	stop_pid "$FAULTPROXY_PID"
done

# persistent-flip: one compressed byte in the middle of data/random-3m is
# wrong in every answer. Find it: the layer offset where the decompressed
# stream reaches that file's data plus 1.5 MiB.
off=$(python3 - "$L/base.tar.gz" <<'PY'
import sys, tarfile, zlib
path = sys.argv[1]
with tarfile.open(path) as tf:
    target = tf.getmember("./data/random-3m").offset_data + 1536 * 1024
d = zlib.decompressobj(31)
out = 0
with open(path, "rb") as f:
    pos = 0
    while True:
        b = f.read(1024)
        if not b:
            sys.exit("not found")
        out += len(d.decompress(b))
        pos += len(b)
        if out > target:
            print(pos - 512)
            break
PY
) || { fail "persistent-flip: offset of data/random-3m"; exit 1; }
if run persistent-flip --flip-range "$off-$off"; then
	[[ $wrong -eq 0 ]] && ok "persistent-flip: no wrong byte reached a reader ($right right, $eio EIO)" ||
		fail "persistent-flip: WRONG BYTES in$bad"
	v=$(read_verdict "$T/mnt-persistent-flip/data/random-3m" "$L/base.tree/data/random-3m")
	[[ $v == eio ]] && ok "persistent-flip: data/random-3m (holds the byte at $off) fails with EIO" ||
		fail "persistent-flip: data/random-3m: $v"
	[[ $other -eq 0 ]] && ok "persistent-flip: every failure is EIO" || fail "persistent-flip: other errors:$bad"
	[[ $(faultproxy_count persistent-flip) -ge 2 ]] &&
		ok "persistent-flip: injected $(faultproxy_count persistent-flip) times (the re-fetch too)" ||
		fail "persistent-flip: injected $(faultproxy_count persistent-flip) times"
	m=$(remote_stat m-persistent-flip chunk_mismatches)
	[[ $m -ge 2 ]] && ok "persistent-flip: stats counts $m chunk mismatches" ||
		fail "persistent-flip: chunk_mismatches is $m"
	# files far from the bad chunk still read (a gzip checkpoint after it)
	v=$(read_verdict "$T/mnt-persistent-flip/etc/hostname" "$L/base.tree/etc/hostname")
	[[ $v == right || $v == eio ]] && ok "persistent-flip: etc/hostname: $v" || fail "persistent-flip: etc/hostname: $v"
	stop_lowerfs m-persistent-flip "$T/mnt-persistent-flip"
fi
