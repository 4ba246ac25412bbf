#!/usr/bin/env bash
# Range fill of the fanotify filler (issue 16, docs/FANOTIFY.md "Range
# fill"): a first command that reads READ_MB MiB of a FILE_MB MiB file of
# a gzip tar layer served over a link of RATE_MB MB/s (nginx behind the
# fault proxy's shared --rate), mounted with `ovlmig mount --strategy
# store --fill fanotify`, filled whole at open ("whole": --fill-range-min
# above the file's size, what every file got before range fill) against
# filled by ranges (the default), in one run, alternating (whole, ranges,
# whole, ranges). Per run: the mount's time, then two commands, each
# timed with the layer bytes nginx sent for it and the placeholder's size
# after it: `dd bs=1M count=READ_MB` at 0, then the same at the file's
# middle. The store is a loop XFS of the bench's own (never the root
# filesystem); the store entry and the chunk cache (--cache) are removed
# after each run. Prints the figures; asserts nothing.
#
#   scripts/bench/fanrange.sh        (as root; make first)
#
# Environment: BUILD (default build), FILE_MB (512), READ_MB (1), RATE_MB
# (50), ROUNDS (2), IMAGE_CACHE (a directory to keep the built layer in).
set -u -o pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/lib.sh"
. "$TOP/tests/remote_lib.sh"

FILE_MB=${FILE_MB:-512}
READ_MB=${READ_MB:-1}
RATE_MB=${RATE_MB:-50}
ROUNDS=${ROUNDS:-2}
MiB=1048576
die() { echo "fanrange.sh: $*" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || die "run as root (mounts)"
for v in FILE_MB READ_MB RATE_MB ROUNDS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
for t in "$OVLMIG" mkfs.xfs nginx jq openssl; do
	command -v "$t" >/dev/null || die "missing $t"
done
now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1048576 }'; }
rnd() {
	local key
	key=$(printf '%s' "$1" | sha256sum | cut -c1-32)
	{ openssl enc -aes-128-ctr -K "$key" -iv 00000000000000000000000000000000 \
		-nosalt -in /dev/zero 2>/dev/null || true; } | head -c "$2"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
www=$T/www
mkdir -p "$www"
cached=${IMAGE_CACHE:+$IMAGE_CACHE/fanrange-${FILE_MB}m}
if [[ -n $cached && -s $cached/layer.tar.gz.index ]]; then
	cp "$cached"/layer.tar.gz* "$www/" || die "copy $cached"
else
	mkdir -p "$T/img/data"
	rnd big $((FILE_MB * MiB)) >"$T/img/data/big"
	echo small >"$T/img/data/small"
	tar -c --numeric-owner -C "$T/img" . | gzip -1 >"$www/layer.tar.gz" || die "tar"
	rm -rf "$T/img"
	"$OVLMIG" index "$www/layer.tar.gz" -o "$www/layer.tar.gz.index" >/dev/null ||
		die "ovlmig index"
	if [[ -n $cached ]]; then
		mkdir -p "$cached" && cp "$www"/layer.tar.gz* "$cached/" || die "keep the layer in $cached"
	fi
fi
want=$(mktemp "$T/want.XXXXXX")
nginx_start "$www" || die "nginx"
faultproxy_start "$NGINX_PORT" none --rate $((RATE_MB * 1000000)) || die "proxy"
SRC=tar:http://127.0.0.1:$FAULTPROXY_PORT/layer.tar.gz

truncate -s $((FILE_MB * 2 + 1024))M "$T/sfs.img" && mkfs.xfs -q "$T/sfs.img" &&
	mkdir -p "$T/sfs" && mount -o loop "$T/sfs.img" "$T/sfs" || die "loop XFS for the store"
on_exit "umount -l $T/sfs"
m=$T/m
layer() { nginx_bytes '\.tar\.gz$'; }
# cmd OFF_MB: dd of READ_MB MiB at OFF_MB; "SECONDS LINK-BYTES FILLED-BYTES"
cmd() {
	local l0 t0 t1
	l0=$(layer) t0=$(now)
	dd if="$m/data/big" of="$T/got" bs=1M skip="$1" count="$READ_MB" status=none || die "dd at $1 MiB"
	t1=$(now)
	cmp -s "$T/got" <(head -c $(((${1} + READ_MB) * MiB)) "$want" | tail -c $((READ_MB * MiB))) ||
		die "dd at $1 MiB read wrong bytes"
	echo "$(secs "$t0" "$t1") $(($(layer) - l0)) $(stat -c %s "$(echo "$T"/sfs/sha256-*/holes/data/big)")"
}
# the file's bytes, to check what is read (from the layer, not the link)
tar -xzOf "$www/layer.tar.gz" ./data/big >"$want" || die "extract data/big"

printf '%-6s %-5s %8s | %9s %9s %9s | %9s %9s %9s\n' run round mount "t@0 s" "link MiB" "filled" \
	"t@mid s" "link MiB" "filled"
for ((r = 1; r <= ROUNDS; r++)); do
	for how in whole ranges; do
		opt=()
		[[ $how == whole ]] && opt=(--fill-range-min $(((FILE_MB + 1) * MiB)))
		t0=$(now)
		ovlmig_mount "$m" --strategy store --fill fanotify --store "$T/sfs" --source "$SRC" \
			"${opt[@]}" --cache "$T/c-$how$r" --upper "$T/u-$how$r" --work "$T/w-$how$r" >"$T/out" 2>&1 ||
			die "mount: $(head -3 "$T/out")"
		tm=$(secs "$t0" "$(now)")
		read -r a_t a_l a_f < <(cmd 0)
		read -r b_t b_l b_f < <(cmd $((FILE_MB / 2)))
		printf '%-6s %-5s %8s | %9s %9s %9s | %9s %9s %9s\n' "$how" "$r" "$tm" \
			"$a_t" "$(mib "$a_l")" "$(mib "$a_f")" "$b_t" "$(mib "$b_l")" "$(mib "$b_f")"
		"$OVLMIG" umount "$m" >/dev/null 2>&1 || die "umount"
		# nothing kept for the next run: the store entry and the chunk cache
		rm -rf "$T"/sfs/sha256-* "$T/u-$how$r" "$T/w-$how$r" "$T/c-$how$r"
	done
done
echo "file ${FILE_MB} MiB in a gzip layer of $(mib "$(stat -c %s "$www/layer.tar.gz")") MiB, link ${RATE_MB} MB/s, read ${READ_MB} MiB; load before $LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg); commit $(git -C "$TOP" rev-parse --short HEAD)"
