#!/usr/bin/env bash
# Must show 1 of the remote-image issue: for plain, gzip, zstd (one frame
# and many) layers and for a 3-layer image with whiteouts and opaque dirs,
# over http:// (nginx), file:// and an OCI layout, the mounted tree equals
# the extracted image entry by entry: types, modes, owners, sizes, ns
# mtimes, contents, xattrs (security.capability too), symlink targets,
# devices, hardlinks.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
require_root "remote tar layers"
require_tools "remote tar layers" nginx curl jq python3 openssl zstd

L=$(layers_dir) || { fail "mklayers"; exit 1; }
www=$T/www
serve_layers "$www" "$L"/base.tar{,.gz,.zst} "$L/base.multiframe.tar.zst" "$L"/l{1,2,3}.tar.gz
nginx_start "$www" || { fail "nginx"; exit 1; }
http=http://127.0.0.1:$NGINX_PORT
expected_tree "$L/base.tree" "$T/base.sum"
expected_tree "$L/image.tree" "$T/image.sum"

n=0
# mounted NAME SOURCE EXPECTED-SUMS: mount SOURCE, compare, unmount.
mounted() {
	local name=$1 src=$2 sums=$3 mnt=$T/mnt
	n=$((n + 1))
	mkdir -p "$T/cache-$n"
	# not in $(...): start_lowerfs registers its clean-up in this shell
	if ! start_lowerfs "t$n" "$src" "$mnt" --cache "$T/cache-$n" >"$T/out" 2>&1; then
		fail "$name: mount $src" "$(head -3 "$T/out")"
		return
	fi
	same_tree "$name: mounted tree equals the image" "$sums" "$mnt"
	stop_lowerfs "t$n" "$mnt"
}

for f in base.tar base.tar.gz base.tar.zst base.multiframe.tar.zst; do
	mounted "$f over http" "tar:$http/$f" "$T/base.sum"
	mounted "$f over file://" "tar:file://$www/$f" "$T/base.sum"
done
mounted "base.tar.gz as a plain path" "tar:$www/base.tar.gz" "$T/base.sum"

layers() { local p=$1 s="" i; for i in 1 2 3; do s+="${s:+,}$p/l$i.tar.gz"; done; echo "$s"; }
mounted "3 layers over http" "tar:$(layers "$http")" "$T/image.sum"
mounted "3 layers over file://" "tar:$(layers "file://$www")" "$T/image.sum"

oci=$T/oci
oci_layout_from_layers "$oci" v1 "$www"/l{1,2,3}.tar.gz
oci_layout_from_layers "$oci" base-zst "$www/base.tar.zst"
mounted "OCI layout, 3 layers" "oci:$oci:v1" "$T/image.sum"
mounted "OCI layout, zstd layer" "oci:$oci:base-zst" "$T/base.sum"

# a prebuilt index next to the layer is used: the mount fetches it, not
# the whole layer
if "$OVLMIG" index "$www/base.tar.gz" -o "$www/base.tar.gz.index" >"$T/index.err" 2>&1; then
	ok "ovlmig index base.tar.gz"
	before=$(nginx_bytes '^/base\.tar\.gz$')
	mkdir -p "$T/cache-idx"
	if start_lowerfs idx "tar:$http/base.tar.gz" "$T/mnt" --cache "$T/cache-idx" >"$T/out" 2>&1; then
		[[ $(nginx_requests '^/base\.tar\.gz\.index$') -ge 1 ]] && ok "the mount fetched base.tar.gz.index" ||
			fail "the mount did not fetch base.tar.gz.index"
		[[ $(($(nginx_bytes '^/base\.tar\.gz$') - before)) -eq 0 ]] &&
			ok "with an index the mount reads none of the layer" ||
			fail "the mount read $(($(nginx_bytes '^/base\.tar\.gz$') - before)) bytes of the layer"
		same_tree "base.tar.gz with its index: mounted tree equals the image" "$T/base.sum" "$T/mnt"
		stop_lowerfs idx "$T/mnt"
	else
		fail "mount with an index" "$(head -3 "$T/out")"
	fi
else
	fail "ovlmig index" "$(head -3 "$T/index.err")"
fi
